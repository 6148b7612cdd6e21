// The users index (SPEC §4): tokens in file order per user, lookups of unknown and near-miss
// names, load() from disk with the identity of the file it read, and its errors.
#include <fcntl.h>
#include <sys/stat.h>

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "cmocka_wrap.h"
#include "users/users_file.h"
#include "users_test_support.h"

using namespace otp;

namespace {

void test_several_tokens_keep_file_order(void**) {
    std::string text =
        "HOTP alice - 01\n"
        "HOTP bob - 02\n"
        "# HOTP alice - 99 (commented out)\n"
        "HOTP/T30 alice 1234 03\n"
        "HOTP carol - 04\n"
        "HOTP/E/8 alice + 05 7\n";
    // Enough other users that the table grows and chains must survive rehashing.
    for (int i = 0; i < 5000; ++i) text += "HOTP/T30 user" + std::to_string(i) + " - 0a0b\n";
    text += "HOTP alice - 06\n";
    std::unique_ptr<UsersIndex> index = parse_ok(text);
    assert_int_equal(index->user_count(), 5003);
    assert_int_equal(index->token_count(), 5006);
    const std::vector<TokenRecord> alice = index->tokens_for("alice");
    assert_int_equal(alice.size(), 4);
    const unsigned expected_lines[] = {1, 4, 6, 5007};
    const char expected_secret[] = {1, 3, 5, 6};
    for (std::size_t i = 0; i < alice.size(); ++i) {
        assert_int_equal(alice[i].line_number, expected_lines[i]);
        assert_int_equal(alice[i].secret.size(), 1);
        assert_int_equal(alice[i].secret[0], expected_secret[i]);
        EXPECT_STR_EQ(alice[i].user, "alice");
    }
    assert_true(alice[1].type.kind == TokenKind::time);
    EXPECT_STR_EQ(alice[1].pin, "1234");
    assert_int_equal(alice[2].counter, 7);
    assert_int_equal(index->tokens_for("user4999").size(), 1);
    assert_int_equal(index->tokens_for("user4999")[0].line_number, 5006);
}

void test_unknown_user_is_empty(void**) {
    std::unique_ptr<UsersIndex> index = parse_ok("HOTP alice - 01\nHOTP bob - 02\n");
    assert_true(index->tokens_for("mallory").empty());
    assert_true(index->tokens_for("").empty());
    assert_true(index->tokens_for("alic").empty());
    assert_true(index->tokens_for("alice ").empty());
    assert_true(index->tokens_for("ALICE").empty());
    assert_true(index->tokens_for(std::string(300, 'a')).empty());
    std::unique_ptr<UsersIndex> empty = parse_ok("# nothing\n\n");
    assert_int_equal(empty->user_count(), 0);
    assert_true(empty->tokens_for("alice").empty());
    std::unique_ptr<UsersIndex> nothing = parse_ok("");
    assert_true(nothing->tokens_for("alice").empty());
}

void test_load_and_file_identity(void**) {
    const std::string dir = make_scratch_dir("users_file");
    const std::string path = dir + "/users.oath";
    write_file(path, "HOTP alice - 01\nHOTP/T30 bob - 02\n", 0640);
    std::string error;
    std::unique_ptr<UsersIndex> index = UsersIndex::load(path, UsersFileLayout::oath, &error);
    assert_non_null(index.get());
    assert_int_equal(index->token_count(), 2);
    const std::optional<FileIdentity> id = stat_identity(path, &error);
    assert_true(id.has_value());
    assert_true(index->identity() == *id);
    assert_true(id->size == 34);
    assert_true(id->inode != 0);

    // Replaced by rename (what every writer does): a new identity.
    write_file(path, "HOTP alice - 01\nHOTP/T30 bob - 03\n", 0640);
    const std::optional<FileIdentity> replaced = stat_identity(path, &error);
    assert_true(replaced.has_value());
    assert_true(*replaced != *id);
    // Rewritten in place with the same size: mtime/ctime tell.
    struct timespec times[2] = {{0, UTIME_OMIT}, {12345, 678}};
    assert_int_equal(::utimensat(AT_FDCWD, path.c_str(), times, 0), 0);
    const std::optional<FileIdentity> touched = stat_identity(path, &error);
    assert_true(*touched != *replaced);
    assert_true(touched->inode == replaced->inode);

    assert_null(UsersIndex::load(dir + "/missing", UsersFileLayout::oath, &error).get());
    EXPECT_CONTAINS(error, dir + "/missing: cannot open");
    assert_false(stat_identity(dir + "/missing", &error).has_value());
    assert_null(UsersIndex::load(dir, UsersFileLayout::oath, &error).get());
    EXPECT_CONTAINS(error, "not a regular file");
    write_file(path, "HOTP alice - 01\nHOTP bob - 0g\n");
    assert_null(UsersIndex::load(path, UsersFileLayout::oath, &error).get());
    EXPECT_STR_EQ(error, path + ":2: SECRET field is not hexadecimal");
}

// ---- sizes at the limits ------------------------------------------------------------------------

void test_longest_names(void**) {
    const std::string user(255, 'u'), pin(255, 'p'), last_otp(255, '7');
    std::unique_ptr<UsersIndex> index = parse_ok("HOTP " + user + " " + pin + " " +
                                                 std::string(128, 'a') + " 3 " + last_otp + "\n");
    const TokenRecord token = only_token(*index, user);
    EXPECT_STR_EQ(token.user, user);
    EXPECT_STR_EQ(token.pin, pin);
    EXPECT_STR_EQ(token.last_otp, last_otp);
    assert_int_equal(token.secret.size(), 64);
    assert_int_equal(static_cast<unsigned char>(token.secret[63]), 0xaa);
    assert_int_equal(token.counter, 3);
    assert_true(index->tokens_for(user.substr(1)).empty());
}

// Enough users that the records, the table and the arena outgrow the ordinary heap and live in
// huge-page mappings (huge_page_allocator.h), and the table is rehashed on the way.
void test_large_index(void**) {
    constexpr int kUsers = 200000;
    std::string text;
    text.reserve(kUsers * 40);
    for (int i = 0; i < kUsers; ++i) {
        char line[64];
        std::snprintf(line, sizeof line, "HOTP/T30 user%d - %08x%08x %d\n", i,
                      static_cast<unsigned>(i), static_cast<unsigned>(i) * 2654435761u, i);
        text += line;
    }
    std::unique_ptr<UsersIndex> index = parse_ok(text);
    assert_int_equal(index->user_count(), kUsers);
    assert_int_equal(index->token_count(), kUsers);
    assert_true(index->memory_bytes() > static_cast<std::size_t>(kUsers) * 32);
    for (int i : {0, 1, 4095, 65536, 131071, kUsers - 1}) {
        const TokenRecord token = only_token(*index, "user" + std::to_string(i));
        assert_int_equal(token.line_number, i + 1);
        assert_int_equal(token.counter, i);
        assert_int_equal(token.secret.size(), 8);
        assert_int_equal(static_cast<unsigned char>(token.secret[3]), i & 0xff);
    }
    assert_true(index->tokens_for("user" + std::to_string(kUsers)).empty());
}

}  // namespace

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_several_tokens_keep_file_order),
        cmocka_unit_test(test_unknown_user_is_empty),
        cmocka_unit_test(test_load_and_file_identity),
        cmocka_unit_test(test_longest_names),
        cmocka_unit_test(test_large_index),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
