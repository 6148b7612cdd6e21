// Tests for lib/session_cookie: sealing round trips, every kind of tampering, the session
// state rules and the key file loader.
#include <openssl/evp.h>
#include <sys/stat.h>

#include <limits>
#include <set>
#include <string>
#include <vector>

#include "util/base64url.h"
#include "cmocka_wrap.h"
#include "util/codec.h"
#include "session/session_cookie.h"
#include "test_support.h"

using otp::SessionClaims;
using otp::SessionSealer;
using otp::SessionState;

namespace {

std::string key_a() { return std::string(32, '\x11') + ""; }
std::string key_b() { return std::string(31, '\x11') + "\x12"; }

SessionClaims sample() {
    SessionClaims c;
    c.session_id = "3q2-7w_session";
    c.user = "älice@example.org";
    c.location = "/app";
    c.issued_at = 1700000000;
    c.last_used = 1700000100;
    return c;
}

void expect_same(const SessionClaims& a, const SessionClaims& b) {
    assert_true(a.session_id == b.session_id);
    assert_true(a.user == b.user);
    assert_true(a.location == b.location);
    assert_true(a.issued_at == b.issued_at);
    assert_true(a.last_used == b.last_used);
}

// Decodes a sealed value, lets `change` modify the raw bytes, re-encodes.
template <typename Change>
std::string tampered(const std::string& sealed, Change change) {
    std::optional<std::string> raw = otp::base64url_decode(sealed);
    assert_true(raw.has_value());
    change(*raw);
    return otp::base64url_encode(*raw);
}

// ---- sealing ------------------------------------------------------------------------------

void test_round_trip(void**) {
    const SessionSealer sealer(key_a());
    assert_true(sealer.valid());
    const std::optional<std::string> sealed = sealer.seal(sample());
    assert_true(sealed.has_value());
    for (char c : *sealed)  // cookie-safe: base64url, no padding
        assert_true((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '_');
    const std::optional<SessionClaims> opened = sealer.open(*sealed);
    assert_true(opened.has_value());
    expect_same(*opened, sample());
}

void test_round_trip_edge_values(void**) {
    const SessionSealer sealer(key_a());
    SessionClaims c;  // all empty, zero times
    std::optional<SessionClaims> opened = sealer.open(*sealer.seal(c));
    assert_true(opened.has_value());
    expect_same(*opened, c);
    c.session_id = std::string("a\0b", 3);
    c.user = std::string(300, 'u');
    c.location = "/";
    c.issued_at = std::numeric_limits<std::int64_t>::min();
    c.last_used = std::numeric_limits<std::int64_t>::max();
    opened = sealer.open(*sealer.seal(c));
    assert_true(opened.has_value());
    expect_same(*opened, c);
}

void test_layout_and_fresh_nonces(void**) {
    const SessionSealer sealer(key_a());
    std::set<std::string> nonces;
    for (int i = 0; i < 50; ++i) {
        const std::string sealed = *sealer.seal(sample());
        const std::string raw = *otp::base64url_decode(sealed);
        assert_int_equal(static_cast<unsigned char>(raw[0]), 1);  // version
        nonces.insert(raw.substr(1, 12));
    }
    assert_int_equal(nonces.size(), 50);  // a nonce is never reused
}

void test_tamper_each_region(void**) {
    const SessionSealer sealer(key_a());
    const std::string sealed = *sealer.seal(sample());
    const std::size_t raw_size = otp::base64url_decode(sealed)->size();
    // version, first and last nonce byte, first and last ciphertext byte, tag bytes
    const std::vector<std::size_t> positions = {
        0, 1, 12, 13, raw_size - 17, raw_size - 16, raw_size - 1};
    for (std::size_t pos : positions) {
        for (unsigned char bit : {0x01, 0x80}) {
            const std::string bad =
                tampered(sealed, [&](std::string& raw) { raw[pos] = char(raw[pos] ^ bit); });
            assert_false(sealer.open(bad).has_value());
        }
    }
    // A different version byte with an otherwise intact value.
    assert_false(sealer.open(tampered(sealed, [](std::string& r) { r[0] = 2; })).has_value());
    assert_false(sealer.open(tampered(sealed, [](std::string& r) { r[0] = 0; })).has_value());
}

void test_truncated_and_extended(void**) {
    const SessionSealer sealer(key_a());
    const std::string sealed = *sealer.seal(sample());
    const std::string raw = *otp::base64url_decode(sealed);
    for (std::size_t len = 0; len < raw.size(); ++len)
        assert_false(sealer.open(otp::base64url_encode(raw.substr(0, len))).has_value());
    assert_false(sealer.open(otp::base64url_encode(raw + "x")).has_value());
    assert_false(sealer.open(otp::base64url_encode(raw.substr(1))).has_value());
}

void test_wrong_key(void**) {
    const std::string sealed = *SessionSealer(key_a()).seal(sample());
    assert_false(SessionSealer(key_b()).open(sealed).has_value());
}

void test_bad_keys_fail_closed(void**) {
    for (const std::string& key : {std::string(), std::string(16, 'k'), std::string(33, 'k')}) {
        const SessionSealer sealer(key);
        assert_false(sealer.valid());
        assert_false(sealer.seal(sample()).has_value());
    }
    const std::string sealed = *SessionSealer(key_a()).seal(sample());
    assert_false(SessionSealer(std::string(31, '\x11')).open(sealed).has_value());
}

void test_garbage_input(void**) {
    const SessionSealer sealer(key_a());
    assert_false(sealer.open("").has_value());
    assert_false(sealer.open("not base64 at all!").has_value());
    assert_false(sealer.open("====").has_value());
    assert_false(sealer.open(std::string(40, 'A')).has_value());
    assert_false(sealer.open(std::string("AQ\0\0", 4)).has_value());
    const std::string sealed = *sealer.seal(sample());
    assert_false(sealer.open(sealed + "=").has_value());
    assert_false(sealer.open(" " + sealed).has_value());
}

void test_oversize(void**) {
    const SessionSealer sealer(key_a());
    assert_false(sealer.open(std::string(4097, 'A')).has_value());
    assert_false(sealer.open(std::string(1 << 20, 'A')).has_value());
    SessionClaims big = sample();
    big.user = std::string(4000, 'x');  // would not fit in a 4 KiB cookie
    assert_false(sealer.seal(big).has_value());
    big.user = std::string(2900, 'x');  // fits
    const std::optional<std::string> sealed = sealer.seal(big);
    assert_true(sealed.has_value());
    assert_true(sealed->size() <= otp::kMaxSessionCookieBytes);
    assert_true(sealer.open(*sealed).has_value());
}

// Seals `plain` by hand, following the layout documented in session_cookie.h, with a chosen
// additional authenticated data. Independent of the implementation under test.
std::string seal_plain_by_hand(const std::string& key, const std::string& aad,
                               const std::string& plain) {
    const std::string nonce(12, '\x5a');
    std::string ct(plain.size(), '\0');
    unsigned char tag[16];
    EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
    assert_non_null(ctx);
    int len = 0;
    assert_int_equal(EVP_EncryptInit_ex(ctx, EVP_aes_256_gcm(), nullptr,
                                        reinterpret_cast<const unsigned char*>(key.data()),
                                        reinterpret_cast<const unsigned char*>(nonce.data())),
                     1);
    assert_int_equal(
        EVP_EncryptUpdate(ctx, nullptr, &len, reinterpret_cast<const unsigned char*>(aad.data()),
                          int(aad.size())),
        1);
    int total = 0;
    if (!plain.empty()) {
        assert_int_equal(EVP_EncryptUpdate(ctx, reinterpret_cast<unsigned char*>(ct.data()), &len,
                                           reinterpret_cast<const unsigned char*>(plain.data()),
                                           int(plain.size())),
                         1);
        total = len;
    }
    unsigned char scratch[16];
    assert_int_equal(EVP_EncryptFinal_ex(ctx, scratch, &len), 1);
    assert_int_equal(total + len, int(plain.size()));
    assert_int_equal(EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, 16, tag), 1);
    EVP_CIPHER_CTX_free(ctx);
    return otp::base64url_encode(std::string("\x01") + nonce + ct +
                                 std::string(reinterpret_cast<char*>(tag), 16));
}

void put_u32(std::string& out, std::uint32_t v) {
    for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<char>(v >> shift));
}
void put_i64(std::string& out, std::int64_t v) {
    for (int shift = 56; shift >= 0; shift -= 8)
        out.push_back(static_cast<char>(static_cast<std::uint64_t>(v) >> shift));
}

