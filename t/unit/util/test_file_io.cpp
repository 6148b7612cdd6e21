// Tests for lib/util/file_io: what open_regular_file refuses and how it says so, and that
// read_to_end gets every byte whatever the size hint says.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>

#include "cmocka_wrap.h"
#include "test_support.h"
#include "util/file_io.h"

using otp::UniqueFd;

namespace {

std::string pattern(std::size_t size) {
    std::string out(size, '\0');
    for (std::size_t i = 0; i < size; ++i) out[i] = static_cast<char>(i * 131 + i / 256);
    return out;
}

void test_open_regular_file(void**) {
    const std::string dir = make_scratch_dir("file_io");
    const std::string path = dir + "/plain";
    write_whole_file(path, "content");
    struct stat st;
    std::string error;
    UniqueFd fd = otp::open_regular_file(path, O_RDONLY | O_CLOEXEC, &st, &error);
    assert_true(static_cast<bool>(fd));
    assert_true(error.empty());
    assert_int_equal(st.st_size, 7);
    assert_true(S_ISREG(st.st_mode));

    fd = otp::open_regular_file(dir + "/missing", O_RDONLY | O_CLOEXEC, &st, &error);
    assert_false(static_cast<bool>(fd));
    assert_string_equal(error.c_str(),
                        (dir + "/missing: cannot open: No such file or directory").c_str());

    fd = otp::open_regular_file(dir, O_RDONLY | O_CLOEXEC, &st, &error);
    assert_false(static_cast<bool>(fd));
    assert_string_equal(error.c_str(), (dir + ": not a regular file").c_str());

    // With O_NONBLOCK a FIFO nobody writes to is refused at once instead of hanging.
    const std::string fifo = dir + "/fifo";
    assert_int_equal(::mkfifo(fifo.c_str(), 0600), 0);
    fd = otp::open_regular_file(fifo, O_RDONLY | O_CLOEXEC | O_NONBLOCK, &st, &error);
    assert_false(static_cast<bool>(fd));
    assert_string_equal(error.c_str(), (fifo + ": not a regular file").c_str());

    // Symbolic links are followed unless the caller says O_NOFOLLOW.
    const std::string link = dir + "/link";
    assert_int_equal(::symlink(path.c_str(), link.c_str()), 0);
    fd = otp::open_regular_file(link, O_RDONLY | O_CLOEXEC, &st, nullptr);
    assert_true(static_cast<bool>(fd));
    fd = otp::open_regular_file(link, O_RDONLY | O_CLOEXEC | O_NOFOLLOW, &st, &error);
    assert_false(static_cast<bool>(fd));
    assert_string_equal(error.c_str(),
                        (link + ": cannot open: Too many levels of symbolic links").c_str());
}

std::string read_back(const std::string& path, std::size_t hint) {
    const UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    assert_true(static_cast<bool>(fd));
    std::string out = "stale";
    std::string error;
    assert_true(otp::read_to_end(fd.get(), hint, path, &out, &error));
    return out;
}

void test_read_to_end_ignores_a_wrong_hint(void**) {
    const std::string dir = make_scratch_dir("file_io");
    const std::string path = dir + "/data";
    for (std::size_t size : {std::size_t{0}, std::size_t{1}, std::size_t{4095}, std::size_t{4096},
                             std::size_t{100000}}) {
        const std::string content = pattern(size);
        write_whole_file(path, content);
        // Right, too small (the file grew after fstat), zero, and too large.
        for (std::size_t hint : {size, size / 2, std::size_t{0}, size + 1, size * 3 + 10}) {
            const std::string got = read_back(path, hint);
            assert_int_equal(got.size(), size);
            assert_true(got == content);
        }
    }
}

void test_read_errors(void**) {
    const std::string dir = make_scratch_dir("file_io");
    const UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    assert_true(static_cast<bool>(fd));
    std::string out, error;
    assert_false(otp::read_to_end(fd.get(), 10, "the-name", &out, &error));
    assert_string_equal(error.c_str(), "the-name: cannot read: Is a directory");
    std::size_t got = 99;
    char buffer[8];
    assert_false(otp::read_fully(-1, buffer, sizeof buffer, &got));
    assert_int_equal(errno, EBADF);
}

void test_read_fully_stops_when_full(void**) {
    const std::string dir = make_scratch_dir("file_io");
    const std::string path = dir + "/data";
    write_whole_file(path, "0123456789");
    const UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    char buffer[4];
    std::size_t got = 0;
    assert_true(otp::read_fully(fd.get(), buffer, sizeof buffer, &got));
    assert_int_equal(got, 4);
    assert_memory_equal(buffer, "0123", 4);
    assert_true(otp::read_fully(fd.get(), buffer, sizeof buffer, &got));
    assert_int_equal(got, 4);
    assert_true(otp::read_fully(fd.get(), buffer, sizeof buffer, &got));
    assert_int_equal(got, 2);  // the end of the file
    assert_memory_equal(buffer, "89", 2);
    assert_true(otp::read_fully(fd.get(), buffer, sizeof buffer, &got));
    assert_int_equal(got, 0);
}

}  // namespace

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_open_regular_file),
        cmocka_unit_test(test_read_to_end_ignores_a_wrong_hint),
        cmocka_unit_test(test_read_errors),
        cmocka_unit_test(test_read_fully_stops_when_full),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
