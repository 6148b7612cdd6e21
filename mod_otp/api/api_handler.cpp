#include "mod_otp/api/api_handler.h"

#include <cstring>
#include <exception>
#include <string>
#include <string_view>

#include "api/api_call.h"
#include "mod_otp/api/api_endpoints.h"
#include "mod_otp/config/section.h"
#include "mod_otp/http/http_util.h"
#include "util/ascii.h"

APLOG_USE_MODULE(otp);

namespace {

constexpr const char* kHandlerName = "otp-verify";

enum class ApiCall { verify, generate, token, initiate, unknown };

// The call is the path below the location: "" or "/verify", "/generate", "/token",
// "/authentication_requests/initiate". Under a <LocationMatch> or <Directory> whose URL
// cannot be told, the path's end decides.
ApiCall call_of(request_rec* r) {
    auto* conf = static_cast<otp_dir_config*>(ap_get_module_config(r->per_dir_config, &otp_module));
    const std::string prefix = protected_section(r, conf).url_path;
    std::string_view uri = r->uri ? r->uri : "";
    std::string_view rest;
    if (is_prefix_path(prefix, uri)) {
        rest = uri.substr(prefix.size());
    } else {
        for (std::string_view call :
             {"/verify", "/generate", "/token", "/authentication_requests/initiate"})
            if (otp::ends_with(uri, call)) rest = call;
        if (rest.empty()) return ApiCall::unknown;
    }
    while (!rest.empty() && rest.front() == '/') rest.remove_prefix(1);
    if (!rest.empty() && rest.back() == '/') rest.remove_suffix(1);
    if (rest.empty() || rest == "verify") return ApiCall::verify;
    if (rest == "generate") return ApiCall::generate;
    if (rest == "token") return ApiCall::token;
    if (rest == "authentication_requests/initiate") return ApiCall::initiate;
    return ApiCall::unknown;
}

int serve(request_rec* r) {
    ApiRequest api(r);
    const ApiCall call = call_of(r);
    // Toopher clients read Toopher's error shape; every other call the verify API's.
    auto refuse = [&](otp::ApiError error) {
        return call == ApiCall::initiate ? answer_initiate_error(api, error)
                                         : api_answer_error(api, error);
    };
    if (call == ApiCall::unknown) return refuse(otp::ApiError::not_found);
    if (r->method_number != M_POST) {
        apr_table_setn(r->err_headers_out, "Allow", "POST");
        return refuse(otp::ApiError::method_not_allowed);
    }
    // Server-to-server callers send no Origin; a browser made to post here by another site
    // does, and is refused before its guess counts against anyone.
    if (!same_origin_request(r)) return refuse(otp::ApiError::bad_origin);
    const char* content_type = apr_table_get(r->headers_in, "Content-Type");
    const char* wanted =
        call == ApiCall::initiate ? "application/x-www-form-urlencoded" : "application/json";
    if (!otp::is_media_type(content_type ? content_type : "", wanted))
        return refuse(otp::ApiError::unsupported_media_type);
    std::string body;
    const int read = read_body(r, otp::kMaxApiBodyBytes, &body);
    if (read == HTTP_REQUEST_ENTITY_TOO_LARGE) return refuse(otp::ApiError::body_too_large);
    if (read != OK) return refuse(otp::ApiError::malformed_request);
    switch (call) {
        case ApiCall::verify:
            return serve_verify(api, body);
        case ApiCall::generate:
            return serve_generate(api, body);
        case ApiCall::token:
            return serve_token(api, body, api.login.limits);
        case ApiCall::initiate:
            return serve_initiate(api, body);
        case ApiCall::unknown:
            break;
    }
    return refuse(otp::ApiError::not_found);
}

}  // namespace

int otp_api_handler(request_rec* r) {
    if (!r->handler || std::strcmp(r->handler, kHandlerName) != 0) return DECLINED;
    try {
        return serve(r);
    } catch (const std::exception& e) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "verify API: internal error: %s", e.what());
    } catch (...) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "verify API: internal error");
    }
    return HTTP_INTERNAL_SERVER_ERROR;
}
