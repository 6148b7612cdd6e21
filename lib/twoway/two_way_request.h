// The bodies of the two-way API's calls, parsed and checked before anything else sees them:
//   complete  {"flow":"<id>","data":"<challenge response>"}
//   portal    {"data":"<client code>"}, or the portal page's form: data=…&csrf=…
// At most kMaxApiBodyBytes; codes are 1..64 letters and digits; unknown members are ignored.
// Refusals are the verify API's 1xxx errors (lib/api/api_error.h), with the element named.
#pragma once

#include <string>
#include <string_view>
#include <variant>

#include "api/api_call.h"

namespace otp {

struct TwoWayCompleteCall {
    std::string flow;
    std::string response;
};

struct TwoWayPortalCall {
    std::string code;
    std::string csrf;  // form posts only
};

std::variant<TwoWayCompleteCall, ApiCallError> parse_two_way_complete(std::string_view body);
std::variant<TwoWayPortalCall, ApiCallError> parse_two_way_portal_json(std::string_view body);
std::variant<TwoWayPortalCall, ApiCallError> parse_two_way_portal_form(std::string_view body);

}  // namespace otp
