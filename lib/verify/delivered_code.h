// Delivered codes (SPEC §1 "delivered", OTPDeliveredCode/Lifetime/Uses): one-time codes the
// server generates from a CSPRNG and hands to a pre-pipe that sends them by SMS or e-mail.
// The state store keeps only a keyed hash of each code, bound to its user and to the users
// file (the scope) it was issued under, with its expiry and the uses taken. A user has one
// live code: a new one replaces the previous, whichever login attempt (or API call) asked for
// it, so a code with OTPDeliveredUses > 1 serves that many logins. Uses are taken atomically
// (compare-and-set), so parallel requests with the right code never get more logins than
// OTPDeliveredUses.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "crypto/digest.h"
#include "store/state_store.h"

namespace otp {

enum class CodeCharset { numeric, alphanumeric };

struct DeliveredCodePolicy {
    unsigned length = 6;                        // OTPDeliveredCode length (4..16)
    CodeCharset charset = CodeCharset::numeric;  // ... charset
    std::int64_t lifetime = 300;                // OTPDeliveredLifetime, seconds
    unsigned uses = 1;                          // OTPDeliveredUses
};

constexpr unsigned kMinDeliveredLength = 4;
constexpr unsigned kMaxDeliveredLength = 16;

// The characters codes are made of: digits, or upper-case letters and digits without the ones
// people confuse (0/O, 1/I/L): 23456789ABCDEFGHJKMNPQRSTUVWXYZ.
std::string_view code_alphabet(CodeCharset charset);

// A new code of `policy.length` characters drawn uniformly from the alphabet (rejection
// sampling over CSPRNG bytes); nullopt when the generator fails.
std::optional<std::string> generate_code(const DeliveredCodePolicy& policy);

// What a person typed, as it is compared: alphanumeric codes are case-insensitive.
std::string normalize_typed_code(std::string_view typed, CodeCharset charset);

enum class CodeCheck {
    accepted,  // the code matched and one of its uses was taken
    invalid,   // no code of this scope and user matches (never issued, replaced, wrong)
    expired,   // the code matched, but its lifetime or its uses are over
    store_error,
};

class DeliveredCodes {
public:
    DeliveredCodes(StateStore& store, const HmacSha256Key& key) : store_(store), key_(key) {}

    // Stores `code` for `user` in `scope`, replacing the user's previous code. The record
    // outlives the code (record_ttl >= lifetime), so a late code is told "expired".
    StoreStatus issue(std::string_view scope, std::string_view user, std::string_view code,
                      const DeliveredCodePolicy& policy, std::int64_t now,
                      std::int64_t record_ttl);
    // Compares `typed` (in `checking`'s charset) with the user's code and, when it matches and
    // is still good by the stricter of the issuing and the `checking` policy's lifetime and
    // uses, takes one use. take_use false: compare only (for a user the module does not know).
    CodeCheck check(std::string_view scope, std::string_view user, std::string_view typed,
                    const DeliveredCodePolicy& checking, std::int64_t now, bool take_use = true);

    // The store key of a user's code, for tests.
    static std::string record_name(std::string_view scope, std::string_view user);

private:
    std::string code_hash(std::string_view scope, std::string_view user,
                          std::string_view normalized) const;

    StateStore& store_;
    const HmacSha256Key& key_;
};

}  // namespace otp
