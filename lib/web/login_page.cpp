#include "web/login_page.h"

#include <map>
#include <new>
#include <optional>

#include "crypto/digest.h"
#include "util/base64url.h"
#include "util/codec.h"
#include "util/json_body.h"
#include "util/utf8.h"
#include "web/login_page_assets.h"

namespace otp {

std::string html_escape(std::string_view text) {
    const std::string clean = sanitize_utf8(text);
    std::string out;
    out.reserve(clean.size() + clean.size() / 8);
    for (char c : clean) {
        switch (c) {
            case '&':
                out += "&amp;";
                break;
            case '<':
                out += "&lt;";
                break;
            case '>':
                out += "&gt;";
                break;
            case '"':
                out += "&quot;";
                break;
            case '\'':
                out += "&#39;";
                break;
            case '\0':
                out += "\xEF\xBF\xBD";
                break;  // HTML parsers treat NUL as an error
            default:
                out.push_back(c);
        }
    }
    return out;
}

std::string script_safe_json(std::string_view json) {
    std::string out;
    out.reserve(json.size() + 16);
    for (std::size_t i = 0; i < json.size(); ++i) {
        const char c = json[i];
        // In JSON text these characters only occur inside strings, where the \u form is
        // equivalent; in HTML they could end the <script> element or open a comment.
        if (c == '<') {
            out += "\\u003c";
        } else if (c == '>') {
            out += "\\u003e";
        } else if (c == '&') {
            out += "\\u0026";
        } else if (c == '\xE2' && i + 2 < json.size() && json[i + 1] == '\x80' &&
                   (json[i + 2] == '\xA8' || json[i + 2] == '\xA9')) {
            // U+2028/U+2029 end lines in older JavaScript parsers.
            out += json[i + 2] == '\xA8' ? "\\u2028" : "\\u2029";
            i += 2;
        } else {
            out.push_back(c);
        }
    }
    return out;
}

const char* error_translation_key(std::string_view reason) {
    struct Entry {
        std::string_view reason;
        const char* key;
    };
    static constexpr Entry kKeys[] = {
        {"invalid_otp", "otp_validation.ERROR"},
        {"locked", "otp_validation.locked"},
        {"retries_exhausted", "otp_validation.retries_exhausted"},
        {"missing_otp", "otp_validation.missing_otp"},
        {"invalid_otp_format", "otp_validation.invalid_otp_format"},
        {"value_too_long", "otp_validation.invalid_otp_format"},
        {"missing_user", "otp_validation.missing_user"},
        {"invalid_user", "otp_validation.missing_user"},
        {"missing_csrf", "otp_validation.page_expired"},
        {"invalid_csrf", "otp_validation.page_expired"},
        {"send_failed", "otp_validation.send_failed"},
        {"resend_too_soon", "otp_validation.resend_too_soon"},
        {"send_limit_reached", "otp_validation.send_limit_reached"},
        {"expired", "otp_validation.expired"},
        {"pipe_busy", "otp_validation.unavailable"},
        {"pipe_error", "otp_validation.unavailable"},
    };
    for (const Entry& e : kKeys)
        if (e.reason == reason) return e.key;
    return "otp_validation.error_generic";
}

std::string_view builtin_login_template() { return page_assets::kTemplate; }

std::string page_csp(std::string_view script, std::string_view style) {
    auto hash = [](std::string_view text) {
        return "'sha256-" + base64_encode(sha256(text)) + "'";
    };
    return "default-src 'none'; script-src " + hash(script) + "; style-src " + hash(style) +
           "; connect-src 'self'; form-action 'self'; img-src 'self' data:; base-uri 'none'; "
           "frame-ancestors 'none'";
}

std::string login_page_csp() {
    // The assets are constants, so the policy is too; computing it per call keeps this free
    // of shared mutable state and costs two hashes of a few KiB.
    return page_csp(page_assets::kScript, page_assets::kStyle);
}

namespace {

bool is_placeholder_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '.' || c == '-' || c == ':';
}

// "a/b?x=1&otp_lang=sv#f" + "otp_lang=en" -> "a/b?x=1&otp_lang=en": the page's own language
// parameters are replaced, everything else is kept.
std::string url_with_params(std::string_view base, std::string_view params) {
    base = base.substr(0, base.find('#'));
    const std::size_t q = base.find('?');
    std::string out(base.substr(0, q));
    std::string query;
    if (q != std::string_view::npos) {
        std::string_view rest = base.substr(q + 1);
        while (!rest.empty()) {
            const std::size_t amp = rest.find('&');
            const std::string_view pair = rest.substr(0, amp);
            rest = amp == std::string_view::npos ? std::string_view() : rest.substr(amp + 1);
            const std::string_view name = pair.substr(0, pair.find('='));
            if (pair.empty() || name == kLanguageQueryParam || name == kLanguageConsentParam)
                continue;
            if (!query.empty()) query += '&';
            query.append(pair.data(), pair.size());
        }
    }
    if (!query.empty()) query += '&';
    query.append(params.data(), params.size());
    return out + "?" + query;
}

class PageRenderer {
public:
    PageRenderer(const Translations& t, const PageModel& m) : t_(t), m_(m) {
        disabled_ = m.form_disabled || m.attempts_left == 0 ||
                    m.error_key == "otp_validation.locked" ||
                    m.error_key == "otp_validation.retries_exhausted";
    }

