// Writes the seeds of t/fuzz/corpus/ that cannot be written by hand because they depend on
// fixtures.h: valid PIN+code passwords at the fixed clock, cookies sealed under the fixed key,
// a form post with the right CSRF token. Files are named gen-*; the hand-written seeds next
// to them are left alone.
//
//   cmake --build build-fuzz --target fuzz_gen_seeds
//   build-fuzz/fuzz_gen_seeds t/fuzz/corpus
#include <sys/stat.h>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <string>

#include "fixtures.h"
#include "login/csrf_token.h"
#include "otp/hotp.h"
#include "session/session_cookie.h"
#include "users/users_file.h"
#include "util/base64url.h"

using namespace otp;

namespace {

std::string g_root;
int g_written = 0;

void seed(const std::string& target, const std::string& name, const std::string& content) {
    const std::string dir = g_root + "/" + target;
    ::mkdir(dir.c_str(), 0755);
    std::ofstream out(dir + "/gen-" + name, std::ios::binary | std::ios::trunc);
    out << content;
    if (!out) {
        std::cerr << "cannot write " << dir << "/gen-" << name << "\n";
        std::exit(1);
    }
    ++g_written;
}

std::string valid_code(const TokenRecord& t, UsersFileLayout layout, int offset) {
    const unsigned digits = t.type.digits ? t.type.digits : 6;
    if (t.type.kind == TokenKind::time) {
        const unsigned step = t.type.step_seconds ? t.type.step_seconds : 30;
        std::int64_t now = fuzz::kNow + offset * static_cast<std::int64_t>(step);
        if (layout == UsersFileLayout::mod_authn_otp && t.has_counter)
            now += t.counter * static_cast<std::int64_t>(step);
        return totp_code(t.type.algorithm, t.secret, now, step, digits);
    }
    return hotp_code(t.type.algorithm, t.secret, t.next_counter(layout) + offset, digits);
}

void basic_credentials() {
    for (auto [layout, text, tag] : {std::tuple{UsersFileLayout::oath, fuzz::kOathUsers, "oath"},
                                     std::tuple{UsersFileLayout::mod_authn_otp,
                                                fuzz::kAuthnOtpUsers, "authn"}}) {
        std::string error;
        auto index = UsersIndex::parse(text, "fixture", layout, &error);
        if (!index) {
            std::cerr << "fixture: " << error << "\n";
            std::exit(1);
        }
        for (const char* user : {"alice", "bob", "carol", "dave", "erin"}) {
            int n = 0;
            for (const TokenRecord& t : index->tokens_for(user)) {
                const std::string pin = t.pin_mode == PinMode::pin ? t.pin : "";
                const std::string base = std::string(tag) + "-" + user + "-" + std::to_string(n++);
                const std::string now = valid_code(t, layout, 0);
                seed("fuzz_basic_credentials", base + "-valid",
                     std::string(user) + '\0' + pin + now);
                seed("fuzz_basic_credentials", base + "-code-only", std::string(user) + '\0' + now);
                // The edges of the windows: one step late (TOTP), the last look-ahead (HOTP).
                const int edge = t.type.kind == TokenKind::time ? -1 : 10;
                seed("fuzz_basic_credentials", base + "-edge",
                     std::string(user) + '\0' + pin + valid_code(t, layout, edge));
                if (!pin.empty())
                    seed("fuzz_basic_credentials", base + "-wrong-pin",
                         std::string(user) + '\0' + "0" + pin + now);
            }
        }
    }
    seed("fuzz_basic_credentials", "unknown-user", std::string("mallory") + '\0' + "123456");
    seed("fuzz_basic_credentials", "replay-lastotp", std::string("carol") + '\0' + "9999000000");
}

void session_cookies() {
    const SessionSealer sealer(fuzz::kSessionKey);
    struct {
        const char* name;
        SessionClaims claims;
    } cases[] = {
        {"alice-app", {"c2Vzc2lvbi1pZC0x", "alice", "/app", fuzz::kNow - 60, fuzz::kNow - 10}},
        {"empty", {"", "", "", 0, 0}},
        {"utf8-user", {"id", "\xc3\xa5sa", "/", fuzz::kNow, fuzz::kNow}},
        {"far-future", {"id", "bob", "/admin", INT64_MAX, INT64_MIN}},
    };
    for (const auto& c : cases) {
        const auto sealed = sealer.seal(c.claims);
        if (!sealed) {
            std::cerr << "seal failed\n";
            std::exit(1);
        }
        seed("fuzz_session_cookie", std::string("sealed-") + c.name, *sealed);
    }
}

void start_requests() {
    const std::string token = make_csrf_token(fuzz::kCsrfKey, fuzz::kAttemptId);
    seed("fuzz_start_request", "form-valid-csrf", "otp=123456&user=alice&csrf=" + token);
    seed("fuzz_start_request", "form-send-valid-csrf", "type=send&csrf=" + token);
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 2) {
        std::cerr << "usage: " << argv[0] << " <corpus directory, e.g. t/fuzz/corpus>\n";
        return 2;
    }
    g_root = argv[1];
    basic_credentials();
    session_cookies();
    start_requests();
    std::cout << "wrote " << g_written << " seed files under " << g_root << "\n";
    return 0;
}
