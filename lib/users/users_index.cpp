// The users index: every token of the file in one compact record, found through an
// open-addressing table keyed by user name, so that a lookup costs the same for ten users as
// for a million, the table and records load in one pass, and the whole takes < 200 bytes per
// user (SPEC §4). Lines are parsed by line_parser.cpp; the arrays live in huge pages
// (huge_page_allocator.h).
#include <fcntl.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <new>
#include <unordered_map>

#include "users/file_identity.h"
#include "users/huge_page_allocator.h"
#include "users/line_parser.h"
#include "users/users_file.h"
#include "util/codec.h"
#include "util/error.h"
#include "util/file_io.h"
#include "util/unique_fd.h"

namespace otp {

using namespace users_detail;

namespace {

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
            return set_error(reason,
                             "users file too large for the index (4 GiB of names and keys)");
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
        hex_decode_append(p.secret_text, &arena);
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
            const LineKind kind =
                parse_line(cursor.content(span), layout, &cache, &parsed, &reason);
            if (kind == LineKind::skip) continue;
            if (kind == LineKind::error || !append_record(parsed, line_number, &reason))
                return set_error(error, located(name, line_number, reason));
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
        set_error(error, name + ": out of memory while indexing");
        return nullptr;
    }
}

std::unique_ptr<UsersIndex> UsersIndex::load(const std::string& path, UsersFileLayout layout,
                                             std::string* error) {
    // O_NONBLOCK: a FIFO planted at the path must not hang the server; it is refused.
    struct stat st;
    const UniqueFd fd = open_regular_file(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK, &st, error);
    if (!fd) return nullptr;
    LargeString text;
    try {
        if (!read_to_end(fd.get(), static_cast<std::size_t>(st.st_size), path, &text, error))
            return nullptr;
    } catch (const std::bad_alloc&) {
        set_error(error, path + ": out of memory while reading");
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

bool UsersIndex::has_user(std::string_view user) const {
    if (user.empty() || user.size() > kMaxShortField) return false;
    return impl_->slots[impl_->probe(user, hash_name(user))].entry != 0;
}

std::size_t UsersIndex::user_count() const { return impl_->users; }
std::size_t UsersIndex::token_count() const { return impl_->records.size(); }
UsersFileLayout UsersIndex::layout() const { return impl_->layout; }
const FileIdentity& UsersIndex::identity() const { return impl_->identity; }

std::size_t UsersIndex::memory_bytes() const {
    return sizeof(UsersIndex) + sizeof(Impl) + impl_->arena.capacity() + 1 +
           impl_->records.capacity() * sizeof(Record) + impl_->slots.capacity() * sizeof(Slot);
}

}  // namespace otp
