// Tests for lib/crypto/constant_time: equality of secrets (codes, PINs, tokens), embedded NUL
// bytes and length differences included.
#include <string>

#include "cmocka_wrap.h"
#include "crypto/constant_time.h"

namespace {

void test_constant_time_equal(void**) {
    assert_true(otp::constant_time_equal("", ""));
    assert_true(otp::constant_time_equal("123456", "123456"));
    assert_false(otp::constant_time_equal("123456", "123457"));
    assert_false(otp::constant_time_equal("123456", "023456"));
    assert_false(otp::constant_time_equal("123456", "12345"));
    assert_false(otp::constant_time_equal("12345", "123456"));
    assert_false(otp::constant_time_equal("", "1"));
    assert_true(otp::constant_time_equal(std::string("a\0b", 3), std::string("a\0b", 3)));
    assert_false(otp::constant_time_equal(std::string("a\0b", 3), std::string("a\0c", 3)));
    assert_false(otp::constant_time_equal(std::string("a\0", 2), "a"));
    const std::string big(4096, 'x');
    std::string other = big;
    assert_true(otp::constant_time_equal(big, other));
    other.back() = 'y';
    assert_false(otp::constant_time_equal(big, other));
}

// A difference anywhere, in any bit, is seen: nothing stops early or skips bytes.
void test_every_position_counts(void**) {
    const std::string base(64, '\x5a');
    for (std::size_t i = 0; i < base.size(); ++i)
        for (int bit = 0; bit < 8; ++bit) {
            std::string other = base;
            other[i] = static_cast<char>(other[i] ^ (1 << bit));
            assert_false(otp::constant_time_equal(base, other));
            assert_false(otp::constant_time_equal(other, base));
        }
}

}  // namespace

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_constant_time_equal),
        cmocka_unit_test(test_every_position_counts),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
