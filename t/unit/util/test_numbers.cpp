// Tests for lib/util/numbers: parse_decimal takes the whole text or nothing, for each integer
// type at its limits.
#include <cstdint>
#include <limits>
#include <optional>
#include <string>

#include "cmocka_wrap.h"
#include "util/numbers.h"

using otp::parse_decimal;

namespace {

template <typename T>
void expect_parsed(const std::string& text, T expected) {
    const std::optional<T> value = parse_decimal<T>(text);
    if (!value || *value != expected) {
        print_error("\"%s\" did not parse as expected\n", text.c_str());
        fail();
    }
}

template <typename T>
void expect_refused(const std::string& text) {
    if (parse_decimal<T>(text)) {
        print_error("\"%s\" was accepted\n", text.c_str());
        fail();
    }
}

// Text that is never a number, whatever the type.
const char* const kNeverNumbers[] = {
    "",    " ",    "+",     "-",     "+1",  " 1",  "1 ", "\t1", "1\n", "1.0",
    "1e3", "0x10", "1_000", "1,000", "--1", "-+1", "١",  "1a",  "a1",
};

void test_rejects_non_numbers(void**) {
    for (const char* text : kNeverNumbers) {
        expect_refused<std::int64_t>(text);
        expect_refused<std::uint64_t>(text);
        expect_refused<unsigned>(text);
        expect_refused<int>(text);
    }
    expect_refused<std::int64_t>(std::string("1\0", 2));
    expect_refused<std::uint64_t>(
        std::string("\0"
                    "1",
                    2));
}

void test_int64(void**) {
    using I = std::int64_t;
    expect_parsed<I>("0", 0);
    expect_parsed<I>("42", 42);
    expect_parsed<I>("007", 7);
    expect_parsed<I>("-0", 0);
    expect_parsed<I>("-17", -17);
    expect_parsed<I>("9223372036854775807", std::numeric_limits<I>::max());
    expect_parsed<I>("-9223372036854775808", std::numeric_limits<I>::min());
    expect_refused<I>("9223372036854775808");
    expect_refused<I>("-9223372036854775809");
    expect_refused<I>("18446744073709551615");
    expect_refused<I>("99999999999999999999999");
}

void test_uint64(void**) {
    using U = std::uint64_t;
    expect_parsed<U>("0", 0);
    expect_parsed<U>("18446744073709551615", std::numeric_limits<U>::max());
    expect_parsed<U>("00000000000000000000018446744073709551615", std::numeric_limits<U>::max());
    expect_refused<U>("18446744073709551616");
    expect_refused<U>("-0");  // no sign at all for unsigned types
    expect_refused<U>("-1");
}

void test_unsigned(void**) {
    expect_parsed<unsigned>("4294967295", std::numeric_limits<unsigned>::max());
    expect_refused<unsigned>("4294967296");
    expect_refused<unsigned>("-1");
    expect_parsed<int>("-2147483648", std::numeric_limits<int>::min());
    expect_refused<int>("2147483648");
}

void test_views_are_not_read_past_their_end(void**) {
    const std::string text = "12345";
    const std::optional<unsigned> value =
        parse_decimal<unsigned>(std::string_view(text).substr(1, 2));
    assert_true(value.has_value());
    assert_int_equal(*value, 23);
}

}  // namespace

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rejects_non_numbers),
        cmocka_unit_test(test_int64),
        cmocka_unit_test(test_uint64),
        cmocka_unit_test(test_unsigned),
        cmocka_unit_test(test_views_are_not_read_past_their_end),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
