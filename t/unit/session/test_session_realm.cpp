// A sealed session opens only in the realm that sealed it: the realm is authenticated data of
// the seal, so a cookie carried to another realm (virtual host, section, users file, cookie
// name) under the same key is no session there.
#include <string>

#include "cmocka_wrap.h"
#include "session/session_cookie.h"

using namespace otp;

static void opens_only_in_its_realm(void**) {
    SessionSealer sealer(std::string(kSessionKeyBytes, '\x42'));
    SessionClaims claims{"id-1", "mallory", "/", 1700000000, 1700000000};
    auto cookie = sealer.seal(claims, "vhost-a|/zone1|users1|otp_session");
    assert_true(cookie.has_value());
    auto opened = sealer.open(*cookie, "vhost-a|/zone1|users1|otp_session");
    assert_true(opened.has_value());
    assert_string_equal(opened->user.c_str(), "mallory");
    for (const char* other :
         {"vhost-a|/zone2|users1|otp_session", "vhost-b|/zone1|users1|otp_session",
          "vhost-a|/zone1|users2|otp_session", "vhost-a|/zone1|users1|other",
          "vhost-a|/zone1|users1|otp_session ", ""})
        assert_false(sealer.open(*cookie, other).has_value());
    // And a cookie sealed without a realm opens in none.
    auto bare = sealer.seal(claims);
    assert_false(sealer.open(*bare, "vhost-a|/zone1|users1|otp_session").has_value());
}

int main() {
    const struct CMUnitTest tests[] = {cmocka_unit_test(opens_only_in_its_realm)};
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
