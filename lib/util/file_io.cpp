#include "util/file_io.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>

namespace otp {
namespace {

std::string octal_mode(mode_t mode) {
    char buf[8];
    std::snprintf(buf, sizeof buf, "%04o", static_cast<unsigned>(mode & 07777));
    return buf;
}

}  // namespace

bool check_secret_file_access(const std::string& path, const struct stat& st, const char* what,
                              std::string* error) {
    const uid_t reader = ::geteuid();
    if (st.st_uid != 0 && st.st_uid != reader)
        return set_error(error, path + ": is owned by uid " + std::to_string(st.st_uid) +
                                    ", not by root or by the user reading it (uid " +
                                    std::to_string(reader) + "); chown root " + path +
                                    " (and chmod 0600)");
    const mode_t mode = st.st_mode & 07777;
    if ((mode & ~static_cast<mode_t>(0600)) == 0) return true;
    std::string problem;
    const auto add = [&problem](const char* text) {
        problem += problem.empty() ? text : std::string(", ") + text;
    };
    if (mode & S_IROTH) add("readable by all users");
    if (mode & S_IWOTH) add("writable by all users");
    if (mode & S_IRGRP) add("readable by its group");
    if (mode & S_IWGRP) add("writable by its group");
    if (problem.empty()) add("not a plain owner-only mode");
    return set_error(error, path + ": is " + problem + " (mode " + octal_mode(mode) +
                                "); " + what + " must be readable only by its owner: chmod 0600 " +
                                path);
}

bool read_secret(int fd, const std::string& path, std::size_t max_bytes, std::string* buffer,
                 std::string* error) {
    buffer->assign(max_bytes + 1, '\0');
    std::size_t got = 0;
    if (!read_fully(fd, buffer->data(), buffer->size(), &got))
        return set_errno_error(error, path + ": cannot read", errno);
    buffer->resize(got);  // shrinking keeps the allocation
    return true;
}

UniqueFd open_regular_file(const std::string& path, int flags, struct stat* st,
                           std::string* error) {
    UniqueFd fd(::open(path.c_str(), flags));
    if (!fd) {
        set_errno_error(error, path + ": cannot open", errno);
        return fd;
    }
    if (::fstat(fd.get(), st) != 0) {
        set_errno_error(error, path + ": cannot stat", errno);
        return UniqueFd();
    }
    if (!S_ISREG(st->st_mode)) {
        set_error(error, path + ": not a regular file");
        return UniqueFd();
    }
    return fd;
}

bool read_fully(int fd, char* buffer, std::size_t size, std::size_t* got) {
    *got = 0;
    while (*got < size) {
        const ssize_t n = ::read(fd, buffer + *got, size - *got);
        if (n < 0) {
            if (errno == EINTR) continue;
            return false;
        }
        if (n == 0) break;
        *got += static_cast<std::size_t>(n);
    }
    return true;
}

}  // namespace otp
