// Key Uri Format: otpauth://TYPE/LABEL?PARAMETERS, LABEL = [ISSUER ":"] ACCOUNT.
#include "otp/otpauth_uri.h"

#include "util/codec.h"

namespace otp {
namespace {

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
