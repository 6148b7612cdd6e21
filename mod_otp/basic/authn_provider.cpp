#include "mod_otp/basic/authn_provider.h"

#include <apr_base64.h>
#include <apr_lib.h>

#include <cstring>
#include <exception>
#include <vector>

#include "mod_otp/basic/linger.h"
#include "mod_otp/config/dir_config.h"
#include "mod_otp/config/section.h"
#include "mod_otp/events/event_log.h"
#include "mod_otp/events/verification_events.h"
#include "mod_otp/http/clock.h"
#include "mod_otp/lifecycle/module_state.h"
#include "mod_otp/pipes/pipe_context.h"
#include "mod_otp/store/request_store.h"
#include "mod_otp/users/users_lookup.h"
#include "util/numbers.h"
#include "util/secure_wipe.h"
#include "verify/verifier.h"

APLOG_USE_MODULE(otp);

namespace {

enum class LingerCheck { lingering, absent, error };

LingerCheck check_linger(OtpModuleState& state, otp::StateStore& store, const std::string& key) {
    const std::int64_t now = unix_now();
    if (state.verified.verified(key, now)) return LingerCheck::lingering;
    const std::uint64_t generation = state.verified.generation();
    std::string expiry;
    otp::StoreStatus status = store.get(key, &expiry);
    if (status == otp::StoreStatus::error) return LingerCheck::error;
    if (status != otp::StoreStatus::ok) return LingerCheck::absent;
    if (auto until = otp::parse_decimal<std::int64_t>(expiry))
        state.verified.remember(key, generation, *until);
    return LingerCheck::lingering;
}

authn_status check_password(request_rec* r, const char* user, const char* password) {
    auto* conf = static_cast<otp_dir_config*>(ap_get_module_config(r->per_dir_config, &otp_module));
    const otp::Pipe* pipe = otp_pipe(r->server, conf);
    if (!pipe) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                      "OTPValidationPipe %s (%s) for %s: no such OTPPipe in this server",
                      conf->pipe_name, conf->pipe_where, r->uri);
        return AUTH_GENERAL_ERROR;
    }
    // A Basic client cannot ask for a code to be sent: delivered codes need the page.
    if (otp_delivers_codes(conf)) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                      "AuthBasicProvider otp for %s: OTPValidationPipe delivered works with the "
                      "page and the start endpoint only (AuthType OTP or Require otp)",
                      r->uri);
        return AUTH_GENERAL_ERROR;
    }
    if (!conf->users_file && pipe->uses_tokens()) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                      "AuthBasicProvider otp needs OTPUsersFile for %s", r->uri);
        return AUTH_GENERAL_ERROR;
    }
    // An empty password carries no code: refused without counting it against the user.
    // (Credentials without any colon never get here: otp_basic_check_authn refuses them.)
    if (!*password) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                      "Basic credentials with an empty password "
                      "refused");
        return AUTH_DENIED;
    }
    OtpModuleState& state = otp_state();
    auto index = otp_users_index(r, conf);
    if (!index) return AUTH_GENERAL_ERROR;

    RequestStore store_handle(state, r->server, r->pool);
    otp::StateStore& store = store_handle.get();
    const int linger = otp_basic_linger(conf);
    std::string linger_key;
    if (linger > 0) {
        // The key covers the user's tokens as they are now: a user removed from the users
        // file, or whose secret changed, no longer matches any linger record.
        // The record names the users, the pipe and, for an exec pipe (whose users are the
        // program's), the protected section: a password lingers only where it was decided.
        const std::vector<otp::TokenRecord> tokens = index->tokens_for(user);
        std::string scope = otp_users_scope(r->server, conf, *pipe) + "\n" + pipe->name();
        if (!pipe->uses_tokens()) scope += "\n" + protected_section(r, conf).url_path;
        if (!tokens.empty() || !pipe->uses_tokens())
            linger_key = linger_record_key(*state.linger_key, scope, user, password,
                                           r->useragent_ip, tokens);
        if (!linger_key.empty()) {
            switch (check_linger(state, store, linger_key)) {
                case LingerCheck::error: {
                    // A refused code like any other: WEB_100020 store_error (or store_full),
                    // WEB_100030 and the error-log line, as the verifier's refusals get.
                    otp::Verification refused;
                    refused.verdict = otp::store_failure_verdict(store);
                    refused.detail = "linger record unreadable";
                    otp_report_verification(r, otp_event_origin(r), user, refused);
                    return AUTH_GENERAL_ERROR;
                }
                case LingerCheck::absent:
                    break;
                case LingerCheck::lingering:
                    ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r,
                                  "user \"%s\": accepted by OTPBasicLinger", user);
                    return AUTH_GRANTED;
            }
        }
    }

    const std::string users_path(conf->users_file ? conf->users_file : "");
    otp::Verifier verifier(store, otp_limit_policy(conf), otp_users_scope(r->server, conf, *pipe));
    otp::Guess guess;
    guess.user = user;
    guess.password = password;
    guess.pin_use = otp::PinUse::in_password;
    guess.address = r->useragent_ip ? r->useragent_ip : "";
    guess.client_address = guess.address;
    guess.now = unix_now();
    PipeCallContext call;
    call.origin = otp_event_origin(r);
    const otp::PipeContext context = otp_pipe_context(call, nullptr);  // Basic: no delivered codes
    guess.context = &context;
    const otp::Verification result =
        verifier.verify(otp::UsersSource{*index, users_path}, *pipe, otp_policy(conf), guess);
    otp_report_verification(r, call.origin, user, result);
    switch (result.verdict) {
        case otp::Verdict::accepted:
            // The record's value is its expiry, so processes can remember it until then.
            if (!linger_key.empty() && store.add(linger_key, std::to_string(unix_now() + linger),
                                                 linger) != otp::StoreStatus::ok)
                ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r,
                              "user \"%s\": could not record OTPBasicLinger; the next request "
                              "needs a new code",
                              user);
            return AUTH_GRANTED;
        case otp::Verdict::unknown_user:
            return AUTH_USER_NOT_FOUND;
        case otp::Verdict::store_error:
        case otp::Verdict::store_full:
        case otp::Verdict::pipe_error:
        case otp::Verdict::pipe_busy:
            return AUTH_GENERAL_ERROR;
        default:
            // Wrong code, replay, locked user or address: 401, whatever the password.
            return AUTH_DENIED;
    }
}

