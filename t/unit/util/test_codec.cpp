// Tests for lib/util/codec: RFC 4648 base32 (§6, vectors of §10), hex and percent-encoding.
#include <cctype>
#include <cstdint>
#include <optional>
#include <random>
#include <string>

#include "cmocka_wrap.h"
#include "test_support.h"
#include "util/codec.h"

namespace {

std::string lower(std::string s) {
    for (char& c : s)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    return s;
}

std::string random_bytes(std::mt19937& rng, std::size_t size) {
    std::string out(size, '\0');
    for (char& c : out) c = static_cast<char>(rng() & 0xff);
    return out;
}

// ---- base32 -------------------------------------------------------------------------------

struct Vector {
    const char* plain;
    const char* encoded;
};

// RFC 4648 §10 test vectors.
const Vector kRfc4648[] = {
    {"", ""},
    {"f", "MY======"},
    {"fo", "MZXQ===="},
    {"foo", "MZXW6==="},
    {"foob", "MZXW6YQ="},
    {"fooba", "MZXW6YTB"},
    {"foobar", "MZXW6YTBOI======"},
};

void test_base32_rfc4648_vectors(void**) {
    for (const Vector& v : kRfc4648) {
        const std::string encoded = v.encoded;
        const std::string unpadded = encoded.substr(0, encoded.find('='));
        assert_string_equal(otp::base32_encode(v.plain).c_str(), v.encoded);
        assert_string_equal(otp::base32_encode(v.plain, true).c_str(), v.encoded);
        assert_string_equal(otp::base32_encode(v.plain, false).c_str(), unpadded.c_str());
        expect_decoded(otp::base32_decode(encoded), v.plain);
        expect_decoded(otp::base32_decode(unpadded), v.plain);
        expect_decoded(otp::base32_decode(lower(encoded)), v.plain);
        expect_decoded(otp::base32_decode(lower(unpadded)), v.plain);
    }
}

void test_base32_round_trips(void**) {
    std::mt19937 rng(4648);  // fixed seed: reproducible
    for (std::size_t size = 0; size <= 64; ++size) {
        for (int round = 0; round < 8; ++round) {
            const std::string bytes = random_bytes(rng, size);
            const std::string padded = otp::base32_encode(bytes);
            const std::string unpadded = otp::base32_encode(bytes, false);
            assert_int_equal(padded.size(), (size + 4) / 5 * 8);
            assert_int_equal(unpadded.size(), (size * 8 + 4) / 5);
            assert_true(padded.compare(0, unpadded.size(), unpadded) == 0);
            for (char c : unpadded) assert_true((c >= 'A' && c <= 'Z') || (c >= '2' && c <= '7'));
            expect_decoded(otp::base32_decode(padded), bytes);
            expect_decoded(otp::base32_decode(unpadded), bytes);
            expect_decoded(otp::base32_decode(lower(padded)), bytes);
        }
    }
}

void test_base32_mixed_case(void**) {
    expect_decoded(otp::base32_decode("mZxW6yTbOi======"), "foobar");
    // A key as authenticator apps show it (RFC 4226 seed).
    expect_decoded(otp::base32_decode("gezdgnbvgy3tqojqgezdgnbvgy3tqojq"), "12345678901234567890");
}

void test_base32_bad_characters(void**) {
    // 0, 1, 8 and 9 are not in the alphabet (they look like O, I, B and g).
    // All of length 8, so only the character can be the reason for refusing.
    for (const char* text : {"MZXW6YT0", "MZXW6YT1", "MZXW6YT8", "MZXW6YT9", "MZX 6YTB",
                             "MZXW6YT\n", " ZXW6YTB", "MZX-6YTB", "MZXW6YT!", "MZXW6YT\xc3",
                             "MZXW6YT@", "MZXW6YT[", "MZXW6YT`", "MZXW6YT{", "MZXW6YT/"})
        expect_rejected(otp::base32_decode(text));
    expect_rejected(otp::base32_decode(std::string("MZXW6YT\0", 8)));
}

void test_base32_bad_padding(void**) {
    for (const char* text : {
             "MY=",               // padding present but the text is not a multiple of 8
             "MY=====",           // 7 characters
             "MY=======",         // 9 characters
             "MZXW6YTB========",  // a whole group of padding
             "========",          // padding only
             "=",                 // padding only
             "M=======",          // 1 data character: impossible
             "MZX=====",          // 3 data characters: impossible
             "MZXW6Y==",          // 6 data characters: impossible
             "MY======MY======",  // padding in the middle
             "MY=A====",          // data after padding
             "=MY=====",          // padding first
         })
        expect_rejected(otp::base32_decode(text));
}

void test_base32_impossible_lengths(void**) {
    // Groups of 1, 3 or 6 characters carry no whole number of bytes.
    for (const char* text : {"A", "MZX", "MZXW6Y", "MZXW6YTBM", "MZXW6YTBMZX", "MZXW6YTBMZXW6Y"})
        expect_rejected(otp::base32_decode(text));
}

void test_base32_non_canonical_bits(void**) {
    // "f" is MY: the second character's low 2 bits are padding and must be zero.
    expect_decoded(otp::base32_decode("MY"), "f");
    for (const char* text : {"MZ", "M7", "MZ======", "MZXR", "MZXW7", "MZXW6YR", "MZXW6YTBOJ"})
        expect_rejected(otp::base32_decode(text));
}

// ---- hex ----------------------------------------------------------------------------------

void test_hex_encode(void**) {
    assert_string_equal(otp::hex_encode("").c_str(), "");
    assert_string_equal(otp::hex_encode("12345678901234567890").c_str(),
                        "3132333435363738393031323334353637383930");
    assert_string_equal(otp::hex_encode(std::string("\x00\x0f\xf0\xff\xab", 5)).c_str(),
                        "000ff0ffab");
}

void test_hex_round_trips(void**) {
    std::mt19937 rng(16);
    for (std::size_t size = 0; size <= 64; ++size) {
        const std::string bytes = random_bytes(rng, size);
        const std::string hex = otp::hex_encode(bytes);
        assert_int_equal(hex.size(), 2 * size);
        expect_decoded(otp::hex_decode(hex), bytes);
    }
}

void test_hex_upper_case_accepted(void**) {
    expect_decoded(otp::hex_decode("ABCDEF"), "\xab\xcd\xef");
    expect_decoded(otp::hex_decode("aBcDeF"), "\xab\xcd\xef");
    expect_decoded(otp::hex_decode("00FF"), std::string("\x00\xff", 2));
}

void test_hex_rejects(void**) {
    for (const char* text : {"0", "abc", "0g", "g0", "zz", "0x00", " 00", "00 ", "0-", "+1",
                             "\xc3\xa9", "GG", "0:", "/0", "@0", "`0", "G0"})
        expect_rejected(otp::hex_decode(text));
    expect_rejected(otp::hex_decode(std::string("0\0", 2)));
    expect_decoded(otp::hex_decode(""), "");
}

void test_hex_digit_value(void**) {
    const std::string digits = "0123456789abcdef";
    for (int v = 0; v < 16; ++v) {
        assert_int_equal(otp::hex_digit_value(digits[v]), v);
        assert_int_equal(otp::hex_digit_value(static_cast<char>(std::toupper(digits[v]))), v);
    }
    // Every other byte value, the neighbours of the ranges and bytes >= 0x80 included.
    int accepted = 0;
    for (int c = 0; c < 256; ++c)
        if (otp::hex_digit_value(static_cast<char>(c)) >= 0) ++accepted;
    assert_int_equal(accepted, 22);
    for (char c : {'/', ':', '@', 'G', '`', 'g', ' ', '\0', 'x', '-', '+'})
        assert_int_equal(otp::hex_digit_value(c), -1);
    assert_int_equal(otp::hex_digit_value(static_cast<char>(0xb0)), -1);  // '0' + 0x80
    assert_int_equal(otp::hex_digit_value(static_cast<char>(0xff)), -1);
    static_assert(otp::hex_digit_value('f') == 15, "usable in constant expressions");

    assert_true(otp::is_hex(""));
    assert_true(otp::is_hex("09afAF"));
    assert_false(otp::is_hex("09afAG"));
    assert_false(otp::is_hex(std::string("00\0", 3)));
}

void test_hex_decode_append(void**) {
    std::string out = "kept:";
    assert_true(otp::hex_decode_append("4142", &out));
    assert_string_equal(out.c_str(), "kept:AB");
    assert_true(otp::hex_decode_append("", &out));
    assert_string_equal(out.c_str(), "kept:AB");
    // A failure leaves what was there, whether the bad digit is first or last.
    assert_false(otp::hex_decode_append("41g2", &out));
    assert_false(otp::hex_decode_append("414", &out));
    assert_false(otp::hex_decode_append("4x", &out));
    assert_false(otp::hex_decode_append("x4", &out));
    assert_string_equal(out.c_str(), "kept:AB");
}

// ---- percent-encoding ----------------------------------------------------------------------

void test_percent_encode(void**) {
    assert_string_equal(otp::percent_encode("").c_str(), "");
    assert_string_equal(otp::percent_encode("AZaz09-._~").c_str(), "AZaz09-._~");
    assert_string_equal(otp::percent_encode("a b&c=d/e?f#g:h+i%").c_str(),
                        "a%20b%26c%3Dd%2Fe%3Ff%23g%3Ah%2Bi%25");
    assert_string_equal(otp::percent_encode("\xc3\xa9").c_str(), "%C3%A9");  // UTF-8 é
    assert_string_equal(otp::percent_encode(std::string("\x00\x7f\xff", 3)).c_str(), "%00%7F%FF");
}

}  // namespace

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_base32_rfc4648_vectors),
        cmocka_unit_test(test_base32_round_trips),
        cmocka_unit_test(test_base32_mixed_case),
        cmocka_unit_test(test_base32_bad_characters),
        cmocka_unit_test(test_base32_bad_padding),
        cmocka_unit_test(test_base32_impossible_lengths),
        cmocka_unit_test(test_base32_non_canonical_bits),
        cmocka_unit_test(test_hex_encode),
        cmocka_unit_test(test_hex_round_trips),
        cmocka_unit_test(test_hex_upper_case_accepted),
        cmocka_unit_test(test_hex_rejects),
        cmocka_unit_test(test_hex_digit_value),
        cmocka_unit_test(test_hex_decode_append),
        cmocka_unit_test(test_percent_encode),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
