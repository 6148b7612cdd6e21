// POST .otp/start bodies (SPEC §3.2, lib/login/start_request.h): every input is parsed as a
// JSON body and as a form body, through parse_start_body with both content types, and used as
// a Content-Type value and as a return path.
//
// Properties:
//  - accepted requests respect the documented limits: otp 1..64 of [0-9A-Za-z] for "start"
//    (empty for "send"), user <= 256 bytes of UTF-8 without C0/DEL/C1 controls, return
//    <= 2048 bytes likewise, has_user/has_return false means empty, form posts carry a csrf;
//  - every refusal is one of the documented reasons with its documented status, and each
//    parser only gives reasons that belong to it; nothing answers 500 on a small body;
//  - form: the result equals an independent implementation of the header's rules
//    (percent-decoding with '+', duplicates, csrf first, type, field checks);
//  - JSON: the accepted fields are what jansson reads from the body; re-encoding an accepted
//    request and parsing it again gives the same request (also for forms);
//  - any body over 8 KiB is 413 for both parsers; parse_start_body == the direct parser for
//    the two content types and 415 otherwise; classify_start_content_type follows the header;
//  - is_safe_return_path equals the rules of its comment (and never lets a dot segment
//    through); check_csrf_token accepts exactly make_csrf_token's value.
#include <jansson.h>

#include <memory>
#include <optional>
#include <string>
#include <variant>

#include "fixtures.h"
#include "fuzz_support.h"
#include "login/csrf_token.h"
#include "login/start_request.h"
#include "util/json_body.h"
#include "util/utf8.h"

using namespace otp;

namespace {

using Result = std::variant<StartRequest, RequestError>;

bool alnum(char c) {
    return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

// C0 (NUL included), DEL and, in valid UTF-8, the C1 controls U+0080..U+009F.
bool has_controls(std::string_view s) {
    for (std::size_t i = 0; i < s.size(); ++i) {
        const auto b = static_cast<unsigned char>(s[i]);
        if (b < 0x20 || b == 0x7f) return true;
        if (b == 0xC2 && i + 1 < s.size() && static_cast<unsigned char>(s[i + 1]) <= 0x9F &&
            static_cast<unsigned char>(s[i + 1]) >= 0x80)
            return true;
    }
    return false;
}

bool same_request(const StartRequest& a, const StartRequest& b) {
    return a.type == b.type && a.otp == b.otp && a.user == b.user && a.has_user == b.has_user &&
           a.csrf == b.csrf && a.return_to == b.return_to && a.has_return == b.has_return;
}

bool same_result(const Result& a, const Result& b) {
    if (a.index() != b.index()) return false;
    if (const auto* ra = std::get_if<StartRequest>(&a))
        return same_request(*ra, std::get<StartRequest>(b));
    const auto& ea = std::get<RequestError>(a);
    const auto& eb = std::get<RequestError>(b);
    return ea.http_status == eb.http_status && ea.error == eb.error;
}

std::string describe(const Result& r) {
    if (const auto* e = std::get_if<RequestError>(&r))
        return std::to_string(e->http_status) + " " + e->error;
    const auto& q = std::get<StartRequest>(r);
    return std::string(q.type == StartRequest::Type::start ? "start" : "send") + " otp='" +
           fuzz::printable(q.otp) + "' user" + (q.has_user ? "='" + fuzz::printable(q.user) + "'" : " absent") +
           " csrf='" + fuzz::printable(q.csrf) + "' return" +
           (q.has_return ? "='" + fuzz::printable(q.return_to) + "'" : " absent");
}

// The documented status of each reason; 0 for an unknown reason.
int documented_status(const std::string& reason) {
    for (const char* r : {kErrorMalformedJson, kErrorNotAnObject, kErrorMissingType,
                          kErrorUnknownType, kErrorMissingData, kErrorMissingOtp,
                          kErrorValueTooLong, kErrorInvalidUser, kErrorInvalidOtpFormat,
                          kErrorInvalidReturn, kErrorMalformedForm, kErrorDuplicateField})
        if (reason == r) return 400;
    if (reason == kErrorBodyTooLarge) return 413;
    if (reason == kErrorUnsupportedContentType) return 415;
    if (reason == kErrorMissingCsrf) return 403;
    return 0;
}

void check_limits(const StartRequest& q, bool form) {
    if (q.type == StartRequest::Type::start) {
        FUZZ_CHECK(!q.otp.empty() && q.otp.size() <= kMaxOtpLength, "otp of %zu characters",
                   q.otp.size());
        for (char c : q.otp) FUZZ_CHECK(alnum(c), "otp '%s' accepted", FUZZ_P(q.otp));
    } else {
        FUZZ_CHECK(q.otp.empty(), "send request with an otp");
    }
    FUZZ_CHECK(q.has_user || q.user.empty(), "user without has_user");
    FUZZ_CHECK(q.user.size() <= kMaxUserBytes, "user of %zu bytes", q.user.size());
    FUZZ_CHECK(is_valid_utf8(q.user) && !has_controls(q.user), "user '%s' accepted",
               FUZZ_P(q.user));
    FUZZ_CHECK(q.has_return || q.return_to.empty(), "return without has_return");
    FUZZ_CHECK(q.return_to.size() <= kMaxReturnBytes, "return of %zu bytes", q.return_to.size());
    FUZZ_CHECK(is_valid_utf8(q.return_to) && !has_controls(q.return_to), "return '%s' accepted",
               FUZZ_P(q.return_to));
    if (form) FUZZ_CHECK(!q.csrf.empty(), "form post without csrf accepted");
}

void check_error(const RequestError& e, bool form) {
    const int status = documented_status(e.error);
    FUZZ_CHECK(status != 0, "undocumented reason '%s' (status %d)", FUZZ_P(e.error),
               e.http_status);
    FUZZ_CHECK(status == e.http_status, "reason '%s' answered with %d, documented %d",
               e.error.c_str(), e.http_status, status);
    FUZZ_CHECK(e.error != kErrorUnsupportedContentType, "a body parser judged the content type");
    if (form) {
        for (const char* json_only : {kErrorMalformedJson, kErrorNotAnObject, kErrorMissingType,
                                      kErrorMissingData})
            FUZZ_CHECK(e.error != json_only, "form parser gave '%s'", json_only);
    } else {
        for (const char* form_only : {kErrorMalformedForm, kErrorDuplicateField, kErrorMissingCsrf})
            FUZZ_CHECK(e.error != form_only, "JSON parser gave '%s'", form_only);
    }
}

// ---- form: the header's rules, written independently ---------------------------------------

int hex_digit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

std::optional<std::string> percent_decode(std::string_view s) {
    std::string out;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '%') {
            if (s.size() - i < 3) return std::nullopt;  // truncated escape
            const int hi = hex_digit(s[i + 1]), lo = hex_digit(s[i + 2]);
            if (hi < 0 || lo < 0) return std::nullopt;
            out.push_back(static_cast<char>(hi * 16 + lo));
            i += 2;
        } else {
            out.push_back(s[i] == '+' ? ' ' : s[i]);
        }
    }
    return out;
}

