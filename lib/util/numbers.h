// One decimal parser for every number that arrives as text (state store records, users-file
// fields, token types, directive values), so that they all agree on what a number is:
// the whole text, ASCII digits only, no '+', no blanks, and out of range is a failure
// rather than a value clamped or wrapped into range.
#pragma once

#include <charconv>
#include <optional>
#include <string_view>
#include <system_error>
#include <type_traits>

namespace otp {

// parse_decimal<std::int64_t>, <std::uint64_t>, <unsigned>, ... For signed types a leading '-'
// is accepted ("-0" too), as std::from_chars does, because the state store keeps signed
// values; unsigned types accept digits only. Leading zeros are accepted.
template <typename T>
std::optional<T> parse_decimal(std::string_view text) {
    static_assert(std::is_integral_v<T> && !std::is_same_v<T, bool>, "an integer type");
    T value{};
    const char* const end = text.data() + text.size();
    const auto [stop, ec] = std::from_chars(text.data(), end, value);
    if (ec != std::errc() || stop != end) return std::nullopt;
    return value;
}

}  // namespace otp
