// Users file (SPEC §4): token types, both layouts, the index, error messages, and the locked
// write-back, which is compared byte for byte with what liboath itself writes.
//
// liboath is linked into this test (CMakeLists.txt); without it the comparisons fail rather
// than skip, because they are the evidence that pam_oath and mod_otp can share one file.
#include "cmocka_wrap.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <ctime>
#include <string>
#include <vector>

#include "test_support.h"
#include "otp/token_type.h"
#include "users/users_file.h"

#ifdef HAVE_LIBOATH
#include <oath.h>
#endif

using namespace otp;

namespace {

const char kKey[] = "3132333435363738393031323334353637383930";  // RFC 4226 test key
const char kKeyBytes[] = "12345678901234567890";

// ---- helpers -----------------------------------------------------------------------------

void write_file(const std::string& path, const std::string& content, mode_t mode = 0600) {
    const std::string tmp = path + ".tmp-write";
    write_whole_file(tmp, content);
    assert_int_equal(::chmod(tmp.c_str(), mode), 0);
    assert_int_equal(::rename(tmp.c_str(), path.c_str()), 0);
}

std::string read_file(const std::string& path) {
    std::string out;
    FILE* f = std::fopen(path.c_str(), "rb");
    if (!f) return "<missing>";
    char buf[4096];
    std::size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) out.append(buf, n);
    std::fclose(f);
    return out;
}

bool exists(const std::string& path) {
    struct stat st;
    return ::lstat(path.c_str(), &st) == 0;
}

bool contains(const std::string& haystack, const std::string& needle) {
    return haystack.find(needle) != std::string::npos;
}

#define EXPECT_CONTAINS(haystack, needle)                                                   \
    do {                                                                                    \
        const std::string h_ = (haystack), n_ = (needle);                                   \
        if (!contains(h_, n_)) {                                                            \
            print_error("expected \"%s\" to contain \"%s\"\n", h_.c_str(), n_.c_str());     \
            fail();                                                                         \
        }                                                                                   \
    } while (0)

#define EXPECT_STR_EQ(actual, expected)                                                     \
    do {                                                                                    \
        const std::string a_ = (actual), e_ = (expected);                                   \
        if (a_ != e_) {                                                                     \
            print_error("expected:\n[%s]\nactual:\n[%s]\n", e_.c_str(), a_.c_str());         \
            fail();                                                                         \
        }                                                                                   \
    } while (0)

std::unique_ptr<UsersIndex> parse_ok(const std::string& text,
                                     UsersFileLayout layout = UsersFileLayout::oath) {
    std::string error;
    std::unique_ptr<UsersIndex> index = UsersIndex::parse(text, "mem.oath", layout, &error);
    if (!index) {
        print_error("parse failed: %s\n", error.c_str());
        fail();
    }
    return index;
}

TokenRecord only_token(const UsersIndex& index, const std::string& user) {
    std::vector<TokenRecord> tokens = index.tokens_for(user);
    if (tokens.size() != 1) {
        print_error("user %s has %zu tokens\n", user.c_str(), tokens.size());
        fail();
    }
    return tokens[0];
}

std::string local_time(std::time_t t) {
    struct tm tm;
    localtime_r(&t, &tm);
    char buf[64];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SL", &tm);
    return buf;
}

#ifdef HAVE_LIBOATH
std::string liboath_code(const std::string& hex_key, std::uint64_t counter, unsigned digits) {
    char key[64];
    size_t key_len = sizeof key;
    assert_int_equal(oath_hex2bin(hex_key.c_str(), key, &key_len), OATH_OK);
    char code[16];
    assert_int_equal(oath_hotp_generate(key, key_len, counter, digits, false,
                                        OATH_HOTP_DYNAMIC_TRUNCATION, code),
                     OATH_OK);
    return code;
}
#endif

void require_liboath() {
#ifndef HAVE_LIBOATH
    print_error("liboath is not linked into test_users_file (install liboath-dev)\n");
    fail();
#endif
}

// ---- token types ---------------------------------------------------------------------------

struct TypeCase {
    const char* text;
    TokenKind kind;
    unsigned digits, step;
    HashAlgorithm algorithm;
};

void test_token_types_valid(void**) {
    const TypeCase cases[] = {
        {"HOTP", TokenKind::counter, 0, 0, HashAlgorithm::sha1},
        {"HOTP/E", TokenKind::counter, 0, 0, HashAlgorithm::sha1},
        {"HOTP/E/6", TokenKind::counter, 6, 0, HashAlgorithm::sha1},
        {"HOTP/E/7", TokenKind::counter, 7, 0, HashAlgorithm::sha1},
        {"HOTP/E/8", TokenKind::counter, 8, 0, HashAlgorithm::sha1},
        {"HOTP/T30", TokenKind::time, 0, 30, HashAlgorithm::sha1},
        {"HOTP/T60", TokenKind::time, 0, 60, HashAlgorithm::sha1},
        {"HOTP/T30/6", TokenKind::time, 6, 30, HashAlgorithm::sha1},
        {"HOTP/T30/7", TokenKind::time, 7, 30, HashAlgorithm::sha1},
        {"HOTP/T30/8", TokenKind::time, 8, 30, HashAlgorithm::sha1},
        {"HOTP/T60/6", TokenKind::time, 6, 60, HashAlgorithm::sha1},
        {"HOTP/T60/8", TokenKind::time, 8, 60, HashAlgorithm::sha1},
        {"HOTP/T45", TokenKind::time, 0, 45, HashAlgorithm::sha1},
        {"HOTP/T1", TokenKind::time, 0, 1, HashAlgorithm::sha1},
        {"HOTP/T3600/7", TokenKind::time, 7, 3600, HashAlgorithm::sha1},
        {"HOTP/T30/8-SHA256", TokenKind::time, 8, 30, HashAlgorithm::sha256},
        {"HOTP/T60-SHA512", TokenKind::time, 0, 60, HashAlgorithm::sha512},
        {"HOTP/T30-SHA1", TokenKind::time, 0, 30, HashAlgorithm::sha1},
        {"HOTP-SHA256", TokenKind::counter, 0, 0, HashAlgorithm::sha256},
        {"HOTP/E/8-SHA512", TokenKind::counter, 8, 0, HashAlgorithm::sha512},
    };
    for (const TypeCase& c : cases) {
        std::string error;
        const std::optional<TokenType> type = parse_token_type(c.text, &error);
        if (!type) {
            print_error("%s: %s\n", c.text, error.c_str());
            fail();
        }
        assert_int_equal(static_cast<int>(type->kind), static_cast<int>(c.kind));
        assert_int_equal(type->digits, c.digits);
        assert_int_equal(type->step_seconds, c.step);
        assert_int_equal(static_cast<int>(type->algorithm), static_cast<int>(c.algorithm));
        const std::optional<TokenType> again = parse_token_type(format_token_type(*type), &error);
        assert_true(again.has_value());
        assert_int_equal(static_cast<int>(again->kind), static_cast<int>(type->kind));
        assert_int_equal(again->digits, type->digits);
        assert_int_equal(again->step_seconds, type->step_seconds);
        assert_int_equal(static_cast<int>(again->algorithm), static_cast<int>(type->algorithm));
    }
    TokenType t;
    t.kind = TokenKind::time;
    t.digits = 8;
    t.step_seconds = 30;
    t.algorithm = HashAlgorithm::sha256;
    EXPECT_STR_EQ(format_token_type(t), "HOTP/T30/8-SHA256");
    EXPECT_STR_EQ(format_token_type(TokenType()), "HOTP");
}

