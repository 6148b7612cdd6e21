#include "verify/delivered_code.h"

#include <algorithm>
#include <array>
#include <cctype>

#include "crypto/constant_time.h"
#include "util/codec.h"
#include "util/numbers.h"

namespace otp {
namespace {

constexpr std::string_view kDigits = "0123456789";
constexpr std::size_t kHashBytes = 16;
constexpr std::string_view kAlphanumeric = "23456789ABCDEFGHJKMNPQRSTUVWXYZ";

// The stored record: "<hash> <uses taken> <uses allowed> <issued> <code expires>
// <record expires>".
struct CodeRecord {
    std::string hash;  // hex
    std::int64_t taken = 0;
    std::int64_t issued = 0;
    std::int64_t allowed = 1;
    std::int64_t code_expires = 0;
    std::int64_t record_expires = 0;

    std::string serialize() const {
        return hash + ' ' + std::to_string(taken) + ' ' + std::to_string(allowed) + ' ' +
               std::to_string(issued) + ' ' + std::to_string(code_expires) + ' ' +
               std::to_string(record_expires);
    }
    static std::optional<CodeRecord> parse(std::string_view text) {
        std::array<std::string_view, 6> parts;
        for (std::size_t i = 0; i < parts.size(); ++i) {
            const std::size_t space = text.find(' ');
            if ((space == std::string_view::npos) != (i == parts.size() - 1)) return std::nullopt;
            parts[i] = text.substr(0, space);
            text.remove_prefix(space == std::string_view::npos ? text.size() : space + 1);
        }
        CodeRecord record;
        record.hash = std::string(parts[0]);
        auto taken = parse_decimal<std::int64_t>(parts[1]);
        auto allowed = parse_decimal<std::int64_t>(parts[2]);
        auto issued = parse_decimal<std::int64_t>(parts[3]);
        auto code_expires = parse_decimal<std::int64_t>(parts[4]);
        auto record_expires = parse_decimal<std::int64_t>(parts[5]);
        if (record.hash.size() != 2 * kHashBytes || !taken || !allowed || !issued || !code_expires ||
            !record_expires)
            return std::nullopt;
        record.taken = *taken;
        record.allowed = *allowed;
        record.issued = *issued;
        record.code_expires = *code_expires;
        record.record_expires = *record_expires;
        return record;
    }
};

// Compare-and-set races lost to a parallel use of the same code before giving up.
constexpr int kMaxUseRetries = 16;

}  // namespace

std::string_view code_alphabet(CodeCharset charset) {
    return charset == CodeCharset::numeric ? kDigits : kAlphanumeric;
}

std::optional<std::string> generate_code(const DeliveredCodePolicy& policy) {
    const std::string_view alphabet = code_alphabet(policy.charset);
    // Bytes at or above the largest multiple of the alphabet's size are dropped, so every
    // character is equally likely.
    const unsigned limit = 256 - 256 % alphabet.size();
    std::string code;
    code.reserve(policy.length);
    while (code.size() < policy.length) {
        auto bytes = random_bytes(2 * policy.length);
        if (!bytes) return std::nullopt;
        for (unsigned char byte : *bytes) {
            if (byte >= limit) continue;
            code += alphabet[byte % alphabet.size()];
            if (code.size() == policy.length) break;
        }
    }
    return code;
}

std::string normalize_typed_code(std::string_view typed, CodeCharset charset) {
    std::string out(typed);
    if (charset == CodeCharset::alphanumeric)
        for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return out;
}

std::string DeliveredCodes::record_name(std::string_view scope, std::string_view user) {
    return record_key(
        hex_encode(sha256(length_prefixed({"delivered", scope, user})).substr(0, 16)), "code");
}

// 128 bits of the MAC: as strong against guessing as any code, and the record stays within
// the shared table's 96-byte values.
std::string DeliveredCodes::code_hash(std::string_view scope, std::string_view user,
                                      std::string_view normalized) const {
    const std::string mac =
        key_.mac(length_prefixed({"mod_otp delivered v1", scope, user, normalized}));
    return mac.size() < kHashBytes ? std::string() : hex_encode(mac.substr(0, kHashBytes));
}

StoreStatus DeliveredCodes::issue(std::string_view scope, std::string_view user,
                                  std::string_view code, const DeliveredCodePolicy& policy,
                                  std::int64_t now, std::int64_t record_ttl) {
    CodeRecord record;
    record.hash = code_hash(scope, user, code);
    if (record.hash.size() != 2 * kHashBytes) return StoreStatus::error;
    if (record_ttl < policy.lifetime) record_ttl = policy.lifetime;
    record.allowed = policy.uses;
    record.issued = now;
    record.code_expires = now + policy.lifetime;
    record.record_expires = now + record_ttl;
    return store_.put(record_name(scope, user), record.serialize(), record_ttl);
}

CodeCheck DeliveredCodes::check(std::string_view scope, std::string_view user,
                                std::string_view typed, const DeliveredCodePolicy& checking,
                                std::int64_t now, bool take_use) {
    const std::string key = record_name(scope, user);
    const std::string typed_hash =
        code_hash(scope, user, normalize_typed_code(typed, checking.charset));
    for (int round = 0; round < kMaxUseRetries; ++round) {
        std::string stored;
        const StoreStatus status = store_.get(key, &stored);
        if (status == StoreStatus::not_found) return CodeCheck::invalid;
        if (status != StoreStatus::ok) return CodeCheck::store_error;
        auto record = CodeRecord::parse(stored);
        if (!record) return CodeCheck::store_error;
        if (!constant_time_equal(record->hash, typed_hash)) return CodeCheck::invalid;
        // The stricter of the issuing and the checking location's lifetime and uses: a code
        // issued where they are generous is no better where they are strict.
        const std::int64_t expires =
            std::min(record->code_expires, record->issued + checking.lifetime);
        const std::int64_t allowed =
            std::min(record->allowed, static_cast<std::int64_t>(checking.uses));
        if (now >= expires || record->taken >= allowed) return CodeCheck::expired;
        if (!take_use) return CodeCheck::accepted;
        CodeRecord used = *record;
        ++used.taken;
        const std::int64_t ttl = record->record_expires - now;
        switch (store_.compare_and_set(key, stored, used.serialize(), ttl > 0 ? ttl : 1)) {
            case StoreStatus::ok:
                return CodeCheck::accepted;
            case StoreStatus::exists:
                continue;  // a parallel request took a use (or a new code came): look again
            case StoreStatus::not_found:
                return CodeCheck::invalid;
            default:
                return CodeCheck::store_error;
        }
    }
    return CodeCheck::store_error;
}

}  // namespace otp
