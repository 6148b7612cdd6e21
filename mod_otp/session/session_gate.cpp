#include "mod_otp/session/session_gate.h"

#include <algorithm>
#include <cstring>
#include <optional>

#include "crypto/digest.h"
#include "login/login_limits.h"
#include "mod_otp/config/section.h"
#include "mod_otp/config/server_config.h"
#include "mod_otp/http/clock.h"
#include "mod_otp/http/http_util.h"
#include "mod_otp/lifecycle/module_state.h"
#include "util/base64url.h"

APLOG_USE_MODULE(otp);

namespace {

// Re-sealing the cookie on every request would cost a Set-Cookie each time; once a minute is
// precise enough for idle timeouts counted in minutes.
constexpr std::int64_t kIdleRefreshSeconds = 60;

std::string session_key(const std::string& id) { return otp::record_key(id, "session"); }

}  // namespace

otp::SessionSealer sealer_for(request_rec* r) {
    return otp::SessionSealer(otp_session_key(r->server));
}

namespace {

// The claims of the first cookie of the realm's name that opens in this realm (where realms
// nest, the browser sends one cookie per path under the same name).
std::optional<otp::SessionClaims> open_realm_cookie(request_rec* r, const SessionRealm& realm,
                                                    const otp::SessionSealer& sealer) {
    for (const std::string& cookie : read_cookies(r, realm.cookie_name.c_str()))
        if (auto claims = sealer.open(cookie, realm.id)) return claims;
    return std::nullopt;
}

// Which virtual host: where it was defined, and its name and port.
std::string server_identity(const server_rec* s) {
    return std::string(s->defn_name ? s->defn_name : "main") + ":" +
           std::to_string(s->defn_line_number) + "|" +
           (s->server_hostname ? s->server_hostname : "") + ":" + std::to_string(s->port);
}

bool revoked(request_rec* r, const otp_dir_config* conf, otp::StateStore& store,
             const otp::SessionClaims& claims) {
    // The scope the verifier records lockouts under: the users file, or for an exec pipe
    // without one, the pipe and its virtual host. (No pipe: an unknown OTPPipe in .htaccess,
    // refused before any session is looked at; the users file is then the only scope.)
    const otp::Pipe* pipe = otp_pipe(r->server, conf);
    otp::LoginLimits limits(store, otp_limit_policy(conf),
                            pipe ? otp_users_scope(r->server, conf, *pipe)
                                 : std::string(conf->users_file ? conf->users_file : ""));
    bool store_error = false;
    auto revoked_at = limits.sessions_revoked_at(claims.user, &store_error);
    return store_error || (revoked_at && *revoked_at >= claims.issued_at);
}

}  // namespace

SessionRealm session_realm(request_rec* r, const otp_dir_config* conf) {
    SessionRealm realm;
    const ProtectedSection section = protected_section(r, conf);
    realm.path = section.url_path;
    std::string name = otp_cookie_name(conf);
    if (is_https(r) && realm.path == "/") name = "__Host-" + name;
    realm.cookie_name = name;
    realm.attempt_cookie_name = name + "_attempt";
    const char* auth_name = ap_auth_name(r);  // AuthName: the HTTP auth realm
    realm.id = otp::length_prefixed({"mod_otp realm v1", server_identity(r->server),
                                     section.config_path, auth_name ? auth_name : "",
                                     conf->users_file ? conf->users_file : "", realm.cookie_name});
    return realm;
}

std::optional<otp::SessionClaims> current_session(request_rec* r, const otp_dir_config* conf,
                                                  const SessionRealm& realm, otp::StateStore& store,
                                                  std::string_view user, const char** ended) {
    *ended = nullptr;
    otp::SessionSealer sealer = sealer_for(r);
    std::optional<otp::SessionClaims> claims = open_realm_cookie(r, realm, sealer);
    if (!claims) return std::nullopt;
    const std::int64_t now = unix_now();
    switch (otp::check_session(*claims, realm.path, now, otp_session_lifetime(conf),
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
        cache.remember(claims->session_id, generation,
                       now + otp_state().store_config.session_recheck_seconds());
    }
    // Refresh well before the idle limit, so an active user is never cut off.
    const std::int64_t refresh = std::max<std::int64_t>(
        1, std::min(kIdleRefreshSeconds, otp_session_idle_timeout(conf) / 2));
    if (now - claims->last_used >= refresh) {
        claims->last_used = now;
        if (auto sealed = sealer.seal(*claims, realm.id))
            write_cookie(r, realm.cookie_name.c_str(), *sealed, realm.path);
    }
    return claims;
}

bool start_session(request_rec* r, const otp_dir_config* conf, const SessionRealm& realm,
                   otp::StateStore& store, const std::string& user, otp::SessionClaims* started) {
    auto id = otp::random_bytes(18);
    if (!id) return false;
    const std::int64_t now = unix_now();
    otp::SessionClaims claims{otp::base64url_encode(*id), user, realm.path, now, now};
    auto sealed = sealer_for(r).seal(claims, realm.id);
    if (!sealed) return false;
    if (store.put(session_key(claims.session_id), "1", otp_session_lifetime(conf)) !=
        otp::StoreStatus::ok)
        return false;
    write_cookie(r, realm.cookie_name.c_str(), *sealed, realm.path);
    *started = std::move(claims);
    return true;
}

std::optional<otp::SessionClaims> end_session(request_rec* r, const otp_dir_config* conf,
                                              const SessionRealm& realm, otp::StateStore& store,
                                              bool* store_failed) {
    *store_failed = false;
    std::optional<otp::SessionClaims> claims = open_realm_cookie(r, realm, sealer_for(r));
    // Only a live session clears the other processes' caches: an expired or already ended
    // one has nothing cached to revoke.
    if (claims && otp::check_session(*claims, realm.path, unix_now(), otp_session_lifetime(conf),
                                     otp_session_idle_timeout(conf)) == otp::SessionState::valid) {
        const otp::StoreStatus live = store.get(session_key(claims->session_id), nullptr);
        const otp::StoreStatus removed = live == otp::StoreStatus::ok
                                             ? store.remove(session_key(claims->session_id))
                                             : otp::StoreStatus::not_found;
        if (live == otp::StoreStatus::error || removed == otp::StoreStatus::error) {
            // The session could not be revoked server-side: keep the cookie (the user can try
            // again) rather than pretend a copy of it no longer works.
            *store_failed = true;
            return claims;
        }
        if (removed == otp::StoreStatus::ok) {
            otp_state().verified.revoke_all();
            ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r,
                          "logout: session ended, session caches of every process flushed");
        }
    }
    clear_cookie(r, realm.cookie_name.c_str(), realm.path);
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
