#include "mod_otp/pipes/server_pipes.h"

#include <apr_lib.h>
#include <http_core.h>
#include <http_main.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "mod_otp/config/dir_config.h"
#include "mod_otp/config/server_config.h"
#include "mod_otp/lifecycle/module_state.h"
#include "util/numbers.h"

APLOG_USE_MODULE(otp);

namespace {

ServerPipes* own_pipes(cmd_parms* cmd) {
    otp_server_config* conf = otp_server_conf(cmd->server);
    if (!conf->pipes) {
        OtpModuleState& state = otp_state();
        state.server_pipes.push_back(std::make_unique<ServerPipes>());
        conf->pipes = state.server_pipes.back().get();
    }
    return conf->pipes;
}

bool valid_pipe_name(const char* name) {
    if (!*name || std::strlen(name) > 64) return false;
    for (const char* c = name; *c; ++c)
        if (!apr_isalnum(*c) && *c != '_' && *c != '-' && *c != '.') return false;
    return true;
}

// The program must be a regular, executable file that nobody but its owner can replace or
// change: it runs with the credentials of every login.
const char* check_program(cmd_parms* cmd, const char* path) {
    struct stat st;
    if (stat(path, &st) != 0)
        return apr_psprintf(cmd->pool, "OTPPipe: %s: %s", path, std::strerror(errno));
    if (!S_ISREG(st.st_mode)) return apr_psprintf(cmd->pool, "OTPPipe: %s is not a file", path);
    if (!(st.st_mode & (S_IXUSR | S_IXGRP | S_IXOTH)))
        return apr_psprintf(cmd->pool, "OTPPipe: %s is not executable", path);
    if (st.st_mode & (S_IWGRP | S_IWOTH))
        return apr_psprintf(cmd->pool,
                            "OTPPipe: %s is writable by its group or by others (chmod go-w)",
                            path);
    return nullptr;
}

}  // namespace

const otp::ExecPipe* otp_find_pipe(server_rec* s, std::string_view name) {
    for (server_rec* server : {s, ap_server_conf}) {
        if (!server) continue;
        const ServerPipes* pipes = otp_server_conf(server)->pipes;
        if (!pipes) continue;
        auto found = pipes->by_name.find(name);
        if (found != pipes->by_name.end()) return found->second.get();
    }
    return nullptr;
}

// OTPPipe name exec /path/program [args...]
const char* otp_define_pipe(cmd_parms* cmd, void*, const char* args) {
    if (const char* err = ap_check_cmd_context(cmd, NOT_IN_DIR_CONTEXT)) return err;
    const char* name = ap_getword_conf(cmd->temp_pool, &args);
    const char* kind = ap_getword_conf(cmd->temp_pool, &args);
    const char* program = ap_getword_conf(cmd->pool, &args);
    if (!*name || !*kind || !*program)
        return "OTPPipe: expected 'name exec /path/program [args...]'";
    if (!valid_pipe_name(name))
        return apr_psprintf(cmd->pool,
                            "OTPPipe: '%s' is not a valid name (letters, digits, '_', '-', '.')",
                            name);
    if (otp::builtin_pipe(name))
        return apr_psprintf(cmd->pool, "OTPPipe: '%s' is a built-in pipe's name", name);
    if (std::strcmp(kind, "exec") != 0)
        return apr_psprintf(cmd->pool, "OTPPipe: unknown pipe type '%s' (expected exec)", kind);
    if (*program != '/')
        return apr_psprintf(cmd->pool, "OTPPipe: '%s' is not an absolute path", program);
    if (const char* err = check_program(cmd, program)) return err;
    otp::ProgramSpec spec;
    spec.path = program;
    while (*args) {
        const char* arg = ap_getword_conf(cmd->temp_pool, &args);
        if (!*arg && !*args) break;
        spec.args.emplace_back(arg);
    }
    spec.env.emplace_back(otp::kPipeProgramPath);
    ServerPipes* pipes = own_pipes(cmd);
    if (pipes->by_name.count(name))
        return apr_psprintf(cmd->pool, "OTPPipe: '%s' is defined twice in this server", name);
    pipes->by_name.emplace(name, std::make_unique<otp::ExecPipe>(name, std::move(spec),
                                                                  pipes->limit));
    return nullptr;
}

const char* otp_set_pipe_timeout(cmd_parms* cmd, void*, const char* arg) {
    if (const char* err = ap_check_cmd_context(cmd, NOT_IN_DIR_CONTEXT)) return err;
    auto seconds = otp::parse_decimal<int>(arg);
    if (!seconds || *seconds < 1 || *seconds > 300)
        return apr_psprintf(cmd->pool, "OTPPipeTimeout: '%s' is not a whole number from 1 to 300",
                            arg);
    own_pipes(cmd)->timeout_seconds = *seconds;
    return nullptr;
}

const char* otp_set_pipe_max_concurrent(cmd_parms* cmd, void*, const char* arg) {
    if (const char* err = ap_check_cmd_context(cmd, NOT_IN_DIR_CONTEXT)) return err;
    auto count = otp::parse_decimal<int>(arg);
    if (!count || *count < 1 || *count > 1024)
        return apr_psprintf(cmd->pool,
                            "OTPPipeMaxConcurrent: '%s' is not a whole number from 1 to 1024", arg);
    own_pipes(cmd)->max_concurrent = *count;
    return nullptr;
}