    std::string render(std::string_view tmpl) const {
        std::string out;
        out.reserve(tmpl.size() + 12000);
        std::size_t pos = 0;
        while (pos < tmpl.size()) {
            const std::size_t open = tmpl.find("{{", pos);
            if (open == std::string_view::npos) break;
            const std::size_t close = tmpl.find("}}", open + 2);
            if (close == std::string_view::npos) break;
            const std::string_view name = tmpl.substr(open + 2, close - open - 2);
            bool valid = !name.empty() && name.size() <= 200;
            for (char c : name) valid = valid && is_placeholder_char(c);
            if (!valid) {  // not a placeholder: keep the braces as text
                out.append(tmpl.data() + pos, open + 2 - pos);
                pos = open + 2;
                continue;
            }
            out.append(tmpl.data() + pos, open - pos);
            out += value(name);
            pos = close + 2;
        }
        out.append(tmpl.data() + pos, tmpl.size() - pos);
        return out;
    }

private:
    std::string tr(std::string_view key) const { return t_.text(m_.lang, key); }
    std::string etr(std::string_view key) const { return html_escape(tr(key)); }

    // A message key from the model: unknown keys show the generic error, never the raw key.
    std::string message(const std::string& key) const {
        if (key.empty()) return {};
        if (auto text = t_.find(m_.lang, key)) return *text;
        if (auto text = t_.find(kDefaultLanguage, key)) return *text;
        return tr("otp_validation.error_generic");
    }

    std::string instructions_key() const {
        if (!m_.instructions_key.empty()) return m_.instructions_key;
        if (m_.can_send_code) {
            if (m_.ask_user && !m_.code_sent) return "otp_validation.instructions_delivered_user";
            return m_.code_sent ? "otp_validation.instructions_delivered"
                                : "otp_validation.instructions_delivered_send";
        }
        return m_.ask_user ? "otp_validation.instructions_user" : "otp_validation.instructions";
    }

    std::string attempts_text() const {
        if (m_.attempts_left < 0) return {};
        return format_text(tr("otp_validation.attempts_left"), "n",
                           std::to_string(m_.attempts_left));
    }

    bool otp_error() const {
        return m_.error_key == "otp_validation.ERROR" ||
               m_.error_key == "otp_validation.missing_otp" ||
               m_.error_key == "otp_validation.invalid_otp_format";
    }

    std::string page_link(std::string_view params) const {
        return html_escape(url_with_params(m_.page_url, params));
    }

    std::string form_action() const {
        // Carries the page language, so the page answering a no-JavaScript post keeps it.
        std::string action = m_.start_url;
        if (!m_.lang.empty()) {
            action += action.find('?') == std::string::npos ? '?' : '&';
            action += kLanguageQueryParam;
            action += '=';
            action += percent_encode(m_.lang);
        }
        return action;
    }

    std::string hidden_fields() const {
        std::string out =
            "<input type=\"hidden\" name=\"csrf\" value=\"" + html_escape(m_.csrf) + "\">\n";
        if (!m_.verified_redirect.empty())
            out += "<input type=\"hidden\" name=\"return\" value=\"" +
                   html_escape(m_.verified_redirect) + "\">\n";
        return out;
    }