// The documented plaintext: three u32-length-prefixed strings, two big-endian int64.
std::string serialise_by_hand(const SessionClaims& c) {
    std::string plain;
    for (const std::string* s : {&c.session_id, &c.user, &c.location}) {
        put_u32(plain, static_cast<std::uint32_t>(s->size()));
        plain += *s;
    }
    put_i64(plain, c.issued_at);
    put_i64(plain, c.last_used);
    return plain;
}

const std::string kRightAad = std::string("mod_otp session v1") + "\x01";

void test_documented_format_and_context(void**) {
    const SessionSealer sealer(key_a());
    const std::optional<SessionClaims> opened =
        sealer.open(seal_plain_by_hand(key_a(), kRightAad, serialise_by_hand(sample())));
    assert_true(opened.has_value());
    expect_same(*opened, sample());
    // Same key, same plaintext, another context: not a session.
    for (const std::string& aad :
         {std::string(), std::string("mod_otp session v1"), std::string("mod_otp csrf v1\x01"),
          std::string("mod_otp session v2\x01")})
        assert_false(
            sealer.open(seal_plain_by_hand(key_a(), aad, serialise_by_hand(sample()))).has_value());
}

void test_malformed_plaintext(void**) {
    // Authentic ciphertexts (right key and context) whose plaintext does not parse.
    const SessionSealer sealer(key_a());
    const std::string good = serialise_by_hand(sample());
    std::string huge_length;
    put_u32(huge_length, 0xFFFFFFFFu);
    huge_length += good.substr(4);
    for (const std::string& plain : {std::string(), good + "x", good.substr(0, good.size() - 1),
                                     huge_length, good.substr(0, 12)})
        assert_false(sealer.open(seal_plain_by_hand(key_a(), kRightAad, plain)).has_value());
}

