// OTPStateStorePasswordFile: the password the Redis store sends with AUTH, kept out of
// httpd.conf (which is often world-readable and copied into tickets) and checked like the
// session key file: a regular file, owned by root or the reader, mode 0600 or 0400.
#pragma once

#include <optional>
#include <string>

namespace otp {

constexpr std::size_t kMaxRedisPasswordBytes = 512;

// The password: the file's one line, without its line end. std::nullopt and *error (the
// path and the problem; never the file's content) when the file is unsafe or malformed.
std::optional<std::string> load_redis_password_file(const std::string& path, std::string* error);

}  // namespace otp
