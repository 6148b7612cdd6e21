// OTPPipe, OTPPipeTimeout and OTPPipeMaxConcurrent: the external programs a server (or virtual
// host) defines, found by name from OTPValidationPipe and OTPPrePipe. A virtual host sees its
// own OTPPipe definitions first, then the main server's. The pipe objects belong to the
// configuration generation (OtpModuleState) and live as long as it.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "exec/concurrency_limit.h"
#include "mod_otp/http/apache_headers.h"
#include "verify/exec_pipe.h"

constexpr int kDefaultPipeTimeoutSeconds = 5;
constexpr unsigned kDefaultPipeMaxConcurrent = 16;

struct ServerPipes {
    std::map<std::string, std::unique_ptr<otp::ExecPipe>, std::less<>> by_name;
    // OTPPipeMaxConcurrent of this server's pipes, per child process: validations and sends
    // share it.
    otp::ConcurrencyLimit limit{kDefaultPipeMaxConcurrent};
    int timeout_seconds = -1;  // OTPPipeTimeout; -1: the main server's, else 5
    int max_concurrent = -1;   // OTPPipeMaxConcurrent; -1: the main server's, else 16
};

// The OTPPipe named `name` for requests of `s`; nullptr when neither it nor the main server
// defines one.
const otp::ExecPipe* otp_find_pipe(server_rec* s, std::string_view name);

// Directive handlers (server and virtual host context).
const char* otp_define_pipe(cmd_parms* cmd, void* conf, const char* args);
const char* otp_set_pipe_timeout(cmd_parms* cmd, void* conf, const char* arg);
const char* otp_set_pipe_max_concurrent(cmd_parms* cmd, void* conf, const char* arg);

// check_config: applies OTPPipeTimeout/OTPPipeMaxConcurrent to each server's pipes and checks
// every section's OTPValidationPipe/OTPPrePipe (names that exist, delivered with a pre-pipe,
// a pre-pipe only with delivered); errors name the directive's file and line, so
// `apachectl configtest` fails on them. Returns OK or !OK (logged).
int otp_pipes_check_config(apr_pool_t* pconf, apr_pool_t* plog, apr_pool_t* ptemp, server_rec* s);
