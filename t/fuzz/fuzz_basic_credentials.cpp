// Basic credentials (SPEC §1 "OTP as a Basic-auth password", AuthBasicProvider otp): the
// provider hands user and password to otp::validate_code with PinUse::in_password, which
// splits PIN + code. The input is "<user>\0<password>" (Basic user names cannot hold a NUL;
// without one the whole input is the user and the password is empty).
//
// The users files are fixtures.h's, in both layouts, written once per process to a temporary
// directory and loaded with UsersIndex::load, so that an accepted HOTP code really goes
// through the locked write-back (the file is restored afterwards). Each check uses a fresh
// MemoryStateStore and the fixed clock. Every input is tried in both layouts with
// PinUse::in_password (Basic) and PinUse::not_used (the page's code-only field), each with all
// tokens and with only time or only counter tokens (OTPValidationPipe totp / hotp).
//
// Properties, against a reference that computes the user's valid codes (RFC 4226/6238 via
// hotp_code/totp_code) with the documented rules (digits and step defaults 6/30, TOTP window
// 1, mod_authn_otp time drift, HOTP look-ahead 10 from the next counter, LASTOTP replay):
//  - accepted exactly when some token of the user takes the password: the PIN matches ("-"
//    and "+" need none) and the rest is a valid code of that token; the pipe names the kind;
//  - otherwise replay when the code is a token's LASTOTP, else invalid_otp; unknown_user
//    exactly for names without tokens; never store_error with a healthy store and file;
//  - an accepted password is refused as replay when presented again;
//  - the detail for the error log never contains the password, a PIN or a secret.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <memory>
#include <string>
#include <tuple>
#include <vector>

#include "fixtures.h"
#include "fuzz_support.h"
#include "otp/hotp.h"
#include "store/state_store.h"
#include "users/users_file.h"
#include "util/codec.h"
#include "verify/code_validator.h"

using namespace otp;

namespace {

struct Realm {
    UsersFileLayout layout;
    const char* text;
    std::string path;
    std::unique_ptr<UsersIndex> index;
};

std::string g_dir;
std::vector<std::unique_ptr<Realm>> g_realms;

void write_file(const std::string& path, const std::string& text) {
    const std::string tmp = path + ".fuzz-tmp";
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    FUZZ_CHECK(fd >= 0, "cannot create %s", tmp.c_str());
    FUZZ_CHECK(::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()),
               "cannot write %s", tmp.c_str());
    ::close(fd);
    FUZZ_CHECK(::rename(tmp.c_str(), path.c_str()) == 0, "cannot rename to %s", path.c_str());
}

void remove_dir() {
    for (const auto& r : g_realms)
        for (const char* suffix : {"", ".lock", ".new", ".fuzz-tmp"}) ::unlink((r->path + suffix).c_str());
    if (!g_dir.empty()) ::rmdir(g_dir.c_str());
}

// Once per process, before libFuzzer starts counting allocations (so the fixture is not
// mistaken for a leak of the first input).
void set_up() {
    char dir[] = "/tmp/otp-fuzz-basic-XXXXXX";
    FUZZ_CHECK(::mkdtemp(dir) != nullptr, "mkdtemp");
    g_dir = dir;
    for (auto [layout, text, name] :
         {std::tuple{UsersFileLayout::oath, fuzz::kOathUsers, "users.oath"},
          std::tuple{UsersFileLayout::mod_authn_otp, fuzz::kAuthnOtpUsers, "users.authn"}}) {
        auto r = std::make_unique<Realm>(Realm{layout, text, g_dir + "/" + name, nullptr});
        write_file(r->path, text);
        std::string error;
        r->index = UsersIndex::load(r->path, layout, &error);
        FUZZ_CHECK(r->index, "fixture users file does not load: %s", error.c_str());
        g_realms.push_back(std::move(r));
    }
    std::atexit(remove_dir);
}