void test_token_types_invalid(void**) {
    const struct {
        const char* text;
        const char* reason;
    } cases[] = {
        {"hotp", "case-sensitive"},         // liboath compares with strcmp
        {"Hotp/T30", "case-sensitive"},
        {"HOTP/e", "case-sensitive"},
        {"HOTP/t30", "case-sensitive"},
        {"HOTP/E/9", "6, 7 or 8"},
        {"HOTP/E/5", "6, 7 or 8"},
        {"HOTP/E/", "6, 7 or 8"},
        {"HOTP/T30/10", "6, 7 or 8"},
        {"HOTP/T0", "time step"},
        {"HOTP/T3601", "time step"},
        {"HOTP/T030", "time step"},
        {"HOTP/T", "time step"},
        {"HOTP/Tx", "time step"},
        {"HOTP-MD5", "algorithm suffix"},
        {"HOTP/T30-sha256", "algorithm suffix"},
        {"HOTP/T30-", "algorithm suffix"},
        {"MOTP", "Mobile-OTP"},
        {"OCRA", "OCRA"},
        {"TOTP", "unknown token type"},
        {"", "unknown token type"},
        {"HOTP/", "unknown token type"},
        {"HOTP//8", "unknown token type"},
        {"HOTP/X", "unknown token type"},
    };
    for (const auto& c : cases) {
        std::string error;
        if (parse_token_type(c.text, &error)) {
            print_error("\"%s\" was accepted\n", c.text);
            fail();
        }
        EXPECT_CONTAINS(error, c.reason);
    }
}

// ---- parsing -------------------------------------------------------------------------------

void test_parse_oath_layout(void**) {
    const std::string key64(128, 'a');
    const std::string text =
        "# users.oath\n"                                                               // 1
        "\n"                                                                           // 2
        "   \t  \n"                                                                    // 3
        "HOTP\talice\t-\t3132333435363738393031323334353637383930\n"                   // 4
        "HOTP/T30  bob   1234  0102030405060708090a0b0c0d0e0f10   \n"                  // 5
        "  # indented comment\n"                                                       // 6
        "HOTP/E/8 carol + ABCDEF0123456789ABCDEF0123456789ABCDEF01 17 12345678 "
        "2024-01-02T03:04:05L\r\n"                                                     // 7
        "HOTP/T60/7-SHA512 dave - " + key64 + " 3\n"                                   // 8
        "HOTP/T45-SHA256\terin\t-\t00Ff";                                              // 9
    std::unique_ptr<UsersIndex> index = parse_ok(text);
    assert_int_equal(index->user_count(), 5);
    assert_int_equal(index->token_count(), 5);
    assert_true(index->layout() == UsersFileLayout::oath);
    assert_true(index->identity() == FileIdentity());
    assert_true(index->memory_bytes() > 0);

    const TokenRecord alice = only_token(*index, "alice");
    assert_true(alice.type.kind == TokenKind::counter);
    assert_int_equal(alice.type.digits, 0);
    assert_true(alice.pin_mode == PinMode::none);
    assert_true(alice.pin.empty());
    EXPECT_STR_EQ(alice.secret, kKeyBytes);
    assert_false(alice.has_counter);
    assert_true(alice.last_otp.empty());
    assert_int_equal(alice.line_number, 4);
    EXPECT_STR_EQ(alice.user, "alice");

    const TokenRecord bob = only_token(*index, "bob");
    assert_true(bob.type.kind == TokenKind::time);
    assert_int_equal(bob.type.step_seconds, 30);
    assert_true(bob.pin_mode == PinMode::pin);
    EXPECT_STR_EQ(bob.pin, "1234");
    assert_int_equal(bob.secret.size(), 16);
    assert_int_equal(bob.secret[15], 0x10);
    assert_int_equal(bob.line_number, 5);

    const TokenRecord carol = only_token(*index, "carol");
    assert_int_equal(carol.type.digits, 8);
    assert_true(carol.pin_mode == PinMode::external);
    assert_int_equal(static_cast<unsigned char>(carol.secret[0]), 0xab);
    assert_true(carol.has_counter);
    assert_int_equal(carol.counter, 17);
    EXPECT_STR_EQ(carol.last_otp, "12345678");
    assert_int_equal(carol.line_number, 7);

    const TokenRecord dave = only_token(*index, "dave");
    assert_int_equal(dave.type.digits, 7);
    assert_int_equal(dave.type.step_seconds, 60);
    assert_true(dave.type.algorithm == HashAlgorithm::sha512);
    assert_int_equal(dave.secret.size(), 64);
    assert_int_equal(dave.counter, 3);

    const TokenRecord erin = only_token(*index, "erin");
    assert_int_equal(erin.type.step_seconds, 45);
    assert_true(erin.type.algorithm == HashAlgorithm::sha256);
    assert_int_equal(erin.secret.size(), 2);
    assert_int_equal(static_cast<unsigned char>(erin.secret[1]), 0xff);
    assert_int_equal(erin.line_number, 9);
}

