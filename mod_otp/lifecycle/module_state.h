// Process-wide state of one server generation: created in pre_config from pconf (so a
// restart, which unloads and reloads the DSO and clears pconf, starts from scratch) and
// destroyed by pconf's cleanup.
#pragma once

#include <cstddef>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "crypto/digest.h"
#include "mod_otp/http/apache_headers.h"
#include "mod_otp/pipes/code_sender.h"
#include "mod_otp/pipes/server_pipes.h"
#include "mod_otp/session/session_cache.h"
#include "mod_otp/users/users_registry.h"
#include "store/redis_address.h"
#include "store/redis_pool.h"
#include "web/translations.h"

struct OtpStoreConfig {
    std::string provider = "shmcb";       // OTPStateStore provider[:args]
    std::string args;                     // empty: the module's default for the provider
    std::size_t table_bytes = 32u << 20;  // shmcb: the size of mod_otp's own table
    int timeout_ms = 250;                 // OTPStateStoreTimeout
    bool configured = false;
    std::optional<otp::RedisAddress> redis;  // OTPStateStore redis://, redis+unix://, ...
    std::string redis_password;              // OTPStateStorePasswordFile's content
    const char* password_file = nullptr;     // its path (for messages), when set
    std::string prefix = "otp:";             // OTPStateStorePrefix
    bool prefix_set = false;
    std::optional<int> session_recheck;      // OTPSessionRecheck

    // How long a process trusts a session it checked in the store: OTPSessionRecheck, else 1 s
    // with a Redis store (revocations on other hosts show within a second) and 5 s otherwise
    // (only this server revokes, and it tells its own processes at once).
    int session_recheck_seconds() const { return session_recheck.value_or(redis ? 1 : 5); }
};

struct OtpModuleState {
    OtpStoreConfig store_config;
    const ap_socache_provider_t* store_provider = nullptr;
    ap_socache_instance_t* store_instance = nullptr;
    apr_global_mutex_t* store_mutex = nullptr;  // socache providers only
    std::unique_ptr<otp::RedisPool> redis_pool;  // OTPStateStore redis...: this process's
    void* table_region = nullptr;  // OTPStateStore shmcb: mod_otp's own table (SharedTableStore)
    std::unique_ptr<otp::HmacSha256Key> linger_key;  // keys the linger records' hashes
    UsersRegistry users;
    std::map<std::string, apr_file_t*> event_logs;  // OTPEventLog target -> open file/pipe
    apr_global_mutex_t* event_log_mutex = nullptr;
    otp::Translations builtin_translations = otp::Translations::builtin();
    // OTPTranslations directory -> its catalogues. Guarded by translations_mutex: OTPTranslations
    // in .htaccess loads from worker threads at request time. Entries are never erased within a
    // generation, so the pointers load_translations returns (kept in per-directory configs,
    // also those of .htaccess, which live in the request pool) stay valid until pconf is
    // cleared. At most kMaxTranslationsDirs directories per generation.
    std::mutex translations_mutex;
    std::map<std::string, std::unique_ptr<otp::Translations>> translations;
    SessionCache verified;  // sessions and linger records verified, per process
    // OTPPipe definitions, one ServerPipes per server that has any (pointed to by its config).
    std::deque<std::unique_ptr<ServerPipes>> server_pipes;
    // Keys of the delivered codes' hashes, per server (otp_code_key).
    std::map<const server_rec*, std::unique_ptr<otp::HmacSha256Key>> code_keys;
    CodeSender sender;  // runs pre-pipes in the background, per child process

    static constexpr std::size_t kMaxTranslationsDirs = 64;

    // The built-in catalogues plus <dir>/*.json, loaded once per directory. Thread-safe.
    // Refuses (nullptr and *error) a directory that cannot be read, or a new one when
    // kMaxTranslationsDirs are loaded already.
    const otp::Translations* load_translations(const std::string& dir, std::string* error);
};

// Creates the state for a new generation (pre_config).
OtpModuleState& otp_state_create(apr_pool_t* pconf);
// The current generation's state. Valid from pre_config on.
OtpModuleState& otp_state();

extern const char* const kOtpStoreMutexType;     // "otp-state", for the Mutex directive
extern const char* const kOtpEventLogMutexType;  // "otp-eventlog"