const OtpPolicy kPolicy;  // OTPDigits 6, OTPTimeStep 30, OTPWindow 1, OTPHOTPLookAhead 10

struct Match {
    bool accepts = false;   // the password is a valid PIN + code of this token
    bool last_otp = false;  // the code part is the token's LASTOTP (HOTP replay)
    // The code is also valid at another step or counter the second attempt may look at
    // (a one-in-100000 coincidence of the fixed keys): then a second acceptance is legitimate.
    bool ambiguous = false;
};

Match reference(const TokenRecord& t, UsersFileLayout layout, std::string_view password,
                PinUse pin_use) {
    Match m;
    const unsigned digits = t.type.digits ? t.type.digits : kPolicy.default_digits;
    const unsigned step = t.type.step_seconds ? t.type.step_seconds : kPolicy.default_step;
    std::string_view code = password;
    if (pin_use == PinUse::in_password) {
        if (password.size() < digits) return m;
        const std::string_view pin = password.substr(0, password.size() - digits);
        code = password.substr(password.size() - digits);
        const bool pin_ok = t.pin_mode == PinMode::pin ? pin == t.pin : pin.empty();
        if (!pin_ok) return m;
    }
    if (code.size() != digits) return m;
    if (t.type.kind == TokenKind::time) {
        std::int64_t now = fuzz::kNow;
        if (layout == UsersFileLayout::mod_authn_otp && t.has_counter)
            now += t.counter * static_cast<std::int64_t>(step);
        int hits = 0;
        for (int w = -static_cast<int>(kPolicy.totp_window); w <= static_cast<int>(kPolicy.totp_window); ++w)
            hits += totp_code(t.type.algorithm, t.secret, now + w * static_cast<std::int64_t>(step),
                              step, digits) == code;
        m.accepts = hits > 0;
        m.ambiguous = hits > 1;
        return m;
    }
    if (!t.last_otp.empty() && code == t.last_otp) {
        m.last_otp = true;
        return m;
    }
    const std::uint64_t first = t.next_counter(layout);
    int hits = 0, later = 0;
    for (std::uint64_t c = first; c <= first + kPolicy.hotp_look_ahead; ++c)
        hits += hotp_code(t.type.algorithm, t.secret, c, digits) == code;
    // After an acceptance the window starts at most look_ahead + 1 counters further on.
    for (std::uint64_t c = first; c <= first + 2 * kPolicy.hotp_look_ahead + 1; ++c)
        later += hotp_code(t.type.algorithm, t.secret, c, digits) == code;
    m.accepts = hits > 0;
    m.ambiguous = later > 1;
    return m;
}

bool has_digit(std::string_view s) {
    for (char c : s)
        if (c >= '0' && c <= '9') return true;
    return false;
}

void check_detail(const ValidationResult& r, std::string_view password,
                  const std::vector<TokenRecord>& all_tokens) {
    if (password.size() >= 4 && has_digit(password))
        FUZZ_CHECK(!fuzz::contains(r.detail, password), "detail '%s' contains the password",
                   FUZZ_P(r.detail));
    for (const TokenRecord& t : all_tokens) {
        FUZZ_CHECK(t.pin.size() < 2 || !fuzz::contains(r.detail, t.pin), "detail has a PIN");
        FUZZ_CHECK(!fuzz::contains(r.detail, t.secret), "detail has a raw secret");
        FUZZ_CHECK(!fuzz::contains(fuzz::ascii_lower(r.detail), hex_encode(t.secret)),
                   "detail has a hex secret");
    }
}

