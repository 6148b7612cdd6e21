// The users file (SPEC §4): parser, compact in-memory index and the locked write-back.
//
// Facts this file relies on, established from the real programs (not copied from them):
//
// oath layout (OATH Toolkit liboath usersfile.c, used by pam_oath; checked against liboath
// 2.6.7-3.1+deb12u1 by running oath_authenticate_usersfile):
//   TYPE USER PIN SECRET [COUNTER [LASTOTP [LASTTIME]]], separated by " \t\r\n".
//   - TYPE is compared with strcmp (case-sensitive); liboath silently skips unknown types, we
//     refuse them (SPEC: a configuration error).
//   - COUNTER is the counter of the last accepted code. A line without COUNTER accepts
//     counters 0..window; after an acceptance liboath writes COUNTER = that counter and
//     LASTOTP = that code and refuses a code equal to LASTOTP as a replay, so the next usable
//     counter is COUNTER+1 once LASTOTP is present, else COUNTER.
//   - The accepted line is rewritten as "%s\t%s\t%s\t%s\t%llu\t%s\t%s\n" (TYPE, USER, PIN and
//     SECRET exactly as in the file, so the secret's case is kept; COUNTER; the code; LASTTIME
//     = strftime("%Y-%m-%dT%H:%M:%SL", localtime_r(now))). "\r\n" and a missing final newline
//     become "\n". Every other line is copied byte for byte.
//   - Locking: fopen("<file>.lock", "w") (the CVE-2024-47191 fix makes it O_CREAT|O_EXCL),
//     fcntl(F_SETLKW, F_WRLCK, whole file), write "<file>.new", fchown, fsync, rename, then
//     unlink "<file>.lock". Note liboath reads the users file *before* taking the lock, and the
//     fixed version fails (OATH_FILE_LOCK_ERROR) instead of waiting when "<file>.lock" exists.
//
// mod_authn_otp layout (archiecobbs/mod-authn-otp, mod_authn_otp.c and UsersFile.md):
//   TYPE USER PIN KEY [OFFSET [FAILURES] | OFFSET LASTOTP LASTTIME [LASTIP]
//                      | OFFSET FAILURES LASTOTP LASTTIME LASTIP]
//   i.e. after OFFSET the number of fields tells which of its historical layouts a line uses:
//   0: none; 1: FAILURES; 2: LASTOTP LASTTIME; 3: LASTOTP LASTTIME LASTIP;
//   4: FAILURES LASTOTP LASTTIME LASTIP (what current versions write). Whitespace is
//   " \t\r\n\v". OFFSET is the next expected counter for event tokens and the time-step drift
//   for time tokens. TYPE is ALGORITHM[/E|/Tnn[/DIGITS]] with ALGORITHM "HOTP" (any case) or
//   "MOTP" (not supported here), plus the legacy aliases "E" (HOTP/E) and "T" (HOTP/T30).
//   Lines starting with '#' and blank lines are comments. It writes a line back as
//   printf("%-7s %-13s %-7s %s %-3ld %-2u %-7s %s %s\n", TYPE, USER, PIN, KEY, OFFSET,
//   FAILURES, LASTOTP, LASTTIME, LASTIP) with LASTTIME in the same "%Y-%m-%dT%H:%M:%SL" local
//   time format. We write the same, but keep TYPE and KEY as spelled in the file (it
//   normalises them; both spellings read the same). It locks "<file>.lock" with
//   apr_file_lock(), which on Unix is fcntl(F_SETLKW, F_WRLCK), and never removes that file.
//
// Our lock protocol: open "<file>.lock" (O_RDWR|O_CREAT|O_NOFOLLOW, 0600), take an exclusive
// fcntl write lock (open-file-description lock where available, so threads of one httpd
// process exclude each other too; OFD and classic POSIX locks conflict with each other), then
// check that the path still names the locked inode: the previous holder may have unlinked it
// (pam_oath does), in which case we start over. In the oath layout we unlink the lock file
// before releasing it, because the CVE-fixed pam_oath refuses to work while it exists; waiters
// notice through the check above. In the mod_authn_otp layout we leave it, as mod_authn_otp
// does. The users file is read under the lock.
#include "users/users_file.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <climits>
#include <cstring>
#include <ctime>
#include <limits>
#include <mutex>
#include <new>
#include <unordered_map>

#include "util/ascii.h"
#include "util/codec.h"

namespace otp {
namespace {

constexpr std::size_t kMaxSecretBytes = 64;
constexpr std::size_t kMaxShortField = 255;  // user, PIN and LASTOTP lengths fit one byte
constexpr std::size_t kMaxCodeDigits = 16;
constexpr int kMaxLockAttempts = 1000;
constexpr const char kTimeFormat[] = "%Y-%m-%dT%H:%M:%SL";

// ---- small utilities -------------------------------------------------------------------

class UniqueFd {
public:
    UniqueFd() = default;
    explicit UniqueFd(int fd) : fd_(fd) {}
    ~UniqueFd() { reset(); }
    UniqueFd(UniqueFd&& other) noexcept : fd_(other.release()) {}
    UniqueFd& operator=(UniqueFd&& other) noexcept {
        if (this != &other) reset(other.release());
        return *this;
    }
    UniqueFd(const UniqueFd&) = delete;
    UniqueFd& operator=(const UniqueFd&) = delete;