void test_several_tokens_keep_file_order(void**) {
    std::string text = "HOTP alice - 01\n"
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

struct BadLine {
    const char* line;
    const char* reason;
};

void expect_bad_line(const std::string& line, const std::string& reason,
                     UsersFileLayout layout, const std::vector<std::string>& secrets) {
    const std::string text = "# header\nHOTP good - " + std::string(kKey) + "\n" + line +
                             "\nHOTP after - 00\n";
    std::string error;
    std::unique_ptr<UsersIndex> index = UsersIndex::parse(text, "mem.oath", layout, &error);
    if (index) {
        print_error("accepted: %s\n", line.c_str());
        fail();
    }
    if (error.rfind("mem.oath:3: ", 0) != 0) {
        print_error("for [%s] error lacks file:line: %s\n", line.c_str(), error.c_str());
        fail();
    }
    EXPECT_CONTAINS(error, reason);
    for (const std::string& secret : secrets) {
        if (contains(error, secret)) {
            print_error("error reveals the secret: %s\n", error.c_str());
            fail();
        }
    }
}

void test_malformed_lines(void**) {
    const std::string s = "deadbeefcafebabe0123456789abcdef";
    const std::string S = "DEADBEEFCAFEBABE0123456789ABCDEF";
    const std::vector<std::string> secrets = {s, S, "deadbeefcafebab", "cafebabe"};
    const std::vector<BadLine> cases = {
        {"HOTQ u - SECRET", "TYPE field \"HOTQ\": unknown token type"},
        {"hotp u - SECRET", "case-sensitive"},
        {"HOTP/E/9 u - SECRET", "6, 7 or 8"},
        {"HOTP/T0 u - SECRET", "time step"},
        {"HOTP-MD5 u - SECRET", "algorithm suffix"},
        {"MOTP u - SECRET", "Mobile-OTP"},
        {"HOTP", "missing USER field"},
        {"HOTP u", "missing PIN field"},
        {"HOTP u -", "missing SECRET field"},
        {"HOTP u - deadbeefcafebabeZZ", "SECRET field is not hexadecimal"},
        {"HOTP u - deadbeefcafebab", "SECRET field has an odd number of hex digits"},
        {"HOTP u - SECRET x12", "COUNTER field"},
        {"HOTP u - SECRET 12x", "COUNTER field"},
        {"HOTP u - SECRET -1", "COUNTER field"},
        {"HOTP u - SECRET +1", "COUNTER field"},
        {"HOTP u - SECRET 99999999999999999999", "COUNTER field"},
        {"HOTP u - SECRET 1 123456 yesterday", "LASTTIME field"},
        {"HOTP u - SECRET 1 123456 2024-01-02T03:04:05Z", "LASTTIME field"},
        {"HOTP u - SECRET 1 123456 2024-01-02T03:04:05L extra", "too many fields"},
        {"HOTP u - SECRET 1 2 3 4 5 6 7 8 9 10 11", "too many fields"},
        {"HOTP u - SECRET trailing # comment", "COUNTER field"},
        // Fields shifted by a missing type: the key lands in TYPE and must not be echoed.
        {"deadbeefcafebabe0123456789abcdef alice - 00", "TYPE field: unknown token type"},
        {"DEADBEEFCAFEBABE0123456789ABCDEF alice - 00", "TYPE field: unknown token type"},
    };
    for (const BadLine& c : cases) {
        std::string line = c.line;
        const std::size_t at = line.find("SECRET");
        if (at != std::string::npos) line.replace(at, 6, s);
        expect_bad_line(line, c.reason, UsersFileLayout::oath, secrets);
    }
    expect_bad_line("HOTP u - " + std::string(130, 'c'), "SECRET field is longer than 64 bytes",
                    UsersFileLayout::oath, {std::string(130, 'c'), std::string(20, 'c')});
    expect_bad_line("HOTP " + std::string(256, 'u') + " - 00", "USER field is longer than 255",
                    UsersFileLayout::oath, secrets);
    expect_bad_line("HOTP u " + std::string(256, 'p') + " 00", "PIN field is longer than 255",
                    UsersFileLayout::oath, secrets);

    // mod_authn_otp layout specifics.
    const std::vector<BadLine> authn_cases = {
        {"MOTP u - SECRET", "Mobile-OTP"},
        {"HOTP/T u - SECRET", "time step"},  // its own parser needs digits after T
        {"hotp/e u - SECRET", "case-sensitive"},  // only the algorithm name ignores case
        {"HOTP u - SECRET -2", "COUNTER field"},  // negative only for time drift
        {"HOTP/T30 u - SECRET x", "COUNTER field (time offset)"},
        {"HOTP u - SECRET 1 x", "FAILURES field"},
        {"HOTP u - SECRET 1 0 123456 2024-01-02T03:04:05L 10.0.0.1 extra", "too many fields"},
        {"HOTP u - SECRET 1 123456 not-a-time", "LASTTIME field"},
        {"HOTP u - SECRET 1 0 123456 not-a-time 10.0.0.1", "LASTTIME field"},
    };
    for (const BadLine& c : authn_cases) {
        std::string line = c.line;
        const std::size_t at = line.find("SECRET");
        if (at != std::string::npos) line.replace(at, 6, s);
        expect_bad_line(line, c.reason, UsersFileLayout::mod_authn_otp, secrets);
    }
}

void test_parse_authn_otp_layout(void**) {
    // Lines in the forms mod_authn_otp reads (UsersFile.md), including its older layouts.
    const std::string text =
        "# mod_authn_otp users file\n"                                                      // 1
        "HOTP    barney        1234    8a2d55707a9084982649dadc04b426a06df19ab2 21      0 "
        "820658  2009-06-12T17:52:32L 192.168.1.1\n"                                        // 2
        "HOTP/T30 joe 999999 ef654fccdef654fccc4a4d8acbd18db4cc2f85ce -2 2 883913 "
        "2009-06-04T21:17:03L 10.1.1.153\n"                                                 // 3
        "HOTP    wilma         5678    a4d8acbddef654fccc418db4cc2f85cea6339f00\n"          // 4
        "HOTP    betty         -       54fccc418a4d8acbddef6db4cc2f85ce99321d64 5\n"        // 5
        "E fred 5678 acbd18db4cc2f85cedef654fccc4a4d8bd537891 78 617363 "
        "2009-06-04T21:17:03L\n"                                                            // 6
        "T tom - 00112233 0 3\n"                                                            // 7
        "hotp/E/8 ann + 0011 7 123456 2009-06-04T21:17:03L 10.0.0.1\n"                      // 8
        "HOTP/T60/6 kim - 0011 0\n";                                                        // 9
    std::unique_ptr<UsersIndex> index = parse_ok(text, UsersFileLayout::mod_authn_otp);
    assert_int_equal(index->token_count(), 8);
    const UsersFileLayout L = UsersFileLayout::mod_authn_otp;

    const TokenRecord barney = only_token(*index, "barney");
    assert_int_equal(barney.counter, 21);
    assert_int_equal(barney.next_counter(L), 21);
    EXPECT_STR_EQ(barney.last_otp, "820658");
    EXPECT_STR_EQ(barney.pin, "1234");
    assert_int_equal(barney.secret.size(), 20);

    const TokenRecord joe = only_token(*index, "joe");
    assert_true(joe.type.kind == TokenKind::time);
    assert_int_equal(joe.counter, -2);  // time drift
    EXPECT_STR_EQ(joe.last_otp, "883913");

    const TokenRecord wilma = only_token(*index, "wilma");
    assert_false(wilma.has_counter);
    assert_int_equal(wilma.next_counter(L), 0);

    assert_int_equal(only_token(*index, "betty").next_counter(L), 5);
    assert_true(only_token(*index, "betty").pin_mode == PinMode::none);

    const TokenRecord fred = only_token(*index, "fred");  // "E" = HOTP/E; LASTOTP LASTTIME
    assert_true(fred.type.kind == TokenKind::counter);
    assert_int_equal(fred.next_counter(L), 78);
    EXPECT_STR_EQ(fred.last_otp, "617363");

    const TokenRecord tom = only_token(*index, "tom");  // "T" = HOTP/T30; FAILURES only
    assert_true(tom.type.kind == TokenKind::time);
    assert_int_equal(tom.type.step_seconds, 30);
    assert_true(tom.last_otp.empty());

    const TokenRecord ann = only_token(*index, "ann");  // LASTOTP LASTTIME LASTIP
    assert_int_equal(ann.type.digits, 8);
    assert_true(ann.pin_mode == PinMode::external);
    EXPECT_STR_EQ(ann.last_otp, "123456");
    assert_int_equal(ann.next_counter(L), 7);

    assert_int_equal(only_token(*index, "kim").type.step_seconds, 60);

    // The same aliases are not oath types.
    std::string error;
    assert_null(UsersIndex::parse("E fred - 00\n", "x", UsersFileLayout::oath, &error).get());
    EXPECT_CONTAINS(error, "x:1: TYPE field");
}

// ---- next_counter, checked against liboath -------------------------------------------------

void test_next_counter_semantics(void**) {
    const std::string text = "HOTP a - 00\n"
                             "HOTP b - 00 5\n"
                             "HOTP c - 00 5 123456\n"
                             "HOTP d - 00 5 123456 2024-01-01T00:00:00L\n";
    std::unique_ptr<UsersIndex> index = parse_ok(text);
    assert_int_equal(only_token(*index, "a").next_counter(UsersFileLayout::oath), 0);
    assert_int_equal(only_token(*index, "b").next_counter(UsersFileLayout::oath), 5);
    assert_int_equal(only_token(*index, "c").next_counter(UsersFileLayout::oath), 6);
    assert_int_equal(only_token(*index, "d").next_counter(UsersFileLayout::oath), 6);
    // The same numbers read as mod_authn_otp mean "next expected".
    assert_int_equal(only_token(*index, "c").next_counter(UsersFileLayout::mod_authn_otp), 5);

    require_liboath();
#ifdef HAVE_LIBOATH
    assert_int_equal(oath_init(), OATH_OK);
    const std::string dir = make_scratch_dir("users_file");
    const std::string path = dir + "/users.oath";
    write_file(path, "HOTP alice - " + std::string(kKey) + "\n");
    time_t last = 0;
    // Fresh line: counter 0 itself is accepted (window 0 = only the start counter).
    assert_int_equal(oath_authenticate_usersfile(path.c_str(), "alice",
                                                 liboath_code(kKey, 0, 6).c_str(), 0, "", &last),
                     OATH_OK);
    std::string error;
    std::unique_ptr<UsersIndex> after = UsersIndex::load(path, UsersFileLayout::oath, &error);
    assert_non_null(after.get());
    TokenRecord alice = only_token(*after, "alice");
    assert_int_equal(alice.counter, 0);
    assert_int_equal(alice.next_counter(UsersFileLayout::oath), 1);
    // The code at COUNTER is a replay; the next one is COUNTER+1.
    assert_int_equal(oath_authenticate_usersfile(path.c_str(), "alice",
                                                 liboath_code(kKey, 0, 6).c_str(), 5, "", &last),
                     OATH_REPLAYED_OTP);
    assert_int_equal(oath_authenticate_usersfile(path.c_str(), "alice",
                                                 liboath_code(kKey, 1, 6).c_str(), 1, "", &last),
                     OATH_OK);
    after = UsersIndex::load(path, UsersFileLayout::oath, &error);
    alice = only_token(*after, "alice");
    assert_int_equal(alice.counter, 1);
    assert_int_equal(alice.next_counter(UsersFileLayout::oath), 2);
#endif
}

// ---- load() and FileIdentity ---------------------------------------------------------------

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

// ---- write-back: oath layout, compared with liboath -----------------------------------------

struct LiboathScenario {
    const char* user;
    const char* password;  // what pam_oath passes: "" for PIN "-"
    const char* hex_key;
    std::uint64_t counter;  // of the code that is accepted
    unsigned digits;
    unsigned line;          // the line liboath updates
};

void test_oath_writeback_matches_liboath(void**) {
    require_liboath();
#ifdef HAVE_LIBOATH
    assert_int_equal(oath_init(), OATH_OK);
    // Tabs, runs of spaces, CRLF, an upper-case key, a PIN, an existing LASTOTP/LASTTIME,
    // leading blanks and a last line without newline.
    const std::string original =
        "# users file shared with pam_oath\n"                                                 // 1
        "HOTP\talice\t-\t3132333435363738393031323334353637383930\n"                          // 2
        "HOTP/T30  bob  pin  3132333435363738393031323334353637383930  \n"                    // 3
        "HOTP carol 4711 ABCDEF0123456789ABCDEF0123456789ABCDEF01 5 123456 "
        "2024-01-02T03:04:05L\r\n"                                                            // 4
        "\n"                                                                                  // 5
        "HOTP/E/8 dave - 3132333435363738393031323334353637383930 7\n"                        // 6
        "   HOTP   erin   -   0011223344556677889900112233445566778899";                      // 7
    const LiboathScenario scenarios[] = {
        {"alice", "", kKey, 3, 6, 2},
        {"carol", "4711", "ABCDEF0123456789ABCDEF0123456789ABCDEF01", 8, 6, 4},
        {"dave", "", kKey, 7, 8, 6},
        {"erin", "", "0011223344556677889900112233445566778899", 0, 6, 7},
    };
    const std::string dir = make_scratch_dir("users_file");
    const std::string theirs = dir + "/liboath.oath", ours = dir + "/ours.oath";
    for (const LiboathScenario& s : scenarios) {
        const std::string code = liboath_code(s.hex_key, s.counter, s.digits);
        bool compared = false;
        // LASTTIME has a resolution of one second: retry until both writes share a second.
        for (int attempt = 0; attempt < 5 && !compared; ++attempt) {
            write_file(theirs, original, 0640);
            write_file(ours, original, 0640);
            const std::time_t before = std::time(nullptr);
            time_t last = 0;
            assert_int_equal(oath_authenticate_usersfile(theirs.c_str(), s.user, code.c_str(), 10,
                                                         s.password, &last),
                             OATH_OK);
            std::string error;
            std::unique_ptr<UsersFileTransaction> tx =
                UsersFileTransaction::begin(ours, UsersFileLayout::oath, &error);
            assert_non_null(tx.get());
            const std::vector<TokenRecord> tokens = tx->tokens_for(s.user);
            assert_int_equal(tokens.size(), 1);
            assert_int_equal(tokens[0].line_number, s.line);
            assert_true(tokens[0].next_counter(UsersFileLayout::oath) <= s.counter);
            const std::time_t now = std::time(nullptr);
            if (!tx->record_counter(tokens[0], s.counter, code, now, &error)) {
                print_error("record_counter: %s\n", error.c_str());
                fail();
            }
            tx.reset();
            if (std::time(nullptr) != before) continue;
            EXPECT_STR_EQ(read_file(ours), read_file(theirs));
            EXPECT_CONTAINS(read_file(ours), "\t" + std::to_string(s.counter) + "\t" + code + "\t" +
                                                 local_time(now) + "\n");
            compared = true;
        }
        assert_true(compared);
    }
    // A captured example of what liboath 2.6.7 wrote for alice (code 969429 at counter 3):
    //   HOTP\talice\t-\t3132333435363738393031323334353637383930\t3\t969429\t2026-11-25T11:48:39L\n
    // and it leaves no "<file>.lock" behind; neither do we in this layout.
    assert_false(exists(ours + ".lock"));
    assert_false(exists(ours + ".new"));
#endif
}

// ---- write-back: mod_authn_otp layout -------------------------------------------------------

std::string authn_otp_expected(const char* type, const char* user, const char* pin,
                               const char* key, long next, const char* otp, const std::string& when,
                               const char* ip) {
    // mod_authn_otp's print_user(): "%-7s %-13s %-7s " KEY " %-3ld %-2u" " %-7s %s %s" "\n".
    char buf[512];
    std::snprintf(buf, sizeof buf, "%-7s %-13s %-7s %s %-3ld %-2u %-7s %s %s\n", type, user, pin,
                  key, next, 0u, otp, when.c_str(), ip);
    return buf;
}

void test_authn_otp_writeback(void**) {
    const std::string dir = make_scratch_dir("users_file");
    const std::string path = dir + "/users.otp";
    const std::string line1 = "# mod_authn_otp users\n";
    const std::string line2 =
        "HOTP    barney        1234    8a2d55707a9084982649dadc04b426a06df19ab2 21      3 "
        "820658  2009-06-12T17:52:32L 192.168.1.1\n";
    const std::string line3 = "HOTP wilma 5678 A4D8ACBDDEF654FCCC418DB4CC2F85CEA6339F00\n";
    const std::string line4 =
        "E\tfred  5678 acbd18db4cc2f85cedef654fccc4a4d8bd537891   78 617363 "
        "2009-06-04T21:17:03L\n";
    const std::string line5 = "  \t \n";
    write_file(path, line1 + line2 + line3 + line4 + line5, 0640);

    std::string error;
    std::unique_ptr<UsersFileTransaction> tx =
        UsersFileTransaction::begin(path, UsersFileLayout::mod_authn_otp, &error);
    assert_non_null(tx.get());
    const TokenRecord barney = tx->tokens_for("barney").at(0);
    assert_int_equal(barney.next_counter(UsersFileLayout::mod_authn_otp), 21);
    const std::time_t now = 1700000000;
    assert_true(tx->record_counter(barney, 23, "123456", now, &error, "203.0.113.7"));
    const TokenRecord wilma = tx->tokens_for("wilma").at(0);
    assert_true(tx->record_counter(wilma, 0, "654321", now, &error));
    tx.reset();

    const std::string when = local_time(now);
    const std::string expected =
        line1 +
        authn_otp_expected("HOTP", "barney", "1234", "8a2d55707a9084982649dadc04b426a06df19ab2",
                           24, "123456", when, "203.0.113.7") +
        authn_otp_expected("HOTP", "wilma", "5678", "A4D8ACBDDEF654FCCC418DB4CC2F85CEA6339F00", 1,
                           "654321", when, "-") +
        line4 + line5;
    EXPECT_STR_EQ(read_file(path), expected);

    // What we wrote reads back in that layout (FAILURES LASTOTP LASTTIME LASTIP form).
    std::unique_ptr<UsersIndex> index = UsersIndex::load(path, UsersFileLayout::mod_authn_otp, &error);
    assert_non_null(index.get());
    assert_int_equal(only_token(*index, "barney").next_counter(UsersFileLayout::mod_authn_otp), 24);
    EXPECT_STR_EQ(only_token(*index, "barney").last_otp, "123456");
    assert_int_equal(only_token(*index, "wilma").next_counter(UsersFileLayout::mod_authn_otp), 1);
    // mod_authn_otp keeps its lock file; so do we in its layout.
    assert_true(exists(path + ".lock"));
    assert_false(exists(path + ".new"));
}

// ---- write-back: owner, mode and refusals ---------------------------------------------------

bool record_first(const std::string& path, const std::string& user, std::uint64_t counter,
                  std::string* error) {
    std::unique_ptr<UsersFileTransaction> tx =
        UsersFileTransaction::begin(path, UsersFileLayout::oath, error);
    if (!tx) return false;
    const std::vector<TokenRecord> tokens = tx->tokens_for(user);
    if (tokens.empty()) {
        *error = "no token";
        return false;
    }
    return tx->record_counter(tokens[0], counter, "123456", std::time(nullptr), error);
}

void test_writeback_keeps_mode_and_owner(void**) {
    const std::string dir = make_scratch_dir("users_file");
    const std::string path = dir + "/users.oath";
    write_file(path, "HOTP alice - 01\n", 0640);
    struct stat before;
    assert_int_equal(::stat(path.c_str(), &before), 0);
    std::string error;
    assert_true(record_first(path, "alice", 0, &error));
    struct stat after;
    assert_int_equal(::stat(path.c_str(), &after), 0);
    assert_int_equal(after.st_mode & 07777, 0640);
    assert_int_equal(after.st_uid, before.st_uid);
    assert_int_equal(after.st_gid, before.st_gid);
    assert_true(after.st_ino != before.st_ino);  // replaced, not rewritten in place

    if (::geteuid() != 0) return;
    // As root: a file owned by someone else keeps that owner.
    assert_int_equal(::chown(path.c_str(), 4242, 4343), 0);
    assert_true(record_first(path, "alice", 1, &error));
    assert_int_equal(::stat(path.c_str(), &after), 0);
    assert_int_equal(after.st_uid, 4242);
    assert_int_equal(after.st_gid, 4343);
    assert_int_equal(after.st_mode & 07777, 0640);

    // A writer that cannot give the new file the old owner must refuse, not change it. It
    // runs as "nobody" in a directory it may write to (under /tmp, which it can reach).
    char shared_template[] = "/tmp/users_file_owner.XXXXXX";
    assert_non_null(::mkdtemp(shared_template));
    const std::string shared_dir = shared_template, shared = shared_dir + "/users.oath";
    assert_int_equal(::chmod(shared_dir.c_str(), 0777), 0);
    write_file(shared, "HOTP alice - 01\n", 0644);
    const pid_t child = ::fork();
    assert_true(child >= 0);
    if (child == 0) {
        if (::setgid(65534) != 0 || ::setuid(65534) != 0) ::_exit(3);
        std::string child_error;
        if (record_first(shared, "alice", 5, &child_error)) ::_exit(1);
        std::fprintf(stderr, "(expected refusal: %s)\n", child_error.c_str());
        ::_exit(contains(child_error, "owner and group") ? 0 : 2);
    }
    int status = 0;
    assert_int_equal(::waitpid(child, &status, 0), child);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    EXPECT_STR_EQ(read_file(shared), "HOTP alice - 01\n");
    assert_false(exists(shared + ".new"));
    ::unlink(shared.c_str());
    ::unlink((shared + ".lock").c_str());
    assert_int_equal(::rmdir(shared_dir.c_str()), 0);
}

void test_refuses_symlinked_users_file(void**) {
    const std::string dir = make_scratch_dir("users_file");
    const std::string real = dir + "/real.oath", link = dir + "/users.oath";
    const std::string content = "HOTP alice - 01\n";
    write_file(real, content);
    assert_int_equal(::symlink(real.c_str(), link.c_str()), 0);
    std::string error;
    assert_null(UsersFileTransaction::begin(link, UsersFileLayout::oath, &error).get());
    EXPECT_CONTAINS(error, "symbolic link");
    EXPECT_STR_EQ(read_file(real), content);
    // Reading through a symlink is fine (nothing is written).
    assert_non_null(UsersIndex::load(link, UsersFileLayout::oath, &error).get());
    // A FIFO is not a users file (and must not hang the reader).
    const std::string fifo = dir + "/fifo.oath";
    assert_int_equal(::mkfifo(fifo.c_str(), 0600), 0);
    assert_null(UsersFileTransaction::begin(fifo, UsersFileLayout::oath, &error).get());
    EXPECT_CONTAINS(error, "not a regular file");
    assert_null(UsersIndex::load(fifo, UsersFileLayout::oath, &error).get());
    EXPECT_CONTAINS(error, "not a regular file");
}

void test_refuses_symlinked_lock_file(void**) {
    const std::string dir = make_scratch_dir("users_file");
    const std::string path = dir + "/users.oath", victim = dir + "/victim";
    const std::string content = "HOTP alice - 01\n";
    write_file(path, content);
    write_file(victim, "precious\n", 0644);
    assert_int_equal(::symlink(victim.c_str(), (path + ".lock").c_str()), 0);
    std::string error;
    assert_null(UsersFileTransaction::begin(path, UsersFileLayout::oath, &error).get());
    EXPECT_CONTAINS(error, path + ".lock is a symbolic link");
    EXPECT_STR_EQ(read_file(victim), "precious\n");
    EXPECT_STR_EQ(read_file(path), content);
    struct stat st;
    assert_int_equal(::stat(victim.c_str(), &st), 0);
    assert_int_equal(st.st_mode & 07777, 0644);

    // Dangling: the target must not be created.
    assert_int_equal(::unlink((path + ".lock").c_str()), 0);
    assert_int_equal(::symlink((dir + "/created").c_str(), (path + ".lock").c_str()), 0);
    assert_null(UsersFileTransaction::begin(path, UsersFileLayout::oath, &error).get());
    assert_false(exists(dir + "/created"));
}

void test_refuses_symlinked_new_file(void**) {
    const std::string dir = make_scratch_dir("users_file");
    const std::string path = dir + "/users.oath", victim = dir + "/victim";
    const std::string content = "HOTP alice - 01\n";
    write_file(path, content);
    write_file(victim, "precious\n", 0644);
    assert_int_equal(::symlink(victim.c_str(), (path + ".new").c_str()), 0);
    std::string error;
    assert_false(record_first(path, "alice", 0, &error));
    EXPECT_CONTAINS(error, path + ".new is a symbolic link");
    EXPECT_STR_EQ(read_file(victim), "precious\n");
    EXPECT_STR_EQ(read_file(path), content);
    struct stat st;
    assert_int_equal(::lstat((path + ".new").c_str(), &st), 0);
    assert_true(S_ISLNK(st.st_mode));  // left for the administrator to look at

    assert_int_equal(::unlink((path + ".new").c_str()), 0);
    assert_int_equal(::symlink((dir + "/created").c_str(), (path + ".new").c_str()), 0);
    assert_false(record_first(path, "alice", 0, &error));
    assert_false(exists(dir + "/created"));
    EXPECT_STR_EQ(read_file(path), content);
}

void test_stale_new_file_is_replaced(void**) {
    const std::string dir = make_scratch_dir("users_file");
    const std::string path = dir + "/users.oath";
    write_file(path, "HOTP alice - 01\n");
    write_file(path + ".new", "half-written junk from a crash");
    std::string error;
    if (!record_first(path, "alice", 0, &error)) {
        print_error("%s\n", error.c_str());
        fail();
    }
    assert_false(exists(path + ".new"));
    EXPECT_CONTAINS(read_file(path), "HOTP\talice\t-\t01\t0\t123456\t");
}

void test_refuses_changed_record(void**) {
    const std::string dir = make_scratch_dir("users_file");
    const std::string path = dir + "/users.oath";
    const std::string original = "# users\nHOTP alice - 01 4 111111\nHOTP/T30 bob - 02\n";
    write_file(path, original);
    std::string error;
    std::unique_ptr<UsersIndex> index = UsersIndex::load(path, UsersFileLayout::oath, &error);
    const TokenRecord from_index = only_token(*index, "alice");

    // The administrator changed alice's key since the index was loaded.
    const std::string rekeyed = "# users\nHOTP alice - 09 4 111111\nHOTP/T30 bob - 02\n";
    write_file(path, rekeyed);
    std::unique_ptr<UsersFileTransaction> tx =
        UsersFileTransaction::begin(path, UsersFileLayout::oath, &error);
    assert_non_null(tx.get());
    assert_false(tx->record_counter(from_index, 5, "123456", std::time(nullptr), &error));
    EXPECT_CONTAINS(error, path + ":2: the line no longer holds this token");
    tx.reset();
    EXPECT_STR_EQ(read_file(path), rekeyed);

    // Lines moved: line 2 now holds somebody else.
    const std::string moved = "# users\nHOTP/T30 bob - 02\nHOTP alice - 01 4 111111\n";
    write_file(path, moved);
    tx = UsersFileTransaction::begin(path, UsersFileLayout::oath, &error);
    assert_false(tx->record_counter(from_index, 5, "123456", std::time(nullptr), &error));
    EXPECT_CONTAINS(error, "no longer holds");
    // The current token (line 3) is fine, but not with a counter that was already used.
    const TokenRecord current = tx->tokens_for("alice").at(0);
    assert_int_equal(current.line_number, 3);
    assert_false(tx->record_counter(current, 4, "123456", std::time(nullptr), &error));
    EXPECT_CONTAINS(error, "already used");
    assert_false(tx->record_counter(current, 5, "12a456", std::time(nullptr), &error));
    EXPECT_CONTAINS(error, "digits");
    assert_false(tx->record_counter(current, 5, "123456\nHOTP", std::time(nullptr), &error));
    assert_false(tx->record_counter(current, 5, "", std::time(nullptr), &error));
    assert_false(tx->record_counter(tx->tokens_for("bob").at(0), 5, "123456", std::time(nullptr),
                                    &error));
    EXPECT_CONTAINS(error, "time-based");
    tx.reset();
    EXPECT_STR_EQ(read_file(path), moved);

    // An editor that ignores the lock replaces the file while we hold it.
    tx = UsersFileTransaction::begin(path, UsersFileLayout::oath, &error);
    const TokenRecord locked = tx->tokens_for("alice").at(0);
    const std::string edited = moved + "HOTP carol - 03\n";
    write_file(path, edited);
    assert_false(tx->record_counter(locked, 5, "123456", std::time(nullptr), &error));
    EXPECT_CONTAINS(error, "changed by a program that ignores");
    tx.reset();
    EXPECT_STR_EQ(read_file(path), edited);
    assert_false(exists(path + ".new"));

    // Two records in one transaction see each other.
    tx = UsersFileTransaction::begin(path, UsersFileLayout::oath, &error);
    TokenRecord t = tx->tokens_for("alice").at(0);
    assert_true(tx->record_counter(t, 5, "555555", std::time(nullptr), &error));
    t = tx->tokens_for("alice").at(0);
    assert_int_equal(t.next_counter(UsersFileLayout::oath), 6);
    assert_false(tx->record_counter(t, 5, "555555", std::time(nullptr), &error));
    assert_true(tx->record_counter(t, 6, "666666", std::time(nullptr), &error));
    t = tx->tokens_for("carol").at(0);
    assert_true(tx->record_counter(t, 0, "000000", std::time(nullptr), &error));
    tx.reset();
    index = UsersIndex::load(path, UsersFileLayout::oath, &error);
    assert_int_equal(only_token(*index, "alice").counter, 6);
    EXPECT_STR_EQ(only_token(*index, "alice").last_otp, "666666");
    assert_int_equal(only_token(*index, "carol").next_counter(UsersFileLayout::oath), 1);
}

// ---- concurrency ---------------------------------------------------------------------------

constexpr int kWriters = 8;
constexpr int kRounds = 20;

int writer_process(const std::string& path, int id) {
    const std::string own = "user" + std::to_string(id);
    for (int round = 0; round < kRounds; ++round) {
        std::string error;
        std::unique_ptr<UsersFileTransaction> tx =
            UsersFileTransaction::begin(path, UsersFileLayout::oath, &error);
        if (!tx) return std::fprintf(stderr, "writer %d: %s\n", id, error.c_str()), 1;
        for (const std::string& user : {own, std::string("shared")}) {
            const std::vector<TokenRecord> tokens = tx->tokens_for(user);
            if (tokens.size() != 1) return std::fprintf(stderr, "writer %d: lost %s\n", id, user.c_str()), 1;
            const std::uint64_t next = tokens[0].next_counter(UsersFileLayout::oath);
            if (!tx->record_counter(tokens[0], next, "123456", std::time(nullptr), &error))
                return std::fprintf(stderr, "writer %d: %s\n", id, error.c_str()), 1;
        }
    }
    return 0;
}

void test_concurrent_writeback(void**) {
    const std::string dir = make_scratch_dir("users_file");
    const std::string path = dir + "/users.oath";
    std::string content = "# shared by all writers\nHOTP shared - " + std::string(kKey) + "\n";
    for (int i = 0; i < kWriters; ++i)
        content += "# writer " + std::to_string(i) + "\nHOTP user" + std::to_string(i) + " - " +
                   kKey + "\n";
    content += "HOTP/T30 idle - 00\n";
    write_file(path, content, 0640);

    pid_t children[kWriters];
    for (int i = 0; i < kWriters; ++i) {
        children[i] = ::fork();
        assert_true(children[i] >= 0);
        if (children[i] == 0) ::_exit(writer_process(path, i));
    }
    for (pid_t child : children) {
        int status = 0;
        assert_int_equal(::waitpid(child, &status, 0), child);
        assert_true(WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), 0);
    }
    std::string error;
    std::unique_ptr<UsersIndex> index = UsersIndex::load(path, UsersFileLayout::oath, &error);
    if (!index) {
        print_error("%s\n", error.c_str());
        fail();
    }
    assert_int_equal(index->token_count(), kWriters + 2);
    for (int i = 0; i < kWriters; ++i)
        assert_int_equal(only_token(*index, "user" + std::to_string(i))
                             .next_counter(UsersFileLayout::oath),
                         kRounds);
    assert_int_equal(only_token(*index, "shared").next_counter(UsersFileLayout::oath),
                     kWriters * kRounds);
    const std::string after = read_file(path);
    for (int i = 0; i < kWriters; ++i) EXPECT_CONTAINS(after, "# writer " + std::to_string(i) + "\n");
    EXPECT_CONTAINS(after, "HOTP/T30 idle - 00\n");
    assert_false(exists(path + ".new"));
    assert_false(exists(path + ".lock"));
    struct stat st;
    assert_int_equal(::stat(path.c_str(), &st), 0);
    assert_int_equal(st.st_mode & 07777, 0640);
}

