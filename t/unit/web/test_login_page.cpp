// Tests for lib/login_page: the accessible markup the SPEC asks for, escaping of everything
// inserted, languages, the JSON configuration of the script, custom templates, and that the
// CSP hashes match what the page really contains.
#include <cstring>
#include <string>

#include "util/base64url.h"
#include "cmocka_wrap.h"
#include "crypto/digest.h"
#include "web/login_page.h"
#include "web/translations.h"
#include "util/utf8.h"

using otp::PageModel;
using otp::Translations;

namespace {

#define expect_contains(haystack, needle)                                 \
    do {                                                                  \
        if ((haystack).find(needle) == std::string::npos) {               \
            print_error("page lacks: %s\n", std::string(needle).c_str()); \
            fail();                                                       \
        }                                                                 \
    } while (0)
#define expect_lacks(haystack, needle)                                               \
    do {                                                                             \
        if ((haystack).find(needle) != std::string::npos) {                          \
            print_error("page must not contain: %s\n", std::string(needle).c_str()); \
            fail();                                                                  \
        }                                                                            \
    } while (0)

std::size_t count(const std::string& haystack, const std::string& needle) {
    std::size_t n = 0;
    for (std::size_t pos = haystack.find(needle); pos != std::string::npos;
         pos = haystack.find(needle, pos + needle.size()))
        ++n;
    return n;
}

PageModel base_model() {
    PageModel m;
    m.lang = "en";
    m.csrf = "csrf-token-value";
    m.start_url = ".otp/start";
    m.languages = {"en", "sv"};
    m.page_url = "/app/reports?id=5";
    m.verified_redirect = "/app/reports?id=5";
    m.location = "/app";
    return m;
}

std::string render(const PageModel& m, const Translations& t = Translations::builtin()) {
    return otp::render_login_page(t, m, "");
}

// The opening tag of the element with id `id`.
std::string tag_of(const std::string& page, const std::string& id) {
    const std::size_t at = page.find("id=\"" + id + "\"");
    if (at == std::string::npos) {
        print_error("no element with id %s\n", id.c_str());
        fail();
    }
    const std::size_t open = page.rfind('<', at);
    const std::size_t close = page.find('>', at);
    return page.substr(open, close - open + 1);
}

// The text between the first "<script>" (the executable one) and its "</script>".
std::string executable_script(const std::string& page) {
    const std::size_t open = page.find("<script>");
    assert_true(open != std::string::npos);
    const std::size_t start = open + std::strlen("<script>");
    const std::size_t end = page.find("</script>", start);
    return page.substr(start, end - start);
}

std::string config_json(const std::string& page) {
    const std::string open = "<script type=\"application/json\" id=\"otp-config\">";
    const std::size_t start = page.find(open);
    assert_true(start != std::string::npos);
    const std::size_t end = page.find("</script>", start);
    return page.substr(start + open.size(), end - start - open.size());
}

// ---- structure ----------------------------------------------------------------------------

void test_document_basics(void**) {
    const std::string page = render(base_model());
    assert_true(page.rfind("<!DOCTYPE html>\n<html lang=\"en\" dir=\"ltr\">", 0) == 0);
    expect_contains(page, "<meta charset=\"utf-8\">");
    expect_contains(page,
                    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">");
    expect_contains(page, "<title>One-time password verification</title>");
    expect_contains(page, "</html>");
    assert_true(otp::is_valid_utf8(page));
    // No external resources: nothing to load from anywhere, so default-src 'none' holds.
    expect_lacks(page, "http://");
    expect_lacks(page, "https://");
    expect_lacks(page, " src=");
    expect_lacks(page, "<link");
    expect_lacks(page, " style=\"");              // no inline style attributes (CSP)
    expect_lacks(page, " onclick=");              // no inline handlers (CSP)
    expect_lacks(page, "{{");                     // every placeholder replaced
    assert_int_equal(count(page, "<script"), 2);  // the config block and the script
    assert_int_equal(count(page, "</script>"), 2);
}

void test_form_and_fields(void**) {
    const std::string page = render(base_model());
    const std::string form = tag_of(page, "otp-form");
    expect_contains(form, "method=\"post\"");
    expect_contains(form, "action=\".otp/start?otp_lang=en\"");
    expect_contains(page, "<input type=\"hidden\" name=\"csrf\" value=\"csrf-token-value\">");
    expect_contains(page, "<input type=\"hidden\" name=\"return\" value=\"/app/reports?id=5\">");

    const std::string otp = tag_of(page, "otp");
    for (const char* attr :
         {"name=\"otp\"", "type=\"text\"", "autocomplete=\"one-time-code\"",
          "inputmode=\"numeric\"", "pattern=\"[0-9]+\"", "required", "autofocus",
          "maxlength=\"64\"",
          "aria-describedby=\"otp-instructions otp-hint otp-status otp-attempts\""})
        expect_contains(otp, attr);
    expect_lacks(otp, "aria-invalid");
    expect_contains(page, "<label for=\"otp\">One-time password</label>");
    expect_contains(page, "id=\"otp-instructions\"");
    expect_contains(page, "Enter the code from your authenticator app.");

    const std::string submit = tag_of(page, "otp-submit");
    expect_contains(submit, "type=\"submit\"");
    expect_contains(page, ">Verify one-time password</button>");
    expect_contains(tag_of(page, "otp-cancel"), "href=\"/\"");
    expect_contains(page, ">Cancel</a>");

    const std::string status = tag_of(page, "otp-status");
    expect_contains(status, "role=\"alert\"");
    expect_contains(status, "aria-live=\"assertive\"");
    expect_contains(tag_of(page, "otp-attempts"), "aria-live=\"polite\"");
    expect_contains(tag_of(page, "otp-start-again"), " hidden");
    expect_lacks(tag_of(page, "otp-fields"), "disabled");
    expect_lacks(page, "id=\"otp-send\"");
    expect_lacks(page, "id=\"otp-user\"");
}

void test_ask_user(void**) {
    PageModel m = base_model();
    m.ask_user = true;
    std::string page = render(m);
    const std::string user = tag_of(page, "otp-user");
    expect_contains(user, "name=\"user\"");
    expect_contains(user, "autocomplete=\"username\"");
    expect_contains(user, "required");
    expect_contains(user, "autofocus");  // empty user: start there
    expect_lacks(tag_of(page, "otp"), "autofocus");
    expect_contains(page, "<label for=\"otp-user\">User name</label>");
    expect_contains(page, "Enter your user name and the code from your authenticator app.");
    // The user field comes before the code field.
    assert_true(page.find("id=\"otp-user\"") < page.find("id=\"otp\""));

    m.user = "alice";  // prefilled (e.g. after a wrong code): focus the code
    page = render(m);
    expect_contains(tag_of(page, "otp-user"), "value=\"alice\"");
    expect_lacks(tag_of(page, "otp-user"), "autofocus");
    expect_contains(tag_of(page, "otp"), "autofocus");

    m.ask_user = false;  // second factor: the known user is shown, not asked
    page = render(m);
    expect_lacks(page, "id=\"otp-user\"");
    expect_contains(page, "Signed in as alice");
}

void test_alphanumeric(void**) {
    PageModel m = base_model();
    m.alphanumeric = true;
    const std::string otp = tag_of(render(m), "otp");
    expect_contains(otp, "inputmode=\"text\"");
    expect_contains(otp, "pattern=\"[0-9A-Za-z]+\"");
    expect_lacks(otp, "inputmode=\"numeric\"");
    expect_contains(otp, "autocomplete=\"one-time-code\"");
}

void test_send_code(void**) {
    PageModel m = base_model();
    m.can_send_code = true;
    expect_contains(render(m), ">Send code</button>");
    expect_contains(render(m), "Send code\xE2\x80\x9D and enter the code you receive.");
    m.code_sent = true;
    const std::string page = render(m);
    const std::string send = tag_of(page, "otp-send");
    expect_contains(send, "type=\"submit\"");
    expect_contains(send, "name=\"type\"");
    expect_contains(send, "value=\"send\"");
    expect_contains(send, "formnovalidate");
    // The code went out with the page (Require otp): the button asks for a new one.
    expect_contains(page, ">Send a new code</button>");
    // The verify button stays the default button (Enter in the code field verifies).
    assert_true(page.find("id=\"otp-submit\"") < page.find("id=\"otp-send\""));
    expect_contains(page, "Enter the code that was sent to you.");
}

// AuthType OTP with delivered codes: the user name first, the code field once a code was sent.
void test_delivered_steps(void**) {
    PageModel m = base_model();
    m.ask_user = true;
    m.can_send_code = true;
    m.code_length = 8;
    m.alphanumeric = true;
    m.code_field_hidden = true;
    std::string page = render(m);
    expect_contains(page, "<div class=\"field\" id=\"otp-field\" hidden>");
    expect_contains(tag_of(page, "otp"), " disabled");
    expect_contains(tag_of(page, "otp-submit"), " hidden disabled");
    expect_contains(page, ">Send code</button>");
    // "Send code" is the default button until there is a code to verify.
    assert_true(page.find("id=\"otp-send\"") < page.find("id=\"otp-submit\""));
    expect_contains(tag_of(page, "otp"), "maxlength=\"8\"");
    expect_contains(tag_of(page, "otp"), "inputmode=\"text\"");
    expect_contains(page, "The code has 8 letters and digits");

    m.code_field_hidden = false;
    m.user_fixed = true;
    m.code_sent = true;
    m.user = "alice";
    m.alphanumeric = false;
    m.error_key = "otp_validation.resend_too_soon";
    m.resend_wait = 17;
    page = render(m);
    assert_true(page.find("id=\"otp-field\"") == std::string::npos);
    assert_true(tag_of(page, "otp").find(" disabled") == std::string::npos);
    expect_contains(tag_of(page, "otp-user"), " readonly");
    expect_contains(tag_of(page, "otp"), "inputmode=\"numeric\"");
    expect_contains(page, "The code has 8 digits.");
    expect_contains(page, "Wait 17 seconds before asking for a new code.");
    assert_true(page.find("id=\"otp-submit\"") < page.find("id=\"otp-send\""));
}

void test_error_and_attempts(void**) {
    PageModel m = base_model();
    m.error_key = "otp_validation.ERROR";
    m.attempts_left = 1;
    std::string page = render(m);
    expect_contains(page,
                    "class=\"status status-error\" role=\"alert\" aria-live=\"assertive\" "
                    "aria-atomic=\"true\">Wrong one-time password</div>");
    expect_contains(page, ">Attempts left: 1</p>");
    expect_contains(tag_of(page, "otp"), "aria-invalid=\"true\"");
    expect_lacks(tag_of(page, "otp-fields"), "disabled");

    m.error_key = "no.such.key";  // never show a raw key to a visitor
    page = render(m);
    expect_contains(page, "Something went wrong. Try again.");
    expect_lacks(page, "no.such.key");

    m.error_key.clear();
    m.notice_key = "otp_validation.code_sent";
    m.attempts_left = -1;
    page = render(m);
    expect_contains(page, "status status-info");
    expect_contains(page, "A code has been sent.");
    expect_contains(page, "class=\"attempts\" aria-live=\"polite\"></p>");  // empty
}

void test_attempt_over(void**) {
    for (const char* key : {"otp_validation.locked", "otp_validation.retries_exhausted", ""}) {
        PageModel m = base_model();
        m.error_key = key;
        if (!*key) m.attempts_left = 0;
        const std::string page = render(m);
        expect_contains(tag_of(page, "otp-fields"), " disabled");
        const std::string again = tag_of(page, "otp-start-again");
        expect_lacks(again, "hidden");
        expect_contains(again, "href=\"/app/reports?id=5\"");
        expect_lacks(tag_of(page, "otp"), "autofocus");
    }
    PageModel m = base_model();
    m.error_key = "otp_validation.locked";
    expect_contains(render(m), "Too many attempts. Try again later.");
}

void test_swedish_page(void**) {
    PageModel m = base_model();
    m.lang = "sv";
    m.ask_user = true;
    m.show_cookie_banner = true;
    const std::string page = render(m);
    assert_true(page.rfind("<!DOCTYPE html>\n<html lang=\"sv\"", 0) == 0);
    for (const char* text :
         {"Engångslösenord</label>", ">Verifiera engångslösenord</button>", ">Avbryt</a>",
          ">Användarnamn</label>", "Godkänn språk-cookie",
          "Vill du spara dina språkinställningar på denna enhet behövs ett godkännande av  "
          "språk-cookie.",
          "\"verified\":\"Engångslösenord verifierat\"", "\"redirecting\":\"Omdirigerar...\"",
          "\"invalid_otp\":\"Felaktigt engångslösenord\"",
          "\"attempts_left\":\"Försök kvar: {n}\""})
        expect_contains(page, text);
    for (const char* text : {"Verify one-time password", ">Cancel<", "User name"})
        expect_lacks(page, text);
    expect_contains(page, "action=\".otp/start?otp_lang=sv\"");
}

void test_cookie_banner(void**) {
    PageModel m = base_model();
    std::string page = render(m);
    expect_lacks(page, "<section id=\"otp-cookie-banner\"");
    expect_lacks(page, "Approve language cookie");

    m.show_cookie_banner = true;
    page = render(m);
    expect_contains(page, "<section id=\"otp-cookie-banner\"");
    expect_contains(page,
                    "To save your language settings on this device you need to approve a "
                    "language cookie.");
    expect_contains(tag_of(page, "otp-cookie-approve"),
                    "href=\"/app/reports?id=5&amp;otp_lang=en&amp;otp_lang_consent=1\"");
    expect_contains(tag_of(page, "otp-cookie-decline"),
                    "href=\"/app/reports?id=5&amp;otp_lang=en&amp;otp_lang_consent=0\"");
    expect_contains(page, ">Approve language cookie</a>");
}

void test_language_switch(void**) {
    PageModel m = base_model();
    m.page_url = "/app/reports?otp_lang=sv&id=5&otp_lang_consent=1#frag";
    std::string page = render(m);
    expect_contains(page, "<nav class=\"languages\" aria-label=\"Language\">");
    expect_contains(page,
                    "<a href=\"/app/reports?id=5&amp;otp_lang=sv\" hreflang=\"sv\" "
                    "lang=\"sv\">Svenska</a>");
    expect_contains(page, "<span lang=\"en\" aria-current=\"true\">English</span>");
    expect_lacks(page, "change_language");

    m.page_url.clear();  // relative links
    page = render(m);
    expect_contains(page, "<a href=\"?otp_lang=sv\"");

    m.languages = {"en"};
    expect_lacks(render(m), "<nav");

    // A loaded language is listed by its own name.
    Translations t = Translations::builtin();
    t.set_text("de", "language.de", "Deutsch");
    m.languages = t.languages();
    m.lang = "de";
    page = render(m, t);
    expect_contains(page, "aria-current=\"true\">Deutsch</span>");
    expect_contains(page, ">English</a>");
    expect_contains(page, "Verify one-time password");  // de has no such key: English
}

// ---- escaping -----------------------------------------------------------------------------

const char kHostile[] = "\"><script>alert(1)</script><img src=x onerror=alert(2)>'&{{csrf}}";

void test_hostile_user_name(void**) {
    PageModel m = base_model();
    m.ask_user = true;
    m.user = kHostile;
    std::string page = render(m);
    expect_lacks(page, "<script>alert");
    expect_lacks(page, "<img");
    expect_contains(tag_of(page, "otp-user"),
                    "value=\"&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x "
                    "onerror=alert(2)&gt;&#39;&amp;{{csrf}}\"");
    assert_int_equal(count(page, "csrf-token-value"), 1);  // {{csrf}} in data is not expanded

    m.ask_user = false;  // shown as text
    page = render(m);
    expect_lacks(page, "<script>alert");
    expect_contains(page, "Signed in as &quot;&gt;&lt;script&gt;");

    static const char kBadBytes[] = "bad\xFF\xFE utf8 \0nul";
    m.user.assign(kBadBytes, sizeof kBadBytes - 1);  // keeps the NUL
    page = render(m);
    assert_true(otp::is_valid_utf8(page));
    expect_lacks(page, std::string(1, '\0'));
}

void test_hostile_model_values(void**) {
    PageModel m = base_model();
    m.csrf = kHostile;
    m.start_url = "x\"><script>alert(3)</script>";
    m.verified_redirect = "</script><script>alert(4)</script>";
    m.page_url = "/app?\"><script>alert(5)</script>";
    m.cancel_url = "\" onclick=\"alert(6)";
    m.lang = "en\"><script>alert(7)</script>";
    m.show_cookie_banner = true;
    const std::string page = render(m);
    expect_lacks(page, "<script>alert");
    expect_lacks(page, "\" onclick=\"");
    assert_int_equal(count(page, "</script>"), 2);
    expect_contains(page, "<html lang=\"en&quot;&gt;&lt;script&gt;");
}

void test_hostile_translations(void**) {
    Translations t = Translations::builtin();
    t.set_text("en", "otp_validation.otp", "<b>Code</b> & \"more\"");
    t.set_text("en", "otp_validation.verified", "</script><script>alert(1)</script><!--");
    t.set_text("en", "otp_validation.redirecting",
               "line\xE2\x80\xA8sep\xE2\x80\xA9"
               "end");
    const std::string page = render(base_model(), t);
    expect_contains(page,
                    "<label for=\"otp\">&lt;b&gt;Code&lt;/b&gt; &amp; &quot;more&quot;</label>");
    assert_int_equal(count(page, "</script>"), 2);
    expect_lacks(page, "<script>alert");
    expect_lacks(page, "<!--");
    const std::string config = config_json(page);
    expect_contains(config, "\\u003c/script\\u003e\\u003cscript\\u003ealert(1)");
    expect_contains(config, "line\\u2028sep\\u2029end");
    expect_lacks(config, "\xE2\x80\xA8");
}

void test_script_config(void**) {
    PageModel m = base_model();
    m.start_url = ".otp/start";
    const std::string config = config_json(render(m));
    expect_contains(config, "\"start_url\":\".otp/start\"");
    expect_contains(config, "\"redirect\":\"/app/reports?id=5\"");
    for (const char* key :
         {"\"verified\":\"One-time password verified\"", "\"redirecting\":\"Redirecting...\"",
          "\"invalid_otp\":\"Wrong one-time password\"", "\"attempts_left\":\"Attempts left: {n}\"",
          "\"locked\":\"Too many attempts. Try again later.\"",
          "\"retries_exhausted\":\"Too many wrong codes. Start again.\"",
          "\"code_sent\":", "\"verifying\":", "\"error_generic\":"})
        expect_contains(config, key);
}

void test_script_behaviour_contract(void**) {
    // The script talks to the start endpoint as SPEC §3.2 describes; these are the pieces a
    // change must not lose (the browser test exercises them for real).
    const std::string script = executable_script(render(base_model()));
    for (const char* piece :
         {"\"Content-Type\": \"application/json\"", "credentials: \"same-origin\"",
          "type: type, data: data", "data.otp", "data.user", "\"COMPLETED\"", "\"SENT\"",
          "code === 401", "\"invalid_otp\"", "code === 429", "\"locked\"", "\"retries_exhausted\"",
          "attempts_left", "texts.verified", "texts.redirecting", "window.location.replace",
          "HTMLFormElement.prototype.submit.call(form)", "preventDefault"})
        expect_contains(script, piece);
}

void test_html_escape(void**) {
    assert_string_equal(otp::html_escape("<a href=\"x\">'&'</a>").c_str(),
                        "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
    assert_string_equal(otp::html_escape("Engångslösenord").c_str(), "Engångslösenord");
    assert_string_equal(otp::html_escape(std::string("a\0b", 3)).c_str(),
                        "a\xEF\xBF\xBD"
                        "b");
    assert_string_equal(otp::html_escape("\xFF").c_str(), "\xEF\xBF\xBD");
    assert_string_equal(otp::html_escape("").c_str(), "");
}

void test_script_safe_json(void**) {
    assert_string_equal(otp::script_safe_json("{\"a\":\"</script><!--&>\"}").c_str(),
                        "{\"a\":\"\\u003c/script\\u003e\\u003c!--\\u0026\\u003e\"}");
    assert_string_equal(otp::script_safe_json("\"\xE2\x80\xA8\xE2\x80\xA9\xE2\x80\xA6\"").c_str(),
                        "\"\\u2028\\u2029\xE2\x80\xA6\"");  // U+2026 stays
}

// ---- templates and CSP --------------------------------------------------------------------

void test_custom_template(void**) {
    PageModel m = base_model();
    m.lang = "sv";
    m.user = "{{csrf}}<b>";
    m.error_key = "otp_validation.ERROR";
    m.attempts_left = 2;
    const std::string tmpl =
        "<html lang=\"{{lang}}\">[{{t:otp_validation.cancel}}][{{csrf}}][{{user}}]"
        "[{{unknown_placeholder}}][{{t:no.such.key}}][{{ lang }}][{{error}}][{{attempts_text}}]"
        "[{{start_url}}][{{form_action}}][{{location}}][{{redirect}}][{{dir}}][{{disabled}}]"
        "[{{unterminated";
    const std::string page = otp::render_login_page(Translations::builtin(), m, tmpl);
    assert_string_equal(
        page.c_str(),
        "<html lang=\"sv\">[Avbryt][csrf-token-value][{{csrf}}&lt;b&gt;][][no.such.key]"
        "[{{ lang }}][Felaktigt engångslösenord][Försök kvar: 2][.otp/start]"
        "[.otp/start?otp_lang=sv][/app][/app/reports?id=5][ltr][][{{unterminated");
}

void test_custom_template_fragments(void**) {
    PageModel m = base_model();
    m.ask_user = true;
    const std::string page = otp::render_login_page(
        Translations::builtin(), m, "<body><div class=\"mine\">{{form}}</div>{{script}}</body>");
    for (const char* id : {"otp-form", "otp-fields", "otp-user", "otp", "otp-status",
                           "otp-attempts", "otp-submit", "otp-config"})
        tag_of(page, id);  // fails if missing
    expect_contains(page, "<div class=\"mine\">");
}

void test_builtin_template_is_exposed(void**) {
    const std::string_view tmpl = otp::builtin_login_template();
    assert_true(tmpl.find("{{form}}") != std::string_view::npos);
    assert_true(tmpl.find("{{script}}") != std::string_view::npos);
    // Rendering the exposed template as a custom one gives the built-in page.
    const PageModel m = base_model();
    assert_true(otp::render_login_page(Translations::builtin(), m, std::string(tmpl)) == render(m));
}

void test_csp_matches_page(void**) {
    const std::string page = render(base_model());
    const std::string csp = otp::login_page_csp();
    const std::string script_hash =
        "'sha256-" + otp::base64_encode(otp::sha256(executable_script(page))) + "'";
    const std::size_t style_open = page.find("<style>") + std::strlen("<style>");
    const std::string style = page.substr(style_open, page.find("</style>") - style_open);
    const std::string style_hash = "'sha256-" + otp::base64_encode(otp::sha256(style)) + "'";
    expect_contains(csp, "script-src " + script_hash);
    expect_contains(csp, "style-src " + style_hash);
    for (const char* directive : {"default-src 'none'", "connect-src 'self'", "form-action 'self'",
                                  "frame-ancestors 'none'", "base-uri 'none'"})
        expect_contains(csp, directive);
    expect_lacks(csp, "unsafe-inline");
    // The script does not depend on the model: one hash for every page.
    PageModel other = base_model();
    other.lang = "sv";
    other.ask_user = true;
    other.error_key = "otp_validation.ERROR";
    assert_true(executable_script(render(other)) == executable_script(page));
}

void test_error_translation_keys(void**) {
    assert_string_equal(otp::error_translation_key("invalid_otp"), "otp_validation.ERROR");
    assert_string_equal(otp::error_translation_key("locked"), "otp_validation.locked");
    assert_string_equal(otp::error_translation_key("retries_exhausted"),
                        "otp_validation.retries_exhausted");
    assert_string_equal(otp::error_translation_key("missing_csrf"), "otp_validation.page_expired");
    assert_string_equal(otp::error_translation_key("whatever"), "otp_validation.error_generic");
    const Translations t = Translations::builtin();
    for (const char* reason :
         {"invalid_otp", "locked", "retries_exhausted", "missing_otp", "invalid_otp_format",
          "missing_user", "missing_csrf", "invalid_csrf", "send_failed", "x"})
        assert_true(t.find("sv", otp::error_translation_key(reason)).has_value());
}

// Under <Location />, "//evil.example/" is a path the server serves; on the page it must not
// become a link to that host (the browser reads "//host/..." as protocol-relative).
void test_links_stay_on_this_origin(void**) {
    assert_string_equal(otp::same_origin_link("//evil.example/x?a=1").c_str(), "/evil.example/x?a=1");
    assert_string_equal(otp::same_origin_link("///evil.example/").c_str(), "/evil.example/");
    assert_string_equal(otp::same_origin_link("/\\evil.example/").c_str(), "/evil.example/");
    assert_string_equal(otp::same_origin_link("/\t/evil.example/").c_str(), "/evil.example/");
    assert_string_equal(otp::same_origin_link(" //evil.example/").c_str(), "/evil.example/");
    assert_string_equal(otp::same_origin_link("https://evil.example/").c_str(), "/");
    assert_string_equal(otp::same_origin_link("javascript:alert(1)").c_str(), "/");
    assert_string_equal(otp::same_origin_link("/app/reports?next=//x").c_str(), "/app/reports?next=//x");
    assert_string_equal(otp::same_origin_link(".otp/start").c_str(), ".otp/start");
    assert_string_equal(otp::same_origin_link("app/.otp/start?a=b:c").c_str(), "app/.otp/start?a=b:c");
    assert_string_equal(otp::same_origin_link("/").c_str(), "/");

    PageModel m = base_model();
    m.page_url = "//evil.example/?otp_lang=sv";
    m.verified_redirect = "//evil.example/";
    m.cancel_url = "//evil.example/";
    m.show_cookie_banner = true;
    const std::string page = render(m);
    expect_lacks(page, "\"//");
    expect_contains(page, "href=\"/evil.example/?otp_lang=sv\"");
    expect_contains(tag_of(page, "otp-cancel"), "href=\"/evil.example/\"");
}

}  // namespace

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_document_basics),
        cmocka_unit_test(test_form_and_fields),
        cmocka_unit_test(test_ask_user),
        cmocka_unit_test(test_alphanumeric),
        cmocka_unit_test(test_send_code),
        cmocka_unit_test(test_delivered_steps),
        cmocka_unit_test(test_error_and_attempts),
        cmocka_unit_test(test_attempt_over),
        cmocka_unit_test(test_swedish_page),
        cmocka_unit_test(test_cookie_banner),
        cmocka_unit_test(test_language_switch),
        cmocka_unit_test(test_links_stay_on_this_origin),
        cmocka_unit_test(test_hostile_user_name),
        cmocka_unit_test(test_hostile_model_values),
        cmocka_unit_test(test_hostile_translations),
        cmocka_unit_test(test_script_config),
        cmocka_unit_test(test_script_behaviour_contract),
        cmocka_unit_test(test_html_escape),
        cmocka_unit_test(test_script_safe_json),
        cmocka_unit_test(test_custom_template),
        cmocka_unit_test(test_custom_template_fragments),
        cmocka_unit_test(test_builtin_template_is_exposed),
        cmocka_unit_test(test_csp_matches_page),
        cmocka_unit_test(test_error_translation_keys),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
