// The memory of mod_otp's own state store (OTPStateStore shmcb): one anonymous shared mapping
// made by the parent before it forks the children, so every child of every generation maps
// the same table. It belongs to the process pool, not pconf: a graceful or full restart keeps
// the table (lockouts, replay records and sessions survive `apachectl graceful`), unless the
// size changed; stopping httpd ends it.
#pragma once

#include <cstddef>
#include <string>

#include "mod_otp/http/apache_headers.h"
#include "mod_otp/lifecycle/module_state.h"

constexpr std::size_t kDefaultTableBytes = 32u << 20;  // 32 MiB: ~250,000 records
constexpr std::size_t kMaxTableBytes = std::size_t{4} << 30;

// Parses the args of "OTPStateStore shmcb[:args]": empty (the default size), "BYTES",
// "(BYTES)" or "PATH(BYTES)" (shmcb's own syntax; the path is not used, the memory is
// anonymous). Sets *bytes, or returns the reason the value is wrong.
const char* otp_parse_table_size(apr_pool_t* pool, const std::string& args, std::size_t* bytes);

// Maps (or, after a restart, finds) the table and sets state.table_region. Returns nullptr or
// the reason startup must fail.
const char* otp_table_post_config(OtpModuleState& state, apr_pool_t* ptemp, server_rec* server);