    int get() const { return fd_; }
    explicit operator bool() const { return fd_ >= 0; }
    int release() {
        const int fd = fd_;
        fd_ = -1;
        return fd;
    }
    void reset(int fd = -1) {
        if (fd_ >= 0) ::close(fd_);
        fd_ = fd;
    }
    // close() whose failure matters (a written file: NFS reports write errors here).
    int close_checked() {
        const int fd = release();
        return fd >= 0 ? ::close(fd) : 0;
    }

private:
    int fd_ = -1;
};

// strerror_r comes in a GNU and an XSI flavour; these overloads accept either.
[[maybe_unused]] const char* strerror_text(int rc, const char* buf) { return rc == 0 ? buf : "unknown error"; }
[[maybe_unused]] const char* strerror_text(const char* text, const char*) { return text; }

std::string describe_errno(int err) {
    char buf[256] = {0};
    return strerror_text(strerror_r(err, buf, sizeof buf), buf);
}

bool fail(std::string* error, std::string reason) {
    if (error) *error = std::move(reason);
    return false;
}

bool fail_errno(std::string* error, const std::string& what, int err) {
    return fail(error, what + ": " + describe_errno(err));
}

// ---- large arrays ------------------------------------------------------------------------

// A million-user index is some 80 MB read at random, plus the file text while loading. Large
// arrays get their own mapping with transparent huge pages requested (THP is usually in
// "madvise" mode): 2 MiB pages cut the page faults while loading and the TLB misses of every
// lookup, which dominate both on virtual machines.
constexpr std::size_t kHugePage = std::size_t{2} << 20;
constexpr std::size_t kMapThreshold = 2 * kHugePage;

std::size_t round_up(std::size_t value, std::size_t unit) { return (value + unit - 1) / unit * unit; }

void* map_large(std::size_t bytes) {
    const std::size_t length = round_up(bytes, kHugePage);
    void* raw = ::mmap(nullptr, length + kHugePage, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (raw == MAP_FAILED) return nullptr;
    // Align to a huge page and give back the slack on both sides.
    const std::uintptr_t start = reinterpret_cast<std::uintptr_t>(raw);
    const std::uintptr_t aligned = round_up(start, kHugePage);
    const std::uintptr_t end = start + length + kHugePage;
    if (aligned > start) ::munmap(raw, aligned - start);
    if (end > aligned + length) ::munmap(reinterpret_cast<void*>(aligned + length), end - aligned - length);
#ifdef MADV_HUGEPAGE
    ::madvise(reinterpret_cast<void*>(aligned), length, MADV_HUGEPAGE);
#endif
    return reinterpret_cast<void*>(aligned);
}

template <typename T>
struct LargeAllocator {
    using value_type = T;
    LargeAllocator() = default;
    template <typename U>
    LargeAllocator(const LargeAllocator<U>&) {}

    T* allocate(std::size_t n) {
        const std::size_t bytes = n * sizeof(T);
        void* p = bytes >= kMapThreshold ? map_large(bytes) : std::malloc(bytes);
        if (!p) throw std::bad_alloc();
        return static_cast<T*>(p);
    }
    void deallocate(T* p, std::size_t n) {
        const std::size_t bytes = n * sizeof(T);
        if (bytes >= kMapThreshold) ::munmap(p, round_up(bytes, kHugePage));
        else std::free(p);
    }
    template <typename U>
    bool operator==(const LargeAllocator<U>&) const { return true; }
    template <typename U>
    bool operator!=(const LargeAllocator<U>&) const { return false; }
};

using LargeString = std::basic_string<char, std::char_traits<char>, LargeAllocator<char>>;
template <typename T>
using LargeVector = std::vector<T, LargeAllocator<T>>;

FileIdentity identity_of(const struct stat& st) {
    FileIdentity id;
    id.device = static_cast<std::uint64_t>(st.st_dev);
    id.inode = static_cast<std::uint64_t>(st.st_ino);
    id.size = static_cast<std::uint64_t>(st.st_size);
    id.mtime_ns = static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
    id.ctime_ns = static_cast<std::int64_t>(st.st_ctim.tv_sec) * 1000000000 + st.st_ctim.tv_nsec;
    return id;
}

bool same_inode(const struct stat& a, const struct stat& b) {
    return a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

// Reads the whole file in one go (size from fstat, more if it grew meanwhile).
bool read_whole_file(int fd, std::size_t size_hint, const std::string& name, LargeString* out,
                     std::string* error) {
    out->resize(size_hint + 1);  // +1 so that reaching EOF is seen without a second resize
    std::size_t used = 0;
    for (;;) {
        if (used == out->size()) out->resize(out->size() * 2 + 4096);
        const ssize_t n = ::read(fd, &(*out)[used], out->size() - used);
        if (n < 0) {
            if (errno == EINTR) continue;
            return fail_errno(error, name + ": cannot read", errno);
        }
        if (n == 0) break;
        used += static_cast<std::size_t>(n);
    }
    out->resize(used);
    return true;
}

bool write_all(int fd, std::string_view data) {
    while (!data.empty()) {
        const ssize_t n = ::write(fd, data.data(), data.size());
        if (n < 0) {
            if (errno == EINTR) continue;
            return false;
        }
        data.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
}

// ---- lines and fields ------------------------------------------------------------------

// Both liboath (" \t\r\n") and mod_authn_otp (" \t\r\n\v") split on these.
bool is_separator(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f'; }

struct LineSpan {
    std::size_t begin = 0;        // first byte of the line
    std::size_t content_end = 0;  // the '\n' (or end of text)
    std::size_t next = 0;         // first byte after the '\n'
};

class LineCursor {
public:
    explicit LineCursor(std::string_view text) : text_(text) {}
    bool next(LineSpan* span) {
        if (pos_ >= text_.size()) return false;
        span->begin = pos_;
        const void* nl = std::memchr(text_.data() + pos_, '\n', text_.size() - pos_);
        span->content_end = nl ? static_cast<std::size_t>(static_cast<const char*>(nl) - text_.data())
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

constexpr std::size_t kMaxFields = 10;  // one more than the longest layout, to see "too many"

struct Fields {
    std::array<std::string_view, kMaxFields> at;
    std::size_t count = 0;
    bool overflow = false;
};

Fields split_fields(std::string_view line) {
    Fields fields;
    std::size_t i = 0;
    while (i < line.size()) {
        while (i < line.size() && is_separator(line[i])) ++i;
        if (i == line.size()) break;
        const std::size_t start = i;
        while (i < line.size() && !is_separator(line[i])) ++i;
        if (fields.count == kMaxFields) {
            fields.overflow = true;
            break;
        }
        fields.at[fields.count++] = line.substr(start, i - start);
    }
    return fields;
}

bool is_comment_or_blank(const Fields& fields) {
    return fields.count == 0 || fields.at[0][0] == '#';
}

// ---- field parsers ---------------------------------------------------------------------

struct ParsedLine {
    std::string_view type_text, user, pin_text, secret_text, last_otp, last_ip;
    TokenType type;
    PinMode pin_mode = PinMode::none;
    bool has_counter = false;
    std::int64_t counter = 0;
};

// The token type is shown in errors to help the administrator, unless it could be key
// material (a line whose fields are shifted might start with the secret).
std::string quoted_type_if_safe(std::string_view text) {
    bool key_like = text.size() >= 12;
    for (char c : text)
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')))
            key_like = false;
    if (key_like || text.size() > 24) return "";
    std::string out = " \"";
    for (char c : text) out.push_back(c >= 0x21 && c <= 0x7e ? c : '?');
    return out + "\"";
}

// mod_authn_otp spellings: "E" and "T" aliases, algorithm name in any case.
std::string normalize_authn_otp_type(std::string_view text) {
    if (text == "E") return "HOTP/E";
    if (text == "T") return "HOTP/T30";
    const std::size_t slash = text.find('/');
    if (equals_ignoring_case(text.substr(0, slash), "HOTP"))
        return "HOTP" + std::string(slash == std::string_view::npos ? "" : text.substr(slash));
    return std::string(text);
}

// Files use a handful of type spellings; remembering the last few saves re-parsing per line.
class TypeCache {
public:
    const TokenType* find(std::string_view text) const {
        for (std::size_t i = 0; i < used_; ++i)
            if (entries_[i].text == text) return &entries_[i].type;
        return nullptr;
    }
    void add(std::string_view text, const TokenType& type) {
        Entry& e = entries_[next_];
        e.text.assign(text);
        e.type = type;
        next_ = (next_ + 1) % entries_.size();
        used_ = std::min(used_ + 1, entries_.size());
    }

private:
    struct Entry {
        std::string text;
        TokenType type;
    };
    std::array<Entry, 4> entries_;
    std::size_t used_ = 0, next_ = 0;
};

bool parse_type_field(std::string_view text, UsersFileLayout layout, TypeCache* cache,
                      TokenType* out, std::string* reason) {
    if (const TokenType* known = cache->find(text)) {
        *out = *known;
        return true;
    }
    const std::string spelled =
        layout == UsersFileLayout::mod_authn_otp ? normalize_authn_otp_type(text) : std::string(text);
    std::string why;
    const std::optional<TokenType> type = parse_token_type(spelled, &why);
    if (!type) return fail(reason, "TYPE field" + quoted_type_if_safe(text) + ": " + why);
    cache->add(text, *type);
    *out = *type;
    return true;
}

constexpr std::array<std::int8_t, 256> make_hex_table() {
    std::array<std::int8_t, 256> table{};
    for (int c = 0; c < 256; ++c) {
        table[c] = -1;
        if (c >= '0' && c <= '9') table[c] = static_cast<std::int8_t>(c - '0');
        if (c >= 'a' && c <= 'f') table[c] = static_cast<std::int8_t>(c - 'a' + 10);
        if (c >= 'A' && c <= 'F') table[c] = static_cast<std::int8_t>(c - 'A' + 10);
    }
    return table;
}
constexpr std::array<std::int8_t, 256> kHexTable = make_hex_table();

int hex_value(char c) { return kHexTable[static_cast<unsigned char>(c)]; }

// Never quotes the field: it is the key.
bool check_secret(std::string_view text, std::string* reason) {
    for (char c : text)
        if (hex_value(c) < 0) return fail(reason, "SECRET field is not hexadecimal");
    if (text.size() % 2 != 0) return fail(reason, "SECRET field has an odd number of hex digits");
    if (text.size() / 2 > kMaxSecretBytes)
        return fail(reason, "SECRET field is longer than " + std::to_string(kMaxSecretBytes) +
                                " bytes");
    return true;
}

// Appends the bytes of already checked hex text.
template <typename String>
void decode_secret_into(std::string_view hex, String* out) {
    const std::size_t start = out->size();
    out->resize(start + hex.size() / 2);
    char* p = &(*out)[start];
    for (std::size_t i = 0; i + 1 < hex.size(); i += 2)
        *p++ = static_cast<char>((hex_value(hex[i]) << 4) | hex_value(hex[i + 1]));
}

bool parse_int64(std::string_view text, bool allow_negative, std::int64_t* out) {
    bool negative = false;
    if (allow_negative && !text.empty() && text[0] == '-') {
        negative = true;
        text.remove_prefix(1);
    }
    if (text.empty() || text.size() > 19) return false;
    std::uint64_t value = 0;
    for (char c : text) {
        if (c < '0' || c > '9') return false;
        value = value * 10 + static_cast<std::uint64_t>(c - '0');
    }
    if (value > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) return false;
    *out = negative ? -static_cast<std::int64_t>(value) : static_cast<std::int64_t>(value);
    return true;
}

bool parse_counter_field(std::string_view text, UsersFileLayout layout, const TokenType& type,
                         std::int64_t* out, std::string* reason) {
    // mod_authn_otp stores a signed drift for time tokens; everything else is a count.
    const bool signed_ok = layout == UsersFileLayout::mod_authn_otp && type.kind == TokenKind::time;
    if (!parse_int64(text, signed_ok, out))
        return fail(reason, signed_ok ? "COUNTER field (time offset) is not a number"
                                      : "COUNTER field is not a non-negative number (or too large)");
    return true;
}

// As liboath and mod_authn_otp check it: strptime must consume the whole field.
bool check_last_time(std::string_view text, std::string* reason) {
    char buf[64];
    bool ok = text.size() < sizeof buf;
    if (ok) {
        std::memcpy(buf, text.data(), text.size());
        buf[text.size()] = '\0';
        struct tm tm;
        std::memset(&tm, 0, sizeof tm);
        const char* end = strptime(buf, kTimeFormat, &tm);
        ok = end != nullptr && *end == '\0';
    }
    return ok || fail(reason, "LASTTIME field is not a time like 2009-06-12T17:52:32L");
}

bool check_short_field(std::string_view text, const char* name, std::string* reason) {
    if (text.size() <= kMaxShortField) return true;
    return fail(reason, std::string(name) + " field is longer than " +
                            std::to_string(kMaxShortField) + " bytes");
}

bool parse_oath_tail(const Fields& f, ParsedLine* out, std::string* reason) {
    if (f.overflow || f.count > 7)
        return fail(reason, "too many fields (at most 7: TYPE USER PIN SECRET COUNTER LASTOTP "
                            "LASTTIME)");
    if (f.count >= 6) {
        out->last_otp = f.at[5];
        if (!check_short_field(out->last_otp, "LASTOTP", reason)) return false;
    }
    return f.count < 7 || check_last_time(f.at[6], reason);
}

bool parse_authn_otp_tail(const Fields& f, ParsedLine* out, std::string* reason) {
    if (f.overflow || f.count > 9)
        return fail(reason, "too many fields (at most 9: TYPE USER PIN KEY OFFSET FAILURES "
                            "LASTOTP LASTTIME LASTIP)");
    if (f.count <= 5) return true;
    const std::size_t extra = f.count - 5;
    std::size_t i = 5;
    if (extra == 1 || extra == 4) {  // the failure counter comes first in these two layouts
        std::int64_t failures = 0;
        if (!parse_int64(f.at[i++], false, &failures))
            return fail(reason, "FAILURES field is not a non-negative number");
    }
    if (extra >= 2) {
        out->last_otp = f.at[i++];
        if (!check_short_field(out->last_otp, "LASTOTP", reason)) return false;
        if (!check_last_time(f.at[i++], reason)) return false;
    }
    if (extra >= 3) out->last_ip = f.at[i++];
    return true;
}

enum class LineKind { skip, token, error };

LineKind line_error(std::string* reason, const char* text) {
    fail(reason, text);
    return LineKind::error;
}

// Parses one line of either layout. Errors name the field and never contain the secret.
LineKind parse_line(std::string_view line, UsersFileLayout layout, TypeCache* cache,
                    ParsedLine* out, std::string* reason) {
    const Fields f = split_fields(line);
    if (is_comment_or_blank(f)) return LineKind::skip;
    *out = ParsedLine();
    out->type_text = f.at[0];
    if (!parse_type_field(f.at[0], layout, cache, &out->type, reason)) return LineKind::error;
    if (f.count < 2) return line_error(reason, "missing USER field");
    out->user = f.at[1];
    if (!check_short_field(out->user, "USER", reason)) return LineKind::error;
    if (f.count < 3) return line_error(reason, "missing PIN field");
    out->pin_text = f.at[2];
    if (out->pin_text == "-") out->pin_mode = PinMode::none;
    else if (out->pin_text == "+") out->pin_mode = PinMode::external;
    else out->pin_mode = PinMode::pin;
    if (!check_short_field(out->pin_text, "PIN", reason)) return LineKind::error;
    if (f.count < 4) return line_error(reason, "missing SECRET field");
    out->secret_text = f.at[3];
    if (!check_secret(out->secret_text, reason)) return LineKind::error;
    if (f.count >= 5) {
        if (!parse_counter_field(f.at[4], layout, out->type, &out->counter, reason))
            return LineKind::error;
        out->has_counter = true;
    }
    const bool tail_ok = layout == UsersFileLayout::oath ? parse_oath_tail(f, out, reason)
                                                         : parse_authn_otp_tail(f, out, reason);
    return tail_ok ? LineKind::token : LineKind::error;
}

std::string located(const std::string& name, unsigned line_number, const std::string& reason) {
    return name + ":" + std::to_string(line_number) + ": " + reason;
}

TokenRecord make_token(const ParsedLine& parsed, unsigned line_number) {
    TokenRecord token;
    token.type = parsed.type;
    token.user.assign(parsed.user);
    token.pin_mode = parsed.pin_mode;
    if (parsed.pin_mode == PinMode::pin) token.pin.assign(parsed.pin_text);
    decode_secret_into(parsed.secret_text, &token.secret);
    token.has_counter = parsed.has_counter;
    token.counter = parsed.counter;
    token.last_otp.assign(parsed.last_otp);
    token.line_number = line_number;
    return token;
}

// ---- the index's storage ---------------------------------------------------------------

constexpr std::uint32_t kNoRecord = 0xffffffffu;

// 32 bytes per token. The variable-length parts (user, PIN, decoded secret, LASTOTP) sit back
// to back in the arena at `data`.
struct Record {
    std::uint32_t data = 0;
    std::uint32_t next = kNoRecord;  // the user's next token in file order
    std::uint32_t line = 0;
    std::uint16_t step = 0;
    std::uint8_t user_len = 0, pin_len = 0, secret_len = 0, last_otp_len = 0;
    std::uint8_t digits = 0;
    std::uint8_t flags = 0;
    std::int64_t counter = 0;
};
static_assert(sizeof(Record) == 32, "Record should stay compact");

constexpr std::uint8_t kFlagTime = 1u << 0;
constexpr std::uint8_t kFlagHasCounter = 1u << 1;
constexpr int kAlgorithmShift = 2;  // 2 bits
constexpr int kPinModeShift = 4;    // 2 bits

std::uint8_t pack_flags(const ParsedLine& p) {
    std::uint8_t flags = 0;
    if (p.type.kind == TokenKind::time) flags |= kFlagTime;
    if (p.has_counter) flags |= kFlagHasCounter;
    flags |= static_cast<std::uint8_t>(static_cast<unsigned>(p.type.algorithm) << kAlgorithmShift);
    flags |= static_cast<std::uint8_t>(static_cast<unsigned>(p.pin_mode) << kPinModeShift);
    return flags;
}

// FNV-1a, then a murmur3 finaliser because slots are chosen by the low bits.
std::uint64_t hash_name(std::string_view name) {
    std::uint64_t h = 0xcbf29ce484222325ull;
    for (unsigned char c : name) {
        h ^= c;
        h *= 0x100000001b3ull;
    }
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ull;
    h ^= h >> 33;
    return h;
}

std::size_t table_size_for(std::size_t users) {
    std::size_t size = 16;
    while (size < users + users / 2 + 1) size *= 2;  // load factor at most 2/3
    return size;
}

// A slot of the user table: record index + 1 of the user's first token (0 = empty) and the
// high half of the name's hash, so probing past other users rarely touches their records.
struct Slot {
    std::uint32_t entry = 0;
    std::uint32_t tag = 0;
};

std::uint32_t tag_of(std::uint64_t hash) { return static_cast<std::uint32_t>(hash >> 32); }

struct PendingLink {
    std::uint32_t index;
    std::uint64_t hash;
};
constexpr std::size_t kLinkDelay = 8;  // lines between prefetching a slot and using it

std::size_t count_lines(std::string_view text) {
    return static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n')) + 1;
}

}  // namespace

// ---- TokenRecord / FileIdentity --------------------------------------------------------

std::uint64_t TokenRecord::next_counter(UsersFileLayout layout) const {
    if (!has_counter || counter < 0) return 0;
    const std::uint64_t value = static_cast<std::uint64_t>(counter);
    if (layout == UsersFileLayout::oath && !last_otp.empty()) return value + 1;
    return value;
}

bool FileIdentity::operator==(const FileIdentity& o) const {
    return device == o.device && inode == o.inode && size == o.size && mtime_ns == o.mtime_ns &&
           ctime_ns == o.ctime_ns;
}

std::optional<FileIdentity> stat_identity(const std::string& path, std::string* error) {
    struct stat st;
    if (::stat(path.c_str(), &st) != 0) {
        fail_errno(error, path + ": cannot stat", errno);
        return std::nullopt;
    }
    return identity_of(st);
}

// ---- UsersIndex ------------------------------------------------------------------------

struct UsersIndex::Impl {
    UsersFileLayout layout = UsersFileLayout::oath;
    FileIdentity identity;
    LargeString arena;
    LargeVector<Record> records;
    // Open addressing with linear probing over users; a slot names the user's first token.
    LargeVector<Slot> slots;
    std::size_t users = 0;
    // Only while building: the last token of users that have several, keyed by the first.
    std::unordered_map<std::uint32_t, std::uint32_t> tails;

    std::string_view user_of(const Record& r) const {
        return std::string_view(arena.data() + r.data, r.user_len);
    }

    // The slot holding `user`, or the empty slot where it would go.
    std::size_t probe(std::string_view user, std::uint64_t hash) const {
        const std::size_t mask = slots.size() - 1;
        const std::uint32_t tag = tag_of(hash);
        std::size_t i = static_cast<std::size_t>(hash) & mask;
        while (slots[i].entry != 0) {
            if (slots[i].tag == tag && user_of(records[slots[i].entry - 1]) == user) break;
            i = (i + 1) & mask;
        }
        return i;
    }

    void rehash(std::size_t size) {
        LargeVector<Slot> previous(size);
        previous.swap(slots);  // slots is now the empty new table
        for (const Slot& slot : previous)
            if (slot.entry != 0) {
                const std::uint64_t hash = hash_name(user_of(records[slot.entry - 1]));
                slots[probe(user_of(records[slot.entry - 1]), hash)] = slot;
            }
    }

    bool append_record(const ParsedLine& p, unsigned line_number, std::string* reason) {
        const std::size_t secret_len = p.secret_text.size() / 2;
        const std::size_t pin_len = p.pin_mode == PinMode::pin ? p.pin_text.size() : 0;
        const std::size_t need = p.user.size() + pin_len + secret_len + p.last_otp.size();
        if (arena.size() + need > 0xffffffffu || records.size() >= kNoRecord - 1)
            return fail(reason, "users file too large for the index (4 GiB of names and keys)");
        Record r;
        r.data = static_cast<std::uint32_t>(arena.size());
        r.line = line_number;
        r.step = static_cast<std::uint16_t>(p.type.step_seconds);
        r.user_len = static_cast<std::uint8_t>(p.user.size());
        r.pin_len = static_cast<std::uint8_t>(pin_len);
        r.secret_len = static_cast<std::uint8_t>(secret_len);
        r.last_otp_len = static_cast<std::uint8_t>(p.last_otp.size());
        r.digits = static_cast<std::uint8_t>(p.type.digits);
        r.flags = pack_flags(p);
        r.counter = p.counter;
        arena.append(p.user);
        if (pin_len) arena.append(p.pin_text);
        decode_secret_into(p.secret_text, &arena);
        arena.append(p.last_otp);
        records.push_back(r);
        return true;
    }

    // Adds record `index` to its user's tokens; records must be linked in file order.
    void link(std::uint32_t index, std::uint64_t hash) {
        if ((users + 1) * 3 > slots.size() * 2) rehash(slots.size() * 2);
        Slot& slot = slots[probe(user_of(records[index]), hash)];
        if (slot.entry == 0) {
            slot.entry = index + 1;
            slot.tag = tag_of(hash);
            ++users;
            return;
        }
        const std::uint32_t head = slot.entry - 1;
        const auto known = tails.find(head);
        const std::uint32_t tail = known == tails.end() ? head : known->second;
        records[tail].next = index;
        tails[head] = index;
    }

    void finish() {
        tails = std::unordered_map<std::uint32_t, std::uint32_t>();
        if (table_size_for(users) < slots.size()) rehash(table_size_for(users));
        arena.shrink_to_fit();
        if (records.capacity() > records.size() + records.size() / 8) records.shrink_to_fit();
    }

    bool build(std::string_view text, const std::string& name, std::string* error) {
        const std::size_t lines = count_lines(text);
        records.reserve(lines);
        // An upper bound (decoded keys take half their hex text); pages never touched cost
        // nothing, and finish() gives the rest back.
        arena.reserve(text.size());
        slots.assign(table_size_for(lines), Slot());
        // The table is far larger than the caches, so each insertion would wait for memory.
        // Instead a slot is prefetched when its line is parsed and used kLinkDelay lines later.
        std::array<PendingLink, kLinkDelay> pending;
        std::size_t parsed_count = 0;
        LineCursor cursor(text);
        LineSpan span;
        TypeCache cache;
        ParsedLine parsed;
        std::string reason;
        unsigned line_number = 0;
        while (cursor.next(&span)) {
            ++line_number;
            const LineKind kind = parse_line(cursor.content(span), layout, &cache, &parsed, &reason);
            if (kind == LineKind::skip) continue;
            if (kind == LineKind::error || !append_record(parsed, line_number, &reason))
                return fail(error, located(name, line_number, reason));
            const std::uint64_t hash = hash_name(parsed.user);
            __builtin_prefetch(&slots[static_cast<std::size_t>(hash) & (slots.size() - 1)]);
            PendingLink& next = pending[parsed_count % kLinkDelay];
            if (parsed_count >= kLinkDelay) link(next.index, next.hash);
            next = PendingLink{static_cast<std::uint32_t>(records.size() - 1), hash};
            ++parsed_count;
        }
        for (std::size_t i = parsed_count > kLinkDelay ? parsed_count - kLinkDelay : 0;
             i < parsed_count; ++i)
            link(pending[i % kLinkDelay].index, pending[i % kLinkDelay].hash);
        finish();
        return true;
    }

    TokenRecord materialize(const Record& r) const {
        TokenRecord token;
        token.type.kind = (r.flags & kFlagTime) ? TokenKind::time : TokenKind::counter;
        token.type.digits = r.digits;
        token.type.step_seconds = r.step;
        token.type.algorithm = static_cast<HashAlgorithm>((r.flags >> kAlgorithmShift) & 3u);
        token.pin_mode = static_cast<PinMode>((r.flags >> kPinModeShift) & 3u);
        const char* p = arena.data() + r.data;
        token.user.assign(p, r.user_len);
        p += r.user_len;
        token.pin.assign(p, r.pin_len);
        p += r.pin_len;
        token.secret.assign(p, r.secret_len);
        p += r.secret_len;
        token.last_otp.assign(p, r.last_otp_len);
        token.has_counter = (r.flags & kFlagHasCounter) != 0;
        token.counter = r.counter;
        token.line_number = r.line;
        return token;
    }
};

UsersIndex::UsersIndex() : impl_(new Impl) {}
UsersIndex::~UsersIndex() = default;

// Memory exhaustion is the only exception the code below can meet (std::bad_alloc); the
// public functions turn it into an ordinary failure.
std::unique_ptr<UsersIndex> UsersIndex::parse(std::string_view text, const std::string& name,
                                              UsersFileLayout layout, std::string* error) {
    try {
        std::unique_ptr<UsersIndex> index(new UsersIndex());
        index->impl_->layout = layout;
        if (!index->impl_->build(text, name, error)) return nullptr;
        return index;
    } catch (const std::bad_alloc&) {
        fail(error, name + ": out of memory while indexing");
        return nullptr;
    }
}

std::unique_ptr<UsersIndex> UsersIndex::load(const std::string& path, UsersFileLayout layout,
                                             std::string* error) {
    // O_NONBLOCK: a FIFO planted at the path must not hang the server; it is refused below.
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK));
    struct stat st;
    LargeString text;
    if (!fd) {
        fail_errno(error, path + ": cannot open", errno);
        return nullptr;
    }
    if (::fstat(fd.get(), &st) != 0) {
        fail_errno(error, path + ": cannot stat", errno);
        return nullptr;
    }
    if (!S_ISREG(st.st_mode)) {
        fail(error, path + ": not a regular file");
        return nullptr;
    }
    try {
        if (!read_whole_file(fd.get(), static_cast<std::size_t>(st.st_size), path, &text, error))
            return nullptr;
    } catch (const std::bad_alloc&) {
        fail(error, path + ": out of memory while reading");
        return nullptr;
    }
    std::unique_ptr<UsersIndex> index = parse(text, path, layout, error);
    if (index) index->impl_->identity = identity_of(st);
    return index;
}

std::vector<TokenRecord> UsersIndex::tokens_for(std::string_view user) const {
    std::vector<TokenRecord> tokens;
    if (user.empty() || user.size() > kMaxShortField) return tokens;
    const std::uint32_t entry = impl_->slots[impl_->probe(user, hash_name(user))].entry;
    try {
        for (std::uint32_t i = entry == 0 ? kNoRecord : entry - 1; i != kNoRecord;
             i = impl_->records[i].next)
            tokens.push_back(impl_->materialize(impl_->records[i]));
    } catch (const std::bad_alloc&) {
        return std::vector<TokenRecord>();  // no tokens: the login fails closed
    }
    return tokens;
}

std::size_t UsersIndex::user_count() const { return impl_->users; }
std::size_t UsersIndex::token_count() const { return impl_->records.size(); }
UsersFileLayout UsersIndex::layout() const { return impl_->layout; }
const FileIdentity& UsersIndex::identity() const { return impl_->identity; }

std::size_t UsersIndex::memory_bytes() const {
    return sizeof(UsersIndex) + sizeof(Impl) + impl_->arena.capacity() + 1 +
           impl_->records.capacity() * sizeof(Record) +
           impl_->slots.capacity() * sizeof(Slot);
}

// ---- UsersFileTransaction --------------------------------------------------------------

namespace {

#ifndef F_OFD_SETLKW
// Classic fcntl locks belong to the process: threads would not exclude each other, and
// closing any descriptor of the lock file would drop the lock. Serialise in-process.
std::mutex& process_write_mutex() {
    static std::mutex mutex;
    return mutex;
}
#endif

bool lock_whole_file(int fd) {
    struct flock l;
    std::memset(&l, 0, sizeof l);
    l.l_type = F_WRLCK;
    l.l_whence = SEEK_SET;
    l.l_start = 0;
    l.l_len = 0;
#ifdef F_OFD_SETLKW
    const int command = F_OFD_SETLKW;
#else
    const int command = F_SETLKW;
#endif
    int rc;
    while ((rc = ::fcntl(fd, command, &l)) != 0 && errno == EINTR) {
    }
    return rc == 0;
}

struct PathParts {
    std::string dir, base;
};

bool split_path(const std::string& path, PathParts* parts, std::string* error) {
    const std::size_t slash = path.rfind('/');
    if (slash == std::string::npos) {
        parts->dir = ".";
        parts->base = path;
    } else {
        parts->dir = slash == 0 ? "/" : path.substr(0, slash);
        parts->base = path.substr(slash + 1);
    }
    if (parts->base.empty() || parts->base == "." || parts->base == "..")
        return fail(error, path + ": not a file name");
    return true;
}

bool valid_code(std::string_view code) {
    if (code.empty() || code.size() > kMaxCodeDigits) return false;
    return std::all_of(code.begin(), code.end(), [](char c) { return c >= '0' && c <= '9'; });
}

bool valid_address(std::string_view address) {
    return address.size() <= 128 &&
           std::all_of(address.begin(), address.end(), [](char c) { return c > 0x20 && c < 0x7f; });
}

bool format_local_time(std::int64_t now, std::string* out) {
    const std::time_t t = static_cast<std::time_t>(now);
    struct tm tm;
    if (!localtime_r(&t, &tm)) return false;
    char buf[64];
    const std::size_t n = std::strftime(buf, sizeof buf, kTimeFormat, &tm);
    if (n == 0) return false;
    out->assign(buf, n);
    return true;
}

void append_padded(std::string* out, std::string_view text, std::size_t width) {
    out->append(text);
    if (text.size() < width) out->append(width - text.size(), ' ');
}

// liboath: "%s\t%s\t%s\t%s\t%llu\t%s\t%s\n".
std::string oath_line(const ParsedLine& p, std::uint64_t counter, std::string_view code,
                      const std::string& when) {
    std::string line;
    for (std::string_view field : {p.type_text, p.user, p.pin_text, p.secret_text}) {
        line.append(field);
        line.push_back('\t');
    }
    line += std::to_string(counter);
    line.push_back('\t');
    line.append(code);
    line.push_back('\t');
    line += when;
    line.push_back('\n');
    return line;
}

// mod_authn_otp: "%-7s %-13s %-7s %s %-3ld %-2u %-7s %s %s\n", failures reset to 0.
std::string authn_otp_line(const ParsedLine& p, std::uint64_t next_counter, std::string_view code,
                           const std::string& when, std::string_view address) {
    std::string line;
    append_padded(&line, p.type_text, 7);
    line.push_back(' ');
    append_padded(&line, p.user, 13);
    line.push_back(' ');
    append_padded(&line, p.pin_text, 7);
    line.push_back(' ');
    line.append(p.secret_text);
    line.push_back(' ');
    append_padded(&line, std::to_string(next_counter), 3);
    line.push_back(' ');
    append_padded(&line, "0", 2);
    line.push_back(' ');
    append_padded(&line, code, 7);
    line.push_back(' ');
    line += when;
    line.push_back(' ');
    line.append(address.empty() ? std::string_view("-") : address);
    line.push_back('\n');
    return line;
}

bool same_token(const ParsedLine& p, const TokenRecord& token) {
    if (p.user != token.user || p.type.kind != token.type.kind ||
        p.type.digits != token.type.digits || p.type.step_seconds != token.type.step_seconds ||
        p.type.algorithm != token.type.algorithm)
        return false;
    std::string secret;
    decode_secret_into(p.secret_text, &secret);
    return secret == token.secret;
}

bool find_line(std::string_view text, unsigned line_number, LineSpan* span) {
    LineCursor cursor(text);
    for (unsigned n = 1; cursor.next(span); ++n)
        if (n == line_number) return true;
    return false;
}

// Removes `<file>.new` on every path that does not end in the rename.
class NewFileGuard {
public:
    NewFileGuard(int dir_fd, const std::string& name) : dir_fd_(dir_fd), name_(name) {}
    ~NewFileGuard() {
        if (armed_) ::unlinkat(dir_fd_, name_.c_str(), 0);
    }
    void disarm() { armed_ = false; }

private:
    int dir_fd_;
    const std::string& name_;
    bool armed_ = true;
};

}  // namespace

struct UsersFileTransaction::Impl {
    std::string path, lock_path, new_path;
    PathParts parts;
    std::string lock_name, new_name;
    UsersFileLayout layout = UsersFileLayout::oath;
    UniqueFd dir_fd, lock_fd;
    struct stat lock_stat {};
    struct stat file_stat {};
    FileIdentity identity;
    LargeString text;
#ifndef F_OFD_SETLKW
    std::unique_lock<std::mutex> process_guard{process_write_mutex()};
#endif

    ~Impl() { release_lock(); }

    bool open_directory(std::string* error) {
        dir_fd.reset(::open(parts.dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
        return dir_fd || fail_errno(error, parts.dir + ": cannot open directory", errno);
    }

    // One attempt: open (or create) the lock file, lock it, and check it is still the file at
    // that path. *retry is set when the previous holder removed it meanwhile.
    bool try_lock(bool* retry, std::string* error) {
        *retry = false;
        UniqueFd fd(::openat(dir_fd.get(), lock_name.c_str(),
                             O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK, 0600));
        if (!fd) {
            if (errno == ELOOP)
                return fail(error, lock_path + " is a symbolic link; refusing to use it "
                                               "(remove it after checking who created it)");
            *retry = errno == ENOENT || errno == EINTR;
            if (*retry) return false;
            return fail_errno(error, lock_path + ": cannot open lock file", errno);
        }
        struct stat st;
        if (::fstat(fd.get(), &st) != 0) return fail_errno(error, lock_path + ": cannot stat", errno);
        if (!S_ISREG(st.st_mode))
            return fail(error, lock_path + " is not a regular file; refusing to use it");
        if (!lock_whole_file(fd.get())) return fail_errno(error, lock_path + ": cannot lock", errno);
        struct stat at_path;
        if (::fstatat(dir_fd.get(), lock_name.c_str(), &at_path, AT_SYMLINK_NOFOLLOW) != 0 ||
            !same_inode(st, at_path)) {
            *retry = true;  // the previous holder removed it (pam_oath does); start over
            return false;
        }
        if (at_path.st_nlink != 1)
            return fail(error, lock_path + " has more than one hard link; refusing to use it");
        lock_stat = at_path;
        lock_fd = std::move(fd);
        return true;
    }

    bool acquire_lock(std::string* error) {
        for (int attempt = 0; attempt < kMaxLockAttempts; ++attempt) {
            bool retry = false;
            if (try_lock(&retry, error)) return true;
            if (!retry) return false;
        }
        return fail(error, lock_path + ": the lock file kept disappearing; giving up");
    }

    void release_lock() {
        if (!lock_fd) return;
        // pam_oath (CVE-fixed) cannot work while the lock file exists; mod_authn_otp keeps it.
        if (layout == UsersFileLayout::oath) {
            struct stat at_path;
            if (::fstatat(dir_fd.get(), lock_name.c_str(), &at_path, AT_SYMLINK_NOFOLLOW) == 0 &&
                same_inode(at_path, lock_stat))
                ::unlinkat(dir_fd.get(), lock_name.c_str(), 0);
        }
        lock_fd.reset();  // closing drops the lock; waiters then see the file gone and retry
    }

    bool read_users_file(std::string* error) {
        UniqueFd fd(::openat(dir_fd.get(), parts.base.c_str(),
                             O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK));
        if (!fd) {
            if (errno == ELOOP)
                return fail(error, path + " is a symbolic link; refusing to rewrite it "
                                          "(point OTPUsersFile at the real file)");
            return fail_errno(error, path + ": cannot open", errno);
        }
        if (::fstat(fd.get(), &file_stat) != 0) return fail_errno(error, path + ": cannot stat", errno);
        if (!S_ISREG(file_stat.st_mode))
            return fail(error, path + " is not a regular file; refusing to rewrite it");
        identity = identity_of(file_stat);
        return read_whole_file(fd.get(), static_cast<std::size_t>(file_stat.st_size), path, &text,
                               error);
    }

    // An editor that ignores the lock may have replaced the file since we read it.
    bool unchanged_on_disk(std::string* error) const {
        struct stat st;
        if (::fstatat(dir_fd.get(), parts.base.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0)
            return fail_errno(error, path + ": cannot stat", errno);
        if (identity_of(st) != identity)
            return fail(error, path + " was changed by a program that ignores " + lock_path +
                                   "; not updating it");
        return true;
    }

    // O_EXCL|O_NOFOLLOW: never write through something planted at `<file>.new`.
    bool create_new_file(UniqueFd* out, std::string* error) {
        for (int attempt = 0; attempt < 2; ++attempt) {
            const int fd = ::openat(dir_fd.get(), new_name.c_str(),
                                    O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
            if (fd >= 0) {
                out->reset(fd);
                return true;
            }
            if (errno != EEXIST || attempt > 0)
                return fail_errno(error, new_path + ": cannot create", errno);
            struct stat st;
            if (::fstatat(dir_fd.get(), new_name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
            if (S_ISLNK(st.st_mode))
                return fail(error, new_path + " is a symbolic link; refusing to write the users "
                                              "file (remove it after checking who created it)");
            if (!S_ISREG(st.st_mode) || st.st_nlink != 1)
                return fail(error, new_path + " exists and is not a plain file; refusing to "
                                              "write the users file");
            // A plain leftover of an interrupted write-back: nobody writes it while we hold
            // the lock, and unlinking never follows links.
            if (::unlinkat(dir_fd.get(), new_name.c_str(), 0) != 0)
                return fail_errno(error, new_path + ": cannot remove stale file", errno);
        }
        return fail(error, new_path + ": cannot create");
    }

    bool copy_owner_and_mode(int fd, std::string* error) const {
        struct stat st;
        if (::fstat(fd, &st) != 0) return fail_errno(error, new_path + ": cannot stat", errno);
        if ((st.st_uid != file_stat.st_uid || st.st_gid != file_stat.st_gid) &&
            ::fchown(fd, file_stat.st_uid, file_stat.st_gid) != 0)
            return fail_errno(error, new_path + ": cannot give it the owner and group of " + path +
                                         " (uid " + std::to_string(file_stat.st_uid) + ", gid " +
                                         std::to_string(file_stat.st_gid) + "); not updating",
                              errno);
        if (::fchmod(fd, file_stat.st_mode & 0777) != 0)
            return fail_errno(error, new_path + ": cannot set its mode", errno);
        return true;
    }

    bool replace_file(const LargeString& content, std::string* error) {
        UniqueFd fd;
        if (!create_new_file(&fd, error)) return false;
        NewFileGuard guard(dir_fd.get(), new_name);
        if (!write_all(fd.get(), content)) return fail_errno(error, new_path + ": cannot write", errno);
        if (!copy_owner_and_mode(fd.get(), error)) return false;
        if (::fsync(fd.get()) != 0) return fail_errno(error, new_path + ": cannot fsync", errno);
        struct stat st;
        if (::fstat(fd.get(), &st) != 0) return fail_errno(error, new_path + ": cannot stat", errno);
        if (fd.close_checked() != 0) return fail_errno(error, new_path + ": cannot close", errno);
        if (::renameat(dir_fd.get(), new_name.c_str(), dir_fd.get(), parts.base.c_str()) != 0)
            return fail_errno(error, new_path + ": cannot rename to " + path, errno);
        guard.disarm();
        // From here the new content is in place. The rename is only durable once the directory
        // is, so a failure below is still reported: the caller then refuses the login (fails
        // closed) although the counter may already be recorded, which only burns a code.
        if (::fsync(dir_fd.get()) != 0)
            return fail_errno(error, parts.dir + ": cannot fsync directory after updating " + path,
                              errno);
        // Identity as seen now: rename itself updates the inode's ctime on most filesystems.
        struct stat renamed;
        if (::fstatat(dir_fd.get(), parts.base.c_str(), &renamed, AT_SYMLINK_NOFOLLOW) != 0 ||
            !same_inode(renamed, st))
            return fail(error, path + " was replaced right after our update by a program that "
                                      "ignores " + lock_path);
        file_stat = renamed;
        identity = identity_of(renamed);
        return true;
    }

    bool open(const std::string& users_path, UsersFileLayout file_layout, std::string* error) {
        path = users_path;
        layout = file_layout;
        if (!split_path(path, &parts, error)) return false;
        lock_name = parts.base + ".lock";
        new_name = parts.base + ".new";
        lock_path = path + ".lock";
        new_path = path + ".new";
        return open_directory(error) && acquire_lock(error) && read_users_file(error);
    }

    std::vector<TokenRecord> scan_tokens(std::string_view user) const {
        std::vector<TokenRecord> tokens;
        LineCursor cursor(text);
        LineSpan span;
        TypeCache cache;
        ParsedLine parsed;
        std::string reason;
        for (unsigned n = 1; cursor.next(&span); ++n) {
            const std::string_view line = cursor.content(span);
            const Fields f = split_fields(line);
            if (is_comment_or_blank(f) || f.count < 2 || f.at[1] != user) continue;
            // A malformed line cannot be used; loading the index reports it with its reason.
            if (parse_line(line, layout, &cache, &parsed, &reason) == LineKind::token)
                tokens.push_back(make_token(parsed, n));
        }
        return tokens;
    }

    // The line `token` came from, re-read under the lock; false if it holds something else.
    bool reread_line(const TokenRecord& token, LineSpan* span, ParsedLine* parsed) const {
        TypeCache cache;
        std::string reason;
        return find_line(text, token.line_number, span) &&
               parse_line(std::string_view(text).substr(span->begin,
                                                        span->content_end - span->begin),
                          layout, &cache, parsed, &reason) == LineKind::token &&
               same_token(*parsed, token);
    }

    bool rewrite_line(const TokenRecord& token, std::uint64_t accepted_counter,
                      std::string_view code, std::int64_t now, std::string* error,
                      std::string_view client_address) {
        const std::string where = located(path, token.line_number, "");
        if (token.type.kind != TokenKind::counter)
            return fail(error, where + "time-based tokens are not written back (their replay "
                                       "state lives in the state store)");
        if (!valid_code(code)) return fail(error, where + "the code to record is not 1 to 16 digits");
        if (!valid_address(client_address))
            return fail(error, where + "the client address contains spaces or control characters");
        if (accepted_counter >= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
            return fail(error, where + "counter out of range");

        LineSpan span;
        ParsedLine parsed;
        if (!reread_line(token, &span, &parsed))
            return fail(error, where + "the line no longer holds this token of user \"" +
                                   token.user + "\" (the file changed); not updating");
        // Never move a counter back: that would make used codes valid again.
        const std::uint64_t next = make_token(parsed, token.line_number).next_counter(layout);
        if (accepted_counter < next)
            return fail(error, where + "counter " + std::to_string(accepted_counter) +
                                   " is already used (next is " + std::to_string(next) +
                                   "); not moving the counter back");
        if (!unchanged_on_disk(error)) return false;

        std::string when;
        if (!format_local_time(now, &when)) return fail(error, where + "cannot format the time");
        const std::string line =
            layout == UsersFileLayout::oath
                ? oath_line(parsed, accepted_counter, code, when)
                : authn_otp_line(parsed, accepted_counter + 1, code, when, client_address);
        LargeString content;
        content.reserve(text.size() + line.size());
        content.append(text, 0, span.begin);
        content.append(line);
        content.append(text, span.next, LargeString::npos);
        if (!replace_file(content, error)) return false;
        text = std::move(content);
        return true;
    }
};

UsersFileTransaction::UsersFileTransaction() : impl_(new Impl) {}
UsersFileTransaction::~UsersFileTransaction() = default;

std::unique_ptr<UsersFileTransaction> UsersFileTransaction::begin(const std::string& path,
                                                                  UsersFileLayout layout,
                                                                  std::string* error) {
    try {
        std::unique_ptr<UsersFileTransaction> tx(new UsersFileTransaction());
        if (!tx->impl_->open(path, layout, error)) return nullptr;
        return tx;
    } catch (const std::bad_alloc&) {
        fail(error, path + ": out of memory while reading");
        return nullptr;
    }
}

std::vector<TokenRecord> UsersFileTransaction::tokens_for(std::string_view user) const {
    try {
        return impl_->scan_tokens(user);
    } catch (const std::bad_alloc&) {
        return std::vector<TokenRecord>();  // no tokens: nothing is accepted or written
    }
}

bool UsersFileTransaction::record_counter(const TokenRecord& token, std::uint64_t accepted_counter,
                                          std::string_view code, std::int64_t now,
                                          std::string* error, std::string_view client_address) {
    try {
        return impl_->rewrite_line(token, accepted_counter, code, now, error, client_address);
    } catch (const std::bad_alloc&) {
        return fail(error, impl_->path + ": out of memory while updating");
    }
}

}  // namespace otp
