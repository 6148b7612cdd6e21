#include "verify/code_validator.h"

#include "crypto/constant_time.h"
#include "crypto/digest.h"
#include "otp/hotp.h"
#include "util/codec.h"

namespace otp {
namespace {

// The code part of `password` for `token`, and whether the PIN part fits. A password too
// short for a code yields a code of the right length that no token produces (so the caller
// still spends the comparisons), with pin_ok false.
struct SplitPassword {
    std::string code;
    bool pin_ok = false;
};

SplitPassword split_code(const TokenRecord& token, unsigned digits, std::string_view password,
                         PinUse pin_use) {
    if (pin_use == PinUse::not_used) return {std::string(password), password.size() == digits};
    if (password.size() < digits) return {std::string(digits, 'x'), false};
    const std::string_view pin = password.substr(0, password.size() - digits);
    SplitPassword split{std::string(password.substr(password.size() - digits)), false};
    switch (token.pin_mode) {
        case PinMode::none:
        case PinMode::external:  // another provider checked the PIN: the password is the code
            split.pin_ok = pin.empty();
            break;
        case PinMode::pin:
            split.pin_ok = constant_time_equal(pin, token.pin);
            break;
    }
    return split;
}

unsigned digits_of(const TokenRecord& token, const OtpPolicy& policy) {
    return token.type.digits ? token.type.digits : policy.default_digits;
}

unsigned step_of(const TokenRecord& token, const OtpPolicy& policy) {
    return token.type.step_seconds ? token.type.step_seconds : policy.default_step;
}

ValidationResult result(ValidationOutcome outcome, const char* pipe, std::string detail) {
    return ValidationResult{outcome, pipe, std::move(detail), std::nullopt};
}

ValidationResult check_totp(const TokenRecord& token, const UsersSource& users, StateStore& store,
                            const OtpPolicy& policy, std::string_view code, bool pin_ok,
                            std::int64_t now) {
    const unsigned step = step_of(token, policy);
    // The mod_authn_otp layout keeps a per-token clock drift, counted in time steps.
    if (users.index.layout() == UsersFileLayout::mod_authn_otp && token.has_counter)
        now += token.counter * static_cast<std::int64_t>(step);
    auto matched = find_totp_step(token.type.algorithm, token.secret, digits_of(token, policy),
                                  step, now, policy.totp_window, code);
    if (!matched || !pin_ok) return result(ValidationOutcome::invalid_otp, "totp", "wrong code");
    // Keep the replay record for as long as any step it covers can still be presented, in
    // any location that shares this users file.
    const std::int64_t ttl = static_cast<std::int64_t>(2 * kMaxTotpWindow + 2) * step;
    auto advanced = store.advance(totp_replay_key(token), *matched, ttl);
    if (!advanced) return result(ValidationOutcome::store_error, "totp", "state store unavailable");
    if (!*advanced)
        return result(ValidationOutcome::replay, "totp", "code of an already used time step");
    return result(ValidationOutcome::accepted, "totp", "");
}

// How long the store remembers a token's HOTP counter. Long, as the users file keeps it for
// ever; a token unused for this long (or re-enrolled: a new secret is a new record) starts
// again from its users file counter.
constexpr std::int64_t kHotpCounterSeconds = 400LL * 24 * 3600;

ValidationResult check_hotp(const TokenRecord& hint, const UsersSource& users, StateStore& store,
                            const OtpPolicy& policy, std::string_view code, bool pin_ok,
                            std::int64_t now, std::string_view client_address) {
    const UsersFileLayout layout = users.index.layout();
    const unsigned digits = digits_of(hint, policy);
    // A cheap check against the in-memory index first, so wrong codes never touch the file
    // or the store (whose round trip would tell a known user from an unknown one). Computed
    // before the PIN is looked at, so a wrong PIN costs the same time.
    const bool matched = find_hotp_counter(hint.type.algorithm, hint.secret, digits,
                                           hint.next_counter(layout), policy.hotp_look_ahead, code)
                             .has_value();
    if (!pin_ok) return result(ValidationOutcome::invalid_otp, "hotp", "wrong code");
    if (!hint.last_otp.empty() && constant_time_equal(code, hint.last_otp))
        return result(ValidationOutcome::replay, "hotp", "code already used");
    if (!matched) return result(ValidationOutcome::invalid_otp, "hotp", "wrong code");

    // Decide again under the users file lock with the counter as the file says now, so
    // concurrent requests (and pam_oath) can never both use one code.
    std::string error;
    auto transaction = UsersFileTransaction::begin(users.path, layout, &error);
    if (!transaction) return result(ValidationOutcome::store_error, "hotp", "users file: " + error);
    for (const TokenRecord& token : transaction->tokens_for(hint.user)) {
        if (token.line_number != hint.line_number || token.secret != hint.secret) continue;
        auto counter = find_hotp_counter(token.type.algorithm, token.secret, digits,
                                         token.next_counter(layout), policy.hotp_look_ahead, code);
        if (!counter)
            return result(ValidationOutcome::replay, "hotp",
                          "code already used (the counter has moved past it)");
        // The store decides between hosts that share it, each with its own copy of the users
        // file: one atomic step moves the shared counter past this code, and a host whose
        // copy is older (or a second request) finds it moved.
        if (policy.hotp_counter_in_store) {
            const auto advanced =
                store.advance(hotp_counter_key(token), *counter + 1, kHotpCounterSeconds);
            if (!advanced)
                return result(ValidationOutcome::store_error, "hotp", "state store unavailable");
            if (!*advanced)
                return result(ValidationOutcome::replay, "hotp",
                              "code already used (the shared store's counter has moved past it)");
        }
        if (!transaction->record_counter(token, *counter, code, now, &error, client_address))
            return result(ValidationOutcome::store_error, "hotp",
                          "users file write-back failed: " + error);
        return result(ValidationOutcome::accepted, "hotp", "");
    }
    return result(ValidationOutcome::store_error, "hotp",
                  "token changed in the users file while validating");
}

// Keeps unknown users (and users without a token of the kind this pipe checks) from
// answering measurably faster than known ones: the same search a default token of the pipe's
// kind makes (one key setup, then the window's HMACs), against a key nobody has and a code
// that cannot match.
void spend_like_a_validation(const OtpPolicy& policy, std::optional<TokenKind> only_kind,
                             std::int64_t now) {
    static const std::string kDummyKey(20, '\x5a');
    const std::string impossible(policy.default_digits, 'x');
    if (only_kind == TokenKind::counter)
        (void)find_hotp_counter(HashAlgorithm::sha1, kDummyKey, policy.default_digits, 0,
                                policy.hotp_look_ahead, impossible);
    else
        (void)find_totp_step(HashAlgorithm::sha1, kDummyKey, policy.default_digits,
                             policy.default_step, now, policy.totp_window, impossible);
}

}  // namespace

const char* outcome_reason(ValidationOutcome outcome) {
    switch (outcome) {
        case ValidationOutcome::accepted:
            return "accepted";
        case ValidationOutcome::invalid_otp:
            return "invalid_otp";
        case ValidationOutcome::replay:
            return "replay";
        case ValidationOutcome::unknown_user:
            return "unknown_user";
        case ValidationOutcome::store_error:
            return "store_error";
        case ValidationOutcome::expired:
            return "expired";
        case ValidationOutcome::pipe_error:
            return "pipe_error";
        case ValidationOutcome::pipe_busy:
            return "pipe_busy";
    }
    return "invalid_otp";
}

namespace {

// The token's id in the store: a hash of its user and secret, so an external store (memcache,
// Redis) never sees either, and a re-enrolled token (a new secret) starts with no records.
std::string token_store_id(const TokenRecord& token) {
    return hex_encode(sha256(length_prefixed({token.user, token.secret})).substr(0, 16));
}

}  // namespace

std::string totp_replay_key(const TokenRecord& token) {
    return record_key(token_store_id(token), "totp");
}

std::string hotp_counter_key(const TokenRecord& token) {
    return record_key(token_store_id(token), "hotp");
}

ValidationResult validate_code(const UsersSource& users, StateStore& store, const OtpPolicy& policy,
                               std::optional<TokenKind> only_kind, std::string_view user,
                               std::string_view password, PinUse pin_use, std::int64_t now,
                               std::string_view client_address) {
    const std::vector<TokenRecord> tokens = users.index.tokens_for(user);
    if (tokens.empty()) {
        spend_like_a_validation(policy, only_kind, now);
        return result(ValidationOutcome::unknown_user, "", "no such user in the users file");
    }
    // Several tokens: each is tried; the most telling refusal is reported.
    ValidationResult refused = result(ValidationOutcome::invalid_otp, "", "wrong PIN or code");
    bool tried = false;
    for (const TokenRecord& token : tokens) {
        if (only_kind && token.type.kind != *only_kind) continue;
        tried = true;
        const SplitPassword split = split_code(token, digits_of(token, policy), password, pin_use);
        ValidationResult outcome =
            token.type.kind == TokenKind::time
                ? check_totp(token, users, store, policy, split.code, split.pin_ok, now)
                : check_hotp(token, users, store, policy, split.code, split.pin_ok, now,
                             client_address);
        if (outcome.outcome == ValidationOutcome::accepted) return outcome;
        if (outcome.outcome != ValidationOutcome::invalid_otp ||
            refused.outcome == ValidationOutcome::invalid_otp)
            refused = std::move(outcome);
    }
    if (!tried) spend_like_a_validation(policy, only_kind, now);
    return refused;
}

}  // namespace otp