namespace {

const otp_dir_config* otp_section(ap_conf_vector_t* section) {
    return static_cast<const otp_dir_config*>(ap_get_module_config(section, &otp_module));
}

// Every section of `s` whose configuration httpd keeps: <Directory>, <Location>, and the
// <Files> and <If> inside them and at the server's top level, however deeply nested.
std::vector<ap_conf_vector_t*> sections_of(server_rec* s) {
    std::vector<ap_conf_vector_t*> sections;
    std::vector<ap_conf_vector_t*> pending;
    auto* core = static_cast<core_server_config*>(ap_get_core_module_config(s->module_config));
    for (apr_array_header_t* list : {core->sec_dir, core->sec_url}) {
        if (!list) continue;
        for (int i = 0; i < list->nelts; ++i)
            pending.push_back(reinterpret_cast<ap_conf_vector_t**>(list->elts)[i]);
    }
    // The server's own <Files> and <If> hang off its defaults, which are checked apart.
    auto add_nested = [&pending](ap_conf_vector_t* section) {
        auto* dir = static_cast<core_dir_config*>(ap_get_core_module_config(section));
        if (!dir) return;
        for (apr_array_header_t* nested : {dir->sec_file, dir->sec_if}) {
            if (!nested) continue;
            for (int i = 0; i < nested->nelts; ++i)
                pending.push_back(reinterpret_cast<ap_conf_vector_t**>(nested->elts)[i]);
        }
    };
    add_nested(s->lookup_defaults);
    while (!pending.empty()) {
        ap_conf_vector_t* section = pending.back();
        pending.pop_back();
        sections.push_back(section);
        add_nested(section);
    }
    return sections;
}

// The rules of one section, seen over its server's defaults. nullptr when it is fine.
const char* check_section(apr_pool_t* pool, server_rec* s, const otp_dir_config* conf,
                          const otp_dir_config* server_level, bool is_server_level) {
    if (conf->pipe_name && !otp_find_pipe(s, conf->pipe_name))
        return apr_psprintf(pool,
                            "%s: OTPValidationPipe %s: no such pipe (the built-in ones are totp, "
                            "hotp and delivered; define others with OTPPipe %s exec /path)",
                            conf->pipe_where, conf->pipe_name, conf->pipe_name);
    if (conf->pre_pipe_name && !otp_find_pipe(s, conf->pre_pipe_name))
        return apr_psprintf(pool, "%s: OTPPrePipe %s: no such pipe (define it with OTPPipe %s exec /path)",
                            conf->pre_pipe_where, conf->pre_pipe_name, conf->pre_pipe_name);
    const bool sets_pipe = conf->pipe || conf->pipe_name;
    const otp_dir_config* pipe_from = sets_pipe || !server_level ? conf : server_level;
    const bool delivered = otp_delivers_codes(pipe_from);
    const char* pre_pipe = conf->pre_pipe_name || !server_level ? conf->pre_pipe_name
                                                                : server_level->pre_pipe_name;
    if (conf->pre_pipe_name && !delivered)
        return apr_psprintf(pool,
                            "%s: OTPPrePipe %s needs OTPValidationPipe delivered (in the same "
                            "section or the server): a pre-pipe sends the codes the delivered "
                            "pipe checks",
                            conf->pre_pipe_where, conf->pre_pipe_name);
    if (conf->verify_returns_code == 1 && !delivered)
        return apr_psprintf(pool,
                            "%s: OTPVerifyReturnsCode on needs OTPValidationPipe delivered (the "
                            "code generate returns is checked by the delivered pipe)",
                            conf->verify_returns_code_where);
    // With OTPVerifyReturnsCode on the caller delivers the code: no pre-pipe is needed.
    if (!is_server_level && sets_pipe && delivered && !pre_pipe && conf->verify_returns_code != 1)
        return apr_psprintf(pool,
                            "%s: OTPValidationPipe delivered needs OTPPrePipe (the OTPPipe that "
                            "sends the code)",
                            conf->pipe_where);
    return nullptr;
}

// Applies OTPPipeTimeout and OTPPipeMaxConcurrent of `pipes` (else the main server's, else the
// defaults) to its pipes.
void apply_settings(ServerPipes* pipes, const ServerPipes* main_pipes) {
    int timeout = pipes->timeout_seconds;
    if (timeout < 0 && main_pipes) timeout = main_pipes->timeout_seconds;
    if (timeout < 0) timeout = kDefaultPipeTimeoutSeconds;
    int max = pipes->max_concurrent;
    if (max < 0 && main_pipes) max = main_pipes->max_concurrent;
    pipes->limit.set_max(max < 0 ? kDefaultPipeMaxConcurrent : static_cast<unsigned>(max));
    for (auto& named : pipes->by_name) named.second->set_timeout_ms(timeout * 1000LL);
}

}  // namespace

int otp_pipes_check_config(apr_pool_t*, apr_pool_t*, apr_pool_t* ptemp, server_rec* s) try {
    const ServerPipes* main_pipes = otp_server_conf(s)->pipes;
    for (auto& pipes : otp_state().server_pipes)
        apply_settings(pipes.get(), pipes.get() == main_pipes ? nullptr : main_pipes);
    for (server_rec* server = s; server; server = server->next) {
        const otp_dir_config* server_level = otp_section(server->lookup_defaults);
        const char* err =
            server_level ? check_section(ptemp, server, server_level, server_level, true) : nullptr;
        for (ap_conf_vector_t* section : sections_of(server)) {
            if (err) break;
            // A section without any OTP directive may have no configuration of ours.
            if (const otp_dir_config* conf = otp_section(section))
                err = check_section(ptemp, server, conf, server_level, false);
        }
        if (err) {
            ap_log_error(APLOG_MARK, APLOG_STARTUP | APLOG_CRIT, 0, nullptr, "%s", err);
            return !OK;
        }
    }
    return OK;
} catch (...) {
    ap_log_error(APLOG_MARK, APLOG_STARTUP | APLOG_CRIT, 0, nullptr,
                 "mod_otp: checking the pipes: internal error");
    return !OK;
}
