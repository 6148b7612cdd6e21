// Users-file lines in both layouts (SPEC §4): every field, the historical mod_authn_otp forms,
// and the error for each malformed line, which names file, line and field but never the key.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cmocka_wrap.h"
#include "users/line_parser.h"
#include "users/users_file.h"
#include "users_test_support.h"

using namespace otp;

namespace {

void test_parse_oath_layout(void**) {
    const std::string key64(128, 'a');
    const std::string text =
        "# users.oath\n"                                               // 1
        "\n"                                                           // 2
        "   \t  \n"                                                    // 3
        "HOTP\talice\t-\t3132333435363738393031323334353637383930\n"   // 4
        "HOTP/T30  bob   1234  0102030405060708090a0b0c0d0e0f10   \n"  // 5
        "  # indented comment\n"                                       // 6
        "HOTP/E/8 carol + ABCDEF0123456789ABCDEF0123456789ABCDEF01 17 12345678 "
        "2024-01-02T03:04:05L\r\n"  // 7
        "HOTP/T60/7-SHA512 dave - " +
        key64 +
        " 3\n"                             // 8
        "HOTP/T45-SHA256\terin\t-\t00Ff";  // 9
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

struct BadLine {
    const char* line;
    const char* reason;
};

void expect_bad_line(const std::string& line, const std::string& reason, UsersFileLayout layout,
                     const std::vector<std::string>& secrets) {
    const std::string text =
        "# header\nHOTP good - " + std::string(kKey) + "\n" + line + "\nHOTP after - 00\n";
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

// Each case with "SECRET" replaced by `secret`.
void expect_bad_lines(const std::vector<BadLine>& cases, const std::string& secret,
                      UsersFileLayout layout, const std::vector<std::string>& secrets) {
    for (const BadLine& c : cases) {
        std::string line = c.line;
        const std::size_t at = line.find("SECRET");
        if (at != std::string::npos) line.replace(at, 6, secret);
        expect_bad_line(line, c.reason, layout, secrets);
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
    expect_bad_lines(cases, s, UsersFileLayout::oath, secrets);
    expect_bad_line("HOTP u - " + std::string(130, 'c'), "SECRET field is longer than 64 bytes",
                    UsersFileLayout::oath, {std::string(130, 'c'), std::string(20, 'c')});
    expect_bad_line("HOTP " + std::string(256, 'u') + " - 00", "USER field is longer than 255",
                    UsersFileLayout::oath, secrets);
    expect_bad_line("HOTP u " + std::string(256, 'p') + " 00", "PIN field is longer than 255",
                    UsersFileLayout::oath, secrets);

    // mod_authn_otp layout specifics.
    const std::vector<BadLine> authn_cases = {
        {"MOTP u - SECRET", "Mobile-OTP"},
        {"HOTP/T u - SECRET", "time step"},       // its own parser needs digits after T
        {"hotp/e u - SECRET", "case-sensitive"},  // only the algorithm name ignores case
        {"HOTP u - SECRET -2", "COUNTER field"},  // negative only for time drift
        {"HOTP/T30 u - SECRET x", "COUNTER field (time offset)"},
        {"HOTP u - SECRET 1 x", "FAILURES field"},
        {"HOTP u - SECRET 1 0 123456 2024-01-02T03:04:05L 10.0.0.1 extra", "too many fields"},
        {"HOTP u - SECRET 1 123456 not-a-time", "LASTTIME field"},
        {"HOTP u - SECRET 1 0 123456 not-a-time 10.0.0.1", "LASTTIME field"},
    };
    expect_bad_lines(authn_cases, s, UsersFileLayout::mod_authn_otp, secrets);
}

void test_parse_authn_otp_layout(void**) {
    // Lines in the forms mod_authn_otp reads (UsersFile.md), including its older layouts.
    const std::string text =
        "# mod_authn_otp users file\n"  // 1
        "HOTP    barney        1234    8a2d55707a9084982649dadc04b426a06df19ab2 21      0 "
        "820658  2009-06-12T17:52:32L 192.168.1.1\n"  // 2
        "HOTP/T30 joe 999999 ef654fccdef654fccc4a4d8acbd18db4cc2f85ce -2 2 883913 "
        "2009-06-04T21:17:03L 10.1.1.153\n"                                           // 3
        "HOTP    wilma         5678    a4d8acbddef654fccc418db4cc2f85cea6339f00\n"    // 4
        "HOTP    betty         -       54fccc418a4d8acbddef6db4cc2f85ce99321d64 5\n"  // 5
        "E fred 5678 acbd18db4cc2f85cedef654fccc4a4d8bd537891 78 617363 "
        "2009-06-04T21:17:03L\n"                                        // 6
        "T tom - 00112233 0 3\n"                                        // 7
        "hotp/E/8 ann + 0011 7 123456 2009-06-04T21:17:03L 10.0.0.1\n"  // 8
        "HOTP/T60/6 kim - 0011 0\n";                                    // 9
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

// ---- the tokenizer ---------------------------------------------------------------------------

using users_detail::Fields;
using users_detail::LineCursor;
using users_detail::LineSpan;

std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> out;
    LineCursor cursor(text);
    LineSpan span;
    while (cursor.next(&span)) {
        out.emplace_back(cursor.content(span));
        // The spans tile the text: each line starts where the previous one ended.
        assert_true(span.content_end <= span.next);
        assert_true(span.next == text.size() || text[span.content_end] == '\n');
    }
    return out;
}

void test_line_cursor(void**) {
    const std::vector<std::string> lines = lines_of("a\r\n\nb c\nlast");
    assert_int_equal(lines.size(), 4);
    EXPECT_STR_EQ(lines[0], "a\r");  // '\r' stays in the line; the field splitter drops it
    EXPECT_STR_EQ(lines[1], "");
    EXPECT_STR_EQ(lines[2], "b c");
    EXPECT_STR_EQ(lines[3], "last");
    assert_int_equal(lines_of("").size(), 0);
    assert_int_equal(lines_of("\n").size(), 1);
    assert_int_equal(lines_of("one\n").size(), 1);

    const std::string text = "first\nsecond\r\nthird";
    LineSpan span;
    assert_true(users_detail::find_line(text, 2, &span));
    EXPECT_STR_EQ(text.substr(span.begin, span.content_end - span.begin), "second\r");
    assert_int_equal(span.next, 14);
    assert_true(users_detail::find_line(text, 3, &span));
    assert_int_equal(span.next, text.size());
    assert_false(users_detail::find_line(text, 4, &span));
    assert_false(users_detail::find_line(text, 0, &span));
}

void test_split_fields(void**) {
    Fields f = users_detail::split_fields(" \tHOTP\v alice\f-\r");
    assert_int_equal(f.count, 3);
    assert_false(f.overflow);
    EXPECT_STR_EQ(std::string(f.at[0]), "HOTP");
    EXPECT_STR_EQ(std::string(f.at[1]), "alice");
    EXPECT_STR_EQ(std::string(f.at[2]), "-");
    assert_int_equal(users_detail::split_fields("").count, 0);
    assert_int_equal(users_detail::split_fields(" \t\r").count, 0);
    assert_true(users_detail::is_comment_or_blank(users_detail::split_fields("   ")));
    assert_true(users_detail::is_comment_or_blank(users_detail::split_fields("  #HOTP a - 00")));
    assert_false(users_detail::is_comment_or_blank(users_detail::split_fields("HOTP a - 00 #")));

    f = users_detail::split_fields("1 2 3 4 5 6 7 8 9 10");
    assert_int_equal(f.count, users_detail::kMaxFields);
    assert_false(f.overflow);
    EXPECT_STR_EQ(std::string(f.at[9]), "10");
    f = users_detail::split_fields("1 2 3 4 5 6 7 8 9 10 11");
    assert_int_equal(f.count, users_detail::kMaxFields);
    assert_true(f.overflow);
    // Trailing separators after the last allowed field are not an eleventh field.
    assert_false(users_detail::split_fields("1 2 3 4 5 6 7 8 9 10 \t ").overflow);
}

void test_located(void**) {
    EXPECT_STR_EQ(users_detail::located("/etc/users.oath", 12, "missing PIN field"),
                  "/etc/users.oath:12: missing PIN field");
}

// A NUL byte inside a line: pam_oath reads "a\0b" as user "a", so the file is refused with
// file and line, in both layouts, wherever the byte is (user, secret, comment, line end).
void test_nul_byte(void**) {
    using namespace std::string_literals;
    const std::string good = "HOTP/T30 alice - "s + kKey + "\n";
    const std::vector<std::string> bad_lines = {
        "HOTP/T30 a\0b - "s + kKey,
        "HOTP/T30 bob - "s + kKey + "\0"s,
        "HOTP/T30 bob - 3132\0"s + (kKey + 4),
        "# comment \0 with NUL"s,
        "\0"s,
    };
    for (UsersFileLayout layout : {UsersFileLayout::oath, UsersFileLayout::mod_authn_otp}) {
        for (const std::string& line : bad_lines) {
            std::string error;
            const std::string text = good + line + "\n" + good;
            std::unique_ptr<UsersIndex> index = UsersIndex::parse(text, "mem.oath", layout, &error);
            assert_null(index.get());
            if (error.rfind("mem.oath:2: NUL byte", 0) != 0) {
                print_error("error \"%s\" is not \"mem.oath:2: NUL byte...\"\n", error.c_str());
                fail();
            }
            assert_true(error.find(kKey) == std::string::npos);  // never the key
        }
    }
    // The line parser itself says so too (the write-back re-reads lines with it).
    users_detail::TypeCache cache;
    users_detail::ParsedLine parsed;
    std::string reason;
    assert_int_equal(users_detail::parse_line("HOTP/T30 a\0b - 00"s, UsersFileLayout::oath,
                                              &cache, &parsed, &reason),
                     users_detail::LineKind::error);
    assert_true(reason.rfind("NUL byte", 0) == 0);
}

// ---- numeric fields at their limits -------------------------------------------------------------

std::string counter_line(const std::string& type, const std::string& counter) {
    return type + " u - 00 " + counter + "\n";
}

void expect_counter(UsersFileLayout layout, const std::string& type, const std::string& text,
                    std::int64_t expected) {
    std::string error;
    std::unique_ptr<UsersIndex> index =
        UsersIndex::parse(counter_line(type, text), "mem", layout, &error);
    if (!index) {
        print_error("COUNTER %s refused: %s\n", text.c_str(), error.c_str());
        fail();
    }
    const TokenRecord token = only_token(*index, "u");
    assert_true(token.has_counter);
    assert_true(token.counter == expected);
}

void expect_counter_refused(UsersFileLayout layout, const std::string& type,
                            const std::string& text) {
    std::string error;
    if (UsersIndex::parse(counter_line(type, text), "mem", layout, &error)) {
        print_error("COUNTER %s accepted\n", text.c_str());
        fail();
    }
    EXPECT_CONTAINS(error, "mem:1: COUNTER field");
}

void test_counter_limits(void**) {
    const UsersFileLayout oath = UsersFileLayout::oath, authn = UsersFileLayout::mod_authn_otp;
    expect_counter(oath, "HOTP", "0", 0);
    expect_counter(oath, "HOTP", "9223372036854775807", INT64_MAX);
    expect_counter(oath, "HOTP", "0000000000000000042", 42);  // 19 digits
    expect_counter_refused(oath, "HOTP", "9223372036854775808");
    expect_counter_refused(oath, "HOTP", "18446744073709551616");
    expect_counter_refused(oath, "HOTP", "00000000000000000042");  // 20 digits
    expect_counter_refused(oath, "HOTP", "-0");
    expect_counter_refused(oath, "HOTP/T30", "-1");  // drift is mod_authn_otp's
    expect_counter_refused(oath, "HOTP", "1e3");
    expect_counter_refused(oath, "HOTP", "0x10");

    // mod_authn_otp: a signed drift for time tokens only.
    expect_counter(authn, "HOTP/T30", "-2", -2);
    expect_counter(authn, "HOTP/T30", "-0", 0);
    expect_counter(authn, "HOTP/T30", "-9223372036854775807", -INT64_MAX);
    expect_counter_refused(authn, "HOTP/T30", "-9223372036854775808");
    expect_counter_refused(authn, "HOTP/T30", "--1");
    expect_counter_refused(authn, "HOTP/T30", "-");
    expect_counter_refused(authn, "HOTP/T30", "+1");
    expect_counter_refused(authn, "HOTP", "-1");
    expect_counter(authn, "HOTP", "9223372036854775807", INT64_MAX);
}

// ---- token type spellings: more than the cache remembers ----------------------------------------

void test_many_type_spellings(void**) {
    // Six spellings in turn: the type cache (four entries) must never hand out a stale type.
    const char* types[] = {"HOTP",       "HOTP/T30",    "HOTP/E/8",
                           "HOTP/T60/7", "HOTP-SHA256", "HOTP/T45-SHA512"};
    std::string text;
    for (int i = 0; i < 60; ++i)
        text += std::string(types[i % 6]) + " user" + std::to_string(i) + " - 00\n";
    std::unique_ptr<UsersIndex> index = parse_ok(text);
    for (int i = 0; i < 60; ++i) {
        std::string error;
        const std::optional<TokenType> expected = parse_token_type(types[i % 6], &error);
        assert_true(expected.has_value());
        const TokenRecord token = only_token(*index, "user" + std::to_string(i));
        assert_int_equal(static_cast<int>(token.type.kind), static_cast<int>(expected->kind));
        assert_int_equal(token.type.digits, expected->digits);
        assert_int_equal(token.type.step_seconds, expected->step_seconds);
        assert_int_equal(static_cast<int>(token.type.algorithm),
                         static_cast<int>(expected->algorithm));
    }
}

}  // namespace

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_oath_layout),      cmocka_unit_test(test_malformed_lines),
        cmocka_unit_test(test_parse_authn_otp_layout), cmocka_unit_test(test_line_cursor),
        cmocka_unit_test(test_split_fields),           cmocka_unit_test(test_located),
        cmocka_unit_test(test_counter_limits),         cmocka_unit_test(test_many_type_spellings),
        cmocka_unit_test(test_nul_byte),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