// ---- check_session ------------------------------------------------------------------------

void test_check_session(void**) {
    SessionClaims c = sample();  // issued 1700000000, used 1700000100, /app
    const std::int64_t t0 = c.issued_at;
    assert_int_equal(otp::check_session(c, "/app", t0 + 200, 28800, 1800), SessionState::valid);
    // location must match exactly
    assert_int_equal(otp::check_session(c, "/app/", t0 + 200, 28800, 1800),
                     SessionState::wrong_location);
    assert_int_equal(otp::check_session(c, "/App", t0 + 200, 28800, 1800),
                     SessionState::wrong_location);
    assert_int_equal(otp::check_session(c, "/admin", t0 + 200, 28800, 1800),
                     SessionState::wrong_location);
    // absolute lifetime from issued_at, even while in use
    c.last_used = t0 + 28790;
    assert_int_equal(otp::check_session(c, "/app", t0 + 28799, 28800, 1800), SessionState::valid);
    assert_int_equal(otp::check_session(c, "/app", t0 + 28800, 28800, 1800), SessionState::expired);
    // idle from last_used
    c.last_used = t0 + 100;
    assert_int_equal(otp::check_session(c, "/app", t0 + 1899, 28800, 1800), SessionState::valid);
    assert_int_equal(otp::check_session(c, "/app", t0 + 1900, 28800, 1800), SessionState::idle);
    // expiry wins over idleness
    assert_int_equal(otp::check_session(c, "/app", t0 + 30000, 28800, 1800), SessionState::expired);
    // idle_timeout <= 0: no idle limit; lifetime <= 0: fail closed
    assert_int_equal(otp::check_session(c, "/app", t0 + 20000, 28800, 0), SessionState::valid);
    assert_int_equal(otp::check_session(c, "/app", t0 + 1, 0, 1800), SessionState::expired);
}

