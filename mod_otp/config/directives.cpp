// The one table of mod_otp's directives, server-level and per-directory alike, with the
// handlers that check each value while the configuration is read (so `apachectl configtest`
// names the file, line and reason). The docs strings are what `httpd -L` prints; the README
// documents each directive, and t/basic/10_directive_docs.t checks the two agree.
#include "mod_otp/config/directives.h"

#include <apr_lib.h>
#include <fcntl.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>

#include "mod_otp/config/dir_config.h"
#include "mod_otp/config/server_config.h"
#include "mod_otp/lifecycle/module_state.h"
#include "mod_otp/pipes/server_pipes.h"
#include "mod_otp/store/shared_table_region.h"
#include "session/session_cookie.h"
#include "store/redis_address.h"
#include "store/redis_password_file.h"
#include "util/file_io.h"
#include "util/numbers.h"
#include "util/secure_wipe.h"
#include "util/unique_fd.h"

APLOG_USE_MODULE(otp);

namespace {

constexpr std::size_t kMaxStorePrefixBytes = 64;
constexpr int kMaxSessionRecheckSeconds = 300;

// Parses a whole decimal number in [min, max]; nullptr on success, else the reason.
const char* parse_int(cmd_parms* cmd, const char* text, int min, int max, int* out) {
    const auto value = otp::parse_decimal<int>(text);
    if (!value || *value < min || *value > max)
        return apr_psprintf(cmd->pool, "%s: '%s' is not a whole number from %d to %d",
                            cmd->cmd->name, text, min, max);
    *out = *value;
    return nullptr;
}

// Every handler below stores into an int member named by the directive's cmd_data offset.
int* field(cmd_parms* cmd, void* conf) {
    return reinterpret_cast<int*>(static_cast<char*>(conf) +
                                  reinterpret_cast<std::uintptr_t>(cmd->info));
}

template <int Min, int Max>
const char* set_int(cmd_parms* cmd, void* conf, const char* arg) {
    return parse_int(cmd, arg, Min, Max, field(cmd, conf));
}

const char* set_users_file(cmd_parms* cmd, void* raw, const char* path, const char* layout) {
    auto* conf = static_cast<otp_dir_config*>(raw);
    otp::UsersFileLayout parsed = otp::UsersFileLayout::oath;
    if (layout && std::string(layout) == "mod_authn_otp")
        parsed = otp::UsersFileLayout::mod_authn_otp;
    else if (layout && std::string(layout) != "oath")
        return apr_psprintf(cmd->pool,
                            "OTPUsersFile: unknown layout '%s' (expected oath or mod_authn_otp)",
                            layout);
    const char* resolved = ap_server_root_relative(cmd->pool, path);
    if (!resolved) return apr_psprintf(cmd->pool, "OTPUsersFile: invalid path '%s'", path);
    // Read it now, so a broken file fails `apachectl configtest` with its file and line.
    std::string error;
    try {
        if (!otp_state().users.preload(resolved, parsed, &error))
            return apr_psprintf(cmd->pool, "OTPUsersFile: %s", error.c_str());
    } catch (const std::exception& e) {
        return apr_psprintf(cmd->pool, "OTPUsersFile: %s: %s", resolved, e.what());
    }
    conf->users_file = resolved;
    conf->users_layout = static_cast<int>(parsed);
    return nullptr;
}

const char* set_state_store(cmd_parms* cmd, void*, const char* arg) {
    if (const char* err = ap_check_cmd_context(cmd, GLOBAL_ONLY)) return err;
    OtpStoreConfig& store = otp_state().store_config;
    store.configured = true;
    store.redis.reset();
    // Redis, natively: the store several hosts can share (see "Several hosts" in the README).
    if (otp::is_redis_address(arg)) {
        std::string error;
        store.redis = otp::parse_redis_address(arg, &error);
        // A refused address is not repeated: it may hold a password (configtest names the
        // file and line).
        if (!store.redis)
            return apr_psprintf(cmd->pool, "OTPStateStore: not a Redis address: %s",
                                error.c_str());
        store.provider = "redis-native";
        store.args.clear();
        return nullptr;
    }
    std::string spec(arg);
    std::string::size_type colon = spec.find(':');
    store.provider = spec.substr(0, colon);
    store.args = colon == std::string::npos ? "" : spec.substr(colon + 1);
    // shmcb is mod_otp's own shared-memory table (it never evicts a live record, unlike
    // mod_socache_shmcb); the name and its size syntax are kept from the socache provider.
    if (store.provider == "shmcb")
        return otp_parse_table_size(cmd->pool, store.args, &store.table_bytes);
    if (!ap_lookup_provider(AP_SOCACHE_PROVIDER_GROUP, store.provider.c_str(),
                            AP_SOCACHE_PROVIDER_VERSION))
        return apr_psprintf(cmd->pool,
                            "OTPStateStore: no socache provider '%s' is loaded "
                            "(LoadModule socache_%s_module before this line)",
                            store.provider.c_str(), store.provider.c_str());
    return nullptr;
}

const char* set_state_store_password_file(cmd_parms* cmd, void*, const char* path) {
    if (const char* err = ap_check_cmd_context(cmd, GLOBAL_ONLY)) return err;
    const char* resolved = ap_server_root_relative(cmd->pool, path);
    if (!resolved)
        return apr_psprintf(cmd->pool, "OTPStateStorePasswordFile: invalid path '%s'", path);
    std::string error;
    std::optional<std::string> password = otp::load_redis_password_file(resolved, &error);
    if (!password) return apr_psprintf(cmd->pool, "OTPStateStorePasswordFile: %s", error.c_str());
    OtpStoreConfig& store = otp_state().store_config;
    otp::secure_wipe(store.redis_password);
    store.redis_password = std::move(*password);
    otp::secure_wipe(*password);
    store.password_file = resolved;
    return nullptr;
}

const char* set_state_store_prefix(cmd_parms* cmd, void*, const char* prefix) {
    if (const char* err = ap_check_cmd_context(cmd, GLOBAL_ONLY)) return err;
    const std::string_view text(prefix);
    const bool printable = std::all_of(text.begin(), text.end(), [](char c) {
        return c > 0x20 && c < 0x7f;
    });
    if (text.size() > kMaxStorePrefixBytes || !printable)
        return apr_psprintf(cmd->pool,
                            "OTPStateStorePrefix: expected at most %d printable characters "
                            "without spaces, such as otp: or site-a:otp:",
                            static_cast<int>(kMaxStorePrefixBytes));
    otp_state().store_config.prefix = prefix;
    otp_state().store_config.prefix_set = true;
    return nullptr;
}

const char* set_session_recheck(cmd_parms* cmd, void*, const char* arg) {
    if (const char* err = ap_check_cmd_context(cmd, GLOBAL_ONLY)) return err;
    const auto seconds = otp::parse_decimal<int>(arg);
    if (!seconds || *seconds < 0 || *seconds > kMaxSessionRecheckSeconds)
        return apr_psprintf(cmd->pool, "OTPSessionRecheck: expected seconds from 0 to %d",
                            kMaxSessionRecheckSeconds);
    otp_state().store_config.session_recheck = *seconds;
    return nullptr;
}

const char* set_state_store_timeout(cmd_parms* cmd, void*, const char* arg) {
    if (const char* err = ap_check_cmd_context(cmd, GLOBAL_ONLY)) return err;
    const auto ms = otp::parse_decimal<int>(arg);
    if (!ms || *ms < 1 || *ms > 60000)
        return "OTPStateStoreTimeout: expected milliseconds from 1 to 60000";
    otp_state().store_config.timeout_ms = *ms;
    return nullptr;
}

const char* directive_where(cmd_parms* cmd) {
    return cmd->directive ? apr_psprintf(cmd->pool, "%s:%d", cmd->directive->filename,
                                         cmd->directive->line_num)
                          : "(unknown)";
}

bool in_htaccess(cmd_parms* cmd) { return ap_check_cmd_context(cmd, NOT_IN_HTACCESS) != nullptr; }

const char* set_validation_pipe(cmd_parms* cmd, void* raw, const char* name) {
    auto* conf = static_cast<otp_dir_config*>(raw);
    conf->pipe_where = directive_where(cmd);
    conf->pipe = otp::builtin_pipe(name);
    conf->pipe_name = nullptr;
    if (conf->pipe) return nullptr;
    // An OTPPipe's name: the main configuration is checked once it is complete (the OTPPipe
    // may come later in the file); .htaccess is read when all of them are known.
    if (in_htaccess(cmd) && !otp_find_pipe(cmd->server, name))
        return apr_psprintf(cmd->pool,
                            "OTPValidationPipe: '%s' is neither totp, hotp, delivered nor an "
                            "OTPPipe of this server",
                            name);
    conf->pipe_name = apr_pstrdup(cmd->pool, name);
    return nullptr;
}

const char* set_pre_pipe(cmd_parms* cmd, void* raw, const char* name) {
    auto* conf = static_cast<otp_dir_config*>(raw);
    if (otp::builtin_pipe(name))
        return apr_psprintf(cmd->pool,
                            "OTPPrePipe: '%s' validates codes; a pre-pipe is an OTPPipe that "
                            "sends them",
                            name);
    if (in_htaccess(cmd) && !otp_find_pipe(cmd->server, name))
        return apr_psprintf(cmd->pool, "OTPPrePipe: '%s' is not an OTPPipe of this server", name);
    conf->pre_pipe_name = apr_pstrdup(cmd->pool, name);
    conf->pre_pipe_where = directive_where(cmd);
    return nullptr;
}

// OTPDeliveredCode length numeric|alphanumeric
// "length [numeric|alphanumeric]" of OTPDeliveredCode and OTPTwoWayCode.
const char* parse_code_shape(cmd_parms* cmd, const char* length, const char* charset,
                             int* length_out, int* charset_out) {
    if (const char* err =
            parse_int(cmd, length, otp::kMinDeliveredLength, otp::kMaxDeliveredLength, length_out))
        return err;
    if (!charset || !strcasecmp(charset, "numeric"))
        *charset_out = static_cast<int>(otp::CodeCharset::numeric);
    else if (!strcasecmp(charset, "alphanumeric"))
        *charset_out = static_cast<int>(otp::CodeCharset::alphanumeric);
    else
        return apr_psprintf(cmd->pool, "%s: unknown charset '%s' (expected numeric or alphanumeric)",
                            cmd->cmd->name, charset);
    return nullptr;
}

const char* set_delivered_code(cmd_parms* cmd, void* raw, const char* length, const char* charset) {
    auto* conf = static_cast<otp_dir_config*>(raw);
    return parse_code_shape(cmd, length, charset, &conf->delivered_length,
                            &conf->delivered_charset);
}

const char* set_two_way_code(cmd_parms* cmd, void* raw, const char* length, const char* charset) {
    auto* conf = static_cast<otp_dir_config*>(raw);
    return parse_code_shape(cmd, length, charset, &conf->twoway_length, &conf->twoway_charset);
}

const char* set_delivered_lifetime(cmd_parms* cmd, void* raw, const char* arg) {
    auto* conf = static_cast<otp_dir_config*>(raw);
    if (const char* err = parse_int(cmd, arg, 1, 86400, &conf->delivered_lifetime)) return err;
    if (conf->delivered_lifetime > 600 && !in_htaccess(cmd))
        ap_log_error(APLOG_MARK, APLOG_STARTUP | APLOG_WARNING, 0, nullptr,
                     "%s: OTPDeliveredLifetime %d: codes valid for more than 10 minutes are "
                     "longer-lived than NIST SP 800-63B advises",
                     directive_where(cmd), conf->delivered_lifetime);
    return nullptr;
}

const char* set_verify_returns_code(cmd_parms* cmd, void* raw, int on) {
    auto* conf = static_cast<otp_dir_config*>(raw);
    conf->verify_returns_code = on ? 1 : 0;
    conf->verify_returns_code_where = directive_where(cmd);
    return nullptr;
}

const char* set_delivered_uses(cmd_parms* cmd, void* raw, const char* arg) {
    auto* conf = static_cast<otp_dir_config*>(raw);
    if (const char* err = parse_int(cmd, arg, 1, 100, &conf->delivered_uses)) return err;
    if (conf->delivered_uses > 1 && !in_htaccess(cmd))
        ap_log_error(APLOG_MARK, APLOG_STARTUP | APLOG_WARNING, 0, nullptr,
                     "%s: OTPDeliveredUses %d: a code that can be used more than once weakens "
                     "replay protection (NIST SP 800-63B and OWASP ASVS want single use)",
                     directive_where(cmd), conf->delivered_uses);
    return nullptr;
}

// "failures window ban" or "off", into three int fields starting at the cmd_data offset
// (failures, window, ban in that order; OTPLockout and OTPAddressLockout).
const char* set_lockout(cmd_parms* cmd, void* conf, const char* args) {
    int* fields = field(cmd, conf);
    const char* failures = ap_getword_conf(cmd->temp_pool, &args);
    const char* window = ap_getword_conf(cmd->temp_pool, &args);
    const char* ban = ap_getword_conf(cmd->temp_pool, &args);
    if (!strcasecmp(failures, "off") && !*window) {
        fields[0] = fields[1] = fields[2] = 0;
        return nullptr;
    }
    if (!*ban || *ap_getword_conf(cmd->temp_pool, &args))
        return apr_psprintf(cmd->pool,
                            "%s: expected 'failures window ban' (e.g. 5 300 900) or 'off'",
                            cmd->cmd->name);
    if (const char* err = parse_int(cmd, failures, 1, 1000, &fields[0])) return err;
    if (const char* err = parse_int(cmd, window, 1, 86400, &fields[1])) return err;
    return parse_int(cmd, ban, 1, 604800, &fields[2]);
}

const char* set_cookie_name(cmd_parms* cmd, void* raw, const char* name) {
    auto* conf = static_cast<otp_dir_config*>(raw);
    // RFC 6265 token characters only: the name goes verbatim into Set-Cookie.
    for (const char* c = name; *c; ++c)
        if (!apr_isalnum(*c) && !strchr("!#$%&'*+-.^_`|~", *c))
            return apr_psprintf(cmd->pool, "OTPCookieName: '%s' is not a valid cookie name", name);
    if (!*name) return "OTPCookieName: empty name";
    conf->cookie_name = name;
    return nullptr;
}

constexpr std::size_t kMaxPageTemplateBytes = 1024 * 1024;

// In .htaccess this runs for every request that reads the file, in a worker thread: the open
// must never block. O_NONBLOCK keeps a FIFO planted at the path from hanging configtest or
// the worker (open_regular_file then refuses it as "not a regular file"); a regular file
// ignores the flag, so the read is an ordinary one.
const char* set_page_template(cmd_parms* cmd, void* raw, const char* path) {
    auto* conf = static_cast<otp_dir_config*>(raw);
    const char* resolved = ap_server_root_relative(cmd->pool, path);
    if (!resolved) return apr_psprintf(cmd->pool, "OTPPageTemplate: invalid path '%s'", path);
    std::string error;
    struct stat st;
    const otp::UniqueFd file =
        otp::open_regular_file(resolved, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK, &st, &error);
    if (!file) return apr_psprintf(cmd->pool, "OTPPageTemplate: %s", error.c_str());
    if (st.st_size > static_cast<off_t>(kMaxPageTemplateBytes))
        return apr_psprintf(cmd->pool, "OTPPageTemplate: %s is larger than 1 MiB", resolved);
    std::string text;
    if (!otp::read_to_end(file.get(), static_cast<std::size_t>(st.st_size), resolved, &text,
                          &error))
        return apr_psprintf(cmd->pool, "OTPPageTemplate: %s", error.c_str());
    if (text.size() > kMaxPageTemplateBytes)  // grew since fstat
        return apr_psprintf(cmd->pool, "OTPPageTemplate: %s is larger than 1 MiB", resolved);
    conf->page_template = apr_pstrmemdup(cmd->pool, text.data(), text.size());
    return nullptr;
}

const char* set_translations(cmd_parms* cmd, void* raw, const char* dir) {
    auto* conf = static_cast<otp_dir_config*>(raw);
    const char* resolved = ap_server_root_relative(cmd->pool, dir);
    if (!resolved) return apr_psprintf(cmd->pool, "OTPTranslations: invalid path '%s'", dir);
    std::string error;
    const otp::Translations* loaded = otp_state().load_translations(resolved, &error);
    if (!loaded) return apr_psprintf(cmd->pool, "OTPTranslations: %s", error.c_str());
    conf->translations = loaded;
    return nullptr;
}

const char* set_session_key_file(cmd_parms* cmd, void*, const char* path) {
    if (const char* err = ap_check_cmd_context(cmd, NOT_IN_DIR_CONTEXT)) return err;
    const char* resolved = ap_server_root_relative(cmd->pool, path);
    std::string error;
    auto key = resolved ? otp::load_session_key_file(resolved, &error) : std::nullopt;
    if (!key) return apr_psprintf(cmd->pool, "OTPSessionKeyFile: %s", error.c_str());
    otp_server_conf(cmd->server)->session_key =
        static_cast<const char*>(apr_pmemdup(cmd->pool, key->data(), key->size()));
    return nullptr;
}

const char* set_customer_identifier(cmd_parms* cmd, void* raw, const char* expression) {
    auto* conf = static_cast<otp_dir_config*>(raw);
    const char* err = nullptr;
    conf->customer_identifier =
        ap_expr_parse_cmd(cmd, expression, AP_EXPR_FLAG_STRING_RESULT, &err, nullptr);
    if (err)
        return apr_psprintf(cmd->pool, "OTPCustomerIdentifier: cannot parse '%s': %s", expression,
                            err);
    return nullptr;
}

const char* set_event_log(cmd_parms* cmd, void*, const char* target) {
    if (const char* err = ap_check_cmd_context(cmd, NOT_IN_DIR_CONTEXT)) return err;
    auto* conf = otp_server_conf(cmd->server);
    if (*target == '|') {
        if (!target[1]) return "OTPEventLog: a piped log needs a program after '|'";
        conf->event_log = target;
    } else {
        conf->event_log = ap_server_root_relative(cmd->pool, target);
        if (!conf->event_log)
            return apr_psprintf(cmd->pool, "OTPEventLog: invalid path '%s'", target);
    }
    return nullptr;
}

// Wraps each handler so that no C++ exception reaches httpd's config parser.
template <const char* (*Handler)(cmd_parms*, void*, const char*)>
const char* guarded1(cmd_parms* cmd, void* conf, const char* arg) {
    try {
        return Handler(cmd, conf, arg);
    } catch (const std::exception& e) {
        return apr_psprintf(cmd->pool, "%s: %s", cmd->cmd->name, e.what());
    } catch (...) {
        return apr_psprintf(cmd->pool, "%s: internal error", cmd->cmd->name);
    }
}

#define OTP_OFFSET(member) reinterpret_cast<void*>(APR_OFFSETOF(otp_dir_config, member))
#define OTP_DIR_SCOPE (RSRC_CONF | OR_AUTHCFG)

}  // namespace