    std::string user_field() const {
        if (!m_.ask_user) return {};
        std::string out = "<div class=\"field\">\n<label for=\"otp-user\">" +
                          etr("otp_validation.user") + "</label>\n";
        out +=
            "<input id=\"otp-user\" name=\"user\" type=\"text\" autocomplete=\"username\" "
            "autocapitalize=\"none\" spellcheck=\"false\" maxlength=\"256\" "
            "required aria-describedby=\"otp-instructions\"";
        if (!m_.user.empty()) out += " value=\"" + html_escape(m_.user) + "\"";
        if (m_.user_fixed) out += " readonly";
        if (m_.error_key == "otp_validation.missing_user") out += " aria-invalid=\"true\"";
        if (!disabled_ && m_.user.empty()) out += " autofocus";
        out += ">\n</div>\n";
        return out;
    }

    std::string otp_field() const {
        std::string out =
            "<div class=\"field\">\n<label for=\"otp\">" + etr("otp_validation.otp") + "</label>\n";
        std::string hint = m_.alphanumeric ? etr("otp_validation.otp_hint_alphanumeric")
                                           : etr("otp_validation.otp_hint_numeric");
        if (m_.code_length > 0)
            hint = html_escape(format_text(
                tr(m_.alphanumeric ? "otp_validation.otp_hint_delivered_alphanumeric"
                                   : "otp_validation.otp_hint_delivered_numeric"),
                "n", std::to_string(m_.code_length)));
        if (m_.code_field_hidden)
            out.replace(0, std::string("<div class=\"field\"").size(),
                        "<div class=\"field\" id=\"otp-field\" hidden");
        out += "<input id=\"otp\" name=\"otp\" type=\"text\" autocomplete=\"one-time-code\" ";
        if (m_.code_field_hidden) out += "disabled ";
        if (m_.alphanumeric)
            out += "inputmode=\"text\" pattern=\"[0-9A-Za-z]+\" autocapitalize=\"characters\" ";
        else
            out += "inputmode=\"numeric\" pattern=\"[0-9]+\" ";
        out +=
            "spellcheck=\"false\" enterkeyhint=\"go\" maxlength=\"" +
            std::to_string(m_.code_length > 0 ? m_.code_length : 64) +
            "\" "
            "required title=\"" +
            hint +
            "\" "
            "aria-describedby=\"otp-instructions otp-hint otp-status otp-attempts\"";
        if (otp_error()) out += " aria-invalid=\"true\"";
        if (!disabled_ && !m_.code_field_hidden && !(m_.ask_user && m_.user.empty()))
            out += " autofocus";
        out += ">\n<p id=\"otp-hint\" class=\"hint\">" + hint + "</p>\n</div>\n";
        return out;
    }

    std::string status() const {
        std::string cls = "status";
        std::string text;
        if (!m_.error_key.empty()) {
            cls += " status-error";
            text = format_text(message(m_.error_key), "n", std::to_string(m_.resend_wait));
        } else if (!m_.notice_key.empty()) {
            cls += " status-info";
            text = message(m_.notice_key);
        }
        return "<div id=\"otp-status\" class=\"" + cls +
               "\" role=\"alert\" aria-live=\"assertive\" aria-atomic=\"true\">" +
               html_escape(text) + "</div>\n";
    }

    std::string attempts() const {
        return "<p id=\"otp-attempts\" class=\"attempts\" aria-live=\"polite\">" +
               html_escape(attempts_text()) + "</p>\n";
    }

    std::string submit_button() const {
        // Until a code was sent there is nothing to verify (AuthType OTP + delivered).
        return std::string("<button type=\"submit\" id=\"otp-submit\" class=\"primary\"") +
               (m_.code_field_hidden ? " hidden disabled" : "") + ">" +
               etr("otp_validation.start_validate") + "</button>\n";
    }

    std::string send_button() const {
        if (!m_.can_send_code) return {};
        // formnovalidate: asking for a code must not require the code field to be filled in.
        const bool first = m_.code_field_hidden;  // the one thing to do: "Send code"
        return std::string("<button type=\"submit\" id=\"otp-send\" class=\"") +
               (first ? "primary" : "secondary") +
               "\" name=\"type\" value=\"send\" formnovalidate>" +
               etr(m_.code_sent ? "otp_validation.resend_code" : "otp_validation.send_code") +
               "</button>\n";
    }

