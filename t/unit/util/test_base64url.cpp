// Tests for lib/base64url: RFC 4648 §10 vectors, the URL alphabet, strict decoding.
#include <optional>
#include <random>
#include <string>

#include "util/base64url.h"
#include "cmocka_wrap.h"
#include "test_support.h"

namespace {


struct Vector {
    const char* plain;
    const char* padded;    // standard base64
    const char* unpadded;  // base64url
};

const Vector kRfc4648[] = {
    {"", "", ""},
    {"f", "Zg==", "Zg"},
    {"fo", "Zm8=", "Zm8"},
    {"foo", "Zm9v", "Zm9v"},
    {"foob", "Zm9vYg==", "Zm9vYg"},
    {"fooba", "Zm9vYmE=", "Zm9vYmE"},
    {"foobar", "Zm9vYmFy", "Zm9vYmFy"},
};

void test_rfc4648_vectors(void**) {
    for (const Vector& v : kRfc4648) {
        assert_string_equal(otp::base64url_encode(v.plain).c_str(), v.unpadded);
        assert_string_equal(otp::base64_encode(v.plain).c_str(), v.padded);
        expect_decoded(otp::base64url_decode(v.unpadded), v.plain);
    }
}

void test_url_alphabet(void**) {
    const std::string bytes("\xfb\xff\xfe", 3);  // standard base64: "+//+"
    assert_string_equal(otp::base64_encode(bytes).c_str(), "+//+");
    assert_string_equal(otp::base64url_encode(bytes).c_str(), "-__-");
    expect_decoded(otp::base64url_decode("-__-"), bytes);
    expect_rejected(otp::base64url_decode("+//+"));  // standard alphabet is not base64url
}

void test_round_trips(void**) {
    std::mt19937 rng(2024);
    for (std::size_t size = 0; size <= 80; ++size) {
        std::string bytes(size, '\0');
        for (char& c : bytes) c = static_cast<char>(rng() & 0xff);
        const std::string encoded = otp::base64url_encode(bytes);
        assert_int_equal(encoded.size(), (size * 8 + 5) / 6);
        for (char c : encoded)
            assert_true((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                        (c >= '0' && c <= '9') || c == '-' || c == '_');
        expect_decoded(otp::base64url_decode(encoded), bytes);
    }
}

void test_rejects_padding_and_bad_characters(void**) {
    expect_rejected(otp::base64url_decode("Zg=="));
    expect_rejected(otp::base64url_decode("Zm8="));
    expect_rejected(otp::base64url_decode("Zm 9v"));
    expect_rejected(otp::base64url_decode("Zm9v\n"));
    expect_rejected(otp::base64url_decode("Zm9v!"));
    expect_rejected(otp::base64url_decode(std::string("Zm\0v", 4)));
    expect_rejected(otp::base64url_decode("Zm9\xc3\xa4"));
}

void test_rejects_impossible_length(void**) {
    expect_rejected(otp::base64url_decode("Z"));
    expect_rejected(otp::base64url_decode("Zm9vY"));
}

void test_rejects_non_canonical_bits(void**) {
    // "Zg" is 'f'; "Zh".."Zv" carry the same byte with non-zero unused bits.
    expect_decoded(otp::base64url_decode("Zg"), "f");
    expect_rejected(otp::base64url_decode("Zh"));
    expect_rejected(otp::base64url_decode("Zv"));
    expect_decoded(otp::base64url_decode("Zm8"), "fo");
    expect_rejected(otp::base64url_decode("Zm9"));
}

}  // namespace

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rfc4648_vectors),
        cmocka_unit_test(test_url_alphabet),
        cmocka_unit_test(test_round_trips),
        cmocka_unit_test(test_rejects_padding_and_bad_characters),
        cmocka_unit_test(test_rejects_impossible_length),
        cmocka_unit_test(test_rejects_non_canonical_bits),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