// httpd declares every directive handler through one generic function pointer type, so each
// entry casts its handler; the warning about those casts is silenced for this table only.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wcast-function-type"
const command_rec otp_directives[] = {
    AP_INIT_TAKE12("OTPUsersFile", reinterpret_cast<cmd_func>(set_users_file), nullptr,
                   OTP_DIR_SCOPE,
                   "Path of the OATH users file, optionally followed by its layout "
                   "(oath or mod_authn_otp)"),
    AP_INIT_TAKE1("OTPStateStore", reinterpret_cast<cmd_func>(guarded1<set_state_store>), nullptr,
                  RSRC_CONF,
                  "shared state: shmcb[:size] (mod_otp's own table, the default), "
                  "redis://host:port[/db], redis+unix:///path[?db=N], "
                  "redis-sentinel://host:port,.../master, or a socache provider as "
                  "provider[:args]"),
    AP_INIT_TAKE1("OTPStateStoreTimeout",
                  reinterpret_cast<cmd_func>(guarded1<set_state_store_timeout>), nullptr, RSRC_CONF,
                  "milliseconds a state store operation may wait (default 250)"),
    AP_INIT_TAKE1("OTPStateStorePasswordFile",
                  reinterpret_cast<cmd_func>(guarded1<set_state_store_password_file>), nullptr,
                  RSRC_CONF, "file holding the Redis store's password (AUTH), mode 0600"),
    AP_INIT_TAKE1("OTPStateStorePrefix",
                  reinterpret_cast<cmd_func>(guarded1<set_state_store_prefix>), nullptr,
                  RSRC_CONF, "put before every key in a Redis store (default otp:)"),
    AP_INIT_TAKE1("OTPSessionRecheck", reinterpret_cast<cmd_func>(guarded1<set_session_recheck>),
                  nullptr, RSRC_CONF,
                  "seconds a process trusts a session it checked in the store (default 1 "
                  "with a Redis store, else 5)"),
    AP_INIT_TAKE1("OTPEventLog", reinterpret_cast<cmd_func>(guarded1<set_event_log>), nullptr,
                  RSRC_CONF, "JSON-lines event log: a file, or \"|program\" for a piped logger"),
    AP_INIT_TAKE1("OTPCustomerIdentifier", reinterpret_cast<cmd_func>(set_customer_identifier),
                  nullptr, OTP_DIR_SCOPE,
                  "ap_expr giving CUSTOMER_IDENTIFIER for events, e.g. %{HTTP:X-Customer-Id}"),
    AP_INIT_TAKE1("OTPValidationPipe", reinterpret_cast<cmd_func>(guarded1<set_validation_pipe>),
                  nullptr, OTP_DIR_SCOPE,
                  "What validates codes here: totp, hotp, delivered or an OTPPipe's name "
                  "(default: the user's tokens)"),
    AP_INIT_TAKE1("OTPPrePipe", reinterpret_cast<cmd_func>(guarded1<set_pre_pipe>), nullptr,
                  OTP_DIR_SCOPE,
                  "The OTPPipe that sends generated codes (with OTPValidationPipe delivered)"),
    AP_INIT_RAW_ARGS("OTPPipe", reinterpret_cast<cmd_func>(guarded1<otp_define_pipe>), nullptr,
                     RSRC_CONF, "'name exec /path/program [args...]': an external program pipe"),
    AP_INIT_TAKE1("OTPPipeTimeout", reinterpret_cast<cmd_func>(guarded1<otp_set_pipe_timeout>),
                  nullptr, RSRC_CONF,
                  "Seconds a pipe program may run before it is killed (default 5)"),
    AP_INIT_TAKE1("OTPPipeMaxConcurrent",
                  reinterpret_cast<cmd_func>(guarded1<otp_set_pipe_max_concurrent>), nullptr,
                  RSRC_CONF, "Pipe programs running at once per child process (default 16)"),
    AP_INIT_TAKE12("OTPDeliveredCode", reinterpret_cast<cmd_func>(set_delivered_code), nullptr,
                   OTP_DIR_SCOPE,
                   "Generated codes: 'length [numeric|alphanumeric]' (default 6 numeric)"),
    AP_INIT_TAKE1("OTPDeliveredLifetime",
                  reinterpret_cast<cmd_func>(guarded1<set_delivered_lifetime>), nullptr,
                  OTP_DIR_SCOPE, "Seconds a generated code is valid (default 300)"),
    AP_INIT_TAKE1("OTPDeliveredUses", reinterpret_cast<cmd_func>(guarded1<set_delivered_uses>),
                  nullptr, OTP_DIR_SCOPE,
                  "Times a generated code may be used within its lifetime (default 1)"),
    AP_INIT_TAKE12("OTPTwoWayCode", reinterpret_cast<cmd_func>(set_two_way_code), nullptr,
                   OTP_DIR_SCOPE,
                   "Two-way client codes and challenge responses: 'length [numeric|alphanumeric]' "
                   "(default 6 numeric)"),
    AP_INIT_TAKE1("OTPTwoWayLifetime", reinterpret_cast<cmd_func>(set_int<1, 900>),
                  OTP_OFFSET(twoway_lifetime), OTP_DIR_SCOPE,
                  "Seconds a two-way flow lives from its init (default 300)"),
    AP_INIT_TAKE1("OTPTwoWayInitRate", reinterpret_cast<cmd_func>(set_int<1, 100000>),
                  OTP_OFFSET(twoway_init_rate), OTP_DIR_SCOPE,
                  "Two-way inits per minute per client address (default 30)"),
    AP_INIT_FLAG("OTPVerifyReturnsCode", reinterpret_cast<cmd_func>(set_verify_returns_code),
                 nullptr, ACCESS_CONF,
                 "The verify API's generate returns the code to the caller instead of running "
                 "OTPPrePipe (default off)"),
    AP_INIT_TAKE1("OTPAllowedRetry", reinterpret_cast<cmd_func>(set_int<1, 100>),
                  OTP_OFFSET(allowed_retry), OTP_DIR_SCOPE,
                  "Wrong codes allowed in one login attempt; the n-th aborts it (default 2)"),
    AP_INIT_RAW_ARGS("OTPLockout", reinterpret_cast<cmd_func>(guarded1<set_lockout>),
                     OTP_OFFSET(lockout_failures), OTP_DIR_SCOPE,
                     "'failures window ban' in seconds (default 5 300 900), or off"),
    AP_INIT_RAW_ARGS("OTPAddressLockout", reinterpret_cast<cmd_func>(guarded1<set_lockout>),
                     OTP_OFFSET(address_failures), OTP_DIR_SCOPE,
                     "Basic: 'failures window ban' per client address (default 20 300 900), "
                     "or off"),
    AP_INIT_TAKE1("OTPSessionLifetime", reinterpret_cast<cmd_func>(set_int<1, 2592000>),
                  OTP_OFFSET(session_lifetime), OTP_DIR_SCOPE,
                  "Absolute session lifetime in seconds (default 28800)"),
    AP_INIT_TAKE1("OTPSessionIdleTimeout", reinterpret_cast<cmd_func>(set_int<1, 2592000>),
                  OTP_OFFSET(session_idle), OTP_DIR_SCOPE,
                  "Session ends after this many seconds without a request (default 1800)"),
    AP_INIT_TAKE1("OTPCookieName", reinterpret_cast<cmd_func>(guarded1<set_cookie_name>), nullptr,
                  OTP_DIR_SCOPE, "Session cookie name (default otp_session)"),
    AP_INIT_TAKE1("OTPPageTemplate", reinterpret_cast<cmd_func>(guarded1<set_page_template>),
                  nullptr, OTP_DIR_SCOPE, "HTML template of the OTP page"),
    AP_INIT_TAKE1("OTPTranslations", reinterpret_cast<cmd_func>(guarded1<set_translations>),
                  nullptr, OTP_DIR_SCOPE,
                  "Directory of <lang>.json files with extra or replaced page texts"),
    AP_INIT_TAKE1("OTPSessionKeyFile", reinterpret_cast<cmd_func>(guarded1<set_session_key_file>),
                  nullptr, RSRC_CONF,
                  "File with the 32-byte key (64 hex digits) that seals session cookies"),
    AP_INIT_TAKE1("OTPWindow", reinterpret_cast<cmd_func>(set_int<0, 10>), OTP_OFFSET(window),
                  OTP_DIR_SCOPE, "TOTP time steps accepted either side of now (default 1)"),
    AP_INIT_TAKE1("OTPHOTPLookAhead", reinterpret_cast<cmd_func>(set_int<0, 100>),
                  OTP_OFFSET(hotp_look_ahead), OTP_DIR_SCOPE,
                  "HOTP counters accepted ahead of the expected one (default 10)"),
    AP_INIT_TAKE1("OTPTimeStep", reinterpret_cast<cmd_func>(set_int<1, 3600>),
                  OTP_OFFSET(time_step), OTP_DIR_SCOPE,
                  "TOTP time step in seconds for tokens whose type does not say (default 30)"),
    AP_INIT_TAKE1("OTPDigits", reinterpret_cast<cmd_func>(set_int<6, 8>), OTP_OFFSET(digits),
                  OTP_DIR_SCOPE,
                  "Code length for tokens whose type does not say, 6 to 8 (default 6)"),
    AP_INIT_TAKE1("OTPBasicLinger", reinterpret_cast<cmd_func>(set_int<0, 86400>),
                  OTP_OFFSET(basic_linger), OTP_DIR_SCOPE,
                  "Seconds a Basic user+password stays accepted from the same address after "
                  "its code was validated; 0 = every request needs a new code (default 300)"),
    {nullptr, {nullptr}, nullptr, 0, RAW_ARGS, nullptr},
};
#pragma GCC diagnostic pop
