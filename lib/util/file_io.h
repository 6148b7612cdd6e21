// Reading a whole file that configuration names (the users file, the session key file): one
// copy of the checks that must come before its content is trusted and of the read loop that
// copes with EINTR, short reads and a file that grew after fstat.
#pragma once

#include <sys/stat.h>

#include <cerrno>
#include <cstddef>
#include <string>

#include "util/error.h"
#include "util/unique_fd.h"

namespace otp {

// open(path, flags), then fstat, then "is it a regular file?". Each caller passes its own flags
// (O_NONBLOCK where a FIFO planted at the path must not hang the server, O_NOCTTY, ...). On
// failure the descriptor is invalid and *error is "<path>: cannot open: <errno text>",
// "<path>: cannot stat: ..." or "<path>: not a regular file".
UniqueFd open_regular_file(const std::string& path, int flags, struct stat* st, std::string* error);

// A file that holds a secret (the session key, the state store's password): readable (and
// writable) by its owner only, 0600 or 0400, and owned by root or by the user reading it. A
// secret others can read is theirs too; one that others can write, or that belongs to someone
// else (who can chmod or replace it), lets them choose it. `what` names the secret in *error
// ("a session key must be readable only by its owner: chmod 0600 PATH").
bool check_secret_file_access(const std::string& path, const struct stat& st, const char* what,
                              std::string* error);

// Reads a secret of at most `max_bytes` from fd into *buffer, which the caller wipes (a
// WipeOnExit made before the call). The buffer is sized once to max_bytes + 1 (so that a file
// that grew since fstat is noticed: more than max_bytes were read) and never reallocated, so
// no copy of the secret is left in freed memory; on return it holds what was read.
bool read_secret(int fd, const std::string& path, std::size_t max_bytes, std::string* buffer,
                 std::string* error);

// Reads until `size` bytes are in `buffer` or the file ends; *got is the count. False (errno
// set) when a read fails; EINTR is retried.
bool read_fully(int fd, char* buffer, std::size_t size, std::size_t* got);

// Replaces *out with everything left in fd. `size_hint` (from fstat) sizes the first read;
// one byte more lets end of file be seen without a second allocation, and a file that grew
// meanwhile is still read to its end. On a read error *error is "<name>: cannot read: ...".
// A template so that the users index can read into its huge-page string. The buffer is
// reallocated when the file outgrows the hint, so it is not for secrets.
template <class String>
bool read_to_end(int fd, std::size_t size_hint, const std::string& name, String* out,
                 std::string* error) {
    out->resize(size_hint + 1);
    std::size_t used = 0;
    for (;;) {
        std::size_t got = 0;
        if (!read_fully(fd, &(*out)[used], out->size() - used, &got))
            return set_errno_error(error, name + ": cannot read", errno);
        used += got;
        if (used < out->size()) break;  // the file ended before the buffer did
        out->resize(out->size() * 2 + 4096);
    }
    out->resize(used);
    return true;
}

}  // namespace otp
