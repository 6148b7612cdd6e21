// The OTP entry page (SPEC §3.1, §5): one HTML page that works with and without JavaScript,
// with keyboard and screen readers, in the negotiated language.
//
// Without JavaScript the form posts application/x-www-form-urlencoded (csrf, return, user, otp,
// or type=send) to the start endpoint. With JavaScript the inline script intercepts the submit,
// POSTs {"type":"start","data":{"otp":…,"user":…,"csrf":…,"return":…}} as application/json,
// and on
//   200 COMPLETED  shows otp_validation.verified, then otp_validation.redirecting, and goes to
//                  the answer's "redirect" (only a same-origin path is followed);
//   200 SENT       shows otp_validation.code_sent;
//   401 invalid_otp shows otp_validation.ERROR and "attempts left"; with attempts_left 0 the
//                  form is closed (the attempt is over);
//   429 locked / retries_exhausted  shows that text, closes the form, offers "Start again";
//   anything else (400, 403, 5xx, network error, non-JSON) submits the form normally, so the
//                  server answers with a page.
//
// The built-in page has no external resources, no inline style attributes and no event
// handler attributes; its one <style> and one executable <script> are constant, so
// login_page_csp() can allow exactly them by hash.
//
// Templates (OTPPageTemplate) use {{name}} placeholders; the built-in template (see
// builtin_login_template()) is itself written with them. Values are inserted once, never
// re-scanned, so a user name containing "{{csrf}}" stays text. Unknown placeholders become
// empty. Placeholders:
//
//   Text (HTML-escaped, safe in element content and quoted attributes):
//     {{t:KEY}}        translation KEY in the page language (falls back to en, then KEY)
//     {{lang}}         page language, e.g. "sv"          {{dir}}  "ltr" or "rtl"
//     {{instructions}} the instruction text for this page (ask_user / can_send_code)
//     {{error}}        the error message ("" if none)     {{notice}} the notice ("" if none)
//     {{attempts_text}} "Attempts left: n" ("" if unknown)
//     {{user}}  {{csrf}}  {{start_url}}  {{form_action}}  {{cancel_url}}  {{page_url}}
//     {{redirect}} (model.verified_redirect)  {{location}}
//     {{disabled}}     " disabled" when the attempt is over, else "" (for <fieldset>)
//   HTML fragments (already escaped; element ids are what the script looks for):
//     {{style}}         <style>…</style> of the built-in look
//     {{script}}        <script type="application/json" id="otp-config">…</script> and the
//                       <script> that drives the form; place it at the end of <body>
//     {{form}}          the whole form: <form id="otp-form"> with the pieces below inside a
//                       <fieldset id="otp-fields">
//     {{hidden_fields}} hidden inputs csrf and (if set) return
//     {{user_field}}    label + <input id="otp-user" name="user" autocomplete="username">,
//                       or "" when !ask_user
//     {{otp_field}}     label + <input id="otp" name="otp" autocomplete="one-time-code"> +
//                       hint <p id="otp-hint">
//     {{status}}        <div id="otp-status" role="alert"> with the error/notice
//     {{attempts}}      <p id="otp-attempts" aria-live="polite">
//     {{submit_button}} <button id="otp-submit">     {{send_button}} <button id="otp-send">
//     {{cancel_link}}   <a id="otp-cancel">           {{start_again_link}} <a id="otp-start-again">
//     {{user_known}}    <p id="otp-user-known">Signed in as …</p> (second factor) or ""
//     {{language_switch}} <nav> with ?otp_lang=xx links, "" with fewer than two languages
//     {{cookie_banner}} the language-cookie consent <section id="otp-cookie-banner">, or ""
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "web/translations.h"

