// UTF-8 validation and repair (RFC 3629). Client-supplied text (user names, header values)
// ends up in JSON answers, the event log and HTML; all of them must be valid UTF-8, and a
// byte that is not must neither break the output nor be silently dropped.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace otp {

// True when `text` is well-formed UTF-8: no overlong forms, no surrogates (U+D800..DFFF), no
// code points above U+10FFFF, no truncated sequences. NUL bytes are well-formed.
bool is_valid_utf8(std::string_view text);

// Copies `text`, replacing each maximal ill-formed subsequence by U+FFFD (the W3C/Unicode
// "substitution of maximal subparts" practice, as browsers do). Valid input is returned
// unchanged, NUL bytes included.
std::string sanitize_utf8(std::string_view text);

// Length in bytes (1..4) of the well-formed sequence starting at text[pos], or 0 when the
// bytes there are ill-formed. Exposed for callers that scan text themselves.
std::size_t utf8_sequence_length(std::string_view text, std::size_t pos);

// C0 controls (NUL included), DEL and the C1 controls U+0080..U+009F (UTF-8 C2 80..C2 9F):
// none belongs in a user name or an identifier a client sends, and they are how log lines and
// terminals get confused.
bool has_control_characters(std::string_view text);

}  // namespace otp
