// Tests for lib/otpauth_uri: exact URIs and percent-encoding of the label and parameters.
#include "cmocka_wrap.h"

#include <string>

#include "otp/otpauth_uri.h"

namespace {

otp::OtpauthParams totp_params(std::string issuer, std::string account) {
    otp::OtpauthParams params;
    params.issuer = std::move(issuer);
    params.account = std::move(account);
    params.key = "12345678901234567890";  // base32: GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ
    return params;
}

void test_totp_uri(void**) {
    assert_string_equal(otp::build_otpauth_uri(totp_params("Example", "alice")).c_str(),
                        "otpauth://totp/Example:alice?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
                        "&issuer=Example&algorithm=SHA1&digits=6&period=30");
}

void test_totp_uri_non_default_parameters(void**) {
    otp::OtpauthParams params = totp_params("Example", "alice");
    params.algorithm = otp::HashAlgorithm::sha512;
    params.digits = 8;
    params.period = 60;
    params.counter = 99;  // ignored for totp
    assert_string_equal(otp::build_otpauth_uri(params).c_str(),
                        "otpauth://totp/Example:alice?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
                        "&issuer=Example&algorithm=SHA512&digits=8&period=60");
}

void test_hotp_uri(void**) {
    otp::OtpauthParams params;
    params.time_based = false;
    params.issuer = "ACME";
    params.account = "bob";
    params.key = "foobar";  // RFC 4648: MZXW6YTBOI======, unpadded here
    params.algorithm = otp::HashAlgorithm::sha256;
    params.digits = 8;
    params.period = 45;  // ignored for hotp
    params.counter = 18446744073709551615ULL;
    assert_string_equal(otp::build_otpauth_uri(params).c_str(),
                        "otpauth://hotp/ACME:bob?secret=MZXW6YTBOI&issuer=ACME&algorithm=SHA256"
                        "&digits=8&counter=18446744073709551615");
}

void test_empty_issuer_omitted(void**) {
    otp::OtpauthParams params = totp_params("", "alice");
    params.key = "f";
    assert_string_equal(otp::build_otpauth_uri(params).c_str(),
                        "otpauth://totp/alice?secret=MY&algorithm=SHA1&digits=6&period=30");
    params.time_based = false;
    params.counter = 0;
    assert_string_equal(otp::build_otpauth_uri(params).c_str(),
                        "otpauth://hotp/alice?secret=MY&algorithm=SHA1&digits=6&counter=0");
}

void test_percent_encoding(void**) {
    // Spaces, the issuer/account separator and e-mail addresses inside the names.
    assert_string_equal(
        otp::build_otpauth_uri(totp_params("Example Corp: IT", "alice@example.com")).c_str(),
        "otpauth://totp/Example%20Corp%3A%20IT:alice%40example.com"
        "?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Example%20Corp%3A%20IT"
        "&algorithm=SHA1&digits=6&period=30");
    // UTF-8 bytes are encoded one by one, upper-case hex.
    assert_string_equal(
        otp::build_otpauth_uri(totp_params("Soci\xc3\xa9t\xc3\xa9", "j\xc3\xbcrgen")).c_str(),
        "otpauth://totp/Soci%C3%A9t%C3%A9:j%C3%BCrgen?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
        "&issuer=Soci%C3%A9t%C3%A9&algorithm=SHA1&digits=6&period=30");
}

void test_uri_structure_characters_escaped(void**) {
    // Characters that would end the label or start/split parameters are escaped; '+' too, as
    // form decoders read it as a space. RFC 3986 unreserved characters stay as they are.
    assert_string_equal(
        otp::build_otpauth_uri(totp_params("a/b?c#d", "x&y=z+w%v")).c_str(),
        "otpauth://totp/a%2Fb%3Fc%23d:x%26y%3Dz%2Bw%25v?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
        "&issuer=a%2Fb%3Fc%23d&algorithm=SHA1&digits=6&period=30");
    otp::OtpauthParams params = totp_params("Az09-._~", "Az09-._~");
    params.key = "";
    assert_string_equal(otp::build_otpauth_uri(params).c_str(),
                        "otpauth://totp/Az09-._~:Az09-._~?secret=&issuer=Az09-._~"
                        "&algorithm=SHA1&digits=6&period=30");
}

}  // namespace

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_totp_uri),
        cmocka_unit_test(test_totp_uri_non_default_parameters),
        cmocka_unit_test(test_hotp_uri),
        cmocka_unit_test(test_empty_issuer_omitted),
        cmocka_unit_test(test_percent_encoding),
        cmocka_unit_test(test_uri_structure_characters_escaped),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