namespace otp {

// Query parameters the page's links use, and the cookie the module sets after consent.
inline constexpr char kLanguageQueryParam[] = "otp_lang";            // ?otp_lang=sv
inline constexpr char kLanguageConsentParam[] = "otp_lang_consent";  // 1 approve, 0 decline
inline constexpr char kLanguageCookieName[] = "otp_lang";

struct PageModel {
    std::string lang = "en";               // from choose_language() (or ?otp_lang)
    bool ask_user = false;                 // AuthType OTP: ask for the user name
    std::string user;                      // prefill (ask_user) or the known first-factor user
    bool alphanumeric = false;             // delivered alphanumeric codes: no numeric keyboard
    bool can_send_code = false;            // a pre-pipe exists: show "Send code"
    unsigned code_length = 0;              // delivered codes: their length (hint, maxlength)
    bool code_field_hidden = false;        // AuthType OTP + delivered: user name first, the
                                           //   code field once a code was sent
    bool user_fixed = false;               // the code went to this user: the field is read-only
    bool code_sent = false;                // a code went out: "Send a new code", not "Send code"
    long long resend_wait = 0;             // seconds until a new code may be sent (notices)
    std::string csrf;                      // make_csrf_token(key, attempt_id)
    std::string start_url = ".otp/start";  // fetch and form target (relative to the page URL)
    std::string error_key;                 // translation key of an error to show, or empty
    std::string notice_key;                // translation key of a non-error notice (e.g. code_sent)
    int attempts_left = -1;                // < 0: unknown, not shown; 0: the attempt is over
    bool show_cookie_banner = false;
    std::vector<std::string> languages;  // for the language switch (usually languages())
    std::string verified_redirect;       // hidden "return" field; empty: the module knows it
    std::string location;                // the protected location ({{location}} only)
    // URL of the protected page (path and query) that language, consent and "start again"
    // links are built on; any otp_lang/otp_lang_consent parameters in it are dropped. Empty:
    // links are relative to the current URL ("?otp_lang=sv"), which is wrong when the page is
    // the answer to a form post to .otp/start, so the module should always set it.
    std::string page_url;
    std::string cancel_url = "/";
    std::string instructions_key;  // empty: chosen from ask_user and can_send_code
    bool form_disabled = false;    // also implied by error_key locked/retries_exhausted and
                                   // attempts_left == 0
};

// A link target a browser can only resolve on the page's own origin: a leading run of slashes
// and backslashes (with the tabs and newlines browsers drop from URLs) becomes one "/"
// ("//evil.example/x" -> "/evil.example/x"), and a relative reference whose first segment has
// a colon (a scheme: "javascript:", "https:") becomes "/". Other paths and relative references
// are returned unchanged. render_login_page() applies it to every URL of the model.
std::string same_origin_link(std::string_view url);

// Renders the page. custom_template empty = the built-in template. Returns "" only if memory
// runs out.
std::string render_login_page(const Translations& translations, const PageModel& model,
                              const std::string& custom_template);

std::string_view builtin_login_template();

// Content-Security-Policy for the built-in page (also fine for a custom template that uses
// only {{style}} and {{script}}): default-src 'none', the style and script allowed by their
// SHA-256 hashes, connect-src/form-action 'self', frame-ancestors 'none', base-uri 'none'.
std::string login_page_csp();
// The same policy for a page whose one <style> and one executable <script> are these.
std::string page_csp(std::string_view script, std::string_view style);

// Translation key for an error reason of the start endpoint (kError* of start_request.h,
// plus "invalid_otp", "locked", "retries_exhausted", "send_failed"); unknown reasons map to
// otp_validation.error_generic.
const char* error_translation_key(std::string_view reason);

// &, <, >, ", ' become entities; invalid UTF-8 and NUL become U+FFFD.
std::string html_escape(std::string_view text);

// Makes JSON text safe inside <script>…</script>: '<', '>' and '&' become \u003c, \u003e,
// \u0026 (no "</script>" or "<!--" can appear) and U+2028/U+2029 become \u2028/\u2029.
std::string script_safe_json(std::string_view json);

}  // namespace otp
