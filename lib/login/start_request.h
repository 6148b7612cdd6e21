// Parsing and validating the bodies of POST .otp/start (SPEC §3.2): the JSON protocol
// {"type":"start","data":{"otp":"123456","user":"alice"}} / {"type":"send"} and the page's plain
// form post (application/x-www-form-urlencoded: otp, user, csrf, optional type=send).
//
// Every refusal carries the HTTP status and the machine-readable reason for
// {"status":"ERROR","error":"<reason>"}; the reasons are the constants below, so the module,
// the tests and the README share one spelling.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <variant>

namespace otp {

constexpr std::size_t kMaxStartBodyBytes = 8192;  // larger bodies: 413 body_too_large
constexpr std::size_t kMaxOtpLength = 64;         // characters (codes are ASCII)
constexpr std::size_t kMaxUserBytes = 256;
constexpr std::size_t kMaxReturnBytes = 2048;  // the optional "return" path

// Reasons, with the status each is answered with.
inline constexpr char kErrorMalformedJson[] = "malformed_json";         // 400
inline constexpr char kErrorNotAnObject[] = "not_an_object";            // 400
inline constexpr char kErrorMissingType[] = "missing_type";             // 400
inline constexpr char kErrorUnknownType[] = "unknown_type";             // 400
inline constexpr char kErrorMissingData[] = "missing_data";             // 400
inline constexpr char kErrorMissingOtp[] = "missing_otp";               // 400
inline constexpr char kErrorValueTooLong[] = "value_too_long";          // 400
inline constexpr char kErrorInvalidUser[] = "invalid_user";             // 400
inline constexpr char kErrorInvalidOtpFormat[] = "invalid_otp_format";  // 400
inline constexpr char kErrorInvalidReturn[] = "invalid_return";         // 400
inline constexpr char kErrorMalformedForm[] = "malformed_form";         // 400 bad %-escape
inline constexpr char kErrorDuplicateField[] = "duplicate_field";       // 400
inline constexpr char kErrorBodyTooLarge[] = "body_too_large";          // 413
inline constexpr char kErrorUnsupportedContentType[] = "unsupported_content_type";  // 415
inline constexpr char kErrorMissingCsrf[] = "missing_csrf";                         // 403 form post
// Not produced by the parsers; for the module, which has the context to decide them.
inline constexpr char kErrorInvalidCsrf[] = "invalid_csrf";             // 403 wrong token
inline constexpr char kErrorMissingUser[] = "missing_user";             // 400 AuthType OTP
inline constexpr char kErrorBadOrigin[] = "bad_origin";                 // 403 Origin header
inline constexpr char kErrorMethodNotAllowed[] = "method_not_allowed";  // 405 not POST

struct StartRequest {
    enum class Type { start, send } type = Type::start;
    std::string otp;          // validated: 1..64 characters of [0-9A-Za-z] (start only)
    std::string user;         // validated: UTF-8, no control characters, <= 256 bytes
    bool has_user = false;    // the field was present (it may still be empty)
    std::string csrf;         // form: required; JSON: data.csrf if present (not validated)
    std::string return_to;    // "return" field / data.return, unvalidated beyond length and
    bool has_return = false;  //   control characters: check it with is_safe_return_path()
};

struct RequestError {
    int http_status;
    std::string error;  // one of the kError* reasons
};

// Both parsers refuse bodies over kMaxStartBodyBytes (413), so the limit holds even if the
// caller forgets to check Content-Length.
//
// JSON: unknown members are ignored; for "send", data is optional (and may carry user).
// Checks, in order: size, syntax (duplicate keys count as malformed), object, type, data,
// otp (missing/empty, length, characters), user (type, length, characters), return.
std::variant<StartRequest, RequestError> parse_start_json(std::string_view body);

// Form: percent-decoding with '+' as space; empty segments and unknown fields are ignored;
// a repeated known field (otp, user, csrf, type, return) is 400 duplicate_field; a missing or
// empty csrf is 403 missing_csrf (checked before the other fields). type absent = start.
std::variant<StartRequest, RequestError> parse_start_form(std::string_view body);

enum class StartBodyKind { json, form };

// Classifies a Content-Type header value: application/json (any parameters) or
// application/x-www-form-urlencoded; media types compare case-insensitively. Anything else,
// including a missing header (empty), is 415 unsupported_content_type.
std::variant<StartBodyKind, RequestError> classify_start_content_type(
    std::string_view content_type);

// Content type, size and body in one go: what the module's start handler needs.
std::variant<StartRequest, RequestError> parse_start_body(std::string_view content_type,
                                                          std::string_view body);

// A "return" value the module may redirect to: a path (starts with '/', not "//" or "/\",
// no backslash, no control characters or spaces, no scheme) that lies inside `location`
// ("/app" accepts "/app", "/app/", "/app/x?y", not "/application"). Anything else must be
// replaced by the location itself: otherwise the login is an open redirect.
bool is_safe_return_path(std::string_view path, std::string_view location);

}  // namespace otp
