// Helpers shared by the unit tests that work with real files.
#pragma once

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "cmocka_wrap.h"

// A fresh directory "<prefix>.XXXXXX" under $OTP_TEST_TMPDIR (or /tmp); fails the test if it
// cannot be made.
inline std::string make_scratch_dir(const char* prefix) {
    const char* base = std::getenv("OTP_TEST_TMPDIR");
    std::string root = base && *base ? base : "/tmp";
    ::mkdir(root.c_str(), 0700);
    std::string templ = root + "/" + prefix + ".XXXXXX";
    std::vector<char> buf(templ.begin(), templ.end());
    buf.push_back('\0');
    if (!::mkdtemp(buf.data())) {
        print_error("mkdtemp(%s): %s\n", templ.c_str(), std::strerror(errno));
        fail();
    }
    return buf.data();
}

// Writes `content` to `path` (created or truncated), failing the test on any error.
inline void write_whole_file(const std::string& path, const std::string& content) {
    FILE* f = std::fopen(path.c_str(), "wb");
    assert_non_null(f);
    assert_int_equal(std::fwrite(content.data(), 1, content.size(), f), content.size());
    assert_int_equal(std::fclose(f), 0);
}

// Decoder checks (std::optional<std::string> results); macros so that a failure reports the
// line of the check.
#define expect_decoded(decoded, expected)                           \
    do {                                                            \
        const std::optional<std::string> d_ = (decoded);            \
        assert_true(d_.has_value());                                \
        assert_int_equal(d_->size(), std::string(expected).size()); \
        assert_true(*d_ == std::string(expected));                  \
    } while (0)
#define expect_rejected(decoded) assert_false((decoded).has_value())
