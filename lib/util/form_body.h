// application/x-www-form-urlencoded bodies (WHATWG URL §5.1), as the page's form posts and
// Toopher-style API clients send them.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace otp {

// Percent-decoding with '+' as space. Unlike WHATWG, a malformed %-escape is an error
// (nullopt) instead of being passed through: no well-behaved client produces one, and text
// that two parsers would read differently has no place in a credential.
std::optional<std::string> form_decode(std::string_view encoded);

// Calls `field(name, value)` for each name=value pair of `body`, decoded, in order; empty
// segments are skipped and a pair without '=' has an empty value. False when a name or value
// is malformed (the callback may have seen the pairs before it).
bool for_each_form_field(std::string_view body,
                         const std::function<void(std::string&& name, std::string&& value)>& field);

}  // namespace otp
