// The two-way API's bodies: complete, the portal's JSON and its form, every refusal with the
// element it names.
#include <string>
#include <variant>

#include "cmocka_wrap.h"
#include "twoway/two_way_request.h"

using namespace otp;

namespace {

template <typename T>
void expect_error(const std::variant<T, ApiCallError>& result, ApiError error, const char* element) {
    const ApiCallError* e = std::get_if<ApiCallError>(&result);
    if (!e) fail_msg("expected %s", api_error_info(error).name);
    assert_string_equal(api_error_info(e->error).name, api_error_info(error).name);
    assert_string_equal(e->element.c_str(), element);
}

}  // namespace

static void complete_bodies(void**) {
    auto ok = parse_two_way_complete(R"({"flow":"EACD8s_kj5QQm9930_wGjg","data":"456867","x":1})");
    const auto* call = std::get_if<TwoWayCompleteCall>(&ok);
    assert_non_null(call);
    assert_string_equal(call->flow.c_str(), "EACD8s_kj5QQm9930_wGjg");
    assert_string_equal(call->response.c_str(), "456867");
    expect_error(parse_two_way_complete("{"), ApiError::malformed_request, "");
    expect_error(parse_two_way_complete("[]"), ApiError::malformed_request, "");
    expect_error(parse_two_way_complete(R"({"data":"1"})"), ApiError::missing_element, "flow");
    expect_error(parse_two_way_complete(R"({"flow":"","data":"1"})"), ApiError::missing_element,
                 "flow");
    expect_error(parse_two_way_complete(R"({"flow":5,"data":"1"})"), ApiError::invalid_element,
                 "flow");
    expect_error(parse_two_way_complete(R"({"flow":"f"})"), ApiError::missing_element, "data");
    expect_error(parse_two_way_complete(R"({"flow":"f","data":456867})"),
                 ApiError::invalid_element, "data");
    expect_error(parse_two_way_complete(R"({"flow":"f","data":"45 68"})"),
                 ApiError::invalid_element, "data");
    expect_error(parse_two_way_complete("{\"flow\":\"" + std::string(200, 'f') + "\",\"data\":\"1\"}"),
                 ApiError::invalid_element, "flow");
    expect_error(parse_two_way_complete(std::string(kMaxApiBodyBytes + 1, ' ')),
                 ApiError::body_too_large, "");
}

static void portal_bodies(void**) {
    auto json = parse_two_way_portal_json(R"({"data":"582115"})");
    assert_string_equal(std::get<TwoWayPortalCall>(json).code.c_str(), "582115");
    expect_error(parse_two_way_portal_json("{}"), ApiError::missing_element, "data");
    expect_error(parse_two_way_portal_json(R"({"data":""})"), ApiError::missing_element, "data");
    expect_error(parse_two_way_portal_json(R"({"data":["1"]})"), ApiError::invalid_element, "data");
    auto form = parse_two_way_portal_form("data=+582115+&csrf=tok&other=1");
    assert_string_equal(std::get<TwoWayPortalCall>(form).code.c_str(), "582115");
    assert_string_equal(std::get<TwoWayPortalCall>(form).csrf.c_str(), "tok");
    expect_error(parse_two_way_portal_form("data=582115"), ApiError::missing_element, "csrf");
    expect_error(parse_two_way_portal_form("csrf=t"), ApiError::missing_element, "data");
    expect_error(parse_two_way_portal_form("csrf=t&data=1&data=2"), ApiError::invalid_element,
                 "data");
    expect_error(parse_two_way_portal_form("csrf=t&data=%zz"), ApiError::malformed_request, "");
    expect_error(parse_two_way_portal_form("csrf=t&data=5821%0a"), ApiError::invalid_element,
                 "data");
}

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(complete_bodies),
        cmocka_unit_test(portal_bodies),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
