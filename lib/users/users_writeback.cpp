// The locked write-back of counter-based tokens (SPEC §4): the one place that changes the
// users file, so that it can be shared with pam_oath/oathtool and mod_authn_otp.
//
// Facts this file relies on, established from the real programs (not copied from them):
//
// liboath (oath layout; checked against liboath 2.6.7-3.1+deb12u1):
//   - The accepted line is rewritten as "%s\t%s\t%s\t%s\t%llu\t%s\t%s\n" (TYPE, USER, PIN and
//     SECRET exactly as in the file, so the secret's case is kept; COUNTER; the code; LASTTIME
//     = strftime("%Y-%m-%dT%H:%M:%SL", localtime_r(now))). "\r\n" and a missing final newline
//     become "\n". Every other line is copied byte for byte.
//   - Locking: fopen("<file>.lock", "w") (the CVE-2024-47191 fix makes it O_CREAT|O_EXCL),
//     fcntl(F_SETLKW, F_WRLCK, whole file), write "<file>.new", fchown, fsync, rename, then
//     unlink "<file>.lock". Note liboath reads the users file *before* taking the lock, and the
//     fixed version fails (OATH_FILE_LOCK_ERROR) instead of waiting when "<file>.lock" exists.
//
// mod_authn_otp (archiecobbs/mod-authn-otp, mod_authn_otp.c): it writes a line back as
//   printf("%-7s %-13s %-7s %s %-3ld %-2u %-7s %s %s\n", TYPE, USER, PIN, KEY, OFFSET,
//   FAILURES, LASTOTP, LASTTIME, LASTIP) with LASTTIME in the same "%Y-%m-%dT%H:%M:%SL" local
//   time format. We write the same, but keep TYPE and KEY as spelled in the file (it
//   normalises them; both spellings read the same). It locks "<file>.lock" with
//   apr_file_lock(), which on Unix is fcntl(F_SETLKW, F_WRLCK), and never removes that file.
//
// Our lock protocol: open "<file>.lock" (O_RDWR|O_CREAT|O_NOFOLLOW, 0600), take an exclusive
// fcntl write lock (open-file-description lock where available, so threads of one httpd
// process exclude each other too; OFD and classic POSIX locks conflict with each other), then
// check that the path still names the locked inode: the previous holder may have unlinked it
// (pam_oath does), in which case we start over. In the oath layout we unlink the lock file
// before releasing it, because the CVE-fixed pam_oath refuses to work while it exists; waiters
// notice through the check above. In the mod_authn_otp layout we leave it, as mod_authn_otp
// does. The users file is read under the lock.
//
// The wait for the lock is bounded (kUsersFileLockWaitMs): non-blocking tries with short sleeps,
// then a refusal, so a writer that hangs (or a queue of logins) never blocks requests without
// limit. Polling instead of F_SETLKW also leaves gaps in which no lock file exists, the only
// moments in which the CVE-fixed liboath, which does not wait, can write.
//
// liboath 2.6.7 (strace'd) releases its lock (fclose) *before* it unlinks "<file>.lock". A
// waiter that gets the lock in that gap passes the path check, and then the file it holds is
// unlinked under it: a second writer can create a new lock file and rewrite the users file
// while the first still works. So the exclusion is checked again right before the commit
// (rename), the users file must still be the one read under the lock, and a `.new` that a live
// writer may be writing is never taken for a crash's leftover; any of these means "another
// writer got in": the transaction drops the lock, waits, re-reads the file and decides again
// (within the same time bound) instead of failing the request.
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <limits>
#include <chrono>
#include <mutex>
#include <new>
#include <thread>

#include "users/file_identity.h"
#include "users/huge_page_allocator.h"
#include "users/line_parser.h"
#include "users/users_file.h"
#include "util/codec.h"
#include "util/error.h"
#include "util/file_io.h"
#include "util/unique_fd.h"

