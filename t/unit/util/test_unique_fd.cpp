// Tests for lib/util/unique_fd: the descriptor is closed exactly once, by whoever owns it last.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <utility>

#include "cmocka_wrap.h"
#include "util/unique_fd.h"

using otp::UniqueFd;

namespace {

bool is_open(int fd) { return ::fcntl(fd, F_GETFD) != -1 || errno != EBADF; }

int open_null() {
    const int fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    assert_true(fd >= 0);
    return fd;
}

void test_closes_on_destruction(void**) {
    int raw = -1;
    {
        UniqueFd fd(open_null());
        raw = fd.get();
        assert_true(static_cast<bool>(fd));
        assert_true(is_open(raw));
    }
    assert_false(is_open(raw));

    UniqueFd empty;
    assert_false(static_cast<bool>(empty));
    assert_int_equal(empty.get(), -1);
    assert_int_equal(empty.close_checked(), 0);  // nothing to close is not an error
}

void test_move_transfers_ownership(void**) {
    UniqueFd a(open_null());
    const int raw = a.get();
    UniqueFd b(std::move(a));
    assert_false(static_cast<bool>(a));
    assert_int_equal(b.get(), raw);

    UniqueFd c(open_null());
    const int other = c.get();
    c = std::move(b);  // closes c's own descriptor, takes b's
    assert_false(is_open(other));
    assert_int_equal(c.get(), raw);
    assert_true(is_open(raw));
    UniqueFd& same = c;
    c = std::move(same);  // self-move keeps it
    assert_true(is_open(raw));
    c.reset();
    assert_false(is_open(raw));
    assert_false(static_cast<bool>(c));
}

void test_release_and_reset(void**) {
    UniqueFd fd(open_null());
    const int raw = fd.release();
    assert_false(static_cast<bool>(fd));
    assert_true(is_open(raw));  // released: not closed
    fd.reset(raw);
    assert_int_equal(fd.get(), raw);
    const int second = open_null();
    fd.reset(second);  // closes the first
    assert_false(is_open(raw));
    assert_true(is_open(second));
    assert_int_equal(fd.close_checked(), 0);
    assert_false(is_open(second));
    assert_false(static_cast<bool>(fd));
}

}  // namespace

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_closes_on_destruction),
        cmocka_unit_test(test_move_transfers_ownership),
        cmocka_unit_test(test_release_and_reset),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
