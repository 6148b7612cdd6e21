// The verify API's bodies (lib/api/api_call.h): every input is parsed as a verify, generate
// and token body and as an initiate form, and used as an AR_WF_LOCALE_ID and a Content-Type.
//
// Properties:
//  - an accepted verify/generate call holds exactly what jansson reads from the body (userName,
//    otp, orgName, clientTxnId, tokenType, additionalInput in both forms), within the
//    documented limits (user 1..256 bytes of UTF-8 without controls, otp 1..64 of [0-9A-Za-z],
//    orgName <= 256, clientTxnId <= 128);
//  - re-encoding an accepted call and parsing it again gives the same call;
//  - every refusal is a 1xxx error a parser may give, with `element` set exactly for
//    missing_element / invalid_element / unknown_token_type; over 8 KiB is body_too_large;
//  - initiate: an accepted form equals an independent decoding of the form;
//  - api_locale gives "" or a language tag; is_media_type ignores case and parameters.
#include <jansson.h>

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <variant>

#include "api/api_call.h"
#include "fuzz_support.h"
#include "util/json_body.h"
#include "util/utf8.h"
#include "web/translations.h"

using namespace otp;

namespace {

using Json = std::unique_ptr<json_t, void (*)(json_t*)>;

bool alnum(char c) {
    return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

bool text_ok(const std::string& s, std::size_t max) {
    return s.size() <= max && is_valid_utf8(s) && !has_control_characters(s);
}

std::string member(const json_t* object, const char* name) {
    const json_t* v = json_object_get(object, name);
    return v && json_is_string(v) ? std::string(json_string_value(v), json_string_length(v)) : "";
}

void check_refusal(const ApiCallError& e, std::size_t size) {
    const bool named = e.error == ApiError::missing_element ||
                       e.error == ApiError::invalid_element ||
                       e.error == ApiError::unknown_token_type;
    FUZZ_CHECK(named || e.error == ApiError::malformed_request ||
                   e.error == ApiError::body_too_large,
               "unexpected error %s", api_error_info(e.error).name);
    FUZZ_CHECK(named == !e.element.empty(), "element \"%s\" with %s", e.element.c_str(),
               api_error_info(e.error).name);
    FUZZ_CHECK((e.error == ApiError::body_too_large) == (size > kMaxApiBodyBytes),
               "body of %zu bytes: %s", size, api_error_info(e.error).name);
}

// What additionalInput says, read independently of the parser.
void expected_additional(const json_t* object, std::string* locale, std::string* caller) {
    const json_t* extra = json_object_get(object, "additionalInput");
    if (!extra) return;
    if (json_is_object(extra)) {
        *locale = member(extra, "AR_WF_LOCALE_ID");
        *caller = member(extra, "AR_WF_CALLER_ID");
        return;
    }
    std::size_t i;
    json_t* entry;
    json_array_foreach(extra, i, entry) {
        const std::string name = member(entry, "name");
        if (name == "AR_WF_LOCALE_ID") *locale = member(entry, "value");
        if (name == "AR_WF_CALLER_ID") *caller = member(entry, "value");
    }
}

void check_caller(const CallerInput& caller, const json_t* root) {
    FUZZ_CHECK(caller.org_name == member(root, "orgName"), "orgName");
    FUZZ_CHECK(caller.client_txn_id == member(root, "clientTxnId"), "clientTxnId");
    FUZZ_CHECK(text_ok(caller.org_name, kMaxApiTextBytes), "orgName limits");
    FUZZ_CHECK(text_ok(caller.client_txn_id, kMaxApiTxnIdBytes), "clientTxnId limits");
    std::string locale, caller_id;
    expected_additional(root, &locale, &caller_id);
    FUZZ_CHECK(caller.locale == locale, "locale \"%s\" != \"%s\"", caller.locale.c_str(),
               locale.c_str());
    FUZZ_CHECK(caller.caller_id == caller_id, "caller_id");
}

Json load(std::string_view body) {
    json_error_t err;
    return Json(json_loadb(body.data(), body.size(), JSON_ALLOW_NUL | JSON_DECODE_ANY, &err),
                json_decref);
}

void check_verify(std::string_view body) {
    const auto parsed = parse_verify_call(body);
    if (const auto* e = std::get_if<ApiCallError>(&parsed)) return check_refusal(*e, body.size());
    const VerifyCall& call = std::get<VerifyCall>(parsed);
    FUZZ_CHECK(body.size() <= kMaxApiBodyBytes, "accepted %zu bytes", body.size());
    const Json root = load(body);
    FUZZ_CHECK(root && json_is_object(root.get()), "accepted a non-object");
    FUZZ_CHECK(call.user == member(root.get(), "userName"), "userName");
    FUZZ_CHECK(call.otp == member(root.get(), "otp"), "otp");
    FUZZ_CHECK(!call.user.empty() && text_ok(call.user, kMaxApiUserBytes), "user limits");
    FUZZ_CHECK(!call.otp.empty() && call.otp.size() <= kMaxApiOtpLength, "otp length");
    for (char c : call.otp) FUZZ_CHECK(alnum(c), "otp character %d", c);
    FUZZ_CHECK(call.session_token == (member(root.get(), "tokenType") == "session"), "tokenType");
    check_caller(call.caller, root.get());

    // The same call, written again, parses to itself.
    JsonObject again;
    again.set("userName", call.user);
    again.set("otp", call.otp);
    if (!call.caller.org_name.empty()) again.set("orgName", call.caller.org_name);
    if (!call.caller.client_txn_id.empty()) again.set("clientTxnId", call.caller.client_txn_id);
    if (call.session_token) again.set("tokenType", "session");
    JsonObject extra;
    if (!call.caller.locale.empty()) extra.set("AR_WF_LOCALE_ID", call.caller.locale);
    if (!call.caller.caller_id.empty()) extra.set("AR_WF_CALLER_ID", call.caller.caller_id);
    again.set("additionalInput", extra);
    const std::string text = again.dump();
    if (text.size() > kMaxApiBodyBytes) return;
    const auto reparsed = parse_verify_call(text);
    const VerifyCall* same = std::get_if<VerifyCall>(&reparsed);
    FUZZ_CHECK(same && same->user == call.user && same->otp == call.otp &&
                   same->session_token == call.session_token &&
                   same->caller.org_name == call.caller.org_name &&
                   same->caller.client_txn_id == call.caller.client_txn_id &&
                   same->caller.locale == call.caller.locale &&
                   same->caller.caller_id == call.caller.caller_id,
               "re-encoded call differs: %s", fuzz::printable(text).c_str());
}

void check_generate_and_token(std::string_view body) {
    const auto generated = parse_generate_call(body);
    if (const auto* e = std::get_if<ApiCallError>(&generated)) {
        check_refusal(*e, body.size());
    } else {
        const Json root = load(body);
        const GenerateCall& call = std::get<GenerateCall>(generated);
        FUZZ_CHECK(call.user == member(root.get(), "userName"), "generate userName");
        check_caller(call.caller, root.get());
    }
    const auto token = parse_token_call(body);
    if (const auto* e = std::get_if<ApiCallError>(&token)) {
        check_refusal(*e, body.size());
    } else {
        const Json root = load(body);
        const std::string& value = std::get<TokenCall>(token).token;
        FUZZ_CHECK(value == member(root.get(), "token") && !value.empty() &&
                       value.size() <= kMaxApiTokenBytes,
                   "token");
    }
}

// An independent form decoder: '+' is a space, %XX a byte, anything malformed nullopt.
std::optional<std::map<std::string, std::string>> decode_form(std::string_view body) {
    std::map<std::string, std::string> out;
    auto decode = [](std::string_view s) -> std::optional<std::string> {
        std::string r;
        for (std::size_t i = 0; i < s.size(); ++i) {
            if (s[i] == '+') { r += ' '; continue; }
            if (s[i] != '%') { r += s[i]; continue; }
            if (i + 2 >= s.size() || !std::isxdigit(static_cast<unsigned char>(s[i + 1])) ||
                !std::isxdigit(static_cast<unsigned char>(s[i + 2])))
                return std::nullopt;
            r += static_cast<char>(std::stoi(std::string(s.substr(i + 1, 2)), nullptr, 16));
            i += 2;
        }
        return r;
    };
    std::size_t start = 0;
    while (start <= body.size()) {
        std::size_t end = body.find('&', start);
        if (end == std::string_view::npos) end = body.size();
        std::string_view pair = body.substr(start, end - start);
        start = end + 1;
        if (pair.empty()) continue;
        const std::size_t eq = pair.find('=');
        auto name = decode(pair.substr(0, eq));
        auto value = decode(eq == std::string_view::npos ? "" : pair.substr(eq + 1));
        if (!name || !value) return std::nullopt;
        out[*name] = *value;
    }
    return out;
}

void check_initiate(std::string_view body) {
    const auto parsed = parse_initiate_form(body);
    if (const auto* e = std::get_if<ApiCallError>(&parsed)) return check_refusal(*e, body.size());
    const InitiateCall& call = std::get<InitiateCall>(parsed);
    const auto fields = decode_form(body);
    FUZZ_CHECK(fields.has_value(), "accepted a malformed form");
    auto field = [&](const char* name) {
        auto it = fields->find(name);
        return it == fields->end() ? std::string() : it->second;
    };
    FUZZ_CHECK(call.user == field("user_name") && !call.user.empty() &&
                   text_ok(call.user, kMaxApiUserBytes),
               "user_name");
    FUZZ_CHECK(call.has_otp == !field("otp").empty() && call.otp == field("otp"), "otp");
    FUZZ_CHECK(call.pairing_id == field("pairing_id"), "pairing_id");
    FUZZ_CHECK(call.action_name == field("action_name"), "action_name");
    FUZZ_CHECK(call.terminal_name == field("terminal_name"), "terminal_name");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view input = fuzz::as_view(data, size);
    check_verify(input);
    check_generate_and_token(input);
    check_initiate(input);
    const std::string locale = api_locale(input.substr(0, 64));
    FUZZ_CHECK(locale.empty() || is_language_tag(locale), "locale \"%s\"", locale.c_str());
    FUZZ_CHECK(is_media_type(input, input) || input.find(';') != std::string_view::npos ||
                   input.find_first_of(" \t") != std::string_view::npos,
               "a media type is not itself");
    return 0;
}