RequestError e400(const char* reason) { return RequestError{400, reason}; }

Result reference_form(std::string_view body) {
    if (body.size() > kMaxStartBodyBytes) return RequestError{413, kErrorBodyTooLarge};
    const char* names[] = {"otp", "user", "csrf", "type", "return"};
    std::optional<std::string> values[5];
    for (std::string_view pair : fuzz::split(body, '&')) {
        if (pair.empty()) continue;
        const std::size_t eq = pair.find('=');
        const auto name = percent_decode(pair.substr(0, eq));
        const auto value =
            percent_decode(eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1));
        if (!name || !value) return e400(kErrorMalformedForm);
        for (int i = 0; i < 5; ++i) {
            if (*name != names[i]) continue;
            if (values[i]) return e400(kErrorDuplicateField);
            values[i] = *value;
        }
    }
    const auto& otp = values[0];
    const auto& user = values[1];
    const auto& csrf = values[2];
    const auto& type = values[3];
    const auto& ret = values[4];
    if (!csrf || csrf->empty()) return RequestError{403, kErrorMissingCsrf};
    StartRequest q;
    q.csrf = *csrf;
    if (!type || *type == "start") q.type = StartRequest::Type::start;
    else if (*type == "send") q.type = StartRequest::Type::send;
    else return e400(kErrorUnknownType);
    if (q.type == StartRequest::Type::start) {
        if (!otp || otp->empty()) return e400(kErrorMissingOtp);
        if (otp->size() > kMaxOtpLength) return e400(kErrorValueTooLong);
        for (char c : *otp)
            if (!alnum(c)) return e400(kErrorInvalidOtpFormat);
        q.otp = *otp;
    }
    if (user) {
        if (user->size() > kMaxUserBytes) return e400(kErrorValueTooLong);
        if (!is_valid_utf8(*user) || has_controls(*user)) return e400(kErrorInvalidUser);
        q.user = *user;
        q.has_user = true;
    }
    if (ret && !ret->empty()) {
        if (ret->size() > kMaxReturnBytes) return e400(kErrorValueTooLong);
        if (!is_valid_utf8(*ret) || has_controls(*ret)) return e400(kErrorInvalidReturn);
        q.return_to = *ret;
        q.has_return = true;
    }
    return q;
}

