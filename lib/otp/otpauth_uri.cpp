// Key Uri Format: otpauth://TYPE/LABEL?PARAMETERS, LABEL = [ISSUER ":"] ACCOUNT.
#include "otp/otpauth_uri.h"

#include "util/codec.h"

namespace otp {
namespace {

bool is_unreserved(unsigned char c) {  // RFC 3986 §2.3
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           c == '-' || c == '.' || c == '_' || c == '~';
}

// Everything but the unreserved characters is escaped, byte by byte (so UTF-8 text becomes
// %XX sequences), which keeps ':' '&' '=' '?' '/' inside names from changing the URI's structure.
std::string percent_encode(std::string_view text) {
    static constexpr char kHex[] = "0123456789ABCDEF";
    std::string out;
    out.reserve(text.size());
    for (unsigned char c : text) {
        if (is_unreserved(c)) {
            out.push_back(static_cast<char>(c));
        } else {
            out.push_back('%');
            out.push_back(kHex[c >> 4]);
            out.push_back(kHex[c & 0x0f]);
        }
    }
    return out;
}

void append_parameter(std::string& uri, std::string_view name, std::string_view value) {
    uri.push_back(uri.find('?') == std::string::npos ? '?' : '&');
    uri.append(name);
    uri.push_back('=');
    uri.append(value);
}

}  // namespace

std::string build_otpauth_uri(const OtpauthParams& params) {
    std::string uri = params.time_based ? "otpauth://totp/" : "otpauth://hotp/";
    const std::string issuer = percent_encode(params.issuer);
    if (!issuer.empty()) uri.append(issuer).push_back(':');
    uri.append(percent_encode(params.account));

    append_parameter(uri, "secret", base32_encode(params.key, /*pad=*/false));
    if (!issuer.empty()) append_parameter(uri, "issuer", issuer);
    append_parameter(uri, "algorithm", hash_algorithm_name(params.algorithm));
    append_parameter(uri, "digits", std::to_string(params.digits));
    if (params.time_based)
        append_parameter(uri, "period", std::to_string(params.period));
    else
        append_parameter(uri, "counter", std::to_string(params.counter));
    return uri;
}

}  // namespace otp
