// Cookie headers: every value of a name, in order, blanks ignored, other names and
// malformed pairs skipped, a bounded number of values.
#include <string>
#include <vector>

#include "cmocka_wrap.h"
#include "util/cookie_header.h"

using namespace otp;

static std::vector<std::string> values_of(const std::string& header, const std::string& name) {
    std::vector<std::string_view> views;
    append_cookie_values(header, name, &views);
    return std::vector<std::string>(views.begin(), views.end());
}

static void every_value_in_order(void**) {
    auto v = values_of("a=1; otp_session=first;b=2 ;  otp_session = second ", "otp_session");
    assert_int_equal(v.size(), 2);
    assert_string_equal(v[0].c_str(), "first");
    assert_string_equal(v[1].c_str(), "second");
}

static void other_names_and_junk_skipped(void**) {
    assert_true(
        values_of("otp_session_attempt=x; xotp_session=y; otp_sessio=z", "otp_session").empty());
    assert_true(values_of(";;; =; novalue; ==", "otp_session").empty());
    auto v = values_of("otp_session=; otp_session=\"q\"", "otp_session");
    assert_int_equal(v.size(), 2);
    assert_string_equal(v[0].c_str(), "");
    assert_string_equal(v[1].c_str(), "\"q\"");
    assert_true(values_of("", "otp_session").empty());
}

static void bounded(void**) {
    std::string header;
    for (int i = 0; i < 100; ++i) header += "c=" + std::to_string(i) + "; ";
    auto v = values_of(header, "c");
    assert_int_equal(v.size(), kMaxCookieValues);
    assert_string_equal(v[0].c_str(), "0");
}

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_value_in_order),
        cmocka_unit_test(other_names_and_junk_skipped),
        cmocka_unit_test(bounded),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