std::string form_encode(std::string_view s) {
    static const char kHex[] = "0123456789ABCDEF";
    std::string out;
    for (unsigned char c : s) {
        if (alnum(static_cast<char>(c)) || c == '-' || c == '.' || c == '_' || c == '~') {
            out.push_back(static_cast<char>(c));
        } else if (c == ' ') {
            out.push_back('+');
        } else {
            out.push_back('%');
            out.push_back(kHex[c >> 4]);
            out.push_back(kHex[c & 15]);
        }
    }
    return out;
}

std::string encode_form(const StartRequest& q) {
    std::string out = "csrf=" + form_encode(q.csrf);
    out += q.type == StartRequest::Type::start ? "&otp=" + form_encode(q.otp) : "&type=send";
    if (q.has_user) out += "&user=" + form_encode(q.user);
    if (q.has_return) out += "&return=" + form_encode(q.return_to);
    return out;
}

// ---- JSON ---------------------------------------------------------------------------------

std::string encode_json(const StartRequest& q) {
    std::string data;
    auto member = [&data](const char* name, const std::string& value) {
        data += std::string(data.empty() ? "" : ",") + "\"" + name + "\":" + json_quote(value);
    };
    if (q.type == StartRequest::Type::start) member("otp", q.otp);
    if (q.has_user) member("user", q.user);
    if (q.has_return) member("return", q.return_to);
    if (!q.csrf.empty()) member("csrf", q.csrf);
    return std::string("{\"type\":\"") + (q.type == StartRequest::Type::start ? "start" : "send") +
           "\",\"data\":{" + data + "}}";
}

std::optional<std::string> json_member(json_t* object, const char* name) {
    json_t* v = object ? json_object_get(object, name) : nullptr;
    if (!json_is_string(v)) return std::nullopt;
    return std::string(json_string_value(v), json_string_length(v));
}

// What jansson itself reads from an accepted body must be what the parser returned.
void check_json_fields(std::string_view body, const StartRequest& q) {
    json_error_t err;
    std::unique_ptr<json_t, void (*)(json_t*)> root(
        json_loadb(body.data(), body.size(), JSON_DECODE_ANY | JSON_ALLOW_NUL, &err), json_decref);
    FUZZ_CHECK(root && json_is_object(root.get()), "accepted JSON that jansson cannot read: %s",
               err.text);
    const auto type = json_member(root.get(), "type");
    FUZZ_CHECK(type && *type == (q.type == StartRequest::Type::start ? "start" : "send"),
               "type member differs");
    json_t* data = json_object_get(root.get(), "data");
    if (q.type == StartRequest::Type::start)
        FUZZ_CHECK(json_member(data, "otp") == q.otp, "otp differs from data.otp");
    const auto user = json_member(data, "user");
    FUZZ_CHECK(q.has_user == (user.has_value()) && (!user || *user == q.user), "data.user differs");
    const auto ret = json_member(data, "return");
    FUZZ_CHECK(q.has_return == ret.has_value() && (!ret || *ret == q.return_to),
               "data.return differs");
    FUZZ_CHECK(json_member(data, "csrf").value_or("") == q.csrf, "data.csrf differs");
}

// ---- content type and return path ------------------------------------------------------

void check_content_type(std::string_view value) {
    std::string_view media = value.substr(0, value.find(';'));
    while (!media.empty() && (media.front() == ' ' || media.front() == '\t')) media.remove_prefix(1);
    while (!media.empty() && (media.back() == ' ' || media.back() == '\t')) media.remove_suffix(1);
    const std::string lower = fuzz::ascii_lower(media);
    const auto kind = classify_start_content_type(value);
    if (lower == "application/json") {
        FUZZ_CHECK(std::get_if<StartBodyKind>(&kind) && std::get<StartBodyKind>(kind) == StartBodyKind::json,
                   "'%s' not classified as JSON", FUZZ_P(value));
    } else if (lower == "application/x-www-form-urlencoded") {
        FUZZ_CHECK(std::get_if<StartBodyKind>(&kind) && std::get<StartBodyKind>(kind) == StartBodyKind::form,
                   "'%s' not classified as a form", FUZZ_P(value));
    } else {
        const auto* e = std::get_if<RequestError>(&kind);
        FUZZ_CHECK(e && e->http_status == 415 && e->error == kErrorUnsupportedContentType,
                   "'%s' accepted as a content type", FUZZ_P(value));
    }
}

