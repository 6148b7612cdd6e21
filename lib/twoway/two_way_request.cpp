#include "twoway/two_way_request.h"

#include <jansson.h>

#include <memory>
#include <new>
#include <optional>

#include "util/form_body.h"

namespace otp {
namespace {

std::optional<ApiCallError> string_member(const json_t* object, const char* name,
                                          std::string* out) {
    const json_t* value = json_object_get(object, name);
    if (!value || json_is_null(value)) return ApiCallError{ApiError::missing_element, name};
    if (!json_is_string(value)) return ApiCallError{ApiError::invalid_element, name};
    *out = std::string(json_string_value(value), json_string_length(value));
    return std::nullopt;
}

std::variant<TwoWayCompleteCall, ApiCallError> complete_call(std::string_view body) {
    auto loaded = load_api_object(body);
    if (auto* error = std::get_if<ApiCallError>(&loaded)) return *error;
    const json_t* object = std::get<ApiJson>(loaded).get();
    TwoWayCompleteCall call;
    if (auto e = string_member(object, "flow", &call.flow)) return *e;
    if (call.flow.empty()) return ApiCallError{ApiError::missing_element, "flow"};
    // Any other shape of flow id is simply not ours (5000 later); only absurd ones stop here.
    if (call.flow.size() > kMaxApiTxnIdBytes) return ApiCallError{ApiError::invalid_element, "flow"};
    if (auto e = string_member(object, "data", &call.response)) return *e;
    if (auto e = check_api_code_element(call.response, "data")) return *e;
    return call;
}

std::variant<TwoWayPortalCall, ApiCallError> portal_json(std::string_view body) {
    auto loaded = load_api_object(body);
    if (auto* error = std::get_if<ApiCallError>(&loaded)) return *error;
    TwoWayPortalCall call;
    if (auto e = string_member(std::get<ApiJson>(loaded).get(), "data", &call.code)) return *e;
    if (auto e = check_api_code_element(call.code, "data")) return *e;
    return call;
}

std::variant<TwoWayPortalCall, ApiCallError> portal_form(std::string_view body) {
    if (body.size() > kMaxApiBodyBytes) return ApiCallError{ApiError::body_too_large, {}};
    std::optional<std::string> data, csrf;
    const char* duplicate = nullptr;
    const bool decoded = for_each_form_field(body, [&](std::string&& name, std::string&& value) {
        std::optional<std::string>* field = name == "data" ? &data : name == "csrf" ? &csrf : nullptr;
        if (!field) return;
        if (*field && !duplicate) duplicate = name == "data" ? "data" : "csrf";
        *field = std::move(value);
    });
    if (duplicate) return ApiCallError{ApiError::invalid_element, duplicate};
    if (!decoded) return ApiCallError{ApiError::malformed_request, {}};
    TwoWayPortalCall call;
    if (!csrf || csrf->empty()) return ApiCallError{ApiError::missing_element, "csrf"};
    call.csrf = *csrf;
    if (!data) return ApiCallError{ApiError::missing_element, "data"};
    // What a person typed into the field: surrounding spaces are no part of the code.
    std::string_view typed = *data;
    while (!typed.empty() && typed.front() == ' ') typed.remove_prefix(1);
    while (!typed.empty() && typed.back() == ' ') typed.remove_suffix(1);
    call.code = std::string(typed);
    if (auto e = check_api_code_element(call.code, "data")) return *e;
    return call;
}

ApiCallError out_of_memory() { return {ApiError::internal_error, {}}; }

}  // namespace

std::variant<TwoWayCompleteCall, ApiCallError> parse_two_way_complete(std::string_view body) try {
    return complete_call(body);
} catch (const std::bad_alloc&) {
    return out_of_memory();
}

std::variant<TwoWayPortalCall, ApiCallError> parse_two_way_portal_json(std::string_view body) try {
    return portal_json(body);
} catch (const std::bad_alloc&) {
    return out_of_memory();
}

std::variant<TwoWayPortalCall, ApiCallError> parse_two_way_portal_form(std::string_view body) try {
    return portal_form(body);
} catch (const std::bad_alloc&) {
    return out_of_memory();
}

}  // namespace otp
