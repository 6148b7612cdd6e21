// Token types (SPEC §4): the spellings liboath and our extensions accept, the reasons given for
// the ones refused, and that formatting a type gives text that parses back to it.
#include <optional>
#include <string>

#include "cmocka_wrap.h"
#include "otp/token_type.h"
#include "test_support.h"

using namespace otp;

namespace {

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
        {"hotp", "case-sensitive"},  // liboath compares with strcmp
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

}  // namespace

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_token_types_valid),
        cmocka_unit_test(test_token_types_invalid),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
