// Tests for lib/json_body: compact ordered output, typed setters, and that hostile strings
// (control characters, invalid UTF-8, NUL) still give valid JSON that parses back.
#include <jansson.h>

#include <cstdint>
#include <cstring>
#include <memory>
#include <string>

#include "cmocka_wrap.h"
#include "util/json_body.h"
#include "util/utf8.h"

namespace {

using Json = std::unique_ptr<json_t, void (*)(json_t*)>;

Json parse(const std::string& text) {
    json_error_t err;
    return Json(json_loadb(text.data(), text.size(), JSON_ALLOW_NUL, &err), json_decref);
}

std::string string_member(const json_t* object, const char* key) {
    const json_t* value = json_object_get(object, key);
    assert_true(json_is_string(value));
    return std::string(json_string_value(value), json_string_length(value));
}

void test_compact_and_ordered(void**) {
    otp::JsonObject o;
    o.set("status", "ERROR").set("error", "invalid_otp").set("attempts_left", 1);
    assert_string_equal(o.dump().c_str(),
                        "{\"status\":\"ERROR\",\"error\":\"invalid_otp\",\"attempts_left\":1}");
}

void test_types(void**) {
    otp::JsonObject o;
    const std::string s = "text";
    const std::int64_t big = INT64_C(9007199254740993);
    o.set("b", true).set("f", false).set("i", 0).set("u", 7u).set("ll", -5LL).set("big", big);
    o.set("s", s).set("sv", std::string_view("view")).set_null("n");
    assert_string_equal(o.dump().c_str(),
                        "{\"b\":true,\"f\":false,\"i\":0,\"u\":7,\"ll\":-5,"
                        "\"big\":9007199254740993,\"s\":\"text\",\"sv\":\"view\",\"n\":null}");
}

void test_string_literal_is_a_string_not_a_bool(void**) {
    otp::JsonObject o;
    o.set("k", "v");  // const char* must not pick set(const char*, bool)
    assert_string_equal(o.dump().c_str(), "{\"k\":\"v\"}");
}

void test_replace_keeps_position(void**) {
    otp::JsonObject o;
    o.set("a", 1).set("b", 2).set("a", 3);
    assert_string_equal(o.dump().c_str(), "{\"a\":3,\"b\":2}");
}

void test_nested_and_copies(void**) {
    otp::JsonObject inner;
    inner.set("x", 1);
    otp::JsonObject outer;
    outer.set("token", inner);
    inner.set("y", 2);  // the copy in outer is independent
    assert_string_equal(outer.dump().c_str(), "{\"token\":{\"x\":1}}");
    otp::JsonObject copy = outer;
    copy.set("more", true);
    assert_string_equal(outer.dump().c_str(), "{\"token\":{\"x\":1}}");
    otp::JsonObject moved = std::move(copy);
    assert_string_equal(moved.dump().c_str(), "{\"token\":{\"x\":1},\"more\":true}");
    assert_true(otp::JsonObject().empty());
    assert_false(moved.empty());
}

void test_control_characters_escaped(void**) {
    otp::JsonObject o;
    o.set("user", "al\"ice\n{\"event_id\":\"forged\"}\t\x01\x1f\x7f\\");
    const std::string text = o.dump();
    assert_null(std::strchr(text.c_str(), '\n'));  // one line: cannot forge log lines
    for (char c : text) assert_true(static_cast<unsigned char>(c) >= 0x20);
    Json back = parse(text);
    assert_non_null(back.get());
    assert_string_equal(string_member(back.get(), "user").c_str(),
                        "al\"ice\n{\"event_id\":\"forged\"}\t\x01\x1f\x7f\\");
}

void test_invalid_utf8_replaced(void**) {
    otp::JsonObject o;
    o.set("user", "ok\xC3\x28 \xFF\xFE \xED\xA0\x80 \xE2\x82");
    const std::string text = o.dump();
    assert_true(otp::is_valid_utf8(text));
    Json back = parse(text);
    assert_non_null(back.get());
    const std::string user = string_member(back.get(), "user");
    assert_string_equal(user.c_str(),
                        otp::sanitize_utf8("ok\xC3\x28 \xFF\xFE \xED\xA0\x80 \xE2\x82").c_str());
    assert_non_null(std::strstr(user.c_str(), "\xEF\xBF\xBD"));
}

void test_embedded_nul_kept(void**) {
    otp::JsonObject o;
    o.set("v", std::string_view("a\0b", 3));
    const std::string text = o.dump();
    assert_string_equal(text.c_str(), "{\"v\":\"a\\u0000b\"}");
    Json back = parse(text);
    assert_non_null(back.get());
    const std::string v = string_member(back.get(), "v");
    assert_int_equal(v.size(), 3);
    assert_true(v == std::string("a\0b", 3));
}

void test_json_quote(void**) {
    assert_string_equal(otp::json_quote("a\"b").c_str(), "\"a\\\"b\"");
    assert_string_equal(otp::json_quote("").c_str(), "\"\"");
    assert_string_equal(otp::json_quote("\xFF").c_str(), "\"\xEF\xBF\xBD\"");
}

}  // namespace

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_compact_and_ordered),
        cmocka_unit_test(test_types),
        cmocka_unit_test(test_string_literal_is_a_string_not_a_bool),
        cmocka_unit_test(test_replace_keeps_position),
        cmocka_unit_test(test_nested_and_copies),
        cmocka_unit_test(test_control_characters_escaped),
        cmocka_unit_test(test_invalid_utf8_replaced),
        cmocka_unit_test(test_embedded_nul_kept),
        cmocka_unit_test(test_json_quote),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