    std::string form() const {
        return "<form id=\"otp-form\" method=\"post\" action=\"" + html_escape(form_action()) +
               "\">\n" + hidden_fields() + "<fieldset id=\"otp-fields\"" +
               (disabled_ ? " disabled" : "") + ">\n" + user_field() + otp_field() + status() +
               attempts() + "<div class=\"actions\">\n" +
               // The first submit button is the form's default (Enter): "Send code" until a
               // code was sent.
               (m_.code_field_hidden ? send_button() + submit_button()
                                     : submit_button() + send_button()) +
               "</div>\n</fieldset>\n</form>\n";
    }

    std::string cancel_link() const {
        return "<a id=\"otp-cancel\" href=\"" + html_escape(m_.cancel_url) + "\">" +
               etr("otp_validation.cancel") + "</a>";
    }

    std::string start_again_link() const {
        // Always present (hidden while the attempt goes on) so the script can reveal it.
        std::string href = m_.page_url.empty() ? std::string() : m_.page_url;
        href = href.substr(0, href.find('#'));
        return "<a id=\"otp-start-again\" href=\"" + html_escape(href) + "\"" +
               (disabled_ ? " autofocus" : " hidden") + ">" + etr("otp_validation.start_again") +
               "</a>";
    }

    std::string user_known() const {
        if (m_.ask_user || m_.user.empty()) return {};
        return "<p id=\"otp-user-known\" class=\"muted\">" +
               html_escape(format_text(tr("otp_validation.user_known"), "user", m_.user)) +
               "</p>\n";
    }

    std::string language_name(const std::string& code) const {
        const std::string key = "language." + code;
        if (auto name = t_.find(code, key)) return *name;
        if (auto name = t_.find(m_.lang, key)) return *name;
        return code;
    }

    std::string language_switch() const {
        if (m_.languages.size() < 2) return {};
        const std::string label = tr("change_language");
        std::string out =
            "<nav class=\"languages\" aria-label=\"" + etr("language.label") + "\">\n";
        if (!label.empty()) out += "<p>" + html_escape(label) + "</p>\n";
        out += "<ul>\n";
        for (const std::string& raw : m_.languages) {
            const std::string code = html_escape(normalize_language_tag(raw));
            const std::string name = html_escape(language_name(normalize_language_tag(raw)));
            if (normalize_language_tag(raw) == normalize_language_tag(m_.lang)) {
                out += "<li><span lang=\"" + code + "\" aria-current=\"true\">" + name +
                       "</span></li>\n";
            } else {
                out += "<li><a href=\"" +
                       page_link(std::string(kLanguageQueryParam) + "=" +
                                 percent_encode(normalize_language_tag(raw))) +
                       "\" hreflang=\"" + code + "\" lang=\"" + code + "\">" + name + "</a></li>\n";
            }
        }
        out += "</ul>\n</nav>\n";
        return out;
    }

    std::string cookie_banner() const {
        if (!m_.show_cookie_banner) return {};
        const std::string lang_param = std::string(kLanguageQueryParam) + "=" +
                                       percent_encode(m_.lang) + "&" + kLanguageConsentParam + "=";
        return "<section id=\"otp-cookie-banner\" class=\"banner\" "
               "aria-labelledby=\"otp-cookie-title\">\n<h2 id=\"otp-cookie-title\">" +
               etr("allow-cookies-title") + "</h2>\n<p>" + etr("allow-cookies-body") +
               "</p>\n<p class=\"banner-actions\"><a id=\"otp-cookie-approve\" class=\"button\" "
               "href=\"" +
               page_link(lang_param + "1") + "\">" + etr("allow-cookies-button") +
               "</a> <a id=\"otp-cookie-decline\" href=\"" + page_link(lang_param + "0") + "\">" +
               etr("allow-cookies-decline") + "</a></p>\n</section>\n";
    }

    std::string config_json() const {
        JsonObject texts;
        texts.set("verified", tr("otp_validation.verified"))
            .set("redirecting", tr("otp_validation.redirecting"))
            .set("verifying", tr("otp_validation.verifying"))
            .set("invalid_otp", tr("otp_validation.ERROR"))
            .set("attempts_left", tr("otp_validation.attempts_left"))
            .set("locked", tr("otp_validation.locked"))
            .set("retries_exhausted", tr("otp_validation.retries_exhausted"))
            .set("code_sent", tr("otp_validation.code_sent"))
            .set("resend_code", tr("otp_validation.resend_code"))
            .set("resend_too_soon", tr("otp_validation.resend_too_soon"))
            .set("expired", tr("otp_validation.expired"))
            .set("error_generic", tr("otp_validation.error_generic"));
        JsonObject config;
        config.set("start_url", m_.start_url)
            .set("redirect", m_.verified_redirect)
            .set("texts", texts);
        return script_safe_json(config.dump());
    }

