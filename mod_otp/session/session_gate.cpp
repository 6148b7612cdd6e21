#include "mod_otp/session/session_gate.h"

#include <algorithm>

#include "util/base64url.h"
#include "mod_otp/http/clock.h"
#include "crypto/digest.h"
#include "mod_otp/http/http_util.h"
#include "login/login_limits.h"
#include "mod_otp/lifecycle/module_state.h"
#include "mod_otp/config/server_config.h"

APLOG_USE_MODULE(otp);

namespace {

// Re-sealing the cookie on every request would cost a Set-Cookie each time; once a minute is
// precise enough for idle timeouts counted in minutes.
constexpr std::int64_t kIdleRefreshSeconds = 60;

otp::SessionSealer sealer_for(request_rec* r) {
    const char* key = otp_server_conf(r->server)->session_key;
    return otp::SessionSealer(key ? std::string(key, otp::kSessionKeyBytes)
                                  : otp_state().random_session_key);
}

std::string session_key(const std::string& id) { return "session:" + id; }

bool is_prefix_path(std::string_view prefix, std::string_view uri) {
    if (prefix.empty() || prefix[0] != '/' || uri.compare(0, prefix.size(), prefix) != 0)
        return false;
    return uri.size() == prefix.size() || prefix.back() == '/' || uri[prefix.size()] == '/';
}

bool revoked(request_rec* r, const otp_dir_config* conf, otp::StateStore& store,
             const otp::SessionClaims& claims) {
    otp::LoginLimits limits(store, otp_limit_policy(conf),
                            conf->users_file ? conf->users_file : "");
    bool store_error = false;
    auto revoked_at = limits.sessions_revoked_at(claims.user, &store_error);
    return store_error || (revoked_at && *revoked_at >= claims.issued_at);
}

}  // namespace

SessionScope session_scope(request_rec* r, const otp_dir_config* conf) {
    SessionScope scope;
    // A <Location> section's path scopes the cookie; anything else (a <Directory> path, the
    // server) falls back to the whole site.
    scope.path = conf->location && is_prefix_path(conf->location, r->uri) ? conf->location : "/";
    std::string name = otp_cookie_name(conf);
    if (is_https(r) && scope.path == "/") name = "__Host-" + name;
    scope.cookie_name = name;
    scope.attempt_cookie_name = name + "_attempt";
    return scope;
}

std::optional<otp::SessionClaims> current_session(request_rec* r, const otp_dir_config* conf,
                                                  const SessionScope& scope, otp::StateStore& store,
                                                  std::string_view user, const char** ended) {
    *ended = nullptr;
    auto cookie = read_cookie(r, scope.cookie_name.c_str());
    if (!cookie) return std::nullopt;
    otp::SessionSealer sealer = sealer_for(r);
    auto claims = sealer.open(*cookie);
    if (!claims) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, "session cookie refused: not ours or altered");
        return std::nullopt;
    }
    const std::int64_t now = unix_now();
    switch (otp::check_session(*claims, scope.path, now, otp_session_lifetime(conf),
                               otp_session_idle_timeout(conf))) {
        case otp::SessionState::valid:
            break;
        case otp::SessionState::expired:
            *ended = "expired";
            return std::nullopt;
        case otp::SessionState::idle:
            *ended = "idle";
            return std::nullopt;
        case otp::SessionState::wrong_location:
            return std::nullopt;
    }
    if (!user.empty() && claims->user != user) return std::nullopt;
    // Logged out (record removed) or the user was locked out since: no session. Asked of
    // the store only when this process has not verified the session a moment ago.
    SessionCache& cache = otp_state().verified;
    if (!cache.verified(claims->session_id, now)) {
        const std::uint64_t generation = cache.generation();
        if (store.get(session_key(claims->session_id), nullptr) != otp::StoreStatus::ok ||
            revoked(r, conf, store, *claims))
            return std::nullopt;
        cache.remember(claims->session_id, generation, now + SessionCache::kSessionSeconds);
    }
    // Refresh well before the idle limit, so an active user is never cut off.
    const std::int64_t refresh = std::max<std::int64_t>(
        1, std::min(kIdleRefreshSeconds, otp_session_idle_timeout(conf) / 2));
    if (now - claims->last_used >= refresh) {
        claims->last_used = now;
        if (auto sealed = sealer.seal(*claims))
            write_cookie(r, scope.cookie_name.c_str(), *sealed, scope.path);
    }
    return claims;
}

bool start_session(request_rec* r, const otp_dir_config* conf, const SessionScope& scope,
                   otp::StateStore& store, const std::string& user, otp::SessionClaims* started) {
    auto id = otp::random_bytes(18);
    if (!id) return false;
    const std::int64_t now = unix_now();
    otp::SessionClaims claims{otp::base64url_encode(*id), user, scope.path, now, now};
    auto sealed = sealer_for(r).seal(claims);
    if (!sealed) return false;
    if (store.put(session_key(claims.session_id), "1", otp_session_lifetime(conf)) !=
        otp::StoreStatus::ok)
        return false;
    write_cookie(r, scope.cookie_name.c_str(), *sealed, scope.path);
    *started = std::move(claims);
    return true;
}

std::optional<otp::SessionClaims> end_session(request_rec* r, const otp_dir_config*,
                                              const SessionScope& scope, otp::StateStore& store) {
    std::optional<otp::SessionClaims> claims;
    if (auto cookie = read_cookie(r, scope.cookie_name.c_str())) {
        claims = sealer_for(r).open(*cookie);
        if (claims) {
            store.remove(session_key(claims->session_id));
            otp_state().verified.revoke_all();
        }
    }
    clear_cookie(r, scope.cookie_name.c_str(), scope.path);
    return claims;
}

void apply_session(request_rec* r, const otp::SessionClaims& claims, bool set_user) {
    if (set_user) {
        r->user = apr_pstrdup(r->pool, claims.user.c_str());
        r->ap_auth_type = const_cast<char*>("OTP");
    }
    apr_table_set(r->subprocess_env, "OTP_USER", claims.user.c_str());
    apr_table_set(
        r->subprocess_env, "OTP_AUTH_TIME",
        apr_psprintf(r->pool, "%" APR_INT64_T_FMT, static_cast<apr_int64_t>(claims.issued_at)));
}
