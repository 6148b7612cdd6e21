#include "mod_otp/login/login_page_response.h"

#include <util_script.h>

#include "login/csrf_token.h"
#include "login/start_request.h"
#include "mod_otp/events/event_log.h"
#include "mod_otp/http/http_util.h"
#include "mod_otp/login/code_delivery.h"
#include "web/login_page.h"

APLOG_USE_MODULE(otp);

namespace {

// The start endpoint relative to the page's URL (SPEC: the page uses ".otp/start").
std::string relative_start_url(request_rec* r, const SessionRealm& realm, Endpoint at) {
    if (at == Endpoint::start) return "start";  // the page is the answer of .otp/start itself
    std::string uri = r->uri;
    if (uri == realm.path && uri.back() != '/')
        return uri.substr(uri.rfind('/') + 1) + "/.otp/start";
    return ".otp/start";
}

// The page's own URL (path and query) for its links: from the parsed request line, so an
// absolute-form request ("GET http://other.example/app/") gives no scheme or host.
std::string page_url_of(request_rec* r) {
    std::string url = r->parsed_uri.path ? r->parsed_uri.path : "/";
    if (r->parsed_uri.query) url.append("?").append(r->parsed_uri.query);
    return url;
}

apr_table_t* query_table(request_rec* r) {
    apr_table_t* table = nullptr;
    ap_args_to_table(r, &table);
    return table;
}

}  // namespace

int serve_page(LoginRequest& login, const otp::LoginAttempt& attempt, Endpoint at,
               const PageOptions& options) {
    request_rec* r = login.r;
    const otp::Translations& texts = login.translations();
    apr_table_t* query = query_table(r);
    const char* asked = query ? apr_table_get(query, otp::kLanguageQueryParam) : nullptr;
    const char* consent = query ? apr_table_get(query, otp::kLanguageConsentParam) : nullptr;
    auto cookie_lang = read_cookie(r, otp::kLanguageCookieName);
    const char* accept = apr_table_get(r->headers_in, "Accept-Language");

    otp::PageModel model;
    if (asked && texts.has_language(asked)) {
        model.lang = otp::normalize_language_tag(asked);
        if (consent && std::string_view(consent) == "1")
            // Approved: remember the language (a preference, not a secret) for a year.
            write_cookie(r, otp::kLanguageCookieName, model.lang, "/", 365L * 86400);
        else
            model.show_cookie_banner = !consent && (!cookie_lang || *cookie_lang != model.lang);
    } else {
        model.lang =
            otp::choose_language(texts, cookie_lang ? *cookie_lang : "", accept ? accept : "");
    }
    model.ask_user = login.mode == Mode::login;
    model.user = login.mode == Mode::second_factor ? (r->user ? r->user : "") : options.user;
    model.csrf = otp::make_csrf_token(login.csrf_key(), attempt.id);
    model.start_url = relative_start_url(r, login.realm, at);
    model.error_key = options.error_key;
    model.notice_key = options.notice_key;
    if (login.delivers_codes()) {
        const otp::OtpPolicy policy = otp_policy(login.conf);
        model.can_send_code = true;
        model.alphanumeric = policy.delivered.charset == otp::CodeCharset::alphanumeric;
        model.code_length = policy.delivered.length;
        // AuthType OTP asks for the user name first; the code field comes once a code went out.
        model.code_field_hidden = model.ask_user && !options.code_sent;
        model.user_fixed = model.ask_user && options.code_sent;
        model.code_sent = options.code_sent;
        model.resend_wait = options.retry_after > 0 ? options.retry_after : 0;
    }
    model.attempts_left = options.attempts_left;
    model.form_disabled = options.disabled;
    model.languages = texts.languages();
    model.verified_redirect = attempt.return_path;
    model.location = login.realm.path;
    model.page_url = at == Endpoint::none ? page_url_of(r) : attempt.return_path;
    model.cancel_url = "/";

    std::string html = otp::render_login_page(
        texts, model, login.conf->page_template ? login.conf->page_template : "");
    if (!login.conf->page_template)
        apr_table_set(r->err_headers_out, "Content-Security-Policy", otp::login_page_csp().c_str());
    apr_table_setn(r->err_headers_out, "Content-Language",
                   apr_pstrdup(r->pool, model.lang.c_str()));
    return send_body(r, options.status, "text/html; charset=utf-8", html);
}

namespace {

// Whether the request is a person opening the page: not a JSON client, not an image or
// script another page embeds, not a cross-site request. Only then does the page send a code
// by itself; otherwise "Send code" does (a stray request must not replace the code the person
// is typing, nor cost a text message).
bool page_navigation(request_rec* r) {
    if (wants_json(r)) return false;
    const char* dest = apr_table_get(r->headers_in, "Sec-Fetch-Dest");
    if (dest && strcasecmp(dest, "document") != 0) return false;
    const char* site = apr_table_get(r->headers_in, "Sec-Fetch-Site");
    return !site || !strcasecmp(site, "same-origin") || !strcasecmp(site, "none");
}

}  // namespace

int require_login(LoginRequest& login) {
    request_rec* r = login.r;
    std::string bound = login.mode == Mode::second_factor && r->user ? r->user : "";
    std::string return_path = r->unparsed_uri;
    if (!otp::is_safe_return_path(return_path, login.realm.path))
        return_path = default_return(login.realm);
    const std::int64_t now = unix_now();
    if (login.delivers_codes() && login.mode == Mode::second_factor) {
        // A reload right after a code went out keeps that attempt (and its code): a new one
        // could not send another for kResendInterval seconds.
        auto recent = read_attempt_cookie(login);
        if (recent && recent->bound_user == bound && now - recent->created < otp::kResendInterval &&
            page_navigation(r)) {
            PageOptions options;
            options.code_sent = true;
            options.notice_key = "otp_validation.code_sent";
            return serve_page(login, *recent, Endpoint::none, options);
        }
    }
    auto attempt = login.limits.create_attempt(bound, return_path, now);
    if (!attempt || !write_attempt_cookie(login, *attempt)) {
        // No randomness or no session key: nothing to seal the attempt with.
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                      "login attempt: cannot seal the attempt cookie (no session key or no "
                      "randomness)");
        otp_emit_request_event(r, otp::event::kStoreError, bound,
                               {{"reason", "cannot create a login attempt"}});
        return send_json_error(r, HTTP_SERVICE_UNAVAILABLE, "store_error");
    }
    otp_emit_request_event(r, otp::event::kAttemptStarted, bound, {});
    PageOptions options;
    if (login.delivers_codes() && login.mode == Mode::second_factor && page_navigation(r)) {
        // The first factor named the user: the code goes out with the page.
        const SendResult sent = send_login_code(login, *attempt, bound);
        options.code_sent = sent.answer == SendAnswer::sent;
        if (sent.answer == SendAnswer::sent) {
            options.notice_key = "otp_validation.code_sent";
        } else {
            options.error_key = send_page_error_key(sent.answer);
            options.retry_after = sent.retry_after;
        }
    }
    if (wants_json(r)) {
        otp::JsonObject body;
        body.set("status", "OTP_REQUIRED");
        body.set("start", absolute_start_path(r, login.realm));
        return send_json(r, HTTP_UNAUTHORIZED, body);
    }
    return serve_page(login, *attempt, Endpoint::none, options);
}
