// The constant parts of the built-in OTP page: template, style sheet and script. Kept apart
// from the renderer so that the page's look and behaviour can be read (and reviewed) as the
// HTML, CSS and JavaScript they are. Internal to lib/ (login_page.cpp is the user).
#pragma once

#include <string_view>

namespace otp::page_assets {

// Placeholders: see login_page.h.
extern const std::string_view kTemplate;
// Contents of the page's <style> element (no tags).
extern const std::string_view kStyle;
// Contents of the page's executable <script> element (no tags). Reads its configuration from
// <script type="application/json" id="otp-config">.
extern const std::string_view kScript;

}  // namespace otp::page_assets
