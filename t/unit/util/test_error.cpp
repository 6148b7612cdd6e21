// Tests for lib/util/error: refusals return false, fill the caller's string only when there is
// one, and errno values read as the system's messages.
#include <cerrno>
#include <string>

#include "cmocka_wrap.h"
#include "util/error.h"

namespace {

void test_set_error(void**) {
    std::string error = "previous";
    assert_false(otp::set_error(&error, "the reason"));
    assert_string_equal(error.c_str(), "the reason");
    assert_false(otp::set_error(nullptr, "nobody asked"));
    assert_false(otp::set_error(&error, ""));
    assert_true(error.empty());
}

void test_errno_text(void**) {
    assert_string_equal(otp::errno_text(ENOENT).c_str(), "No such file or directory");
    assert_string_equal(otp::errno_text(EACCES).c_str(), "Permission denied");
    assert_false(otp::errno_text(123456).empty());  // unknown values still say something

    std::string error;
    assert_false(otp::set_errno_error(&error, "/etc/x: cannot open", ENOENT));
    assert_string_equal(error.c_str(), "/etc/x: cannot open: No such file or directory");
    assert_false(otp::set_errno_error(nullptr, "ignored", EIO));
}

}  // namespace

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_set_error),
        cmocka_unit_test(test_errno_text),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
