#include "util/cookie_header.h"

namespace otp {
namespace {

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

}  // namespace

void append_cookie_values(std::string_view header, std::string_view name,
                          std::vector<std::string_view>* values) {
    while (!header.empty() && values->size() < kMaxCookieValues) {
        const std::size_t end = header.find(';');
        const std::string_view pair = trim(header.substr(0, end));
        header = end == std::string_view::npos ? std::string_view() : header.substr(end + 1);
        const std::size_t eq = pair.find('=');
        if (eq == std::string_view::npos) continue;
        if (trim(pair.substr(0, eq)) == name) values->push_back(trim(pair.substr(eq + 1)));
    }
}

}  // namespace otp