void check(Realm& realm, std::string_view user, std::string_view password, PinUse pin_use,
           std::optional<TokenKind> only_kind) {
    MemoryStateStore store;
    store.set_now(fuzz::kNow);
    const UsersSource source{*realm.index, realm.path};
    const std::vector<TokenRecord> tokens = realm.index->tokens_for(user);

    std::vector<TokenRecord> everyone;  // for the secrecy check
    for (const char* name : {"alice", "bob", "carol", "dave", "erin"})
        for (TokenRecord& t : realm.index->tokens_for(name)) everyone.push_back(std::move(t));

    const ValidationResult r =
        validate_code(source, store, kPolicy, only_kind, user, password, pin_use, fuzz::kNow);
    check_detail(r, password, everyone);
    const char* mode = pin_use == PinUse::in_password ? "PIN+code" : "code";
    const char* layout = realm.layout == UsersFileLayout::oath ? "oath" : "mod_authn_otp";
    static const bool verbose = std::getenv("FUZZ_VERBOSE") != nullptr;
    if (verbose)
        std::fprintf(stderr, "%s %s %s user '%s': %s %s\n", layout, mode,
                     !only_kind ? "all tokens" : *only_kind == TokenKind::time ? "totp only" : "hotp only",
                     FUZZ_P(user), outcome_reason(r.outcome), r.pipe);

    if (tokens.empty()) {
        FUZZ_CHECK(r.outcome == ValidationOutcome::unknown_user && std::string_view(r.pipe).empty(),
                   "unknown user '%s' got %s", FUZZ_P(user), outcome_reason(r.outcome));
        return;
    }
    FUZZ_CHECK(r.outcome != ValidationOutcome::unknown_user, "known user '%s' is unknown",
               FUZZ_P(user));
    FUZZ_CHECK(r.outcome != ValidationOutcome::store_error, "store_error (%s, %s): %s", layout,
               mode, r.detail.c_str());

    const TokenRecord* first_match = nullptr;
    std::size_t matches = 0;
    bool replay = false, ambiguous = false;
    for (const TokenRecord& t : tokens) {
        if (only_kind && t.type.kind != *only_kind) continue;  // OTPValidationPipe totp/hotp
        const Match m = reference(t, realm.layout, password, pin_use);
        if (m.accepts && !first_match) first_match = &t;
        matches += m.accepts;
        replay |= m.last_otp;
        ambiguous |= m.ambiguous;
    }
    const ValidationOutcome expected = first_match ? ValidationOutcome::accepted
                                       : replay   ? ValidationOutcome::replay
                                                  : ValidationOutcome::invalid_otp;
    FUZZ_CHECK(r.outcome == expected, "%s layout, %s: user '%s' password '%s' got %s (%s), "
               "expected %s", layout, mode, FUZZ_P(user), FUZZ_P(password),
               outcome_reason(r.outcome), r.detail.c_str(), outcome_reason(expected));
    if (!first_match) return;

    const bool hotp = first_match->type.kind == TokenKind::counter;
    FUZZ_CHECK(std::string_view(r.pipe) == (hotp ? "hotp" : "totp"), "pipe '%s'", r.pipe);

    // The same password again: refused as a replay (TOTP: the store; HOTP: the file).
    const ValidationResult again =
        validate_code(source, store, kPolicy, only_kind, user, password, pin_use, fuzz::kNow);
    check_detail(again, password, everyone);
    if (matches == 1 && !ambiguous)
        FUZZ_CHECK(again.outcome == ValidationOutcome::replay,
                   "%s layout, %s: accepted password presented again got %s (%s)", layout, mode,
                   outcome_reason(again.outcome), again.detail.c_str());
    // Back to the file the index was read from, if a HOTP acceptance rewrote it.
    bool counter_tokens = false;
    for (const TokenRecord& t : tokens) counter_tokens |= t.type.kind == TokenKind::counter;
    if (counter_tokens) write_file(realm.path, realm.text);
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    set_up();
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const auto [user, password] = fuzz::split_at_nul(fuzz::as_view(data, size));
    for (const auto& realm : g_realms)
        for (PinUse use : {PinUse::in_password, PinUse::not_used})
            for (std::optional<TokenKind> kind :
                 {std::optional<TokenKind>(), std::optional(TokenKind::time),
                  std::optional(TokenKind::counter)})
                check(*realm, user, password, use, kind);
    return 0;
}
