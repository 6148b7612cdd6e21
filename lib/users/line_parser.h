// One line of a users file, in either layout: the tokenizer and the field parsers that both
// the index (reading a million lines once) and the write-back (re-reading one line under the
// lock) must apply identically, or the write-back could rewrite a line the index read
// differently.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "otp/token_type.h"
#include "users/users_file.h"

namespace otp::users_detail {

constexpr std::size_t kMaxSecretBytes = 64;
constexpr std::size_t kMaxShortField = 255;  // user, PIN and LASTOTP lengths fit one byte
// LASTTIME, as liboath and mod_authn_otp write and parse it (local time).
constexpr const char kTimeFormat[] = "%Y-%m-%dT%H:%M:%SL";

struct LineSpan {
    std::size_t begin = 0;        // first byte of the line
    std::size_t content_end = 0;  // the '\n' (or end of text)
    std::size_t next = 0;         // first byte after the '\n'
};

// Walks the lines of a text; inline because the index calls it for every line of the file.
class LineCursor {
public:
    explicit LineCursor(std::string_view text) : text_(text) {}
    bool next(LineSpan* span) {
        if (pos_ >= text_.size()) return false;
        span->begin = pos_;
        const void* nl = std::memchr(text_.data() + pos_, '\n', text_.size() - pos_);
        span->content_end =
            nl ? static_cast<std::size_t>(static_cast<const char*>(nl) - text_.data())
               : text_.size();
        span->next = nl ? span->content_end + 1 : text_.size();
        pos_ = span->next;
        return true;
    }
    std::string_view content(const LineSpan& span) const {
        return text_.substr(span.begin, span.content_end - span.begin);
    }

private:
    std::string_view text_;
    std::size_t pos_ = 0;
};

// The 1-based line `line_number` of `text`; false when the text has fewer lines.
bool find_line(std::string_view text, unsigned line_number, LineSpan* span);

constexpr std::size_t kMaxFields = 10;  // one more than the longest layout, to see "too many"

struct Fields {
    std::array<std::string_view, kMaxFields> at;
    std::size_t count = 0;
    bool overflow = false;  // more than kMaxFields fields
};

Fields split_fields(std::string_view line);
bool is_comment_or_blank(const Fields& fields);

// A token line's fields, pointing into the text it was parsed from.
struct ParsedLine {
    std::string_view type_text, user, pin_text, secret_text, last_otp, last_ip;
    TokenType type;
    PinMode pin_mode = PinMode::none;
    bool has_counter = false;
    std::int64_t counter = 0;
};

// Files use a handful of type spellings; remembering the last few saves re-parsing per line.
class TypeCache {
public:
    const TokenType* find(std::string_view text) const;
    void add(std::string_view text, const TokenType& type);

private:
    struct Entry {
        std::string text;
        TokenType type;
    };
    std::array<Entry, 4> entries_;
    std::size_t used_ = 0, next_ = 0;
};

enum class LineKind { skip, token, error };

// Parses one line of either layout. Errors name the field and never contain the secret.
LineKind parse_line(std::string_view line, UsersFileLayout layout, TypeCache* cache,
                    ParsedLine* out, std::string* reason);

// A copy of the token, with the secret decoded.
TokenRecord make_token(const ParsedLine& parsed, unsigned line_number);

// "<name>:<line>: <reason>", the form of every error about a line.
std::string located(const std::string& name, unsigned line_number, const std::string& reason);

}  // namespace otp::users_detail
