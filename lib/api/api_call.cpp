#include "api/api_call.h"

#include <jansson.h>

#include <memory>
#include <new>
#include <optional>

#include "util/ascii.h"
#include "util/form_body.h"
#include "util/utf8.h"
#include "web/translations.h"

namespace otp {
namespace {

using Json = ApiJson;

ApiCallError missing(const char* element) { return {ApiError::missing_element, element}; }
ApiCallError invalid(const char* element) { return {ApiError::invalid_element, element}; }

// Text a caller names things with: valid UTF-8, no control characters, not too long.
bool acceptable_text(std::string_view text, std::size_t max_bytes) {
    return text.size() <= max_bytes && is_valid_utf8(text) && !has_control_characters(text);
}

std::optional<ApiCallError> check_user(std::string_view user, const char* element) {
    if (user.empty()) return missing(element);
    if (!acceptable_text(user, kMaxApiUserBytes)) return invalid(element);
    return std::nullopt;
}

std::optional<ApiCallError> check_otp(std::string_view otp) {
    return check_api_code_element(otp, "otp");
}

// ---- JSON ---------------------------------------------------------------------------------

std::string_view string_of(const json_t* s) {
    return std::string_view(json_string_value(s), json_string_length(s));
}

// A string member: absent is nullopt with no error; present but not a string, or not
// acceptable text, is invalid_element.
std::optional<ApiCallError> optional_text(const json_t* object, const char* name,
                                          std::size_t max_bytes, std::string* out) {
    const json_t* value = json_object_get(object, name);
    if (!value || json_is_null(value)) return std::nullopt;
    if (!json_is_string(value)) return invalid(name);
    const std::string_view text = string_of(value);
    if (!acceptable_text(text, max_bytes)) return invalid(name);
    *out = std::string(text);
    return std::nullopt;
}

// A member that must be a string; its content is checked by the caller.
std::optional<ApiCallError> required_string(const json_t* object, const char* name,
                                            std::string* out) {
    const json_t* value = json_object_get(object, name);
    if (!value || json_is_null(value)) return missing(name);
    if (!json_is_string(value)) return invalid(name);
    *out = std::string(string_of(value));
    return std::nullopt;
}

// One additionalInput entry we know; others are ignored.
std::optional<ApiCallError> take_additional(std::string_view name, const json_t* value,
                                            CallerInput* caller) {
    std::string* target = nullptr;
    if (name == "AR_WF_LOCALE_ID") target = &caller->locale;
    else if (name == "AR_WF_CALLER_ID") target = &caller->caller_id;
    if (!target) return std::nullopt;
    if (!json_is_string(value) || !acceptable_text(string_of(value), kMaxApiTextBytes))
        return invalid("additionalInput");
    *target = std::string(string_of(value));
    return std::nullopt;
}

// additionalInput: {"AR_WF_LOCALE_ID":"sv",...} or AuthMinder's list form
// [{"name":"AR_WF_LOCALE_ID","value":"sv"},...]. A name given twice is invalid (which one
// would the caller mean?).
std::optional<ApiCallError> parse_additional(const json_t* value, CallerInput* caller) {
    if (!value || json_is_null(value)) return std::nullopt;
    bool seen_locale = false, seen_caller = false;
    auto once = [&](std::string_view name) {
        bool* seen = name == "AR_WF_LOCALE_ID" ? &seen_locale
                     : name == "AR_WF_CALLER_ID" ? &seen_caller : nullptr;
        if (!seen) return true;
        if (*seen) return false;
        *seen = true;
        return true;
    };
    if (json_is_object(value)) {
        const char* key;
        json_t* item;
        json_object_foreach(const_cast<json_t*>(value), key, item) {
            if (auto error = take_additional(key, item, caller)) return error;
        }
        return std::nullopt;
    }
    if (!json_is_array(value)) return invalid("additionalInput");
    std::size_t index;
    json_t* entry;
    json_array_foreach(value, index, entry) {
        if (!json_is_object(entry)) return invalid("additionalInput");
        const json_t* name = json_object_get(entry, "name");
        const json_t* item = json_object_get(entry, "value");
        if (!name || !json_is_string(name) || !item) return invalid("additionalInput");
        const std::string_view key = string_of(name);
        if (!once(key)) return invalid("additionalInput");
        if (auto error = take_additional(key, item, caller)) return error;
    }
    return std::nullopt;
}

std::optional<ApiCallError> parse_caller(const json_t* object, CallerInput* caller) {
    if (auto e = optional_text(object, "orgName", kMaxApiTextBytes, &caller->org_name)) return e;
    if (auto e = optional_text(object, "clientTxnId", kMaxApiTxnIdBytes, &caller->client_txn_id))
        return e;
    return parse_additional(json_object_get(object, "additionalInput"), caller);
}

std::optional<ApiCallError> parse_user(const json_t* object, std::string* user) {
    if (auto e = required_string(object, "userName", user)) return e;
    return check_user(*user, "userName");
}

std::variant<VerifyCall, ApiCallError> verify_call(std::string_view body) {
    auto loaded = load_api_object(body);
    if (auto* error = std::get_if<ApiCallError>(&loaded)) return *error;
    const json_t* object = std::get<Json>(loaded).get();
    VerifyCall call;
    if (auto e = parse_user(object, &call.user)) return *e;
    if (auto e = required_string(object, "otp", &call.otp)) return *e;
    if (auto e = check_otp(call.otp)) return *e;
    if (auto e = parse_caller(object, &call.caller)) return *e;
    const json_t* type = json_object_get(object, "tokenType");
    if (type && !json_is_null(type)) {
        if (!json_is_string(type)) return invalid("tokenType");
        if (string_of(type) != "session") return ApiCallError{ApiError::unknown_token_type, "tokenType"};
        call.session_token = true;
    }
    return call;
}

std::variant<GenerateCall, ApiCallError> generate_call(std::string_view body) {
    auto loaded = load_api_object(body);
    if (auto* error = std::get_if<ApiCallError>(&loaded)) return *error;
    const json_t* object = std::get<Json>(loaded).get();
    GenerateCall call;
    if (auto e = parse_user(object, &call.user)) return *e;
    if (auto e = parse_caller(object, &call.caller)) return *e;
    return call;
}

std::variant<TokenCall, ApiCallError> token_call(std::string_view body) {
    auto loaded = load_api_object(body);
    if (auto* error = std::get_if<ApiCallError>(&loaded)) return *error;
    TokenCall call;
    if (auto e = required_string(std::get<Json>(loaded).get(), "token", &call.token)) return *e;
    if (call.token.empty()) return missing("token");
    if (call.token.size() > kMaxApiTokenBytes) return invalid("token");
    return call;
}

// ---- form ---------------------------------------------------------------------------------

std::variant<InitiateCall, ApiCallError> initiate_form(std::string_view body) {
    if (body.size() > kMaxApiBodyBytes) return ApiCallError{ApiError::body_too_large, {}};
    struct Field {
        const char* name;
        std::optional<std::string> value;
    };
    Field fields[] = {{"user_name", {}}, {"otp", {}}, {"pairing_id", {}},
                      {"action_name", {}}, {"terminal_name", {}}};
    const char* duplicate = nullptr;
    const bool decoded = for_each_form_field(body, [&](std::string&& name, std::string&& value) {
        for (Field& field : fields) {
            if (name != field.name) continue;
            if (field.value && !duplicate) duplicate = field.name;
            field.value = std::move(value);
        }
    });
    // Two values for one field: validating one and using another must never happen. (A
    // duplicate is only seen before the first malformed pair: whichever came first.)
    if (duplicate) return invalid(duplicate);
    if (!decoded) return ApiCallError{ApiError::malformed_request, {}};
    InitiateCall call;
    if (!fields[0].value) return missing("user_name");
    if (auto e = check_user(*fields[0].value, "user_name")) return *e;
    call.user = *fields[0].value;
    if (fields[1].value && !fields[1].value->empty()) {
        if (auto e = check_otp(*fields[1].value)) return *e;
        call.otp = *fields[1].value;
        call.has_otp = true;
    }
    struct Text {
        Field& field;
        std::size_t max;
        std::string* out;
    };
    for (const Text& text : {Text{fields[2], kMaxApiTxnIdBytes, &call.pairing_id},
                             Text{fields[3], kMaxApiTextBytes, &call.action_name},
                             Text{fields[4], kMaxApiTextBytes, &call.terminal_name}}) {
        if (!text.field.value) continue;
        if (!acceptable_text(*text.field.value, text.max)) return invalid(text.field.name);
        *text.out = *text.field.value;
    }
    return call;
}

ApiCallError out_of_memory() { return {ApiError::internal_error, {}}; }

}  // namespace

std::variant<ApiJson, ApiCallError> load_api_object(std::string_view body) {
    if (body.size() > kMaxApiBodyBytes) return ApiCallError{ApiError::body_too_large, {}};
    json_error_t err;
    ApiJson root(json_loadb(body.data(), body.size(),
                            JSON_REJECT_DUPLICATES | JSON_DECODE_ANY | JSON_ALLOW_NUL, &err),
                 json_decref);
    if (!root || !json_is_object(root.get())) return ApiCallError{ApiError::malformed_request, {}};
    return root;
}

std::optional<ApiCallError> check_api_code_element(std::string_view code, const char* element) {
    if (code.empty()) return ApiCallError{ApiError::missing_element, element};
    if (code.size() > kMaxApiOtpLength) return ApiCallError{ApiError::invalid_element, element};
    for (char c : code)
        if (!is_ascii_alnum(c)) return ApiCallError{ApiError::invalid_element, element};  // NUL too
    return std::nullopt;
}

std::variant<VerifyCall, ApiCallError> parse_verify_call(std::string_view body) try {
    return verify_call(body);
} catch (const std::bad_alloc&) {
    return out_of_memory();
}

std::variant<GenerateCall, ApiCallError> parse_generate_call(std::string_view body) try {
    return generate_call(body);
} catch (const std::bad_alloc&) {
    return out_of_memory();
}

std::variant<TokenCall, ApiCallError> parse_token_call(std::string_view body) try {
    return token_call(body);
} catch (const std::bad_alloc&) {
    return out_of_memory();
}

std::variant<InitiateCall, ApiCallError> parse_initiate_form(std::string_view body) try {
    return initiate_form(body);
} catch (const std::bad_alloc&) {
    return out_of_memory();
}

bool is_media_type(std::string_view content_type, std::string_view media_type) {
    std::string_view media = content_type.substr(0, content_type.find(';'));
    while (!media.empty() && (media.front() == ' ' || media.front() == '\t')) media.remove_prefix(1);
    while (!media.empty() && (media.back() == ' ' || media.back() == '\t')) media.remove_suffix(1);
    return ascii_lowercase(media) == ascii_lowercase(media_type);
}

std::string api_locale(std::string_view requested) {
    std::string tag(requested);
    for (char& c : tag)
        if (c == '_') c = '-';
    // "sv-SE.UTF-8" style suffixes are not tags: keep what precedes them.
    tag = tag.substr(0, tag.find('.'));
    return is_language_tag(normalize_language_tag(tag)) ? normalize_language_tag(tag) : "";
}

}  // namespace otp