namespace otp {

using namespace users_detail;

namespace {

constexpr std::size_t kMaxCodeDigits = 16;
constexpr int kMaxLockAttempts = 1000;
// A `.new` younger than this may be another writer's work in progress (liboath creates it with
// O_EXCL too); older ones are a crash's leftover.
constexpr int kStaleNewFileSeconds = 30;
// A lock file this old that we could lock is no live writer's (liboath removes its own within
// microseconds of releasing it).
constexpr int kStaleLockSeconds = 5;

using Clock = std::chrono::steady_clock;

// Sleeps between lock tries: 1 ms, then 2 ms (short: polling is not fair, and a waiter that
// sleeps long loses its turn to every newcomer). A try costs a few system calls.
void back_off(int* sleep_ms) {
    std::this_thread::sleep_for(std::chrono::milliseconds(*sleep_ms));
    *sleep_ms = std::min(*sleep_ms * 2, 2);
}

bool same_inode(const struct stat& a, const struct stat& b) {
    return a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

bool write_all(int fd, std::string_view data) {
    while (!data.empty()) {
        const ssize_t n = ::write(fd, data.data(), data.size());
        if (n < 0) {
            if (errno == EINTR) continue;
            return false;
        }
        data.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
}

#ifndef F_OFD_SETLK
// Classic fcntl locks belong to the process: threads would not exclude each other, and
// closing any descriptor of the lock file would drop the lock. Serialise in-process.
std::timed_mutex& process_write_mutex() {
    static std::timed_mutex mutex;
    return mutex;
}
#endif

enum class LockTry { locked, busy, failed };

// One non-blocking try for the exclusive lock on the whole file.
LockTry try_lock_whole_file(int fd) {
    struct flock l;
    std::memset(&l, 0, sizeof l);
    l.l_type = F_WRLCK;
    l.l_whence = SEEK_SET;
    l.l_start = 0;
    l.l_len = 0;
#ifdef F_OFD_SETLK
    const int command = F_OFD_SETLK;
#else
    const int command = F_SETLK;
#endif
    int rc;
    while ((rc = ::fcntl(fd, command, &l)) != 0 && errno == EINTR) {
    }
    if (rc == 0) return LockTry::locked;
    return errno == EAGAIN || errno == EACCES ? LockTry::busy : LockTry::failed;
}

struct PathParts {
    std::string dir, base;
};

bool split_path(const std::string& path, PathParts* parts, std::string* error) {
    const std::size_t slash = path.rfind('/');
    if (slash == std::string::npos) {
        parts->dir = ".";
        parts->base = path;
    } else {
        parts->dir = slash == 0 ? "/" : path.substr(0, slash);
        parts->base = path.substr(slash + 1);
    }
    if (parts->base.empty() || parts->base == "." || parts->base == "..")
        return set_error(error, path + ": not a file name");
    return true;
}

bool valid_code(std::string_view code) {
    if (code.empty() || code.size() > kMaxCodeDigits) return false;
    return std::all_of(code.begin(), code.end(), [](char c) { return c >= '0' && c <= '9'; });
}

bool valid_address(std::string_view address) {
    return address.size() <= 128 &&
           std::all_of(address.begin(), address.end(), [](char c) { return c > 0x20 && c < 0x7f; });
}

bool format_local_time(std::int64_t now, std::string* out) {
    const std::time_t t = static_cast<std::time_t>(now);
    struct tm tm;
    if (!localtime_r(&t, &tm)) return false;
    char buf[64];
    const std::size_t n = std::strftime(buf, sizeof buf, kTimeFormat, &tm);
    if (n == 0) return false;
    out->assign(buf, n);
    return true;
}

void append_padded(std::string* out, std::string_view text, std::size_t width) {
    out->append(text);
    if (text.size() < width) out->append(width - text.size(), ' ');
}

// liboath: "%s\t%s\t%s\t%s\t%llu\t%s\t%s\n".
std::string oath_line(const ParsedLine& p, std::uint64_t counter, std::string_view code,
                      const std::string& when) {
    std::string line;
    for (std::string_view field : {p.type_text, p.user, p.pin_text, p.secret_text}) {
        line.append(field);
        line.push_back('\t');
    }
    line += std::to_string(counter);
    line.push_back('\t');
    line.append(code);
    line.push_back('\t');
    line += when;
    line.push_back('\n');
    return line;
}

// mod_authn_otp: "%-7s %-13s %-7s %s %-3ld %-2u %-7s %s %s\n", failures reset to 0.
std::string authn_otp_line(const ParsedLine& p, std::uint64_t next_counter, std::string_view code,
                           const std::string& when, std::string_view address) {
    std::string line;
    append_padded(&line, p.type_text, 7);
    line.push_back(' ');
    append_padded(&line, p.user, 13);
    line.push_back(' ');
    append_padded(&line, p.pin_text, 7);
    line.push_back(' ');
    line.append(p.secret_text);
    line.push_back(' ');
    append_padded(&line, std::to_string(next_counter), 3);
    line.push_back(' ');
    append_padded(&line, "0", 2);
    line.push_back(' ');
    append_padded(&line, code, 7);
    line.push_back(' ');
    line += when;
    line.push_back(' ');
    line.append(address.empty() ? std::string_view("-") : address);
    line.push_back('\n');
    return line;
}

bool same_token(const ParsedLine& p, const TokenRecord& token) {
    if (p.user != token.user || p.type.kind != token.type.kind ||
        p.type.digits != token.type.digits || p.type.step_seconds != token.type.step_seconds ||
        p.type.algorithm != token.type.algorithm)
        return false;
    std::string secret;
    hex_decode_append(p.secret_text, &secret);
    return secret == token.secret;
}

// Removes `<file>.new` on every path that does not end in the rename.
class NewFileGuard {
public:
    NewFileGuard(int dir_fd, const std::string& name) : dir_fd_(dir_fd), name_(name) {}
    ~NewFileGuard() {
        if (armed_) ::unlinkat(dir_fd_, name_.c_str(), 0);
    }
    void disarm() { armed_ = false; }

private:
    int dir_fd_;
    const std::string& name_;
    bool armed_ = true;
};

}  // namespace

struct UsersFileTransaction::Impl {
    std::string path, lock_path, new_path;
    PathParts parts;
    std::string lock_name, new_name;
    UsersFileLayout layout = UsersFileLayout::oath;
    UniqueFd dir_fd, lock_fd;
    struct stat lock_stat {};
    struct stat file_stat {};
    FileIdentity identity;
    LargeString text;
    Clock::time_point deadline;  // the lock wait ends here, over all (re)tries
    bool lock_created = false;   // we created the lock file we hold
    bool dir_locked = false;     // we hold the flock on dir_fd
#ifndef F_OFD_SETLK
    std::unique_lock<std::timed_mutex> process_guard{process_write_mutex(), std::defer_lock};
#endif

    ~Impl() { release_lock(); }

    bool open_directory(std::string* error) {
        dir_fd.reset(::open(parts.dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
        return dir_fd || set_errno_error(error, parts.dir + ": cannot open directory", errno);
    }

    // One attempt: open (or create) the lock file, lock it, and check it is still the file at
    // that path. *retry is set when the previous holder removed it meanwhile, *busy when
    // someone holds the lock.
    bool try_lock(bool* retry, bool* busy, std::string* error) {
        *retry = false;
        *busy = false;
        // Whether we created the lock file decides whether we remove it (release_lock).
        bool created = true;
        int raw = ::openat(dir_fd.get(), lock_name.c_str(),
                           O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK, 0600);
        if (raw < 0 && errno == EEXIST) {
            created = false;
            raw = ::openat(dir_fd.get(), lock_name.c_str(),
                           O_RDWR | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
        }
        UniqueFd fd(raw);
        if (!fd) {
            if (errno == ELOOP)
                return set_error(error, lock_path +
                                            " is a symbolic link; refusing to use it "
                                            "(remove it after checking who created it)");
            *retry = errno == ENOENT || errno == EINTR;
            if (*retry) return false;
            return set_errno_error(error, lock_path + ": cannot open lock file", errno);
        }
        struct stat st;
        if (::fstat(fd.get(), &st) != 0)
            return set_errno_error(error, lock_path + ": cannot stat", errno);
        if (!S_ISREG(st.st_mode))
            return set_error(error, lock_path + " is not a regular file; refusing to use it");
        switch (try_lock_whole_file(fd.get())) {
            case LockTry::locked:
                break;
            case LockTry::busy:
                *busy = true;  // closing our descriptor leaves the holder's lock alone (OFD)
                return false;
            case LockTry::failed:
                return set_errno_error(error, lock_path + ": cannot lock", errno);
        }
        struct stat at_path;
        if (::fstatat(dir_fd.get(), lock_name.c_str(), &at_path, AT_SYMLINK_NOFOLLOW) != 0 ||
            !same_inode(st, at_path)) {
            *retry = true;  // the previous holder removed it (pam_oath does); start over
            return false;
        }
        if (at_path.st_nlink == 0) {  // unlinked between the lookup and the stat: start over
            *retry = true;
            return false;
        }
        if (at_path.st_nlink != 1)
            return set_error(error, lock_path + " has more than one hard link; refusing to use it");
        lock_stat = at_path;
        lock_created = created;
        lock_fd = std::move(fd);
        return true;
    }

    // mod_otp writers exclude each other also through a flock on the users file's directory,
    // which nobody unlinks: the lock file alone cannot do it while liboath removes its lock
    // file after releasing it (see the top of this file). Not every filesystem has flock on
    // directories; there the lock file alone has to do.
    bool lock_directory(std::string* error) {
        int sleep_ms = 1;
        for (;;) {
            if (::flock(dir_fd.get(), LOCK_EX | LOCK_NB) == 0) {
                dir_locked = true;
                return true;
            }
            if (errno == EINTR) continue;
            if (errno != EWOULDBLOCK) return true;
            if (lock_wait_over(error)) return false;
            back_off(&sleep_ms);
        }
    }

    bool lock_wait_over(std::string* error) const {
        if (Clock::now() < deadline) return false;
        return !set_error(error, lock_path + ": still locked by another writer (pam_oath, oathtool, "
                                             "mod_authn_otp or another login) after " +
                                     std::to_string(kUsersFileLockWaitMs) +
                                     " ms; not waiting longer, the code is refused");
    }

    // Waits for the lock until `deadline`: non-blocking tries with short sleeps in between.
    bool acquire_lock(std::string* error) {
        if (!dir_locked && !lock_directory(error)) return false;
        int sleep_ms = 1;
#ifndef F_OFD_SETLK
        if (!process_guard.owns_lock() && !process_guard.try_lock_until(deadline)) {
            if (!lock_wait_over(error)) set_error(error, lock_path + ": in-process lock timed out");
            return false;
        }
#endif
        for (int attempt = 0; attempt < kMaxLockAttempts;) {
            bool retry = false, busy = false;
            if (try_lock(&retry, &busy, error)) return true;
            if (!retry && !busy) return false;
            if (lock_wait_over(error)) return false;
            if (busy)
                back_off(&sleep_ms);
            else
                ++attempt;  // the file was replaced under us: try again at once
        }
        return set_error(error, lock_path + ": the lock file kept disappearing; giving up");
    }

    // True while the lock file at the path is still the one we hold: liboath unlinks its lock
    // file after releasing it, so a lock taken in that gap can be lost to a second writer.
    bool still_exclusive() const {
        struct stat at_path;
        return lock_fd &&
               ::fstatat(dir_fd.get(), lock_name.c_str(), &at_path, AT_SYMLINK_NOFOLLOW) == 0 &&
               same_inode(at_path, lock_stat);
    }

    void release_lock() {
        if (dir_locked) {
            ::flock(dir_fd.get(), LOCK_UN);
            dir_locked = false;
        }
        if (!lock_fd) return;
        // pam_oath (CVE-fixed) cannot work while the lock file exists; mod_authn_otp keeps it.
        // A lock file we found (not created) whose creator still lives is removed by its
        // creator (liboath unlinks it right after releasing it; removing it first makes
        // liboath fail with OATH_FILE_UNLINK_ERROR after its write): only an old one, a
        // crashed writer's, is ours to remove.
        if (layout == UsersFileLayout::oath &&
            (lock_created || lock_stat.st_mtime < std::time(nullptr) - kStaleLockSeconds)) {
            struct stat at_path;
            if (::fstatat(dir_fd.get(), lock_name.c_str(), &at_path, AT_SYMLINK_NOFOLLOW) == 0 &&
                same_inode(at_path, lock_stat))
                ::unlinkat(dir_fd.get(), lock_name.c_str(), 0);
        }
        lock_fd.reset();  // closing drops the lock; waiters then see the file gone and retry
#ifndef F_OFD_SETLK
        if (process_guard.owns_lock()) process_guard.unlock();
#endif
    }

    bool read_users_file(std::string* error) {
        UniqueFd fd(::openat(dir_fd.get(), parts.base.c_str(),
                             O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK));
        if (!fd) {
            if (errno == ELOOP)
                return set_error(error, path +
                                            " is a symbolic link; refusing to rewrite it "
                                            "(point OTPUsersFile at the real file)");
            return set_errno_error(error, path + ": cannot open", errno);
        }
        if (::fstat(fd.get(), &file_stat) != 0)
            return set_errno_error(error, path + ": cannot stat", errno);
        if (!S_ISREG(file_stat.st_mode))
            return set_error(error, path + " is not a regular file; refusing to rewrite it");
        identity = identity_of(file_stat);
        return read_to_end(fd.get(), static_cast<std::size_t>(file_stat.st_size), path, &text,
                           error);
    }

    // An editor that ignores the lock may have replaced the file since we read it.
    bool unchanged_on_disk(std::string* error) const {
        struct stat st;
        if (::fstatat(dir_fd.get(), parts.base.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0)
            return set_errno_error(error, path + ": cannot stat", errno);
        if (identity_of(st) != identity)
            return set_error(error, path + " was changed by a program that ignores " + lock_path +
                                        "; not updating it");
        return true;
    }

    // O_EXCL|O_NOFOLLOW: never write through something planted at `<file>.new`. *contended:
    // a young `.new` exists, which another writer (that got in while we held the lock file
    // liboath was about to unlink) may be writing right now.
    bool create_new_file(UniqueFd* out, bool* contended, std::string* error) {
        for (int attempt = 0; attempt < 2; ++attempt) {
            const int fd = ::openat(dir_fd.get(), new_name.c_str(),
                                    O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
            if (fd >= 0) {
                out->reset(fd);
                return true;
            }
            if (errno != EEXIST || attempt > 0)
                return set_errno_error(error, new_path + ": cannot create", errno);
            struct stat st;
            if (::fstatat(dir_fd.get(), new_name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
            if (S_ISLNK(st.st_mode))
                return set_error(error, new_path +
                                            " is a symbolic link; refusing to write the users "
                                            "file (remove it after checking who created it)");
            if (!S_ISREG(st.st_mode) || st.st_nlink != 1)
                return set_error(error, new_path +
                                            " exists and is not a plain file; refusing to "
                                            "write the users file");
            if (st.st_mtime > std::time(nullptr) - kStaleNewFileSeconds) {
                *contended = true;
                return set_error(error, new_path + " is being written by another writer");
            }
            // A plain leftover of an interrupted write-back (old enough that no writer works
            // on it any more), and unlinking never follows links.
            if (::unlinkat(dir_fd.get(), new_name.c_str(), 0) != 0)
                return set_errno_error(error, new_path + ": cannot remove stale file", errno);
        }
        return set_error(error, new_path + ": cannot create");
    }

    bool copy_owner_and_mode(int fd, std::string* error) const {
        struct stat st;
        if (::fstat(fd, &st) != 0) return set_errno_error(error, new_path + ": cannot stat", errno);
        if ((st.st_uid != file_stat.st_uid || st.st_gid != file_stat.st_gid) &&
            ::fchown(fd, file_stat.st_uid, file_stat.st_gid) != 0)
            return set_errno_error(error,
                                   new_path + ": cannot give it the owner and group of " + path +
                                       " (uid " + std::to_string(file_stat.st_uid) + ", gid " +
                                       std::to_string(file_stat.st_gid) + "); not updating",
                                   errno);
        if (::fchmod(fd, file_stat.st_mode & 0777) != 0)
            return set_errno_error(error, new_path + ": cannot set its mode", errno);
        return true;
    }

    // *contended: another writer got in (see the top of this file); nothing was changed.
    bool replace_file(const LargeString& content, bool* contended, std::string* error) {
        UniqueFd fd;
        if (!create_new_file(&fd, contended, error)) return false;
        NewFileGuard guard(dir_fd.get(), new_name);
        if (!write_all(fd.get(), content))
            return set_errno_error(error, new_path + ": cannot write", errno);
        if (!copy_owner_and_mode(fd.get(), error)) return false;
        if (::fsync(fd.get()) != 0)
            return set_errno_error(error, new_path + ": cannot fsync", errno);
        struct stat st;
        if (::fstat(fd.get(), &st) != 0)
            return set_errno_error(error, new_path + ": cannot stat", errno);
        if (fd.close_checked() != 0)
            return set_errno_error(error, new_path + ": cannot close", errno);
        // The last moment to find out that the exclusion was lost (then: start over), or that
        // a program that ignores the lock changed the file (then: refuse).
        if (!still_exclusive()) {
            *contended = true;
            return set_error(error, lock_path + " was removed or replaced while we held it");
        }
        if (!unchanged_on_disk(error)) return false;
        if (::renameat(dir_fd.get(), new_name.c_str(), dir_fd.get(), parts.base.c_str()) != 0)
            return set_errno_error(error, new_path + ": cannot rename to " + path, errno);
        guard.disarm();
        // From here the new content is in place. The rename is only durable once the directory
        // is, so a failure below is still reported: the caller then refuses the login (fails
        // closed) although the counter may already be recorded, which only burns a code.
        if (::fsync(dir_fd.get()) != 0)
            return set_errno_error(
                error, parts.dir + ": cannot fsync directory after updating " + path, errno);
        // Identity as seen now: rename itself updates the inode's ctime on most filesystems.
        struct stat renamed;
        if (::fstatat(dir_fd.get(), parts.base.c_str(), &renamed, AT_SYMLINK_NOFOLLOW) != 0 ||
            !same_inode(renamed, st))
            return set_error(error, path +
                                        " was replaced right after our update by a program that "
                                        "ignores " +
                                        lock_path);
        file_stat = renamed;
        identity = identity_of(renamed);
        return true;
    }

    bool open(const std::string& users_path, UsersFileLayout file_layout, std::string* error) {
        path = users_path;
        layout = file_layout;
        if (!split_path(path, &parts, error)) return false;
        lock_name = parts.base + ".lock";
        new_name = parts.base + ".new";
        lock_path = path + ".lock";
        new_path = path + ".new";
        deadline = Clock::now() + std::chrono::milliseconds(kUsersFileLockWaitMs);
        return open_directory(error) && acquire_lock(error) && read_users_file(error);
    }

    // After losing the exclusion: drop the lock file (not the directory flock, so no other
    // mod_otp writer gets in between), wait a little, take it again and re-read.
    bool relock_and_reread(std::string* error) {
        const bool keep_directory = dir_locked;
        dir_locked = false;
        release_lock();
        dir_locked = keep_directory;
        int sleep_ms = 2;
        back_off(&sleep_ms);
        return !lock_wait_over(error) && acquire_lock(error) && read_users_file(error);
    }

    std::vector<TokenRecord> scan_tokens(std::string_view user) const {
        std::vector<TokenRecord> tokens;
        LineCursor cursor(text);
        LineSpan span;
        TypeCache cache;
        ParsedLine parsed;
        std::string reason;
        for (unsigned n = 1; cursor.next(&span); ++n) {
            const std::string_view line = cursor.content(span);
            const Fields f = split_fields(line);
            if (is_comment_or_blank(f) || f.count < 2 || f.at[1] != user) continue;
            // A malformed line cannot be used; loading the index reports it with its reason.
            if (parse_line(line, layout, &cache, &parsed, &reason) == LineKind::token)
                tokens.push_back(make_token(parsed, n));
        }
        return tokens;
    }

    // The line `token` came from, re-read under the lock; false if it holds something else.
    bool reread_line(const TokenRecord& token, LineSpan* span, ParsedLine* parsed) const {
        TypeCache cache;
        std::string reason;
        return find_line(text, token.line_number, span) &&
               parse_line(
                   std::string_view(text).substr(span->begin, span->content_end - span->begin),
                   layout, &cache, parsed, &reason) == LineKind::token &&
               same_token(*parsed, token);
    }

    bool rewrite_line(const TokenRecord& token, std::uint64_t accepted_counter,
                      std::string_view code, std::int64_t now, std::string* error,
                      std::string_view client_address) {
        const std::string where = located(path, token.line_number, "");
        if (token.type.kind != TokenKind::counter)
            return set_error(error, where +
                                        "time-based tokens are not written back (their replay "
                                        "state lives in the state store)");
        if (!valid_code(code))
            return set_error(error, where + "the code to record is not 1 to 16 digits");
        if (!valid_address(client_address))
            return set_error(error,
                             where + "the client address contains spaces or control characters");
        if (accepted_counter >=
            static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
            return set_error(error, where + "counter out of range");

        std::string when;
        if (!format_local_time(now, &when))
            return set_error(error, where + "cannot format the time");
        if (!lock_fd) return set_error(error, where + "the users file is not locked");

        for (;;) {
            // The decision, made on the file as read under the lock.
            LineSpan span;
            ParsedLine parsed;
            if (!reread_line(token, &span, &parsed))
                return set_error(error, where + "the line no longer holds this token of user \"" +
                                            token.user + "\" (the file changed); not updating");
            // Never move a counter back: that would make used codes valid again.
            const std::uint64_t next = make_token(parsed, token.line_number).next_counter(layout);
            if (accepted_counter < next)
                return set_error(error, where + "counter " + std::to_string(accepted_counter) +
                                            " is already used (next is " + std::to_string(next) +
                                            "); not moving the counter back");
            const std::string line =
                layout == UsersFileLayout::oath
                    ? oath_line(parsed, accepted_counter, code, when)
                    : authn_otp_line(parsed, accepted_counter + 1, code, when, client_address);
            LargeString content;
            content.reserve(text.size() + line.size());
            content.append(text, 0, span.begin);
            content.append(line);
            content.append(text, span.next, LargeString::npos);
            bool contended = false;
            if (replace_file(content, &contended, error)) {
                text = std::move(content);
                return true;
            }
            if (!contended) return false;
            // Another writer got in: decide again on what the file says after it.
            if (!relock_and_reread(error)) return false;
        }
    }
};

UsersFileTransaction::UsersFileTransaction() : impl_(new Impl) {}
UsersFileTransaction::~UsersFileTransaction() = default;

std::unique_ptr<UsersFileTransaction> UsersFileTransaction::begin(const std::string& path,
                                                                  UsersFileLayout layout,
                                                                  std::string* error) {
    try {
        std::unique_ptr<UsersFileTransaction> tx(new UsersFileTransaction());
        if (!tx->impl_->open(path, layout, error)) return nullptr;
        return tx;
    } catch (const std::bad_alloc&) {
        set_error(error, path + ": out of memory while reading");
        return nullptr;
    }
}

std::vector<TokenRecord> UsersFileTransaction::tokens_for(std::string_view user) const {
    try {
        return impl_->scan_tokens(user);
    } catch (const std::bad_alloc&) {
        return std::vector<TokenRecord>();  // no tokens: nothing is accepted or written
    }
}

bool UsersFileTransaction::record_counter(const TokenRecord& token, std::uint64_t accepted_counter,
                                          std::string_view code, std::int64_t now,
                                          std::string* error, std::string_view client_address) {
    try {
        return impl_->rewrite_line(token, accepted_counter, code, now, error, client_address);
    } catch (const std::bad_alloc&) {
        return set_error(error, impl_->path + ": out of memory while updating");
    }
}

}  // namespace otp
