// validate_code: the decision "is this code good for this user?" over a real users file and
// a MemoryStateStore: TOTP window and replay, HOTP look-ahead and write-back, PINs, several
// tokens, unknown users, failing write-back.
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>

#include "cmocka_wrap.h"
#include "verify/code_validator.h"
#include "util/codec.h"
#include "otp/hotp.h"

using namespace otp;

namespace {

const std::string kAliceHex = "3132333435363738393031323334353637383930";
const std::string kBobHex = "0102030405060708090a0b0c0d0e0f1011121314";
const std::string kCarolHex = "a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4";
constexpr std::int64_t kNow = 1700000000;  // a fixed moment: step 56666666 of 30 s

std::string scratch_dir() {
    const char* dir = std::getenv("OTP_TEST_TMPDIR");
    std::string path = dir ? dir : "/tmp";
    mkdir(path.c_str(), 0755);
    return path;
}

struct Fixture {
    std::string path;
    std::unique_ptr<UsersIndex> index;
    MemoryStateStore store;
    OtpPolicy policy;

    explicit Fixture(const std::string& text, UsersFileLayout layout = UsersFileLayout::oath) {
        path = scratch_dir() + "/validator-" + std::to_string(getpid()) + ".oath";
        std::ofstream(path) << text;
        reload(layout);
        store.set_now(kNow);
    }
    ~Fixture() { std::remove(path.c_str()); }
    void reload(UsersFileLayout layout = UsersFileLayout::oath) {
        std::string error;
        index = UsersIndex::load(path, layout, &error);
        if (!index) fail_msg("load: %s", error.c_str());
    }
    ValidationOutcome check(const std::string& user, const std::string& password,
                            PinUse pin = PinUse::in_password, std::int64_t now = kNow) {
        return validate_code(UsersSource{*index, path}, store, policy, std::nullopt, user, password, pin,
                             now)
            .outcome;
    }
    std::string file() const {
        std::ifstream in(path);
        std::stringstream s;
        s << in.rdbuf();
        return s.str();
    }
};

std::string key(const std::string& hex) { return *hex_decode(hex); }
std::string totp_at(const std::string& hex, std::int64_t t, unsigned digits = 6) {
    return totp_code(HashAlgorithm::sha1, key(hex), t, 30, digits);
}
std::string hotp_at(const std::string& hex, std::uint64_t counter) {
    return hotp_code(HashAlgorithm::sha1, key(hex), counter, 6);
}
#define assert_outcome(actual, expected) \
    assert_int_equal(static_cast<int>(actual), static_cast<int>(ValidationOutcome::expected))

}  // namespace

static void totp_window_and_replay(void**) {
    Fixture f("HOTP/T30 alice - " + kAliceHex + "\n");
    assert_outcome(f.check("alice", totp_at(kAliceHex, kNow - 60)), invalid_otp);  // outside ±1
    assert_outcome(f.check("alice", totp_at(kAliceHex, kNow + 60)), invalid_otp);
    assert_outcome(f.check("alice", totp_at(kAliceHex, kNow + 30)), accepted);
    assert_outcome(f.check("alice", totp_at(kAliceHex, kNow + 30)), replay);
    assert_outcome(f.check("alice", totp_at(kAliceHex, kNow)), replay);  // older than accepted
    assert_outcome(f.check("alice", totp_at(kAliceHex, kNow + 30), PinUse::in_password, kNow + 30),
                   replay);
    assert_outcome(f.check("alice", totp_at(kAliceHex, kNow + 60), PinUse::in_password, kNow + 30),
                   accepted);
}

static void totp_window_zero(void**) {
    Fixture f("HOTP/T30 alice - " + kAliceHex + "\n");
    f.policy.totp_window = 0;
    assert_outcome(f.check("alice", totp_at(kAliceHex, kNow - 30)), invalid_otp);
    assert_outcome(f.check("alice", totp_at(kAliceHex, kNow + 30)), invalid_otp);
    assert_outcome(f.check("alice", totp_at(kAliceHex, kNow)), accepted);
}

static void pin_precedes_code(void**) {
    Fixture f("HOTP/T30 bob 4321 " + kBobHex + "\nHOTP/T30 eve + " + kAliceHex + "\n");
    const std::string code = totp_at(kBobHex, kNow);
    assert_outcome(f.check("bob", code), invalid_otp);
    assert_outcome(f.check("bob", "1234" + code), invalid_otp);
    assert_outcome(f.check("bob", "432" + code), invalid_otp);
    assert_outcome(f.check("bob", "4321" + code), accepted);
    // '+': the PIN is another provider's business; the password is the code alone.
    assert_outcome(f.check("eve", "xx" + totp_at(kAliceHex, kNow)), invalid_otp);
    assert_outcome(f.check("eve", totp_at(kAliceHex, kNow)), accepted);
    // Interactive flows send the code alone whatever the PIN.
    f.store.remove(totp_replay_key(f.index->tokens_for("bob")[0]));
    assert_outcome(f.check("bob", code, PinUse::not_used), accepted);
}

