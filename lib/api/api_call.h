// The bodies of the verify API's calls (README "Verify API"), parsed and checked before
// anything else sees them:
//   verify    {"userName","otp","orgName","clientTxnId","tokenType","additionalInput"}
//   generate  {"userName","orgName","clientTxnId","additionalInput"}
//   token     {"token"}
//   initiate  user_name=&otp=&pairing_id=&action_name=&terminal_name= (form, as Toopher
//             clients send it)
// JSON bodies: at most kMaxApiBodyBytes, one object, no duplicate members, strings where
// strings are expected; unknown members are ignored (callers written for AuthMinder send more).
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "api/api_error.h"

struct json_t;

namespace otp {

constexpr std::size_t kMaxApiBodyBytes = 8192;
constexpr std::size_t kMaxApiUserBytes = 256;
constexpr std::size_t kMaxApiOtpLength = 64;
constexpr std::size_t kMaxApiTextBytes = 256;   // orgName, additionalInput values, form names
constexpr std::size_t kMaxApiTxnIdBytes = 128;  // clientTxnId, pairing_id
constexpr std::size_t kMaxApiTokenBytes = 4096;

struct ApiCallError {
    ApiError error = ApiError::malformed_request;
    std::string element;  // missing_element / invalid_element: which one
};

// What the caller says about itself and the call.
struct CallerInput {
    std::string org_name;       // orgName
    std::string client_txn_id;  // clientTxnId
    std::string locale;         // additionalInput AR_WF_LOCALE_ID, as sent
    std::string caller_id;      // additionalInput AR_WF_CALLER_ID
};

struct VerifyCall {
    std::string user;
    std::string otp;
    CallerInput caller;
    bool session_token = false;  // tokenType "session"
};

struct GenerateCall {
    std::string user;
    CallerInput caller;
};

struct TokenCall {
    std::string token;
};

struct InitiateCall {
    std::string user;  // user_name
    std::string otp;
    bool has_otp = false;     // otp present and not empty
    std::string pairing_id;   // echoed, not interpreted
    std::string action_name;  // for the answer and the error log
    std::string terminal_name;
};

std::variant<VerifyCall, ApiCallError> parse_verify_call(std::string_view body);
std::variant<GenerateCall, ApiCallError> parse_generate_call(std::string_view body);
std::variant<TokenCall, ApiCallError> parse_token_call(std::string_view body);
std::variant<InitiateCall, ApiCallError> parse_initiate_form(std::string_view body);

// For the parsers of other JSON APIs (two-way): the body as one JSON object, with the
// checks above (size, syntax, duplicate members), or the refusal.
using ApiJson = std::unique_ptr<json_t, void (*)(json_t*)>;
std::variant<ApiJson, ApiCallError> load_api_object(std::string_view body);
// A code element: 1..kMaxApiOtpLength letters and digits (missing / invalid `element`).
std::optional<ApiCallError> check_api_code_element(std::string_view code, const char* element);

// Whether a Content-Type value is `media_type` (case-insensitive, parameters ignored).
bool is_media_type(std::string_view content_type, std::string_view media_type);

// The catalogue language an AR_WF_LOCALE_ID asks for: "sv_SE", "sv-SE" and "SV" give
// "sv-se" / "sv"; anything that is not a language tag gives "" (the default language).
std::string api_locale(std::string_view requested);

}  // namespace otp