bool is_dot_segment(std::string_view segment) {
    std::string decoded;
    for (std::size_t i = 0; i < segment.size(); ++i) {
        if (segment[i] == '%' && i + 2 < segment.size() && segment[i + 1] == '2' &&
            (segment[i + 2] == 'e' || segment[i + 2] == 'E')) {
            decoded.push_back('.');
            i += 2;
        } else {
            decoded.push_back(segment[i]);
        }
    }
    return decoded == "." || decoded == "..";
}

bool reference_safe_return(std::string_view path, std::string_view location) {
    if (path.empty() || path.size() > kMaxReturnBytes || path[0] != '/') return false;
    if (path.size() > 1 && (path[1] == '/' || path[1] == '\\')) return false;
    for (unsigned char c : path)
        if (c <= 0x20 || c == 0x7f || c == '\\') return false;
    const std::string_view part = path.substr(0, path.find_first_of("?#"));
    const auto segments = fuzz::split(part, '/');
    for (std::size_t i = 1; i < segments.size(); ++i)
        if (is_dot_segment(segments[i])) return false;
    if (location.empty() || location[0] != '/') return false;
    if (part.substr(0, location.size()) != location) return false;
    return part.size() == location.size() || location.back() == '/' || part[location.size()] == '/';
}

void check_return_path(std::string_view path, std::string_view location) {
    const bool got = is_safe_return_path(path, location);
    FUZZ_CHECK(got == reference_safe_return(path, location),
               "is_safe_return_path('%s', '%s') = %d", FUZZ_P(path), FUZZ_P(location), got);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view body = fuzz::as_view(data, size);

    const Result json = parse_start_json(body);
    if (const auto* q = std::get_if<StartRequest>(&json)) {
        check_limits(*q, false);
        check_json_fields(body, *q);
        const std::string again = encode_json(*q);
        const Result reparsed = parse_start_json(again);
        FUZZ_CHECK(same_result(json, reparsed), "JSON round trip: %s, then %s from %s",
                   describe(json).c_str(), describe(reparsed).c_str(), FUZZ_P(again));
    } else {
        check_error(std::get<RequestError>(json), false);
    }

    const Result form = parse_start_form(body);
    const Result expected_form = reference_form(body);
    FUZZ_CHECK(same_result(form, expected_form), "form: got %s, expected %s",
               describe(form).c_str(), describe(expected_form).c_str());
    if (const auto* q = std::get_if<StartRequest>(&form)) {
        check_limits(*q, true);
        const std::string again = encode_form(*q);
        const Result reparsed = parse_start_form(again);
        FUZZ_CHECK(same_result(form, reparsed), "form round trip: %s, then %s from %s",
                   describe(form).c_str(), describe(reparsed).c_str(), FUZZ_P(again));
        const bool genuine = q->csrf == make_csrf_token(fuzz::kCsrfKey, fuzz::kAttemptId);
        FUZZ_CHECK(check_csrf_token(fuzz::kCsrfKey, fuzz::kAttemptId, q->csrf) == genuine,
                   "check_csrf_token('%s') != (token == the attempt's token)", FUZZ_P(q->csrf));
        FUZZ_CHECK(!check_csrf_token("", fuzz::kAttemptId, q->csrf) &&
                       !check_csrf_token(fuzz::kCsrfKey, "", q->csrf),
                   "CSRF token accepted without a key or attempt");
    } else {
        check_error(std::get<RequestError>(form), true);
    }

    // The content type picks the parser.
    FUZZ_CHECK(same_result(parse_start_body("application/json; charset=utf-8", body), json),
               "parse_start_body(application/json) differs from parse_start_json");
    FUZZ_CHECK(same_result(parse_start_body(" Application/X-WWW-Form-Urlencoded ", body), form),
               "parse_start_body(form) differs from parse_start_form");
    const Result plain = parse_start_body("text/plain", body);
    FUZZ_CHECK(std::get_if<RequestError>(&plain) &&
                   std::get<RequestError>(plain).http_status == 415,
               "text/plain body accepted");

    // Over the limit, whatever the content.
    if (body.size() <= kMaxStartBodyBytes) {
        std::string big(body);
        big.resize(kMaxStartBodyBytes + 1, ' ');
        for (const Result& r : {parse_start_json(big), parse_start_form(big)}) {
            const auto* e = std::get_if<RequestError>(&r);
            FUZZ_CHECK(e && e->http_status == 413 && e->error == kErrorBodyTooLarge,
                       "a body of %zu bytes got %s", big.size(), describe(r).c_str());
        }
    }

    check_content_type(body);
    const auto [path, location] = fuzz::split_at_nul(body);
    check_return_path(path, location);
    check_return_path(body, "/app");
    check_return_path(body, "/");
    return 0;
}
