// Helpers shared by the users-file tests (index, line parser, write-back).
#pragma once

#include <sys/stat.h>

#include <memory>
#include <string>
#include <vector>

#include "test_support.h"
#include "users/users_file.h"

inline constexpr char kKey[] = "3132333435363738393031323334353637383930";  // RFC 4226 test key
inline constexpr char kKeyBytes[] = "12345678901234567890";

// Replaces `path` atomically (as every writer of a users file does) with the given mode.
inline void write_file(const std::string& path, const std::string& content, mode_t mode = 0600) {
    const std::string tmp = path + ".tmp-write";
    write_whole_file(tmp, content);
    assert_int_equal(::chmod(tmp.c_str(), mode), 0);
    assert_int_equal(::rename(tmp.c_str(), path.c_str()), 0);
}

inline std::unique_ptr<otp::UsersIndex> parse_ok(
    const std::string& text, otp::UsersFileLayout layout = otp::UsersFileLayout::oath) {
    std::string error;
    std::unique_ptr<otp::UsersIndex> index =
        otp::UsersIndex::parse(text, "mem.oath", layout, &error);
    if (!index) {
        print_error("parse failed: %s\n", error.c_str());
        fail();
    }
    return index;
}

inline otp::TokenRecord only_token(const otp::UsersIndex& index, const std::string& user) {
    std::vector<otp::TokenRecord> tokens = index.tokens_for(user);
    if (tokens.size() != 1) {
        print_error("user %s has %zu tokens\n", user.c_str(), tokens.size());
        fail();
    }
    return tokens[0];
}
