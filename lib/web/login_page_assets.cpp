#include "web/login_page_assets.h"

namespace otp::page_assets {

const std::string_view kTemplate = R"HTML(<!DOCTYPE html>
<html lang="{{lang}}" dir="{{dir}}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex, nofollow">
<meta name="referrer" content="same-origin">
<title>{{t:otp_validation.title}}</title>
{{style}}
</head>
<body>
<main>
<h1>{{t:otp_validation.title}}</h1>
{{user_known}}
<p id="otp-instructions" class="muted">{{instructions}}</p>
{{form}}
<p class="links">{{cancel_link}}{{start_again_link}}</p>
{{language_switch}}
</main>
{{cookie_banner}}
{{script}}
</body>
</html>
)HTML";

// Colours meet WCAG 2.1 AA contrast in both schemes; focus is always visible; no motion.
const std::string_view kStyle = R"CSS(
:root{color-scheme:light dark;--bg:#f3f4f6;--card:#fff;--text:#1b1d21;--muted:#555b66;--border:#c4c9d1;--accent:#1d5bb8;--on-accent:#fff;--error:#a4231b;--error-bg:#fdecea;--ok:#1b6330;--ok-bg:#e6f3e9;--info-bg:#e7eefa}
@media (prefers-color-scheme:dark){:root{--bg:#141619;--card:#1e2126;--text:#eceef1;--muted:#aab0bb;--border:#4a505a;--accent:#82b1ff;--on-accent:#0a1930;--error:#ffb4ab;--error-bg:#3a1512;--ok:#92d7a3;--ok-bg:#122d19;--info-bg:#17243a}}
*,*::before,*::after{box-sizing:border-box}
body{margin:0;min-height:100vh;display:flex;flex-direction:column;align-items:center;justify-content:center;gap:1rem;padding:1.5rem 1rem;background:var(--bg);color:var(--text);font:1rem/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
main,.banner{width:100%;max-width:27rem;background:var(--card);border:1px solid var(--border);border-radius:12px}
main{padding:2rem 1.75rem;box-shadow:0 1px 3px rgba(0,0,0,.08),0 10px 30px rgba(0,0,0,.06)}
h1{font-size:1.375rem;line-height:1.3;margin:0 0 .5rem}
p{margin:0 0 1rem}
.muted{color:var(--muted)}
fieldset{border:0;margin:0;padding:0;min-width:0}
.field{margin:0 0 1rem}
label{display:block;font-weight:600;margin:0 0 .375rem}
input[type=text]{display:block;width:100%;min-height:2.75rem;padding:.5rem .75rem;font:inherit;color:inherit;background:var(--card);border:1px solid var(--border);border-radius:8px}
#otp{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:1.5rem;letter-spacing:.2em;font-variant-numeric:tabular-nums}
input[aria-invalid=true]{border-color:var(--error);border-width:2px}
.hint{font-size:.875rem;color:var(--muted);margin:.375rem 0 0}
:focus-visible{outline:3px solid var(--accent);outline-offset:2px}
.status{margin:0 0 1rem;padding:.625rem .75rem;border-radius:8px}
.status:empty,.attempts:empty{margin:0;padding:0}
.status-error{background:var(--error-bg);color:var(--error);font-weight:600}
.status-ok{background:var(--ok-bg);color:var(--ok);font-weight:600}
.status-info{background:var(--info-bg)}
.attempts{font-size:.9375rem;color:var(--muted)}
.actions{display:flex;flex-wrap:wrap;gap:.75rem;margin-top:1.25rem}
button,.button{display:inline-flex;align-items:center;justify-content:center;min-height:2.75rem;padding:.5rem 1.125rem;font:inherit;font-weight:600;border-radius:8px;border:1px solid var(--accent);cursor:pointer;text-decoration:none}
.primary{flex:1 1 auto;background:var(--accent);color:var(--on-accent)}
.secondary{background:transparent;color:var(--accent)}
button:disabled{opacity:.55;cursor:not-allowed}
a{color:var(--accent)}
.links{display:flex;flex-wrap:wrap;justify-content:space-between;gap:1rem;margin:1.25rem 0 0}
.languages{margin-top:1.25rem;padding-top:1rem;border-top:1px solid var(--border);font-size:.9375rem;color:var(--muted)}
.languages ul{display:flex;flex-wrap:wrap;gap:.25rem 1rem;list-style:none;margin:0;padding:0}
.languages [aria-current]{color:var(--text);font-weight:600}
.banner{padding:1rem 1.25rem}
.banner h2{font-size:1rem;margin:0 0 .25rem}
.banner-actions{display:flex;flex-wrap:wrap;align-items:center;gap:1rem;margin:0}
.banner .button{background:var(--accent);color:var(--on-accent)}
[hidden]{display:none!important}
@media (max-width:30rem){body{justify-content:flex-start;padding:0}main,.banner{border-radius:0;border-left:0;border-right:0;box-shadow:none}main{padding:1.5rem 1.25rem}}
)CSS";

// ES5 on purpose: no build step, and old mobile browsers still get the JSON path. Any
// surprise falls back to the plain form post, which always works.
const std::string_view kScript = R"JS(
(function () {
  "use strict";
  function byId(id) { return document.getElementById(id); }
  var form = byId("otp-form"), configNode = byId("otp-config");
  if (!form || !configNode || !window.fetch || !window.JSON) return;
  var cfg;
  try { cfg = JSON.parse(configNode.textContent); } catch (e) { return; }
  var texts = cfg.texts || {};
  var otp = byId("otp"), user = byId("otp-user"), status = byId("otp-status"),
      attempts = byId("otp-attempts"), fields = byId("otp-fields"),
      again = byId("otp-start-again"), sendButton = byId("otp-send"),
      banner = byId("otp-cookie-banner"), decline = byId("otp-cookie-decline");
  var busy = false, plain = false;

  function say(text, kind) {
    if (!status) return;
    status.textContent = text || "";
    status.className = "status" + (text && kind ? " status-" + kind : "");
  }
  function showAttempts(n) {
    if (!attempts) return;
    attempts.textContent = (typeof n === "number" && n >= 0 && texts.attempts_left)
      ? texts.attempts_left.replace(/\{n\}/g, String(n)) : "";
  }
  function setBusy(on) {
    busy = on;
    form.setAttribute("aria-busy", on ? "true" : "false");
    if (fields) fields.disabled = on;
  }
  // The attempt is over: only a new page load starts a new one.
  function sentences(first, second) {
    return /[.!?\u2026]$/.test(first) ? first + " " + second : first + ". " + second;
  }
  function endAttempt(text) {
    say(text, "error");
    if (otp) otp.value = "";
    if (fields) fields.disabled = true;
    if (again) { again.hidden = false; again.focus(); }
  }
  // Let the server answer with a page: it knows best what went wrong.
  function submitPlain(type) {
    plain = true;
    if (type === "send") {
      var marker = document.createElement("input");
      marker.type = "hidden"; marker.name = "type"; marker.value = "send";
      form.appendChild(marker);
    }
    HTMLFormElement.prototype.submit.call(form);
  }
  // Delivered codes with AuthType OTP: the code field appears once a code went out.
  function showCodeField() {
    var field = byId("otp-field"), submit = byId("otp-submit");
    if (field) field.hidden = false;
    if (otp) otp.disabled = false;
    if (submit) { submit.hidden = false; submit.disabled = false; }
    if (user) user.readOnly = true;
    if (sendButton && texts.resend_code) sendButton.textContent = texts.resend_code;
  }
  function waitBeforeResend(seconds) {
    if (!sendButton || typeof seconds !== "number" || seconds <= 0) return;
    sendButton.disabled = true;
    window.setTimeout(function () { sendButton.disabled = false; }, seconds * 1000);
  }
  function value(name) {
    var el = form.elements.namedItem(name);
    return el && typeof el.value === "string" ? el.value : "";
  }
  function samePath(p) {
    return typeof p === "string" && /^\/(?![\/\\])/.test(p) ? p : "";
  }
  function handle(type, code, body) {
    var error = body.error;
    if (code === 200 && body.status === "COMPLETED") {
      say(texts.verified, "ok");
      var target = samePath(body.redirect) || samePath(cfg.redirect) || window.location.href;
      window.setTimeout(function () {
        say(texts.redirecting, "ok");
        window.location.replace(target);
      }, 700);
      return;  // stays busy: the page is leaving
    }
    setBusy(false);
    if (code === 200 && body.status === "SENT") {
      say(texts.code_sent, "info");
      showCodeField();
      waitBeforeResend(body.retry_after);
      if (otp) otp.focus();
      return;
    }
    if (code === 429 && error === "resend_too_soon") {
      say(String(texts.resend_too_soon || "").replace(/\{n\}/g, String(body.retry_after || 30)), "error");
      waitBeforeResend(body.retry_after);
      return;
    }
    if (code === 401 && error === "expired") {
      say(texts.expired, "error");
      if (otp) { otp.value = ""; otp.focus(); }
      showAttempts(body.attempts_left);
      return;
    }
    if (code === 401 && error === "invalid_otp") {
      showAttempts(body.attempts_left);
      if (body.attempts_left === 0) { endAttempt(sentences(texts.invalid_otp, texts.retries_exhausted)); return; }
      say(texts.invalid_otp, "error");
      if (otp) { otp.value = ""; otp.setAttribute("aria-invalid", "true"); otp.focus(); }
      return;
    }
    if (code === 429 && (error === "locked" || error === "retries_exhausted")) {
      showAttempts(-1);
      endAttempt(texts[error]);
      return;
    }
    submitPlain(type);
  }
  function post(type) {
    var data = {};
    if (type === "start" && otp) data.otp = otp.value.replace(/\s+/g, "");
    if (user) data.user = user.value;
    if (value("csrf")) data.csrf = value("csrf");
    if (value("return")) data["return"] = value("return");
    setBusy(true);
    say(type === "start" ? texts.verifying : "", "info");
    window.fetch(cfg.start_url, {
      method: "POST", credentials: "same-origin", cache: "no-store", redirect: "error",
      headers: { "Content-Type": "application/json", "Accept": "application/json" },
      body: JSON.stringify({ type: type, data: data })
    }).then(function (response) {
      return response.json().then(function (body) {
        return { code: response.status, body: body && typeof body === "object" ? body : {} };
      }, function () { return { code: response.status, body: {} }; });
    }).then(function (r) { handle(type, r.code, r.body); },
            function () { setBusy(false); submitPlain(type); });
  }

  form.addEventListener("submit", function (event) {
    if (plain) return;
    event.preventDefault();
    if (!busy) post("start");
  });
  if (sendButton) sendButton.addEventListener("click", function (event) {
    if (plain) return;
    event.preventDefault();
    if (busy) return;
    if (user && !user.value) { user.reportValidity(); return; }
    post("send");
  });
  if (otp) otp.addEventListener("input", function () {
    var cleaned = otp.value.replace(/[\s-]+/g, "");
    if (cleaned !== otp.value) otp.value = cleaned;
    otp.removeAttribute("aria-invalid");
  });
  if (banner && decline) decline.addEventListener("click", function (event) {
    event.preventDefault();
    banner.hidden = true;
  });
})();
)JS";

}  // namespace otp::page_assets
