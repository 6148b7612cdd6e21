// otp-enroll: makes a new token for a user: a random secret, the users file line for it and
// the otpauth:// URI an authenticator app scans. Used by the demo; useful to sysadmins.
//
//   otp-enroll USER [--issuer NAME] [--hotp] [--digits 6|7|8] [--period SECONDS]
//              [--algorithm SHA1|SHA256|SHA512] [--pin PIN]
// Prints three lines: "line: <users file line>", "uri: <otpauth URI>", "hex: <secret>".
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "util/codec.h"
#include "crypto/digest.h"
#include "otp/otpauth_uri.h"
#include "otp/token_type.h"

namespace {

int usage() {
    std::fprintf(stderr,
                 "usage: otp-enroll USER [--issuer NAME] [--hotp] [--digits 6|7|8] "
                 "[--period SECONDS] [--algorithm SHA1|SHA256|SHA512] [--pin PIN]\n");
    return 2;
}

bool parse_unsigned(const char* text, unsigned min, unsigned max, unsigned* out) {
    char* end = nullptr;
    unsigned long value = std::strtoul(text, &end, 10);
    if (end == text || *end || value < min || value > max) return false;
    *out = static_cast<unsigned>(value);
    return true;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2 || argv[1][0] == '-') return usage();
    otp::OtpauthParams params;
    params.account = argv[1];
    std::string pin = "-";
    for (int i = 2; i < argc; ++i) {
        std::string arg = argv[i];
        const char* value = i + 1 < argc ? argv[i + 1] : nullptr;
        if (arg == "--hotp") {
            params.time_based = false;
        } else if (arg == "--issuer" && value) {
            params.issuer = value, ++i;
        } else if (arg == "--pin" && value) {
            pin = value, ++i;
        } else if (arg == "--digits" && value) {
            if (!parse_unsigned(value, 6, 8, &params.digits)) return usage();
            ++i;
        } else if (arg == "--period" && value) {
            if (!parse_unsigned(value, 1, 3600, &params.period)) return usage();
            ++i;
        } else if (arg == "--algorithm" && value) {
            std::string name = value;
            if (name == "SHA1")
                params.algorithm = otp::HashAlgorithm::sha1;
            else if (name == "SHA256")
                params.algorithm = otp::HashAlgorithm::sha256;
            else if (name == "SHA512")
                params.algorithm = otp::HashAlgorithm::sha512;
            else
                return usage();
            ++i;
        } else {
            return usage();
        }
    }
    if (pin.empty() || pin.find_first_of(" \t\r\n") != std::string::npos ||
        params.account.find_first_of(" \t\r\n#") != std::string::npos)
        return usage();

    // 20 bytes: the HMAC-SHA-1 output size RFC 4226 §4 recommends; longer for SHA-2.
    std::size_t key_bytes = params.algorithm == otp::HashAlgorithm::sha512   ? 64
                            : params.algorithm == otp::HashAlgorithm::sha256 ? 32
                                                                             : 20;
    auto key = otp::random_bytes(key_bytes);
    if (!key) {
        std::fprintf(stderr, "otp-enroll: no randomness available\n");
        return 1;
    }
    params.key = *key;

    otp::TokenType type;
    type.kind = params.time_based ? otp::TokenKind::time : otp::TokenKind::counter;
    type.digits = params.digits;
    type.step_seconds = params.period;
    type.algorithm = params.algorithm;
    std::printf("line: %s\t%s\t%s\t%s\n", otp::format_token_type(type).c_str(),
                params.account.c_str(), pin.c_str(), otp::hex_encode(*key).c_str());
    std::printf("uri: %s\n", otp::build_otpauth_uri(params).c_str());
    std::printf("hex: %s\n", otp::hex_encode(*key).c_str());
    return 0;
}
