// Tests for lib/api/api_call: every element of the verify API's bodies, accepted and refused,
// with the errorCode and the element each refusal names.
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <variant>

#include "api/api_call.h"
#include "cmocka_wrap.h"

using otp::ApiCallError;
using otp::ApiError;

namespace {

#define expect_refusal(result, expected_error, expected_element)                          \
    do {                                                                                  \
        const auto r_ = (result);                                                         \
        const ApiCallError* e_ = std::get_if<ApiCallError>(&r_);                          \
        if (!e_) {                                                                        \
            print_error("expected %s, got a call\n", otp::api_error_info(expected_error).name); \
            fail();                                                                       \
        }                                                                                 \
        assert_string_equal(otp::api_error_info(e_->error).name,                          \
                            otp::api_error_info(expected_error).name);                    \
        assert_string_equal(e_->element.c_str(), expected_element);                       \
    } while (0)

template <typename Call, typename Result>
Call expect_call(const Result& result) {
    const Call* call = std::get_if<Call>(&result);
    if (!call) {
        const ApiCallError& e = std::get<ApiCallError>(result);
        print_error("unexpected %s (%s)\n", otp::api_error_info(e.error).name, e.element.c_str());
        fail();
    }
    return *call;
}

void test_verify_every_element(void**) {
    const auto call = expect_call<otp::VerifyCall>(otp::parse_verify_call(
        R"({"userName":"alice","otp":"123456","orgName":"acme","clientTxnId":"t-1",)"
        R"("tokenType":"session","additionalInput":{"AR_WF_LOCALE_ID":"sv","AR_WF_CALLER_ID":"c-9",)"
        R"("OTHER":"ignored"},"profile":"ignored too"})"));
    assert_string_equal(call.user.c_str(), "alice");
    assert_string_equal(call.otp.c_str(), "123456");
    assert_string_equal(call.caller.org_name.c_str(), "acme");
    assert_string_equal(call.caller.client_txn_id.c_str(), "t-1");
    assert_string_equal(call.caller.locale.c_str(), "sv");
    assert_string_equal(call.caller.caller_id.c_str(), "c-9");
    assert_true(call.session_token);
}

void test_verify_minimal_and_list_form(void**) {
    auto call = expect_call<otp::VerifyCall>(
        otp::parse_verify_call(R"({"userName":"bob","otp":"A2b3"})"));
    assert_false(call.session_token);
    assert_true(call.caller.org_name.empty());
    call = expect_call<otp::VerifyCall>(otp::parse_verify_call(
        R"({"userName":"bob","otp":"1","additionalInput":[{"name":"AR_WF_CALLER_ID","value":"x"},)"
        R"({"name":"AR_WF_LOCALE_ID","value":"sv_SE"},{"name":"OTHER","value":5}]})"));
    assert_string_equal(call.caller.caller_id.c_str(), "x");
    assert_string_equal(call.caller.locale.c_str(), "sv_SE");
    // null members count as absent
    call = expect_call<otp::VerifyCall>(otp::parse_verify_call(
        R"({"userName":"bob","otp":"1","orgName":null,"tokenType":null,"additionalInput":null})"));
    assert_false(call.session_token);
}

void test_verify_refusals(void**) {
    expect_refusal(otp::parse_verify_call("not json"), ApiError::malformed_request, "");
    expect_refusal(otp::parse_verify_call("[1]"), ApiError::malformed_request, "");
    expect_refusal(otp::parse_verify_call("\"x\""), ApiError::malformed_request, "");
    expect_refusal(otp::parse_verify_call(R"({"userName":"a","userName":"b","otp":"1"})"),
                   ApiError::malformed_request, "");
    expect_refusal(otp::parse_verify_call(R"({"otp":"1"})"), ApiError::missing_element,
                   "userName");
    expect_refusal(otp::parse_verify_call(R"({"userName":"","otp":"1"})"),
                   ApiError::missing_element, "userName");
    expect_refusal(otp::parse_verify_call(R"({"userName":"a"})"), ApiError::missing_element,
                   "otp");
    expect_refusal(otp::parse_verify_call(R"({"userName":"a","otp":""})"),
                   ApiError::missing_element, "otp");
    expect_refusal(otp::parse_verify_call(R"({"userName":7,"otp":"1"})"),
                   ApiError::invalid_element, "userName");
    expect_refusal(otp::parse_verify_call(R"({"userName":"a","otp":123456})"),
                   ApiError::invalid_element, "otp");
    expect_refusal(otp::parse_verify_call(R"({"userName":"a","otp":"12 34"})"),
                   ApiError::invalid_element, "otp");
    expect_refusal(otp::parse_verify_call(R"({"userName":"a\u0000b","otp":"1"})"),
                   ApiError::invalid_element, "userName");
    expect_refusal(otp::parse_verify_call(R"({"userName":"a\nb","otp":"1"})"),
                   ApiError::invalid_element, "userName");
    expect_refusal(otp::parse_verify_call(R"({"userName":"a","otp":"1","orgName":["x"]})"),
                   ApiError::invalid_element, "orgName");
    expect_refusal(otp::parse_verify_call(R"({"userName":"a","otp":"1","clientTxnId":5})"),
                   ApiError::invalid_element, "clientTxnId");
    expect_refusal(otp::parse_verify_call(R"({"userName":"a","otp":"1","tokenType":"jwt"})"),
                   ApiError::unknown_token_type, "tokenType");
    expect_refusal(otp::parse_verify_call(R"({"userName":"a","otp":"1","tokenType":""})"),
                   ApiError::unknown_token_type, "tokenType");
    expect_refusal(otp::parse_verify_call(R"({"userName":"a","otp":"1","tokenType":1})"),
                   ApiError::invalid_element, "tokenType");
    expect_refusal(otp::parse_verify_call(R"({"userName":"a","otp":"1","additionalInput":"x"})"),
                   ApiError::invalid_element, "additionalInput");
    expect_refusal(otp::parse_verify_call(
                       R"({"userName":"a","otp":"1","additionalInput":{"AR_WF_LOCALE_ID":1}})"),
                   ApiError::invalid_element, "additionalInput");
    expect_refusal(otp::parse_verify_call(
                       R"({"userName":"a","otp":"1","additionalInput":[{"name":"AR_WF_LOCALE_ID"}]})"),
                   ApiError::invalid_element, "additionalInput");
    expect_refusal(otp::parse_verify_call(R"({"userName":"a","otp":"1","additionalInput":[)"
                                          R"({"name":"AR_WF_CALLER_ID","value":"x"},)"
                                          R"({"name":"AR_WF_CALLER_ID","value":"y"}]})"),
                   ApiError::invalid_element, "additionalInput");
    expect_refusal(otp::parse_verify_call(R"({"userName":"a","otp":"1","additionalInput":[3]})"),
                   ApiError::invalid_element, "additionalInput");
}

void test_lengths(void**) {
    const std::string ok_user(otp::kMaxApiUserBytes, 'u');
    expect_call<otp::VerifyCall>(
        otp::parse_verify_call("{\"userName\":\"" + ok_user + "\",\"otp\":\"1\"}"));
    expect_refusal(otp::parse_verify_call("{\"userName\":\"" + ok_user + "u\",\"otp\":\"1\"}"),
                   ApiError::invalid_element, "userName");
    const std::string otp65(otp::kMaxApiOtpLength + 1, '1');
    expect_refusal(otp::parse_verify_call("{\"userName\":\"a\",\"otp\":\"" + otp65 + "\"}"),
                   ApiError::invalid_element, "otp");
    const std::string txn(otp::kMaxApiTxnIdBytes + 1, 't');
    expect_refusal(
        otp::parse_verify_call("{\"userName\":\"a\",\"otp\":\"1\",\"clientTxnId\":\"" + txn + "\"}"),
        ApiError::invalid_element, "clientTxnId");
    // Over the body limit: body_too_large, whatever the content.
    const std::string big(otp::kMaxApiBodyBytes, ' ');
    expect_refusal(otp::parse_verify_call("{\"userName\":\"a\",\"otp\":\"1\"}" + big),
                   ApiError::body_too_large, "");
    expect_refusal(otp::parse_generate_call(big + "{}"), ApiError::body_too_large, "");
    expect_refusal(otp::parse_token_call(big + "{}"), ApiError::body_too_large, "");
    expect_refusal(otp::parse_initiate_form(big + "user_name=a"), ApiError::body_too_large, "");
}

void test_generate_and_token(void**) {
    const auto generate = expect_call<otp::GenerateCall>(otp::parse_generate_call(
        R"({"userName":"alice","orgName":"acme","clientTxnId":"t-2"})"));
    assert_string_equal(generate.user.c_str(), "alice");
    assert_string_equal(generate.caller.client_txn_id.c_str(), "t-2");
    expect_refusal(otp::parse_generate_call(R"({"orgName":"acme"})"), ApiError::missing_element,
                   "userName");
    const auto token = expect_call<otp::TokenCall>(otp::parse_token_call(R"({"token":"abc"})"));
    assert_string_equal(token.token.c_str(), "abc");
    expect_refusal(otp::parse_token_call("{}"), ApiError::missing_element, "token");
    expect_refusal(otp::parse_token_call(R"({"token":""})"), ApiError::missing_element, "token");
    expect_refusal(otp::parse_token_call(R"({"token":{}})"), ApiError::invalid_element, "token");
    expect_refusal(otp::parse_token_call("{\"token\":\"" +
                                         std::string(otp::kMaxApiTokenBytes + 1, 'A') + "\"}"),
                   ApiError::invalid_element, "token");
}

void test_initiate_form(void**) {
    auto call = expect_call<otp::InitiateCall>(otp::parse_initiate_form(
        "user_name=al%20ice&otp=123456&pairing_id=p-1&action_name=Log+in&terminal_name=desk&x=y"));
    assert_string_equal(call.user.c_str(), "al ice");
    assert_true(call.has_otp);
    assert_string_equal(call.otp.c_str(), "123456");
    assert_string_equal(call.pairing_id.c_str(), "p-1");
    assert_string_equal(call.action_name.c_str(), "Log in");
    assert_string_equal(call.terminal_name.c_str(), "desk");
    call = expect_call<otp::InitiateCall>(otp::parse_initiate_form("user_name=bob&otp="));
    assert_false(call.has_otp);
    expect_refusal(otp::parse_initiate_form("otp=1"), ApiError::missing_element, "user_name");
    expect_refusal(otp::parse_initiate_form("user_name="), ApiError::missing_element,
                   "user_name");
    expect_refusal(otp::parse_initiate_form("user_name=a&user_name=b"),
                   ApiError::invalid_element, "user_name");
    expect_refusal(otp::parse_initiate_form("user_name=a&otp=1%2"), ApiError::malformed_request,
                   "");
    expect_refusal(otp::parse_initiate_form("user_name=a&otp=12-34"), ApiError::invalid_element,
                   "otp");
    expect_refusal(otp::parse_initiate_form("user_name=a%0a"), ApiError::invalid_element,
                   "user_name");
    expect_refusal(otp::parse_initiate_form("user_name=a&terminal_name=%01"),
                   ApiError::invalid_element, "terminal_name");
}

void test_media_types_and_locales(void**) {
    assert_true(otp::is_media_type("application/json", "application/json"));
    assert_true(otp::is_media_type(" Application/JSON ; charset=utf-8", "application/json"));
    assert_false(otp::is_media_type("application/jsonx", "application/json"));
    assert_false(otp::is_media_type("", "application/json"));
    assert_false(otp::is_media_type("text/plain", "application/json"));
    assert_string_equal(otp::api_locale("sv").c_str(), "sv");
    assert_string_equal(otp::api_locale("sv_SE").c_str(), "sv-se");
    assert_string_equal(otp::api_locale("SV-se").c_str(), "sv-se");
    assert_string_equal(otp::api_locale("sv_SE.UTF-8").c_str(), "sv-se");
    assert_string_equal(otp::api_locale("").c_str(), "");
    assert_string_equal(otp::api_locale("../../etc").c_str(), "");
    assert_string_equal(otp::api_locale("swedish").c_str(), "");
}

void test_error_table(void**) {
    // Codes are unique and grouped by class; the status follows the class.
    const auto& table = otp::api_errors();
    for (std::size_t i = 0; i < table.size(); ++i) {
        for (std::size_t j = i + 1; j < table.size(); ++j) {
            assert_int_not_equal(table[i].code, table[j].code);
            assert_string_not_equal(table[i].name, table[j].name);
        }
        assert_ptr_equal(&otp::api_error_info(table[i].error), &table[i]);
        const int klass = table[i].code / 1000;
        if (klass == 1) assert_in_range(table[i].http_status, 400, 499);
        if (klass == 2) assert_true(table[i].http_status == 401 || table[i].http_status == 429);
        if (klass == 3) assert_in_range(table[i].http_status, 500, 599);
    }
    assert_string_equal(otp::api_message_key(ApiError::invalid_otp).c_str(),
                        "verify_api.invalid_otp");
    // No answer tells an unknown user or a replay from a wrong code.
    assert_int_equal(static_cast<int>(otp::api_error_for(otp::Verdict::unknown_user)),
                     static_cast<int>(ApiError::invalid_otp));
    assert_int_equal(static_cast<int>(otp::api_error_for(otp::Verdict::replay)),
                     static_cast<int>(ApiError::invalid_otp));
    assert_int_equal(static_cast<int>(otp::api_error_for(otp::Verdict::address_locked)),
                     static_cast<int>(ApiError::locked));
    assert_int_equal(static_cast<int>(otp::api_error_for(otp::Verdict::pipe_busy)),
                     static_cast<int>(ApiError::pipe_busy));
}

// The README's errorCode table is the callers' reference: every row of the code's table is
// in it, with its number, name and status.
void test_readme_lists_every_error(void**) {
    const char* source = std::getenv("OTP_SOURCE_DIR");
    assert_non_null(source);
    std::ifstream file(std::string(source) + "/README.md");
    assert_true(file.good());
    std::stringstream text;
    text << file.rdbuf();
    const std::string readme = text.str();
    for (const otp::ApiErrorInfo& info : otp::api_errors()) {
        const std::string row = "| " + std::to_string(info.code) + " | `" + info.name + "` | " +
                                std::to_string(info.http_status) + " |";
        if (readme.find(row) == std::string::npos) {
            print_error("README.md has no row \"%s\"\n", row.c_str());
            fail();
        }
    }
}

}  // namespace

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_verify_every_element),
        cmocka_unit_test(test_verify_minimal_and_list_form),
        cmocka_unit_test(test_verify_refusals),
        cmocka_unit_test(test_lengths),
        cmocka_unit_test(test_generate_and_token),
        cmocka_unit_test(test_initiate_form),
        cmocka_unit_test(test_media_types_and_locales),
        cmocka_unit_test(test_error_table),
        cmocka_unit_test(test_readme_lists_every_error),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