    std::string script() const {
        return "<script type=\"application/json\" id=\"otp-config\">" + config_json() +
               "</script>\n<script>" + std::string(page_assets::kScript) + "</script>\n";
    }

    std::string value(std::string_view name) const {
        if (name.substr(0, 2) == "t:") return etr(name.substr(2));
        using Fn = std::string (PageRenderer::*)() const;
        static constexpr struct {
            std::string_view name;
            Fn fn;
        } kFragments[] = {
            {"form", &PageRenderer::form},
            {"hidden_fields", &PageRenderer::hidden_fields},
            {"user_field", &PageRenderer::user_field},
            {"otp_field", &PageRenderer::otp_field},
            {"status", &PageRenderer::status},
            {"attempts", &PageRenderer::attempts},
            {"submit_button", &PageRenderer::submit_button},
            {"send_button", &PageRenderer::send_button},
            {"cancel_link", &PageRenderer::cancel_link},
            {"start_again_link", &PageRenderer::start_again_link},
            {"user_known", &PageRenderer::user_known},
            {"language_switch", &PageRenderer::language_switch},
            {"cookie_banner", &PageRenderer::cookie_banner},
            {"script", &PageRenderer::script},
        };
        for (const auto& f : kFragments)
            if (f.name == name) return (this->*f.fn)();

        if (name == "style") return "<style>" + std::string(page_assets::kStyle) + "</style>";
        if (name == "lang") return html_escape(m_.lang);
        if (name == "dir") return language_direction(m_.lang);
        if (name == "instructions") return etr(instructions_key());
        if (name == "error") return html_escape(message(m_.error_key));
        if (name == "notice") return html_escape(message(m_.notice_key));
        if (name == "attempts_text") return html_escape(attempts_text());
        if (name == "user") return html_escape(m_.user);
        if (name == "csrf") return html_escape(m_.csrf);
        if (name == "start_url") return html_escape(m_.start_url);
        if (name == "form_action") return html_escape(form_action());
        if (name == "cancel_url") return html_escape(m_.cancel_url);
        if (name == "page_url") return html_escape(m_.page_url);
        if (name == "redirect") return html_escape(m_.verified_redirect);
        if (name == "location") return html_escape(m_.location);
        if (name == "disabled") return disabled_ ? " disabled" : "";
        return {};  // unknown placeholder
    }

    const Translations& t_;
    const PageModel& m_;
    bool disabled_ = false;
};

}  // namespace

std::string same_origin_link(std::string_view url) {
    // Browsers strip leading controls and spaces, drop tabs and newlines anywhere in a URL and
    // read "\\" as "/" in http(s) URLs: " /\t/evil.example" and "/\\evil.example" are
    // "//evil.example" to them.
    while (!url.empty() && static_cast<unsigned char>(url[0]) <= 0x20) url.remove_prefix(1);
    const std::size_t lead = url.find_first_not_of("/\\\t\r\n");
    if (url.empty() || (url[0] != '/' && url[0] != '\\')) {
        // A relative reference stays relative, unless its first segment has a colon: then a
        // browser reads a scheme ("javascript:", "https:").
        const std::size_t colon = url.find(':');
        if (colon != std::string_view::npos && colon < url.find_first_of("/?#\\"))
            return "/";
        return std::string(url);
    }
    return "/" + std::string(url.substr(lead == std::string_view::npos ? url.size() : lead));
}

std::string render_login_page(const Translations& translations, const PageModel& given,
                              const std::string& custom_template) try {
    // Every link the page builds is a path on this origin, whatever the request looked like
    // (a request for "//evil.example/" under <Location /> must not give links to that host).
    PageModel model = given;
    for (std::string* link : {&model.page_url, &model.cancel_url, &model.verified_redirect,
                              &model.start_url})
        if (!link->empty()) *link = same_origin_link(*link);
    const PageRenderer renderer(translations, model);
    return renderer.render(custom_template.empty() ? page_assets::kTemplate
                                                   : std::string_view(custom_template));
} catch (const std::bad_alloc&) {
    return {};
}

}  // namespace otp