void test_check_session_future_and_overflow(void**) {
    SessionClaims c = sample();
    const std::int64_t now = 1800000000;
    c.issued_at = now + 60;  // within skew
    c.last_used = now + 60;
    assert_int_equal(otp::check_session(c, "/app", now, 28800, 1800), SessionState::valid);
    c.issued_at = now + 61;  // beyond skew
    assert_int_equal(otp::check_session(c, "/app", now, 28800, 1800), SessionState::expired);
    c.issued_at = now;
    c.last_used = now + 3600;
    assert_int_equal(otp::check_session(c, "/app", now, 28800, 1800), SessionState::expired);
    c.issued_at = std::numeric_limits<std::int64_t>::min();
    c.last_used = now;
    assert_int_equal(otp::check_session(c, "/app", now, 28800, 1800), SessionState::expired);
    c.issued_at = std::numeric_limits<std::int64_t>::max();
    assert_int_equal(otp::check_session(c, "/app", now, 28800, 1800), SessionState::expired);
    assert_string_equal(otp::session_state_name(SessionState::idle), "idle");
}

// ---- key file -----------------------------------------------------------------------------

std::string write_file(const std::string& dir, const char* name, const std::string& content,
                       mode_t mode = 0600) {
    const std::string path = dir + "/" + name;
    write_whole_file(path, content);
    assert_int_equal(::chmod(path.c_str(), mode), 0);
    return path;
}

const char kHexKey[] = "00112233445566778899aabbccddeeff00112233445566778899AABBCCDDEEFF";

void expect_key_error(const std::string& path, const char* fragment) {
    std::string error;
    assert_false(otp::load_session_key_file(path, &error).has_value());
    if (error.find(fragment) == std::string::npos) {
        print_error("error \"%s\" lacks \"%s\"\n", error.c_str(), fragment);
        fail();
    }
    assert_true(error.compare(0, path.size(), path) == 0);     // names the file
    assert_true(error.find("00112233") == std::string::npos);  // never the key
    assert_true(error.find("\x11\x11\x11") == std::string::npos);
}

void test_key_file_hex(void**) {
    const std::string dir = make_scratch_dir("session_key");
    const std::string expected = *otp::hex_decode(kHexKey);
    for (const std::string& content :
         {std::string(kHexKey), std::string(kHexKey) + "\n", std::string(kHexKey) + "\r\n"}) {
        const std::string path = write_file(dir, "hex.key", content, 0600);
        std::string error;
        const std::optional<std::string> key = otp::load_session_key_file(path, &error);
        assert_true(key.has_value());
        assert_true(*key == expected);
    }
}

void test_key_file_raw(void**) {
    const std::string dir = make_scratch_dir("session_key");
    std::string raw(32, '\0');
    for (int i = 0; i < 32; ++i) raw[i] = static_cast<char>(0xA0 + i);
    const std::string path = write_file(dir, "raw.key", raw, 0400);
    const std::optional<std::string> key = otp::load_session_key_file(path, nullptr);
    assert_true(key.has_value());
    assert_true(*key == raw);
    // ... and it seals.
    const SessionSealer sealer(*key);
    assert_true(sealer.open(*sealer.seal(sample())).has_value());
}

void test_key_file_errors(void**) {
    const std::string dir = make_scratch_dir("session_key");
    expect_key_error(write_file(dir, "short.key", std::string(kHexKey).substr(0, 62) + "\n"),
                     "expected 64 hexadecimal");
    expect_key_error(write_file(dir, "long.key", std::string(kHexKey) + "00\n"),
                     "expected 64 hexadecimal");
    expect_key_error(write_file(dir, "twolines.key", std::string(kHexKey) + "\n\n"),
                     "expected 64 hexadecimal");
    std::string nonhex = kHexKey;
    nonhex[10] = 'g';
    expect_key_error(write_file(dir, "nonhex.key", nonhex), "hexadecimal");
    expect_key_error(write_file(dir, "hex16.key", std::string(kHexKey).substr(0, 32)), "16 bytes");
    expect_key_error(write_file(dir, "empty.key", ""), "0 bytes");
    expect_key_error(write_file(dir, "zero.key", std::string(64, '0')), "all zero");
    expect_key_error(write_file(dir, "world.key", kHexKey, 0604), "readable by all users");
    expect_key_error(write_file(dir, "huge.key", std::string(100000, 'a')), "bytes");
    expect_key_error(dir + "/missing.key", "cannot open");
    std::string error;
    assert_false(otp::load_session_key_file(dir, &error).has_value());  // a directory
    assert_true(error.find("not a regular file") != std::string::npos);
}

