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

// The content of `path`, or "<missing>" when it cannot be opened.
inline std::string read_file(const std::string& path) {
    std::string out;
    FILE* f = std::fopen(path.c_str(), "rb");
    if (!f) return "<missing>";
    char buf[4096];
    std::size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) out.append(buf, n);
    std::fclose(f);
    return out;
}

// Whether anything (a symbolic link too) is at `path`.
inline bool exists(const std::string& path) {
    struct stat st;
    return ::lstat(path.c_str(), &st) == 0;
}

inline bool contains(const std::string& haystack, const std::string& needle) {
    return haystack.find(needle) != std::string::npos;
}

// String checks that print both strings on failure.
#define EXPECT_CONTAINS(haystack, needle)                                               \
    do {                                                                                \
        const std::string h_ = (haystack), n_ = (needle);                               \
        if (!contains(h_, n_)) {                                                        \
            print_error("expected \"%s\" to contain \"%s\"\n", h_.c_str(), n_.c_str()); \
            fail();                                                                     \
        }                                                                               \
    } while (0)

#define EXPECT_STR_EQ(actual, expected)                                              \
    do {                                                                             \
        const std::string a_ = (actual), e_ = (expected);                            \
        if (a_ != e_) {                                                              \
            print_error("expected:\n[%s]\nactual:\n[%s]\n", e_.c_str(), a_.c_str()); \
            fail();                                                                  \
        }                                                                            \
    } while (0)

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
