// The users files of the configuration, each indexed once per process group: loaded while
// the configuration is read (in the parent, so children share the pages copy-on-write),
// shared by every section naming the same path, and reloaded in a process when the file on
// disk changes (checked at most once a second per file).
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "users/users_file.h"

class UsersRegistry {
public:
    // Loads (or finds already loaded) `path`. Returns false with *error
    // ("<path>:<line>: <reason>") when the file cannot be read or has a malformed line.
    bool preload(const std::string& path, otp::UsersFileLayout layout, std::string* error);

    struct Lookup {
        std::shared_ptr<const otp::UsersIndex> index;  // null: not usable (see error)
        std::string error;  // why the file could not be (re)loaded; with an index: a
                            // failed reload that kept the previous version
        bool reloaded = false;
    };
    // The current index of `path`, reloaded first if the file changed since it was read.
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
