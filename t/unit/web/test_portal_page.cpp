// The two-way portal page: its texts in en and sv, every value escaped, the response shown
// with the form hidden, and a Content-Security-Policy that allows exactly its style and script.
#include <string>

#include "cmocka_wrap.h"
#include "crypto/digest.h"
#include "util/base64url.h"
#include "web/portal_page.h"

using namespace otp;

namespace {

bool contains(const std::string& haystack, const std::string& needle) {
    return haystack.find(needle) != std::string::npos;
}

// The contents of the first <tag>…</tag> whose opening tag is exactly `open`.
std::string element(const std::string& html, const std::string& open, const std::string& close) {
    const std::size_t start = html.find(open);
    if (start == std::string::npos) return "";
    const std::size_t from = start + open.size();
    return html.substr(from, html.find(close, from) - from);
}

}  // namespace

static void texts_and_escaping(void**) {
    const Translations t = Translations::builtin();
    PortalPageModel m;
    m.user = "<alice&\"bob\">";
    m.csrf = "tok\"en";
    m.action = "/portal?a=<b>";
    const std::string en = render_portal_page(t, m);
    assert_true(contains(en, "<title>Connect your app</title>"));
    assert_true(contains(en, "Signed in as &lt;alice&amp;&quot;bob&quot;&gt;"));
    assert_false(contains(en, "<alice"));
    assert_true(contains(en, "value=\"tok&quot;en\""));
    assert_true(contains(en, "action=\"/portal?a=&lt;b&gt;\""));
    assert_true(contains(en, "inputmode=\"numeric\""));
    assert_true(contains(en, "<section id=\"twoway-result\" tabindex=\"-1\" aria-live=\"polite\" hidden>"));
    m.lang = "sv";
    m.alphanumeric = true;
    m.error_key = "twoway.error_invalid_code";
    const std::string sv = render_portal_page(t, m);
    assert_true(contains(sv, "<html lang=\"sv\""));
    assert_true(contains(sv, "Koppla din app"));
    assert_true(contains(sv, "Koden är ogiltig eller har gått ut."));
    assert_true(contains(sv, "status status-error"));
    assert_false(contains(sv, "inputmode=\"numeric\""));
}

static void the_response_replaces_the_form(void**) {
    PortalPageModel m;
    m.user = "alice";
    m.response = "456867";
    const std::string html = render_portal_page(Translations::builtin(), m);
    assert_true(contains(html, "<p id=\"twoway-response\" class=\"status status-ok\">456867</p>"));
    assert_true(contains(html, "aria-live=\"polite\">"));
    assert_true(contains(html, "<form id=\"twoway-form\" method=\"post\" action=\"\" hidden>"));
}

static void the_policy_allows_exactly_the_page(void**) {
    const std::string html = render_portal_page(Translations::builtin(), PortalPageModel{});
    const std::string style = element(html, "<style>", "</style>");
    const std::string script = element(html, "<script>", "</script>");
    assert_true(!style.empty() && !script.empty());
    const std::string csp = portal_page_csp();
    assert_true(contains(csp, "script-src 'sha256-" + base64_encode(sha256(script)) + "'"));
    assert_true(contains(csp, "style-src 'sha256-" + base64_encode(sha256(style)) + "'"));
    assert_true(contains(csp, "default-src 'none'"));
    assert_false(contains(html, " style=\""));
    assert_false(contains(html, " onclick="));
}

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(texts_and_escaping),
        cmocka_unit_test(the_response_replaces_the_form),
        cmocka_unit_test(the_policy_allows_exactly_the_page),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