static void unknown_user_and_malformed_codes(void**) {
    Fixture f("HOTP/T30 alice - " + kAliceHex + "\n");
    assert_outcome(f.check("mallory", totp_at(kAliceHex, kNow)), unknown_user);
    assert_outcome(f.check("alice", ""), invalid_otp);
    assert_outcome(f.check("alice", "12345"), invalid_otp);
    assert_outcome(f.check("alice", "1234567"), invalid_otp);
    assert_outcome(f.check("alice", "abcdef"), invalid_otp);
}

static void several_tokens_each_tried(void**) {
    Fixture f("HOTP/T30 erin - " + kAliceHex + "\nHOTP/T30/8 erin - " + kBobHex + "\n");
    assert_outcome(f.check("erin", totp_at(kBobHex, kNow, 8)), accepted);
    assert_outcome(f.check("erin", totp_at(kAliceHex, kNow)), accepted);
}

static void hotp_look_ahead_and_write_back(void**) {
    Fixture f("# users\nHOTP carol - " + kCarolHex + "\nHOTP/T30 alice - " + kAliceHex + "\n");
    f.policy.hotp_look_ahead = 3;
    assert_outcome(f.check("carol", hotp_at(kCarolHex, 4)), invalid_otp);  // beyond 0..3
    assert_outcome(f.check("carol", hotp_at(kCarolHex, 2)), accepted);
    const std::string after = f.file();
    assert_non_null(std::strstr(
        after.c_str(),
        ("HOTP\tcarol\t-\t" + kCarolHex + "\t2\t" + hotp_at(kCarolHex, 2) + "\t").c_str()));
    assert_non_null(std::strstr(after.c_str(), "# users\n"));
    assert_non_null(std::strstr(after.c_str(), ("HOTP/T30 alice - " + kAliceHex).c_str()));
    // The index in memory is stale now (counter absent); the file decides under its lock.
    assert_outcome(f.check("carol", hotp_at(kCarolHex, 1)), replay);
    f.reload();
    assert_outcome(f.check("carol", hotp_at(kCarolHex, 2)), replay);  // == LASTOTP
    assert_outcome(f.check("carol", hotp_at(kCarolHex, 1)), invalid_otp);
    assert_outcome(f.check("carol", hotp_at(kCarolHex, 3)), accepted);
}

static void hotp_write_back_failure_fails_closed(void**) {
    Fixture f("HOTP carol - " + kCarolHex + "\n");
    // A symlinked lock file is what CVE-2024-47191 exploited: refuse, never grant.
    const std::string lock = f.path + ".lock";
    std::remove(lock.c_str());
    assert_int_equal(symlink("/nonexistent-victim", lock.c_str()), 0);
    assert_outcome(f.check("carol", hotp_at(kCarolHex, 0)), store_error);
    std::remove(lock.c_str());
    assert_outcome(f.check("carol", hotp_at(kCarolHex, 0)), accepted);
}

static void mod_authn_otp_layout(void**) {
    // COUNTER is the next expected counter; for time tokens a drift in steps.
    Fixture f("HOTP max - " + kCarolHex + " 5\nHOTP/T30 mia - " + kAliceHex + " 2\n",
              UsersFileLayout::mod_authn_otp);
    assert_outcome(f.check("max", hotp_at(kCarolHex, 4)), invalid_otp);
    assert_outcome(f.check("max", hotp_at(kCarolHex, 5)), accepted);
    f.reload(UsersFileLayout::mod_authn_otp);
    assert_int_equal(f.index->tokens_for("max")[0].next_counter(UsersFileLayout::mod_authn_otp), 6);
    assert_outcome(f.check("mia", totp_at(kAliceHex, kNow)), invalid_otp);
    assert_outcome(f.check("mia", totp_at(kAliceHex, kNow + 60)), accepted);
}

static void store_failure_fails_closed(void**) {
    Fixture f("HOTP/T30 alice - " + kAliceHex + "\n");
    // A replay record that is not a number cannot be trusted: refuse.
    f.store.add(totp_replay_key(f.index->tokens_for("alice")[0]), "garbage", 600);
    assert_outcome(f.check("alice", totp_at(kAliceHex, kNow)), store_error);
}

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(totp_window_and_replay),
        cmocka_unit_test(totp_window_zero),
        cmocka_unit_test(pin_precedes_code),
        cmocka_unit_test(unknown_user_and_malformed_codes),
        cmocka_unit_test(several_tokens_each_tried),
        cmocka_unit_test(hotp_look_ahead_and_write_back),
        cmocka_unit_test(hotp_write_back_failure_fails_closed),
        cmocka_unit_test(mod_authn_otp_layout),
        cmocka_unit_test(store_failure_fails_closed),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
