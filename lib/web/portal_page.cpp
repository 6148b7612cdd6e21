#include "web/portal_page.h"

#include <string_view>

#include "util/json_body.h"
#include "web/login_page.h"
#include "web/login_page_assets.h"

namespace otp {
namespace {

// Reads its texts from <script type="application/json" id="twoway-config">.
constexpr std::string_view kPortalScript = R"JS(
(function(){
var form=document.getElementById("twoway-form");if(!form||!window.fetch||!window.JSON)return;
var config=JSON.parse(document.getElementById("twoway-config").textContent);
var status=document.getElementById("twoway-status"),result=document.getElementById("twoway-result");
var input=document.getElementById("twoway-code"),button=document.getElementById("twoway-submit");
function say(text,kind){status.textContent=text;status.className="status"+(kind?" status-"+kind:"");}
form.addEventListener("submit",function(ev){
 ev.preventDefault();
 var code=input.value.trim();
 if(!code){say(config.missing,"error");input.setAttribute("aria-invalid","true");input.focus();return;}
 button.disabled=true;say(config.working,"info");
 fetch(form.getAttribute("action"),{method:"POST",credentials:"same-origin",
   headers:{"Content-Type":"application/json","Accept":"application/json"},
   body:JSON.stringify({data:code})})
 .then(function(r){return r.json().then(function(b){return {http:r.status,body:b};});})
 .then(function(a){
   button.disabled=false;
   if(a.body&&a.body.status===2000&&typeof a.body.data==="string"){
     say("","");result.hidden=false;
     document.getElementById("twoway-response").textContent=a.body.data;
     form.hidden=true;result.focus();return;}
   var text=a.body&&config.errors[a.body.error];
   if(text){say(text,"error");input.setAttribute("aria-invalid","true");input.focus();return;}
   form.submit();})
 .catch(function(){form.submit();});
});
})();
)JS";

}  // namespace

std::string render_portal_page(const Translations& t, const PortalPageModel& m) {
    auto text = [&](const char* key) { return html_escape(t.text(m.lang, key)); };
    JsonObject errors;
    for (const char* error : {"invalid_code", "locked", "store_error", "store_full"})
        errors.set(error, t.text(m.lang, std::string("twoway.error_") + error));
    JsonObject config;
    config.set("missing", t.text(m.lang, "twoway.missing_code"));
    config.set("working", t.text(m.lang, "otp_validation.verifying"));
    config.set("errors", errors);

    std::string html;
    html.reserve(8192);
    html += "<!DOCTYPE html>\n<html lang=\"" + html_escape(m.lang) + "\" dir=\"" +
            language_direction(m.lang) + "\">\n<head>\n<meta charset=\"utf-8\">\n"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
            "<meta name=\"robots\" content=\"noindex, nofollow\">\n"
            "<meta name=\"referrer\" content=\"same-origin\">\n<title>" + text("twoway.title") +
            "</title>\n<style>" + std::string(page_assets::kStyle) + "</style>\n</head>\n<body>\n<main>\n<h1>" +
            text("twoway.title") + "</h1>\n";
    if (!m.user.empty())
        html += "<p id=\"twoway-user\" class=\"muted\">" +
                html_escape(format_text(t.text(m.lang, "otp_validation.user_known"), "user", m.user)) +
                "</p>\n";
    const bool shown = !m.response.empty();
    html += "<div id=\"twoway-status\" role=\"alert\" class=\"status" +
            std::string(m.error_key.empty() ? "" : " status-error") + "\">" +
            (m.error_key.empty() ? "" : html_escape(t.text(m.lang, m.error_key))) + "</div>\n";
    html += std::string("<section id=\"twoway-result\" tabindex=\"-1\" aria-live=\"polite\"") +
            (shown ? "" : " hidden") + ">\n<p>" + text("twoway.response_intro") +
            "</p>\n<p id=\"twoway-response\" class=\"status status-ok\">" + html_escape(m.response) +
            "</p>\n</section>\n";
    const std::string length = std::to_string(m.code_length);
    html += std::string("<form id=\"twoway-form\" method=\"post\" action=\"") + html_escape(m.action) +
            "\"" + (shown ? " hidden" : "") + ">\n<p class=\"muted\">" + text("twoway.instructions") +
            "</p>\n<input type=\"hidden\" name=\"csrf\" value=\"" + html_escape(m.csrf) +
            "\">\n<div class=\"field\">\n<label for=\"twoway-code\">" + text("twoway.code_label") +
            "</label>\n<input type=\"text\" id=\"twoway-code\" name=\"data\" required "
            "autocomplete=\"off\" autocapitalize=\"off\" spellcheck=\"false\" maxlength=\"" + length +
            "\"" + (m.alphanumeric ? "" : " inputmode=\"numeric\"") +
            (m.error_key.empty() ? "" : " aria-invalid=\"true\"") + ">\n</div>\n"
            "<div class=\"actions\"><button id=\"twoway-submit\" class=\"primary\" type=\"submit\">" +
            text("twoway.submit") + "</button></div>\n</form>\n</main>\n";
    html += "<script type=\"application/json\" id=\"twoway-config\">" +
            script_safe_json(config.dump()) + "</script>\n<script>" + std::string(kPortalScript) +
            "</script>\n</body>\n</html>\n";
    return html;
}

std::string portal_page_csp() { return page_csp(kPortalScript, page_assets::kStyle); }

}  // namespace otp
