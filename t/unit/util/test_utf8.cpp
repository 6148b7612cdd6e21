// Tests for lib/utf8: validation per RFC 3629 / Unicode Table 3-7 and U+FFFD repair by maximal
// subparts (the replacement counts of Unicode §3.9 / WHATWG Encoding).
#include <string>

#include "cmocka_wrap.h"
#include "util/utf8.h"

namespace {

const std::string kFFFD = "\xEF\xBF\xBD";

void test_valid_sequences(void**) {
    assert_true(otp::is_valid_utf8(""));
    assert_true(otp::is_valid_utf8("plain ascii"));
    assert_true(otp::is_valid_utf8("Engångslösenord"));
    assert_true(otp::is_valid_utf8("\xE2\x82\xAC"));          // €
    assert_true(otp::is_valid_utf8("\xF0\x9F\x94\x91"));      // 🔑
    assert_true(otp::is_valid_utf8("\xF4\x8F\xBF\xBF"));      // U+10FFFF
    assert_true(otp::is_valid_utf8("\xED\x9F\xBF"));          // U+D7FF
    assert_true(otp::is_valid_utf8(std::string("a\0b", 3)));  // NUL is well-formed
}

void test_invalid_sequences(void**) {
    assert_false(otp::is_valid_utf8("\x80"));              // lone continuation
    assert_false(otp::is_valid_utf8("\xC0\xAF"));          // overlong '/'
    assert_false(otp::is_valid_utf8("\xC1\xBF"));          // overlong
    assert_false(otp::is_valid_utf8("\xE0\x80\xAF"));      // overlong 3-byte
    assert_false(otp::is_valid_utf8("\xF0\x80\x80\xAF"));  // overlong 4-byte
    assert_false(otp::is_valid_utf8("\xED\xA0\x80"));      // surrogate U+D800
    assert_false(otp::is_valid_utf8("\xF4\x90\x80\x80"));  // U+110000
    assert_false(otp::is_valid_utf8("\xF5\x80\x80\x80"));
    assert_false(otp::is_valid_utf8("\xFF"));
    assert_false(otp::is_valid_utf8("\xE2\x82"));  // truncated
    assert_false(otp::is_valid_utf8("abc\xC3"));   // truncated at the end
}

void test_sanitize_keeps_valid_text(void**) {
    static const char kText[] = "Användare \xF0\x9F\x94\x91 \0 end";
    const std::string text(kText, sizeof kText - 1);  // keeps the NUL
    assert_int_equal(text.size(), 21);
    assert_true(otp::sanitize_utf8(text) == text);
}

void test_sanitize_maximal_subparts(void**) {
    // Unicode §3.9 example: 61 F1 80 80 E1 80 C2 62 80 63 80 BF 64 -> a,FFFD,FFFD,FFFD,b,...
    const std::string input = "\x61\xF1\x80\x80\xE1\x80\xC2\x62\x80\x63\x80\xBF\x64";
    const std::string expected =
        "a" + kFFFD + kFFFD + kFFFD + "b" + kFFFD + "c" + kFFFD + kFFFD + "d";
    assert_string_equal(otp::sanitize_utf8(input).c_str(), expected.c_str());
    // Overlong and surrogate lead bytes: every byte is its own maximal subpart.
    assert_string_equal(otp::sanitize_utf8("\xC0\xAF").c_str(), (kFFFD + kFFFD).c_str());
    assert_string_equal(otp::sanitize_utf8("\xED\xA0\x80").c_str(),
                        (kFFFD + kFFFD + kFFFD).c_str());
    assert_string_equal(otp::sanitize_utf8("x\xE2\x82").c_str(), ("x" + kFFFD).c_str());
    assert_true(otp::is_valid_utf8(otp::sanitize_utf8("\xFF\xFE\xFD garbage \x80")));
}

void test_sequence_length(void**) {
    assert_int_equal(otp::utf8_sequence_length("a", 0), 1);
    assert_int_equal(otp::utf8_sequence_length("\xC3\xA5", 0), 2);
    assert_int_equal(otp::utf8_sequence_length("\xE2\x82\xAC", 0), 3);
    assert_int_equal(otp::utf8_sequence_length("\xF0\x9F\x94\x91", 0), 4);
    assert_int_equal(otp::utf8_sequence_length("\xC3", 0), 0);
    assert_int_equal(otp::utf8_sequence_length("a", 1), 0);
}

}  // namespace

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid_sequences),
        cmocka_unit_test(test_invalid_sequences),
        cmocka_unit_test(test_sanitize_keeps_valid_text),
        cmocka_unit_test(test_sanitize_maximal_subparts),
        cmocka_unit_test(test_sequence_length),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