// A FIFO planted at the key path must be refused at once, not block configtest forever (the
// alarm turns a regression into a failed test instead of a hung one).
void test_key_file_fifo(void**) {
    const std::string dir = make_scratch_dir("session_key");
    const std::string path = dir + "/fifo.key";
    assert_int_equal(::mkfifo(path.c_str(), 0600), 0);
    ::alarm(10);
    std::string error;
    assert_false(otp::load_session_key_file(path, &error).has_value());
    ::alarm(0);
    assert_true(contains(error, "not a regular file"));
    assert_true(error.compare(0, path.size(), path) == 0);
    ::unlink(path.c_str());
}

// A secret key: 0600 or 0400 only. Group or world access of any kind is refused, naming the
// problem and the fix.
void test_key_file_modes(void**) {
    const std::string dir = make_scratch_dir("session_key");
    for (mode_t mode : {0600, 0400}) {
        const std::string path = write_file(dir, "ok.key", kHexKey, mode);
        std::string error;
        if (!otp::load_session_key_file(path, &error).has_value()) {
            print_error("mode %o refused: %s\n", static_cast<unsigned>(mode), error.c_str());
            fail();
        }
        ::unlink(path.c_str());
    }
    struct Case {
        mode_t mode;
        const char* fragment;
    };
    for (const Case& c : {Case{0640, "readable by its group"},
                          Case{0620, "writable by its group"}, Case{0660, "readable by its group"},
                          Case{0602, "writable by all users"}, Case{0606, "readable by all users"},
                          Case{0604, "readable by all users"},
                          Case{0644, "chmod 0600"}, Case{0622, "chmod 0600"},
                          Case{0700, "chmod 0600"}}) {
        const std::string path = write_file(dir, "bad.key", kHexKey, c.mode);
        expect_key_error(path, c.fragment);
        expect_key_error(path, "chmod 0600");
        ::unlink(path.c_str());
    }
}

// The key must belong to root or to the user reading it; a key file someone else owns can be
// replaced or made readable by them.
void test_key_file_owner(void**) {
    const std::string dir = make_scratch_dir("session_key");
    const std::string path = write_file(dir, "owned.key", kHexKey, 0600);
    assert_true(otp::load_session_key_file(path, nullptr).has_value());  // ours
    if (::geteuid() != 0) {
        print_message("not root: cannot give the key file to another user; skipped\n");
        return;
    }
    assert_int_equal(::chown(path.c_str(), 65534, 65534), 0);  // nobody
    expect_key_error(path, "owned by uid 65534");
    expect_key_error(path, "chown");
}

}  // namespace

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_round_trip_edge_values),
        cmocka_unit_test(test_layout_and_fresh_nonces),
        cmocka_unit_test(test_tamper_each_region),
        cmocka_unit_test(test_truncated_and_extended),
        cmocka_unit_test(test_wrong_key),
        cmocka_unit_test(test_bad_keys_fail_closed),
        cmocka_unit_test(test_garbage_input),
        cmocka_unit_test(test_oversize),
        cmocka_unit_test(test_documented_format_and_context),
        cmocka_unit_test(test_malformed_plaintext),
        cmocka_unit_test(test_check_session),
        cmocka_unit_test(test_check_session_future_and_overflow),
        cmocka_unit_test(test_key_file_hex),
        cmocka_unit_test(test_key_file_raw),
        cmocka_unit_test(test_key_file_errors),
        cmocka_unit_test(test_key_file_fifo),
        cmocka_unit_test(test_key_file_modes),
        cmocka_unit_test(test_key_file_owner),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
