// Tests for lib/start_request: every refusal of SPEC §3.2 with its status and reason, and the
// happy paths of the JSON and the form parser.
#include <string>
#include <variant>

#include "cmocka_wrap.h"
#include "login/start_request.h"

using otp::RequestError;
using otp::StartRequest;

namespace {

using Result = std::variant<StartRequest, RequestError>;

// Macros so that a failure reports the line of the check.
#define expect_error(result, status, reason)                                \
    do {                                                                    \
        const Result r_ = (result);                                         \
        const RequestError* e_ = std::get_if<RequestError>(&r_);            \
        if (!e_) {                                                          \
            print_error("expected %d %s, got a request\n", status, reason); \
            fail();                                                         \
        }                                                                   \
        assert_int_equal(e_->http_status, status);                          \
        assert_string_equal(e_->error.c_str(), reason);                     \
    } while (0)

StartRequest expect_request(const Result& r) {
    const StartRequest* request = std::get_if<StartRequest>(&r);
    if (!request) {
        const RequestError& e = std::get<RequestError>(r);
        print_error("unexpected error %d %s\n", e.http_status, e.error.c_str());
        fail();
    }
    return *request;
}

std::string start_with(const std::string& data) {
    return "{\"type\":\"start\",\"data\":" + data + "}";
}

// ---- JSON: happy paths --------------------------------------------------------------------

void test_json_start(void**) {
    StartRequest r = expect_request(otp::parse_start_json(start_with("{\"otp\":\"123456\"}")));
    assert_true(r.type == StartRequest::Type::start);
    assert_string_equal(r.otp.c_str(), "123456");
    assert_false(r.has_user);
    assert_false(r.has_return);

    r = expect_request(otp::parse_start_json(
        " {\"data\":{\"user\":\"älice\",\"otp\":\"Ab12Z9\",\"extra\":[1,2]},\"type\":\"start\","
        "\"ignored\":true}\n"));
    assert_string_equal(r.otp.c_str(), "Ab12Z9");
    assert_true(r.has_user);
    assert_string_equal(r.user.c_str(), "älice");

    r = expect_request(otp::parse_start_json(
        start_with("{\"otp\":\"1\",\"return\":\"/app/x?y=1\",\"csrf\":\"tok\"}")));
    assert_true(r.has_return);
    assert_string_equal(r.return_to.c_str(), "/app/x?y=1");
    assert_string_equal(r.csrf.c_str(), "tok");

    r = expect_request(otp::parse_start_json(start_with("{\"otp\":\"1\",\"user\":\"\"}")));
    assert_true(r.has_user);  // present but empty: the module answers missing_user
    assert_true(r.user.empty());
}

void test_json_send(void**) {
    StartRequest r = expect_request(otp::parse_start_json("{\"type\":\"send\"}"));
    assert_true(r.type == StartRequest::Type::send);
    assert_false(r.has_user);
    r = expect_request(otp::parse_start_json("{\"type\":\"send\",\"data\":{\"user\":\"bob\"}}"));
    assert_true(r.type == StartRequest::Type::send);
    assert_true(r.has_user);
    assert_string_equal(r.user.c_str(), "bob");
    // An otp in a send request is not needed and not checked.
    r = expect_request(otp::parse_start_json("{\"type\":\"send\",\"data\":{\"otp\":5}}"));
    assert_true(r.otp.empty());
}

void test_json_limits_inclusive(void**) {
    const std::string otp64(64, '7');
    StartRequest r =
        expect_request(otp::parse_start_json(start_with("{\"otp\":\"" + otp64 + "\"}")));
    assert_int_equal(r.otp.size(), 64);
    const std::string user256(256, 'u');
    r = expect_request(
        otp::parse_start_json(start_with("{\"otp\":\"1\",\"user\":\"" + user256 + "\"}")));
    assert_int_equal(r.user.size(), 256);
    std::string ae128;
    for (int i = 0; i < 128; ++i) ae128 += "ä";  // 256 bytes
    r = expect_request(
        otp::parse_start_json(start_with("{\"otp\":\"1\",\"user\":\"" + ae128 + "\"}")));
    assert_int_equal(r.user.size(), 256);
    // exactly kMaxStartBodyBytes is allowed
    std::string body = start_with("{\"otp\":\"1\"}");
    body += std::string(otp::kMaxStartBodyBytes - body.size(), ' ');
    assert_int_equal(body.size(), 8192);
    expect_request(otp::parse_start_json(body));
}

// ---- JSON: refusals -----------------------------------------------------------------------

void test_json_malformed(void**) {
    for (const char* body :
         {"", " ", "{", "{\"type\":\"start\",}", "{}x", "{} {}", "{'type':'start'}",
          "{\"type\":\"start\",\"data\":{\"otp\":\"1\"}", "{\"type\":\"st\xff\"}", "nul"})
        expect_error(otp::parse_start_json(body), 400, "malformed_json");
}

void test_json_duplicate_keys(void**) {
    expect_error(otp::parse_start_json("{\"type\":\"start\",\"type\":\"send\"}"), 400,
                 "malformed_json");
    expect_error(otp::parse_start_json(start_with("{\"otp\":\"1\",\"otp\":\"2\"}")), 400,
                 "malformed_json");
}

void test_json_not_an_object(void**) {
    for (const char* body : {"[]", "[{\"type\":\"start\"}]", "\"start\"", "42", "null", "true"})
        expect_error(otp::parse_start_json(body), 400, "not_an_object");
}

void test_json_missing_type(void**) {
    for (const char* body : {"{}", "{\"type\":1}", "{\"type\":null}", "{\"Type\":\"start\"}",
                             "{\"type\":[\"start\"]}", "{\"data\":{\"otp\":\"1\"}}"})
        expect_error(otp::parse_start_json(body), 400, "missing_type");
}

void test_json_unknown_type(void**) {
    for (const char* body : {"{\"type\":\"\"}", "{\"type\":\"Start\"}", "{\"type\":\"init\"}",
                             "{\"type\":\"start \"}", "{\"type\":\"start\\u0000\"}"})
        expect_error(otp::parse_start_json(body), 400, "unknown_type");
}

void test_json_missing_data(void**) {
    for (const char* body :
         {"{\"type\":\"start\"}", "{\"type\":\"start\",\"data\":null}",
          "{\"type\":\"start\",\"data\":[]}", "{\"type\":\"start\",\"data\":\"123456\"}",
          "{\"type\":\"send\",\"data\":1}", "{\"type\":\"start\",\"otp\":\"123456\"}"})
        expect_error(otp::parse_start_json(body), 400, "missing_data");
}

void test_json_missing_otp(void**) {
    for (const char* data : {"{}", "{\"otp\":123456}", "{\"otp\":null}", "{\"otp\":\"\"}",
                             "{\"OTP\":\"123456\"}", "{\"otp\":[\"1\"]}", "{\"user\":\"a\"}"})
        expect_error(otp::parse_start_json(start_with(data)), 400, "missing_otp");
}

void test_json_value_too_long(void**) {
    expect_error(otp::parse_start_json(start_with("{\"otp\":\"" + std::string(65, '1') + "\"}")),
                 400, "value_too_long");
    expect_error(otp::parse_start_json(
                     start_with("{\"otp\":\"1\",\"user\":\"" + std::string(257, 'u') + "\"}")),
                 400, "value_too_long");
    std::string ae129;
    for (int i = 0; i < 129; ++i) ae129 += "ä";  // 129 characters but 258 bytes
    expect_error(otp::parse_start_json(start_with("{\"otp\":\"1\",\"user\":\"" + ae129 + "\"}")),
                 400, "value_too_long");
    expect_error(otp::parse_start_json(
                     start_with("{\"otp\":\"1\",\"return\":\"/" + std::string(2048, 'r') + "\"}")),
                 400, "value_too_long");
}

void test_json_invalid_user(void**) {
    for (const char* user :
         {"5", "null", "true", "{}", "[\"alice\"]", "\"a\\nb\"", "\"a\\tb\"", "\"a\\rb\"",
          "\"a\\u007fb\"", "\"a\\u0000b\"", "\"\\u0000\"", "\"a\\u0085b\"", "\"\\u001b[31m\""})
        expect_error(
            otp::parse_start_json(start_with(std::string("{\"otp\":\"1\",\"user\":") + user + "}")),
            400, "invalid_user");
    // Also for send.
    expect_error(otp::parse_start_json("{\"type\":\"send\",\"data\":{\"user\":\"a\\u0000\"}}"), 400,
                 "invalid_user");
}

void test_json_invalid_otp_format(void**) {
    for (const char* otp : {"12 345", "12-345", "123456 ", " 123456", "１２３４５６", "12345é",
                            "123\\u0000", "\\u0000", "12\\n34", "12.5", "+123"})
        expect_error(otp::parse_start_json(start_with(std::string("{\"otp\":\"") + otp + "\"}")),
                     400, "invalid_otp_format");
}

void test_json_invalid_return(void**) {
    expect_error(otp::parse_start_json(start_with("{\"otp\":\"1\",\"return\":5}")), 400,
                 "invalid_return");
    expect_error(otp::parse_start_json(start_with("{\"otp\":\"1\",\"return\":\"/a\\nb\"}")), 400,
                 "invalid_return");
}

void test_json_body_too_large(void**) {
    std::string body = start_with("{\"otp\":\"1\"}");
    body += std::string(otp::kMaxStartBodyBytes + 1 - body.size(), ' ');
    expect_error(otp::parse_start_json(body), 413, "body_too_large");
    expect_error(otp::parse_start_json(std::string(1 << 20, '{')), 413, "body_too_large");
}

// ---- form ---------------------------------------------------------------------------------

void test_form_happy(void**) {
    StartRequest r = expect_request(otp::parse_start_form("otp=123456&csrf=tok"));
    assert_true(r.type == StartRequest::Type::start);
    assert_string_equal(r.otp.c_str(), "123456");
    assert_string_equal(r.csrf.c_str(), "tok");
    assert_false(r.has_user);

    r =
        expect_request(otp::parse_start_form("csrf=t%2Bk%2f_-&user=al+ice%40ex%C3%A4mple&&otp=Ab12&"
                                             "submit=Verify&return=%2Fapp%2Fx%3Fy%3D1&"));
    assert_string_equal(r.csrf.c_str(), "t+k/_-");
    assert_true(r.has_user);
    assert_string_equal(r.user.c_str(), "al ice@exämple");
    assert_string_equal(r.otp.c_str(), "Ab12");
    assert_true(r.has_return);
    assert_string_equal(r.return_to.c_str(), "/app/x?y=1");

    r = expect_request(otp::parse_start_form("ot%70=42&csrf=x&type=start"));  // encoded name
    assert_string_equal(r.otp.c_str(), "42");
}

void test_form_send(void**) {
    StartRequest r = expect_request(otp::parse_start_form("csrf=x&type=send&user=bob&otp="));
    assert_true(r.type == StartRequest::Type::send);
    assert_string_equal(r.user.c_str(), "bob");
    r = expect_request(otp::parse_start_form("type=send&csrf=x"));
    assert_true(r.type == StartRequest::Type::send);
}

void test_form_missing_csrf(void**) {
    expect_error(otp::parse_start_form("otp=123456"), 403, "missing_csrf");
    expect_error(otp::parse_start_form("otp=123456&csrf="), 403, "missing_csrf");
    expect_error(otp::parse_start_form("otp=123456&csrf"), 403, "missing_csrf");
    expect_error(otp::parse_start_form(""), 403, "missing_csrf");
    // Checked before the other fields: a cross-site post learns nothing else.
    expect_error(otp::parse_start_form("otp=%%%&user=%0a"), 400, "malformed_form");
    expect_error(otp::parse_start_form("otp=1+2&user=%0a"), 403, "missing_csrf");
}

void test_form_duplicates(void**) {
    expect_error(otp::parse_start_form("otp=1&otp=2&csrf=x"), 400, "duplicate_field");
    expect_error(otp::parse_start_form("otp=1&csrf=x&csrf=x"), 400, "duplicate_field");
    expect_error(otp::parse_start_form("otp=1&user=a&user=a&csrf=x"), 400, "duplicate_field");
    expect_error(otp::parse_start_form("otp=1&ot%70=1&csrf=x"), 400, "duplicate_field");
    expect_error(otp::parse_start_form("type=send&type=start&csrf=x"), 400, "duplicate_field");
    // Unknown fields may repeat.
    expect_request(otp::parse_start_form("a=1&a=2&otp=1&csrf=x"));
}

void test_form_malformed(void**) {
    for (const char* body :
         {"otp=%zz&csrf=a", "otp=12%3&csrf=a", "otp=%&csrf=a", "csrf=a&otp=1%", "%g0=1&csrf=a"})
        expect_error(otp::parse_start_form(body), 400, "malformed_form");
}

void test_form_field_errors(void**) {
    expect_error(otp::parse_start_form("type=foo&csrf=a"), 400, "unknown_type");
    expect_error(otp::parse_start_form("type=&csrf=a"), 400, "unknown_type");
    expect_error(otp::parse_start_form("csrf=a"), 400, "missing_otp");
    expect_error(otp::parse_start_form("otp=&csrf=a"), 400, "missing_otp");
    expect_error(otp::parse_start_form("otp=12+34&csrf=a"), 400, "invalid_otp_format");
    expect_error(otp::parse_start_form("otp=12%0034&csrf=a"), 400, "invalid_otp_format");
    expect_error(otp::parse_start_form("otp=" + std::string(65, '1') + "&csrf=a"), 400,
                 "value_too_long");
    expect_error(otp::parse_start_form("otp=1&csrf=a&user=" + std::string(257, 'u')), 400,
                 "value_too_long");
    for (const char* user : {"a%0Ab", "%FF", "a%00", "%C0%AF", "%7F", "%C2%85", "%ED%A0%80"})
        expect_error(otp::parse_start_form(std::string("otp=1&csrf=a&user=") + user), 400,
                     "invalid_user");
    expect_error(otp::parse_start_form("otp=1&csrf=a&return=%2Fa%0Ab"), 400, "invalid_return");
}

void test_form_body_too_large(void**) {
    std::string body = "otp=1&csrf=a&pad=";
    body += std::string(otp::kMaxStartBodyBytes + 1 - body.size(), 'p');
    expect_error(otp::parse_start_form(body), 413, "body_too_large");
    body.pop_back();
    expect_request(otp::parse_start_form(body));
}

// ---- content type and dispatch ------------------------------------------------------------

void test_content_types(void**) {
    using Kind = otp::StartBodyKind;
    auto kind = [](const char* ct) { return std::get<Kind>(otp::classify_start_content_type(ct)); };
    assert_true(kind("application/json") == Kind::json);
    assert_true(kind("Application/JSON; charset=utf-8") == Kind::json);
    assert_true(kind(" application/json ;charset=UTF-8") == Kind::json);
    assert_true(kind("application/x-www-form-urlencoded") == Kind::form);
    assert_true(kind("application/x-www-form-urlencoded;charset=UTF-8") == Kind::form);
    for (const char* ct :
         {"", "text/plain", "text/json", "application/jsonx", "multipart/form-data; boundary=x",
          "application/json-patch+json", "application", ";application/json"}) {
        const auto r = otp::classify_start_content_type(ct);
        const RequestError* e = std::get_if<RequestError>(&r);
        assert_non_null(e);
        assert_int_equal(e->http_status, 415);
        assert_string_equal(e->error.c_str(), "unsupported_content_type");
    }
}

void test_parse_start_body(void**) {
    expect_error(otp::parse_start_body("text/plain", "{\"type\":\"start\"}"), 415,
                 "unsupported_content_type");
    expect_error(otp::parse_start_body("application/json", std::string(9000, ' ')), 413,
                 "body_too_large");
    StartRequest r =
        expect_request(otp::parse_start_body("application/json", start_with("{\"otp\":\"9\"}")));
    assert_string_equal(r.otp.c_str(), "9");
    r = expect_request(otp::parse_start_body("application/x-www-form-urlencoded", "otp=8&csrf=c"));
    assert_string_equal(r.otp.c_str(), "8");
    // The JSON parser does not accept a form body and vice versa.
    expect_error(otp::parse_start_body("application/json", "otp=8&csrf=c"), 400, "malformed_json");
    expect_error(
        otp::parse_start_body("application/x-www-form-urlencoded", start_with("{\"otp\":\"9\"}")),
        403, "missing_csrf");
}

// ---- return paths -------------------------------------------------------------------------

void test_safe_return_paths(void**) {
    for (const char* path : {"/app", "/app/", "/app/x", "/app/x?y=1&z=/..", "/app?x", "/app#top",
                             "/app/a%20b", "/app/..x", "/app/x..", "/app/.well"})
        assert_true(otp::is_safe_return_path(path, "/app"));
    assert_true(otp::is_safe_return_path("/anything/at/all", "/"));
    assert_true(otp::is_safe_return_path("/app/x", "/app/"));
    assert_false(otp::is_safe_return_path("/app", "/app/"));

    for (const char* path :
         {"", "app", "https://evil.example/app", "//evil.example/app", "/\\evil.example",
          "/app\\..\\admin", "/application", "/admin", "/app/../admin", "/app/./x", "/app/..",
          "/app/%2e%2e/admin", "/app/%2E./admin", "/app/.%2e", "/app/x y", "/app/\x01",
          "javascript:alert(1)", "/app/\x7f", " /app"})
        assert_false(otp::is_safe_return_path(path, "/app"));
    assert_false(otp::is_safe_return_path("/app/" + std::string(2048, 'x'), "/app"));
    assert_false(otp::is_safe_return_path("/app", ""));
    assert_false(otp::is_safe_return_path("/app", "app"));
}

}  // namespace

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_json_start),
        cmocka_unit_test(test_json_send),
        cmocka_unit_test(test_json_limits_inclusive),
        cmocka_unit_test(test_json_malformed),
        cmocka_unit_test(test_json_duplicate_keys),
        cmocka_unit_test(test_json_not_an_object),
        cmocka_unit_test(test_json_missing_type),
        cmocka_unit_test(test_json_unknown_type),
        cmocka_unit_test(test_json_missing_data),
        cmocka_unit_test(test_json_missing_otp),
        cmocka_unit_test(test_json_value_too_long),
        cmocka_unit_test(test_json_invalid_user),
        cmocka_unit_test(test_json_invalid_otp_format),
        cmocka_unit_test(test_json_invalid_return),
        cmocka_unit_test(test_json_body_too_large),
        cmocka_unit_test(test_form_happy),
        cmocka_unit_test(test_form_send),
        cmocka_unit_test(test_form_missing_csrf),
        cmocka_unit_test(test_form_duplicates),
        cmocka_unit_test(test_form_malformed),
        cmocka_unit_test(test_form_field_errors),
        cmocka_unit_test(test_form_body_too_large),
        cmocka_unit_test(test_content_types),
        cmocka_unit_test(test_parse_start_body),
        cmocka_unit_test(test_safe_return_paths),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
