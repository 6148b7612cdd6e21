#include "login/start_request.h"

#include <jansson.h>

#include <cstdint>
#include <memory>
#include <new>
#include <optional>

#include "util/ascii.h"
#include "util/codec.h"
#include "util/form_body.h"
#include "util/utf8.h"

namespace otp {
namespace {

using Json = std::unique_ptr<json_t, void (*)(json_t*)>;

RequestError bad(const char* reason) { return RequestError{400, reason}; }

// ---- field validation shared by both parsers ----------------------------------------------

std::optional<RequestError> check_otp(std::string_view otp) {
    if (otp.empty()) return bad(kErrorMissingOtp);
    if (otp.size() > kMaxOtpLength) return bad(kErrorValueTooLong);
    for (char c : otp)
        if (!is_ascii_alnum(c)) return bad(kErrorInvalidOtpFormat);  // NUL included
    return std::nullopt;
}

std::optional<RequestError> check_user(std::string_view user) {
    if (user.size() > kMaxUserBytes) return bad(kErrorValueTooLong);
    if (!is_valid_utf8(user) || has_control_characters(user)) return bad(kErrorInvalidUser);
    return std::nullopt;
}

std::optional<RequestError> check_return(std::string_view value) {
    if (value.size() > kMaxReturnBytes) return bad(kErrorValueTooLong);
    if (!is_valid_utf8(value) || has_control_characters(value)) return bad(kErrorInvalidReturn);
    return std::nullopt;
}

// ---- JSON ---------------------------------------------------------------------------------

// json_string_length, not strlen: with JSON_ALLOW_NUL a string may contain "\u0000".
std::string_view string_of(const json_t* s) {
    return std::string_view(json_string_value(s), json_string_length(s));
}

std::variant<StartRequest, RequestError> parse_json(std::string_view body) {
    if (body.size() > kMaxStartBodyBytes) return RequestError{413, kErrorBodyTooLarge};
    json_error_t err;
    // JSON_DECODE_ANY so that a bare string or number is "not_an_object" rather than a
    // syntax error; JSON_ALLOW_NUL so that "\u0000" reaches the field checks and gets the
    // specific reason.
    Json root(json_loadb(body.data(), body.size(),
                         JSON_REJECT_DUPLICATES | JSON_DECODE_ANY | JSON_ALLOW_NUL, &err),
              json_decref);
    if (!root) return bad(kErrorMalformedJson);
    if (!json_is_object(root.get())) return bad(kErrorNotAnObject);

    StartRequest request;
    const json_t* type = json_object_get(root.get(), "type");
    if (!json_is_string(type)) return bad(kErrorMissingType);
    const std::string_view type_name = string_of(type);
    if (type_name == "start")
        request.type = StartRequest::Type::start;
    else if (type_name == "send")
        request.type = StartRequest::Type::send;
    else
        return bad(kErrorUnknownType);

    const json_t* data = json_object_get(root.get(), "data");
    if (request.type == StartRequest::Type::start || data) {
        if (!json_is_object(data)) return bad(kErrorMissingData);
    }

    if (request.type == StartRequest::Type::start) {
        const json_t* otp = json_object_get(data, "otp");
        if (!json_is_string(otp)) return bad(kErrorMissingOtp);
        if (auto e = check_otp(string_of(otp))) return *e;
        request.otp = std::string(string_of(otp));
    }

    if (const json_t* user = data ? json_object_get(data, "user") : nullptr) {
        if (!json_is_string(user)) return bad(kErrorInvalidUser);
        if (auto e = check_user(string_of(user))) return *e;
        request.user = std::string(string_of(user));
        request.has_user = true;
    }

    if (const json_t* ret = data ? json_object_get(data, "return") : nullptr) {
        if (!json_is_string(ret)) return bad(kErrorInvalidReturn);
        if (auto e = check_return(string_of(ret))) return *e;
        request.return_to = std::string(string_of(ret));
        request.has_return = true;
    }

    // The page's script sends the token too; it is the module's choice whether to check it
    // on JSON requests (they are already guarded by the content type and Origin).
    if (const json_t* csrf = data ? json_object_get(data, "csrf") : nullptr) {
        if (json_is_string(csrf)) request.csrf = std::string(string_of(csrf));
    }
    return request;
}

// ---- form ---------------------------------------------------------------------------------

struct FormField {
    const char* name;
    std::optional<std::string> value;
};

std::variant<StartRequest, RequestError> parse_form(std::string_view body) {
    if (body.size() > kMaxStartBodyBytes) return RequestError{413, kErrorBodyTooLarge};
    FormField fields[] = {{"otp", {}}, {"user", {}}, {"csrf", {}}, {"type", {}}, {"return", {}}};
    FormField& otp = fields[0];
    FormField& user = fields[1];
    FormField& csrf = fields[2];
    FormField& type = fields[3];
    FormField& ret = fields[4];

    bool duplicate = false;
    const bool decoded = for_each_form_field(body, [&](std::string&& name, std::string&& value) {
        for (FormField& field : fields) {
            if (name != field.name) continue;
            // Two values for one field means a confused or manipulated client; guessing which
            // one it meant could validate one value and use another.
            if (field.value) duplicate = true;
            field.value = std::move(value);
        }
    });
    // Whichever came first: a duplicate is only seen before the first malformed pair.
    if (duplicate) return bad(kErrorDuplicateField);
    if (!decoded) return bad(kErrorMalformedForm);

    if (!csrf.value || csrf.value->empty()) return RequestError{403, kErrorMissingCsrf};
    StartRequest request;
    request.csrf = *csrf.value;

    if (!type.value || *type.value == "start")
        request.type = StartRequest::Type::start;
    else if (*type.value == "send")
        request.type = StartRequest::Type::send;
    else
        return bad(kErrorUnknownType);

    if (request.type == StartRequest::Type::start) {
        if (!otp.value) return bad(kErrorMissingOtp);
        if (auto e = check_otp(*otp.value)) return *e;
        request.otp = *otp.value;
    }
    if (user.value) {
        if (auto e = check_user(*user.value)) return *e;
        request.user = *user.value;
        request.has_user = true;
    }
    if (ret.value && !ret.value->empty()) {
        if (auto e = check_return(*ret.value)) return *e;
        request.return_to = *ret.value;
        request.has_return = true;
    }
    return request;
}

// ---- content type -------------------------------------------------------------------------

std::string lower_trimmed(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return ascii_lowercase(s);
}

RequestError internal_error() { return RequestError{500, "internal_error"}; }

}  // namespace

std::variant<StartRequest, RequestError> parse_start_json(std::string_view body) try {
    return parse_json(body);
} catch (const std::bad_alloc&) {
    return internal_error();
}

std::variant<StartRequest, RequestError> parse_start_form(std::string_view body) try {
    return parse_form(body);
} catch (const std::bad_alloc&) {
    return internal_error();
}

std::variant<StartBodyKind, RequestError> classify_start_content_type(
    std::string_view content_type) try {
    const std::size_t semicolon = content_type.find(';');
    const std::string media = lower_trimmed(content_type.substr(0, semicolon));
    if (media == "application/json") return StartBodyKind::json;
    if (media == "application/x-www-form-urlencoded") return StartBodyKind::form;
    return RequestError{415, kErrorUnsupportedContentType};
} catch (const std::bad_alloc&) {
    return internal_error();
}

std::variant<StartRequest, RequestError> parse_start_body(std::string_view content_type,
                                                          std::string_view body) {
    const auto kind = classify_start_content_type(content_type);
    if (const auto* error = std::get_if<RequestError>(&kind)) return *error;
    if (std::get<StartBodyKind>(kind) == StartBodyKind::json) return parse_start_json(body);
    return parse_start_form(body);
}

namespace {

// "." and ".." segments, also spelled with %2e: browsers resolve them, so "/app/../admin"
// would leave the location after passing a naive prefix check.
bool is_dot_segment(std::string_view segment) {
    for (std::string_view dots : {".", "..", "%2e", "%2e%2e", ".%2e", "%2e."})
        if (equals_ignoring_case(segment, dots)) return true;
    return false;
}

}  // namespace

bool is_safe_return_path(std::string_view path, std::string_view location) {
    if (path.empty() || path.size() > kMaxReturnBytes || path[0] != '/') return false;
    if (path.size() >= 2 && (path[1] == '/' || path[1] == '\\')) return false;  // //host
    for (char c : path) {
        const auto b = static_cast<std::uint8_t>(c);
        if (b <= 0x20 || b == 0x7f || c == '\\') return false;
    }
    const std::string_view path_part = path.substr(0, path.find_first_of("?#"));
    for (std::size_t pos = 1; pos <= path_part.size();) {
        std::size_t end = path_part.find('/', pos);
        if (end == std::string_view::npos) end = path_part.size();
        if (is_dot_segment(path_part.substr(pos, end - pos))) return false;
        pos = end + 1;
    }
    if (location.empty() || location[0] != '/') return false;
    if (!starts_with(path_part, location)) return false;
    if (path_part.size() == location.size() || location.back() == '/') return true;
    return path_part[location.size()] == '/';
}

}  // namespace otp