// While we hold the lock, pam_oath must not write the file; once we are done it must be able
// to (we do not leave a lock file that the CVE-fixed liboath would trip over).
void test_lock_excludes_liboath(void**) {
    require_liboath();
#ifdef HAVE_LIBOATH
    assert_int_equal(oath_init(), OATH_OK);
    const std::string dir = make_scratch_dir("users_file");
    const std::string path = dir + "/users.oath";
    const std::string content = "HOTP alice - " + std::string(kKey) + "\n";
    write_file(path, content);
    std::string error;
    std::unique_ptr<UsersFileTransaction> tx =
        UsersFileTransaction::begin(path, UsersFileLayout::oath, &error);
    assert_non_null(tx.get());

    const std::string code0 = liboath_code(kKey, 0, 6);
    const pid_t child = ::fork();
    assert_true(child >= 0);
    if (child == 0) {
        time_t last = 0;
        const int rc = oath_authenticate_usersfile(path.c_str(), "alice", code0.c_str(), 5, "", &last);
        ::_exit(rc == OATH_OK ? 0 : 1);
    }
    int status = 0;
    pid_t done = 0;
    for (int i = 0; i < 50 && done == 0; ++i) {  // up to 0.5 s
        ::poll(nullptr, 0, 10);
        done = ::waitpid(child, &status, WNOHANG);
    }
    // Either liboath gave up (CVE-fixed: the lock file exists) or it is waiting for our lock
    // (older releases); in both cases it has not touched the file.
    if (done == child) {
        assert_true(WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), 1);
    }
    EXPECT_STR_EQ(read_file(path), content);
    tx.reset();
    if (done == 0) assert_int_equal(::waitpid(child, &status, 0), child);

    assert_false(exists(path + ".lock"));
    write_file(path, content);
    time_t last = 0;
    assert_int_equal(oath_authenticate_usersfile(path.c_str(), "alice", code0.c_str(), 5, "", &last),
                     OATH_OK);
    // And our lock protocol copes with the lock file liboath created and removed.
    assert_true(record_first(path, "alice", 1, &error));
#endif
}

}  // namespace

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_token_types_valid),
        cmocka_unit_test(test_token_types_invalid),
        cmocka_unit_test(test_parse_oath_layout),
        cmocka_unit_test(test_several_tokens_keep_file_order),
        cmocka_unit_test(test_unknown_user_is_empty),
        cmocka_unit_test(test_malformed_lines),
        cmocka_unit_test(test_parse_authn_otp_layout),
        cmocka_unit_test(test_next_counter_semantics),
        cmocka_unit_test(test_load_and_file_identity),
        cmocka_unit_test(test_oath_writeback_matches_liboath),
        cmocka_unit_test(test_authn_otp_writeback),
        cmocka_unit_test(test_writeback_keeps_mode_and_owner),
        cmocka_unit_test(test_refuses_symlinked_users_file),
        cmocka_unit_test(test_refuses_symlinked_lock_file),
        cmocka_unit_test(test_refuses_symlinked_new_file),
        cmocka_unit_test(test_stale_new_file_is_replaced),
        cmocka_unit_test(test_refuses_changed_record),
        cmocka_unit_test(test_concurrent_writeback),
        cmocka_unit_test(test_lock_excludes_liboath),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
