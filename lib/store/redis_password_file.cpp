#include "store/redis_password_file.h"

#include <fcntl.h>
#include <sys/stat.h>

#include "util/error.h"
#include "util/file_io.h"
#include "util/secure_wipe.h"
#include "util/utf8.h"

namespace otp {

std::optional<std::string> load_redis_password_file(const std::string& path,
                                                    std::string* error) {
    struct stat st;
    // O_NONBLOCK: a FIFO planted at the path must not hang `apachectl configtest`.
    const UniqueFd file =
        open_regular_file(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK, &st, error);
    if (!file) return std::nullopt;
    if (!check_secret_file_access(path, st, "a state store password", error)) return std::nullopt;
    // Room for the password, a CR LF line end and one byte more (a longer file shows).
    std::string content;
    WipeOnExit wipe_content(content);
    if (!read_secret(file.get(), path, kMaxRedisPasswordBytes + 2, &content, error))
        return std::nullopt;
    std::string_view text(content);
    if (!text.empty() && text.back() == '\n') text.remove_suffix(1);
    if (!text.empty() && text.back() == '\r') text.remove_suffix(1);
    if (text.empty()) {
        set_error(error, path + ": is empty; expected the Redis password on one line");
        return std::nullopt;
    }
    if (text.size() > kMaxRedisPasswordBytes) {
        set_error(error, path + ": is longer than " + std::to_string(kMaxRedisPasswordBytes) +
                             " bytes; expected the Redis password on one line");
        return std::nullopt;
    }
    if (has_control_characters(text)) {
        set_error(error, path + ": holds more than one line or a control character; expected "
                                "the Redis password on one line");
        return std::nullopt;
    }
    return std::string(text);
}

}  // namespace otp
