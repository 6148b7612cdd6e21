// The users files of the configuration, each indexed once per process group: loaded while
// the configuration is read (in the parent, so children share the pages copy-on-write),
// shared by every section naming the same path, and reloaded in a process when the file on
// disk changes (checked at most once a second per file).
//
// Thread safety and lifetime: every member function takes mutex_, because OTPUsersFile in an
// .htaccess file calls preload() from worker threads at request time (threaded MPMs) while
// other threads call get(). An entry is added only with a loaded index and never erased within
// a generation (the registry lives in OtpModuleState, destroyed with pconf); callers get
// shared_ptr copies, not pointers into the map. .htaccess files can name any
// number of paths, so the map is bounded: at most kMaxFiles distinct (path, layout) pairs per
// generation, beyond which preload() refuses (the directive fails: logged, 500 for that
// request) instead of growing without limit.
#pragma once

#include <cstddef>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "users/users_file.h"

class UsersRegistry {
public:
    static constexpr std::size_t kMaxFiles = 256;

    // Loads (or finds already loaded) `path`. Returns false with *error
    // ("<path>:<line>: <reason>") when the file cannot be read or has a malformed line, or
    // when kMaxFiles other files are loaded already.
    bool preload(const std::string& path, otp::UsersFileLayout layout, std::string* error);

    struct Lookup {
        std::shared_ptr<const otp::UsersIndex> index;  // null: not usable (see error)
        std::string error;  // why the file could not be (re)loaded; with an index: a
                            // failed reload that kept the previous version
        bool reloaded = false;
    };
    // The current index of `path`, reloaded first if the file changed since it was read. A
    // path that was never preloaded gives no index and an error (it is not added).
    Lookup get(const std::string& path, otp::UsersFileLayout layout, std::int64_t now);

private:
    struct Entry {
        std::shared_ptr<const otp::UsersIndex> index;
        std::int64_t checked_at = 0;
        std::string last_error;  // reported once per change of the file
        bool loading = false;    // one thread reloads; the others keep the old index
    };
    static std::string key(const std::string& path, otp::UsersFileLayout layout);

    std::mutex mutex_;
    std::map<std::string, Entry> entries_;
};
