#include "util/file_io.h"

#include <fcntl.h>
#include <unistd.h>

namespace otp {

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