// httpd is C: nothing may be thrown through it.
authn_status guarded_check_password(request_rec* r, const char* user, const char* password) {
    try {
        return check_password(r, user, password);
    } catch (const std::exception& e) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "otp provider: internal error: %s", e.what());
    } catch (...) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "otp provider: internal error");
    }
    return AUTH_GENERAL_ERROR;
}

}  // namespace

const authn_provider otp_authn_provider = {&guarded_check_password, nullptr};

int otp_basic_check_authn(request_rec* r) {
    try {
        const char* type = ap_auth_type(r);
        if (!type || strcasecmp(type, "Basic") != 0) return DECLINED;
        auto* conf =
            static_cast<otp_dir_config*>(ap_get_module_config(r->per_dir_config, &otp_module));
        if (!conf || (!conf->users_file && !conf->pipe_name)) return DECLINED;
        const char* header = apr_table_get(
            r->headers_in, r->proxyreq == PROXYREQ_PROXY ? "Proxy-Authorization" : "Authorization");
        if (!header) return DECLINED;
        const char* scheme = ap_getword_white(r->pool, &header);
        if (!scheme || strcasecmp(scheme, "Basic") != 0) return DECLINED;
        while (apr_isspace(*header)) ++header;
        char* decoded = static_cast<char*>(apr_palloc(r->pool, apr_base64_decode_len(header) + 1));
        const int length = apr_base64_decode(decoded, header);
        decoded[length > 0 ? length : 0] = '\0';
        if (std::memchr(decoded, ':', static_cast<std::size_t>(length > 0 ? length : 0)))
            return DECLINED;  // user:password, for mod_auth_basic and the otp provider
        otp::secure_wipe(decoded, static_cast<std::size_t>(length > 0 ? length : 0));
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                      "Basic credentials without a colon refused (not logged: they may hold a "
                      "PIN and code)");
        ap_note_auth_failure(r);
        return HTTP_UNAUTHORIZED;
    } catch (...) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "otp Basic check: internal error");
        return HTTP_INTERNAL_SERVER_ERROR;
    }
}
