// The two-way portal page (SetHandler otp-twoway-portal, GET): a person who is logged in to
// the portal types the client code their app shows and gets the challenge response to type
// into the app. The login page's look; works with and without JavaScript:
//  - without: the form posts application/x-www-form-urlencoded (data, csrf) to the page's own
//    URL, and the answer is this page with the response (or the error);
//  - with: the script posts {"data":…} as JSON and shows the response in place; any answer it
//    does not understand submits the form normally.
// No external resources, no inline styles or handlers: portal_page_csp() allows exactly the
// page's style and script.
#pragma once

#include <string>

#include "web/translations.h"

namespace otp {

struct PortalPageModel {
    std::string lang = "en";
    std::string user;       // the portal user ("Signed in as …")
    std::string csrf;       // for the form post
    std::string action;     // the page's own path (form target and fetch URL)
    std::string response;   // a challenge response to show; empty: none yet
    std::string error_key;  // translation key of an error to show, or empty
    bool alphanumeric = false;  // no numeric keyboard
    unsigned code_length = 16;  // the field's maxlength
};

std::string render_portal_page(const Translations& translations, const PortalPageModel& model);
std::string portal_page_csp();

}  // namespace otp
