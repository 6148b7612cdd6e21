// Tests for lib/csrf_token: the documented derivation, binding to key and attempt, rejection.
#include <string>

#include "util/base64url.h"
#include "cmocka_wrap.h"
#include "login/csrf_token.h"
#include "crypto/digest.h"

namespace {

const std::string kKey(32, '\x42');

void test_documented_derivation(void**) {
    const std::string token = otp::make_csrf_token(kKey, "attempt-1");
    assert_string_equal(token.c_str(),
                        otp::base64url_encode(otp::hmac_sha256(kKey, "csrfattempt-1")).c_str());
    assert_int_equal(token.size(), 43);  // 32 bytes, base64url without padding
    assert_true(token.find('=') == std::string::npos);
}

void test_known_vector(void**) {
    // HMAC-SHA256(key = "key", "csrf" + "abc"), computed independently with
    // `printf csrfabc | openssl dgst -sha256 -hmac key -binary | basenc --base64url` (padding
    // dropped).
    assert_string_equal(otp::make_csrf_token("key", "abc").c_str(),
                        "bJT4J_HkYNJwR2923De01OWyhzu7lUhTQ3Ko4YyBz6g");
}

void test_accepts_own_token(void**) {
    const std::string token = otp::make_csrf_token(kKey, "attempt-1");
    assert_true(otp::check_csrf_token(kKey, "attempt-1", token));
}

void test_binding(void**) {
    const std::string token = otp::make_csrf_token(kKey, "attempt-1");
    assert_false(otp::check_csrf_token(kKey, "attempt-2", token));
    assert_false(otp::check_csrf_token(std::string(32, '\x43'), "attempt-1", token));
    assert_true(otp::make_csrf_token(kKey, "a") != otp::make_csrf_token(kKey, "b"));
}

void test_rejects_bad_tokens(void**) {
    const std::string token = otp::make_csrf_token(kKey, "attempt-1");
    assert_false(otp::check_csrf_token(kKey, "attempt-1", ""));
    assert_false(otp::check_csrf_token(kKey, "attempt-1", token.substr(0, 42)));
    assert_false(otp::check_csrf_token(kKey, "attempt-1", token + "A"));
    std::string flipped = token;
    flipped[5] = flipped[5] == 'A' ? 'B' : 'A';
    assert_false(otp::check_csrf_token(kKey, "attempt-1", flipped));
    assert_false(otp::check_csrf_token(kKey, "attempt-1", token + std::string(1, '\0')));
}

void test_empty_inputs(void**) {
    assert_true(otp::make_csrf_token("", "attempt").empty());
    assert_true(otp::make_csrf_token(kKey, "").empty());
    assert_false(otp::check_csrf_token("", "attempt", ""));
    assert_false(otp::check_csrf_token(kKey, "", ""));
    assert_false(otp::check_csrf_token("", "", ""));
}

}  // namespace

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_documented_derivation), cmocka_unit_test(test_known_vector),
        cmocka_unit_test(test_accepts_own_token),     cmocka_unit_test(test_binding),
        cmocka_unit_test(test_rejects_bad_tokens),    cmocka_unit_test(test_empty_inputs),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
