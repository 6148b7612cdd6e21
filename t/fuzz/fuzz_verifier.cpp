// The one verifier every way in passes through (lib/verify/verifier.h, SPEC §7): a sequence of
// guesses (Basic and page guesses mixed, any user, PIN + code or code alone, any pipe, any
// OTPWindow and OTPHOTPLookAhead per guess as in locations sharing one users file and one
// store) against one Verifier, one MemoryStateStore and the users of fixtures.h (kOathUsers,
// parsed with UsersIndex::parse), with up to three login attempts at a time (a new one after
// each success in it). The clock only moves forward, by what the input says.
//
// Input (no FuzzedDataProvider, so seeds can be written by hand, see corpus/fuzz_verifier/):
//   7 header bytes, the LimitPolicy:
//     h0 allowed_retry 1 + h0 % 4
//     h1 OTPLockout off when >= 0xf0, else failures 1 + h1 % 6
//     h2 lockout window 1 + 5 * h2 s    h3 ban 1 + 5 * h3 s
//     h4 OTPAddressLockout off when >= 0xf0, else failures 1 + h4 % 6
//     h5 address window 1 + 60 * (h5 & 15) s, ban 1 + 60 * (h5 >> 4) s
//     h6 attempt lifetime 1 + 8 * h6 s
//   then up to 64 guesses of 6 bytes each:
//     o0 bits 0-2 user (alice bob carol dave erin mallory "" Alice), bit 3 code alone
//        (PinUse::not_used, the page) else PIN + code (Basic), bits 4-5 pipe (1 totp, 2 hotp,
//        else each token by its type), bits 6-7 attempt slot (0: none, as Basic)
//     o1 bits 0-2 password: 0-1 a valid code of one of the user's tokens (alice's for a user
//        without tokens) at step/counter offset o2, 2 the last password accepted for this
//        user again (a Basic client's resend), 3 carol's LASTOTP, 4 digits made from o2..o5,
//        5 the PIN alone, 6 empty, 7 the bytes o2..o5; bits 3-4 which token; bit 5 a wrong
//        PIN; bits 6-7 client address (0: none, as the page; 1, 3: 192.0.2.1; 2: 2001:db8::7)
//     o2 signed step offset (TOTP, -11..11) or counter offset (HOTP, 0..12)
//     o3 bits 0-1 OTPWindow 0, 1, 3, 10; bits 2-3 OTPHOTPLookAhead 0, 1, 10
//     o4 bits 0-1 time advance before the guess: 0, o5 s, 30 * (o5 % 32) s, 8 * o5 s
//        (in all at most 80,000 s)
//
// Properties, every guess, against a model written from login_limits.h, verifier.h and the
// README (admission order: user lock, address lock and count, attempt count, user count; a
// failure at the limit locks; a replay gives its guess back; a success clears the user's
// count, gives the address its guess back and ends the attempt; fixed windows counted from
// the first guess; TOTP replay records cover OTPWindow's largest value, kMaxTotpWindow):
//  - the verdict, `compared`, attempts_left, attempt_aborted, user_locked, address_locked_now,
//    ban_seconds, retry_after and user_unlocked are exactly the model's;
//  - the pipe's outcome equals a reference built on hotp_code/totp_code: accepted only for a
//    valid PIN + code (or code) of one of the user's tokens, lowest matching step, a TOTP step
//    never accepted twice (nor an older one), HOTP LASTOTP is replay, a valid HOTP code is
//    store_error (the users file path names nothing: fail closed), never store_error
//    otherwise, unknown_user exactly for names without tokens;
//  - and, stated on their own: never accepted for a password that is not a valid code now;
//    a user the verifier reported locked is never accepted until the ban it reported ends;
//    a guess that was not compared names no pipe; the error-log detail never holds the
//    password, a PIN or a secret.
#include <cstdint>
#include <cstdlib>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "fixtures.h"
#include "fuzz_support.h"
#include "otp/hotp.h"
#include "store/state_store.h"
#include "users/users_file.h"
#include "util/codec.h"
#include "verify/verifier.h"

using namespace otp;

namespace {

// No file there: an accepted HOTP code would need the locked write-back, which must fail
// closed (store_error), never accept.
const std::string kUsersPath = "/nonexistent/otp-fuzz-verifier/users.oath";

const UsersIndex& users() {
    static const std::unique_ptr<UsersIndex> index = [] {
        std::string error;
        auto parsed =
            UsersIndex::parse(fuzz::kOathUsers, "users.oath", UsersFileLayout::oath, &error);
        FUZZ_CHECK(parsed, "fixture users do not parse: %s", error.c_str());
        return parsed;
    }();
    return *index;
}

const char* const kNames[] = {"alice", "bob", "carol", "dave", "erin", "mallory", "", "Alice"};
const char* const kAddresses[] = {"", "192.0.2.1", "2001:db8::7", "192.0.2.1"};
constexpr unsigned kWindows[] = {0, 1, 3, 10};
constexpr unsigned kLookAheads[] = {0, 1, 10};
constexpr std::int64_t kMaxAdvance = 80000;  // < the unlock notice's lifetime (ban + 86400 s)

unsigned digits_of(const TokenRecord& t) { return t.type.digits ? t.type.digits : 6; }
unsigned step_of(const TokenRecord& t) { return t.type.step_seconds ? t.type.step_seconds : 30; }

// ---- the model ---------------------------------------------------------------------------

// A store counter: created at its first increment, lives `ttl` from then, whatever follows.
struct Counter {
    bool present = false;
    std::int64_t value = 0, expires = 0;
    bool live(std::int64_t now) const { return present && now < expires; }
    std::int64_t increment(std::int64_t now, std::int64_t ttl) {
        if (!live(now)) {
            present = true;
            value = 0;
            expires = now + ttl;
        }
        return ++value;
    }
    void decrement(std::int64_t now) {
        if (live(now) && value > 0) --value;
    }
    void remove() { present = false; }
};

struct Lock {
    bool present = false;
    std::int64_t until = 0;
    bool live(std::int64_t now) const { return present && now < until; }
};

struct UserModel {
    Lock lock;
    Counter guesses;
    bool unlock_notice = false;  // a lock was set and its end not reported yet
    std::string last_accepted;   // the password, for resends
    bool has_accepted = false;
    // From the verifier's own reports: the end of the last ban it announced.
    std::int64_t reported_ban_end = 0;
};

struct AddressModel {
    Lock lock;
    Counter guesses;
};

struct AttemptSlot {
    std::optional<LoginAttempt> attempt;
    Counter tries;
};

struct Replay {  // the newest accepted time step of a TOTP token
    bool present = false;
    std::uint64_t step = 0;
    std::int64_t expires = 0;
};

// ---- the pipe's reference ----------------------------------------------------------------

struct Reference {
    ValidationOutcome outcome = ValidationOutcome::invalid_otp;
    std::size_t token = 0;    // accepted: which of the user's tokens
    std::uint64_t step = 0;   // accepted TOTP: the time step
    bool valid_code = false;  // some token takes the password now, replays aside
};

struct Split {
    std::string code;
    bool pin_ok = false;
};

Split split(const TokenRecord& t, std::string_view password, PinUse pin_use) {
    const unsigned digits = digits_of(t);
    if (pin_use == PinUse::not_used) return {std::string(password), password.size() == digits};
    if (password.size() < digits) return {"", false};
    const std::string_view pin = password.substr(0, password.size() - digits);
    const bool pin_ok = t.pin_mode == PinMode::pin ? pin == t.pin : pin.empty();
    return {std::string(password.substr(password.size() - digits)), pin_ok};
}

Reference reference(const std::vector<TokenRecord>& tokens, std::optional<TokenKind> only,
                    std::string_view password, PinUse pin_use, const OtpPolicy& policy,
                    std::int64_t now, const std::map<std::string, Replay>& replays) {
    Reference ref;
    if (tokens.empty()) {
        ref.outcome = ValidationOutcome::unknown_user;
        return ref;
    }
    // Each token is tried in file order; the first that accepts decides; otherwise the last
    // refusal that says more than invalid_otp (replay, store_error) is reported.
    ValidationOutcome refused = ValidationOutcome::invalid_otp;
    for (std::size_t i = 0; i < tokens.size(); ++i) {
        const TokenRecord& t = tokens[i];
        if (only && t.type.kind != *only) continue;
        const Split s = split(t, password, pin_use);
        ValidationOutcome outcome = ValidationOutcome::invalid_otp;
        if (s.pin_ok && t.type.kind == TokenKind::time) {
            const std::int64_t step = step_of(t);
            const std::int64_t current = now / step;
            std::optional<std::uint64_t> lowest;
            for (std::int64_t w = -static_cast<std::int64_t>(policy.totp_window);
                 w <= static_cast<std::int64_t>(policy.totp_window) && !lowest; ++w)
                if (totp_code(t.type.algorithm, t.secret, (current + w) * step, step,
                              digits_of(t)) == s.code)
                    lowest = static_cast<std::uint64_t>(current + w);
            if (lowest) {
                ref.valid_code = true;
                auto r = replays.find(t.user + '\0' + t.secret);
                const bool replayed = r != replays.end() && r->second.present &&
                                      now < r->second.expires && r->second.step >= *lowest;
                if (!replayed) {
                    ref.outcome = ValidationOutcome::accepted;
                    ref.token = i;
                    ref.step = *lowest;
                    return ref;
                }
                outcome = ValidationOutcome::replay;
            }
        } else if (s.pin_ok) {
            const std::uint64_t first = t.next_counter(UsersFileLayout::oath);
            bool matched = false;
            for (std::uint64_t c = first; c <= first + policy.hotp_look_ahead; ++c)
                matched |= hotp_code(t.type.algorithm, t.secret, c, digits_of(t)) == s.code;
            if (!t.last_otp.empty() && s.code == t.last_otp)
                outcome = ValidationOutcome::replay;
            else if (matched)
                outcome = ValidationOutcome::store_error;  // the write-back has no file
            ref.valid_code |= matched;
        }
        if (outcome != ValidationOutcome::invalid_otp || refused == ValidationOutcome::invalid_otp)
            refused = outcome;
    }
    ref.outcome = refused;
    return ref;
}

// ---- one guess ----------------------------------------------------------------------------

struct Expected {
    Verdict verdict = Verdict::store_error;
    bool compared = false;
    int attempts_left = -1;
    std::int64_t retry_after = 0;
    bool attempt_aborted = false;
    bool user_locked = false;
    bool address_locked_now = false;
    std::int64_t ban_seconds = 0;
    bool user_unlocked = false;
};

Verdict verdict_of(ValidationOutcome o) {
    switch (o) {
        case ValidationOutcome::accepted:
            return Verdict::accepted;
        case ValidationOutcome::invalid_otp:
            return Verdict::invalid_otp;
        case ValidationOutcome::replay:
            return Verdict::replay;
        case ValidationOutcome::unknown_user:
            return Verdict::unknown_user;
        case ValidationOutcome::store_error:
            return Verdict::store_error;
        default:
            break;  // anything newer: never expected from a memory store
    }
    return Verdict::store_error;
}

std::string digits_from(unsigned count, std::uint32_t seed) {
    std::string out;
    for (unsigned i = 0; i < count; ++i, seed = seed * 1103515245u + 12345u)
        out.push_back(static_cast<char>('0' + (seed >> 16) % 10));
    return out;
}

// A PIN that is not the token's: another first digit, or a PIN where none is wanted.
std::string wrong_pin(const TokenRecord& t) {
    if (t.pin_mode != PinMode::pin || t.pin.empty()) return "1";
    std::string pin = t.pin;
    pin[0] = pin[0] == '0' ? '1' : '0';
    return pin;
}

bool has_digit(std::string_view s) {
    for (char c : s)
        if (c >= '0' && c <= '9') return true;
    return false;
}

void check_detail(const std::string& detail, std::string_view password) {
    if (password.size() >= 4 && has_digit(password))
        FUZZ_CHECK(!fuzz::contains(detail, password), "detail '%s' contains the password",
                   FUZZ_P(detail));
    for (const char* name : kNames)
        for (const TokenRecord& t : users().tokens_for(name)) {
            FUZZ_CHECK(t.pin.size() < 2 || !fuzz::contains(detail, t.pin), "detail has a PIN");
            FUZZ_CHECK(!fuzz::contains(detail, t.secret), "detail has a raw secret");
            FUZZ_CHECK(!fuzz::contains(fuzz::ascii_lower(detail), hex_encode(t.secret)),
                       "detail has a hex secret");
        }
}

const char* verdict_name(Verdict v) {
    switch (v) {
        case Verdict::accepted:
            return "accepted";
        case Verdict::invalid_otp:
            return "invalid_otp";
        case Verdict::replay:
            return "replay";
        case Verdict::unknown_user:
            return "unknown_user";
        case Verdict::locked:
            return "locked";
        case Verdict::address_locked:
            return "address_locked";
        case Verdict::retries_exhausted:
            return "retries_exhausted";
        case Verdict::store_error:
            return "store_error";
        default:
            break;
    }
    return verdict_reason(v);
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    (void)users();  // before libFuzzer counts allocations
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const bool verbose = std::getenv("FUZZ_VERBOSE") != nullptr;
    std::uint8_t h[7] = {};
    for (std::size_t i = 0; i < 7 && i < size; ++i) h[i] = data[i];
    LimitPolicy lp;
    lp.allowed_retry = 1 + h[0] % 4;
    lp.lockout = h[1] < 0xf0;
    lp.lockout_failures = 1 + h[1] % 6;
    lp.lockout_window = 1 + 5 * static_cast<std::int64_t>(h[2]);
    lp.lockout_ban = 1 + 5 * static_cast<std::int64_t>(h[3]);
    lp.address_lockout = h[4] < 0xf0;
    lp.address_failures = 1 + h[4] % 6;
    lp.address_window = 1 + 60 * static_cast<std::int64_t>(h[5] & 15);
    lp.address_ban = 1 + 60 * static_cast<std::int64_t>(h[5] >> 4);
    lp.attempt_lifetime = 1 + 8 * static_cast<std::int64_t>(h[6]);

    MemoryStateStore store;
    Verifier verifier(store, lp, "/etc/apache2/otp/users.oath");
    const UsersSource source{users(), kUsersPath};

    std::map<std::string, UserModel> model;
    std::map<std::string, AddressModel> addresses;
    std::map<std::string, Replay> replays;
    AttemptSlot slots[3];
    unsigned attempts_made = 0;
    std::int64_t now = fuzz::kNow;

    if (verbose)
        std::fprintf(
            stderr,
            "policy: retry %u, lockout %d %u/%llds ban %llds, address %d %u/%llds "
            "ban %llds, attempt %llds\n",
            lp.allowed_retry, lp.lockout, lp.lockout_failures,
            static_cast<long long>(lp.lockout_window), static_cast<long long>(lp.lockout_ban),
            lp.address_lockout, lp.address_failures, static_cast<long long>(lp.address_window),
            static_cast<long long>(lp.address_ban), static_cast<long long>(lp.attempt_lifetime));

    for (std::size_t at = 7, n = 0; at + 6 <= size && n < 64; at += 6, ++n) {
        const std::uint8_t* o = data + at;
        // ---- the guess ----
        const std::string user = kNames[o[0] & 7];
        const PinUse pin_use = (o[0] & 8) ? PinUse::not_used : PinUse::in_password;
        const Pipe& pipe = ((o[0] >> 4) & 3) == 1   ? *builtin_pipe("totp")
                           : ((o[0] >> 4) & 3) == 2 ? *builtin_pipe("hotp")
                                                    : token_type_pipe();
        const std::optional<TokenKind> only =
            ((o[0] >> 4) & 3) == 1   ? std::optional(TokenKind::time)
            : ((o[0] >> 4) & 3) == 2 ? std::optional(TokenKind::counter)
                                     : std::nullopt;
        const unsigned slot = o[0] >> 6;
        const std::string address = kAddresses[o[1] >> 6];
        OtpPolicy policy;
        policy.totp_window = kWindows[o[3] & 3];
        policy.hotp_look_ahead = kLookAheads[((o[3] >> 2) & 3) % 3];
        std::int64_t advance = 0;
        switch (o[4] & 3) {
            case 1:
                advance = o[5];
                break;
            case 2:
                advance = 30 * (o[5] % 32);
                break;
            case 3:
                advance = 8 * static_cast<std::int64_t>(o[5]);
                break;
            default:
                break;
        }
        if (now + advance - fuzz::kNow <= kMaxAdvance) now += advance;

        UserModel& u = model[user];
        const std::vector<TokenRecord> tokens = users().tokens_for(user);
        std::string password;
        {
            const std::vector<TokenRecord> own =
                tokens.empty() ? users().tokens_for("alice") : tokens;
            const TokenRecord& t = own[((o[1] >> 3) & 3) % own.size()];
            const bool wrong = (o[1] >> 5) & 1;
            std::string pin = pin_use == PinUse::not_used  ? (wrong ? "1" : "")
                              : wrong                      ? wrong_pin(t)
                              : t.pin_mode == PinMode::pin ? t.pin
                                                           : "";
            switch (o[1] & 7) {
                case 0:
                case 1:
                    if (t.type.kind == TokenKind::time) {
                        const std::int64_t step = step_of(t);
                        const std::int64_t offset = static_cast<std::int8_t>(o[2]) % 12;
                        password =
                            pin + totp_code(t.type.algorithm, t.secret,
                                            (now / step + offset) * step, step, digits_of(t));
                    } else {
                        password =
                            pin + hotp_code(t.type.algorithm, t.secret,
                                            t.next_counter(UsersFileLayout::oath) + o[2] % 13,
                                            digits_of(t));
                    }
                    break;
                case 2:
                    password = u.has_accepted ? u.last_accepted : "";
                    break;
                case 3:
                    password = (wrong ? std::string("1")
                                      : std::string(pin_use == PinUse::not_used ? "" : "9999")) +
                               "000000";
                    break;
                case 4:
                    password =
                        pin + digits_from(o[2] & 1 ? 8 : 6, (std::uint32_t{o[2]} << 24) |
                                                                (std::uint32_t{o[3]} << 16) |
                                                                (std::uint32_t{o[4]} << 8) | o[5]);
                    break;
                case 5:
                    password = pin;
                    break;
                case 6:
                    password = "";
                    break;
                case 7:
                    password.assign(reinterpret_cast<const char*>(o + 2), 4);
                    break;
            }
        }
        if (slot && !slots[slot - 1].attempt) {
            // What the module reads back from an attempt cookie; admission needs only the id
            // (24 base64url characters, as create_attempt makes them), fixed for replays.
            LoginAttempt made;
            made.id = "fuzzAttempt-" + std::string(1, static_cast<char>('0' + slot)) + "-" +
                      std::to_string(1000000000u + attempts_made++);
            made.return_path = "/";
            made.created = now;
            slots[slot - 1].attempt = std::move(made);
            slots[slot - 1].tries = Counter{};
        }
        AttemptSlot* a = slot ? &slots[slot - 1] : nullptr;

        // ---- the model's answer: admission ----
        Expected e;
        AddressModel* ad = address.empty() ? nullptr : &addresses[address];
        std::int64_t address_guesses = 0, tries = 0, user_guesses = 0;
        Reference ref;
        bool decided = false, end_attempt = false;
        if (lp.lockout) {
            if (u.lock.live(now)) {
                e.verdict = Verdict::locked;
                e.retry_after = u.lock.until - now;
                decided = true;
            } else {
                e.user_unlocked = u.unlock_notice;
                u.unlock_notice = false;
            }
        }
        if (!decided && ad && lp.address_lockout) {
            if (ad->lock.live(now)) {
                e.verdict = Verdict::address_locked;
                e.retry_after = ad->lock.until - now;
                decided = true;
            } else {
                address_guesses = ad->guesses.increment(now, lp.address_window);
                if (address_guesses > static_cast<std::int64_t>(lp.address_failures)) {
                    // Refused without comparing: the guess is given back.
                    ad->guesses.decrement(now);
                    address_guesses = 0;
                    e.verdict = Verdict::address_locked;
                    e.retry_after = lp.address_ban;
                    decided = true;
                }
            }
        }
        if (!decided && a) {
            // The counter lives as long as the attempt's cookie can be shown.
            const std::int64_t until =
                a->attempt->created + lp.attempt_lifetime + kAttemptClockSkew;
            tries = a->tries.increment(now, until > now ? until - now : 1);
            if (tries > static_cast<std::int64_t>(lp.allowed_retry)) {
                // The attempt keeps its try; the address gets its guess back.
                if (address_guesses > 0) ad->guesses.decrement(now);
                e.verdict = Verdict::retries_exhausted;
                e.attempts_left = 0;
                decided = true;
            }
        }
        if (!decided && lp.lockout) {
            user_guesses = u.guesses.increment(now, lp.lockout_window);
            if (user_guesses > static_cast<std::int64_t>(lp.lockout_failures)) {
                // Over the limit, never compared: the user and the address get it back.
                u.guesses.decrement(now);
                if (address_guesses > 0) ad->guesses.decrement(now);
                e.verdict = Verdict::locked;
                e.retry_after = lp.lockout_ban;
                decided = true;
            }
        }
        // ---- the comparison and what it records ----
        if (!decided) {
            e.compared = true;
            ref = reference(tokens, only, password, pin_use, policy, now, replays);
            e.verdict = verdict_of(ref.outcome);
            if (e.verdict == Verdict::accepted) {
                u.guesses.remove();
                if (address_guesses > 0) ad->guesses.decrement(now);
                end_attempt = a != nullptr;  // after the call: the slot takes a new one
                u.last_accepted = password;
                u.has_accepted = true;
                const TokenRecord& t = tokens[ref.token];
                if (t.type.kind == TokenKind::time)
                    replays[t.user + '\0' + t.secret] = Replay{
                        true, ref.step,
                        now + static_cast<std::int64_t>(2 * kMaxTotpWindow + 2) * step_of(t)};
            } else if (e.verdict != Verdict::store_error) {
                if (a) {
                    e.attempts_left =
                        static_cast<int>(std::max<std::int64_t>(0, lp.allowed_retry - tries));
                    e.attempt_aborted = tries >= static_cast<std::int64_t>(lp.allowed_retry);
                }
                if (e.verdict == Verdict::replay) {
                    if (user_guesses > 0) u.guesses.decrement(now);
                    if (address_guesses > 0) ad->guesses.decrement(now);
                } else {
                    if (ad && lp.address_lockout &&
                        address_guesses >= static_cast<std::int64_t>(lp.address_failures)) {
                        ad->lock = Lock{true, now + lp.address_ban};
                        ad->guesses.remove();
                        e.address_locked_now = true;
                    }
                    if (lp.lockout &&
                        user_guesses >= static_cast<std::int64_t>(lp.lockout_failures)) {
                        u.lock = Lock{true, now + lp.lockout_ban};
                        u.guesses.remove();
                        u.unlock_notice = true;
                        e.user_locked = true;
                        e.ban_seconds = lp.lockout_ban;
                    }
                }
            }
        }

        // ---- the verifier's answer ----
        store.set_now(now);
        Guess guess;
        guess.user = user;
        guess.password = password;
        guess.pin_use = pin_use;
        guess.attempt = a ? &*a->attempt : nullptr;
        guess.address = address;
        guess.client_address = address;
        guess.now = now;
        const Verification v = verifier.verify(source, pipe, policy, guess);
        if (end_attempt) *a = AttemptSlot{};

        if (verbose)
            std::fprintf(stderr,
                         "#%zu t+%lld %s '%s' %s pw '%s' window %u look-ahead %u "
                         "attempt %u address '%s': %s (%s) expected %s\n",
                         n, static_cast<long long>(now - fuzz::kNow), pipe.name(), FUZZ_P(user),
                         pin_use == PinUse::not_used ? "code" : "PIN+code", FUZZ_P(password),
                         policy.totp_window, policy.hotp_look_ahead, slot, address.c_str(),
                         verdict_name(v.verdict), v.detail.c_str(), verdict_name(e.verdict));

        // ---- properties stated on their own ----
        check_detail(v.detail, password);
        if (v.verdict == Verdict::accepted) {
            FUZZ_CHECK(v.compared, "accepted without comparing");
            FUZZ_CHECK(now >= u.reported_ban_end,
                       "user '%s' accepted at t+%lld during the ban the verifier reported (until "
                       "t+%lld)",
                       FUZZ_P(user), static_cast<long long>(now - fuzz::kNow),
                       static_cast<long long>(u.reported_ban_end - fuzz::kNow));
            // A valid code now, from our own HMACs (replays aside).
            const Reference valid = reference(tokens, only, password, pin_use, policy, now, {});
            FUZZ_CHECK(valid.valid_code && valid.outcome == ValidationOutcome::accepted,
                       "accepted '%s' for '%s', which is no valid code now", FUZZ_P(password),
                       FUZZ_P(user));
        }
        if (!v.compared)
            FUZZ_CHECK(std::string_view(v.pipe).empty(), "pipe '%s' without a comparison", v.pipe);
        else  // an unknown user's comparison only keeps the time alike: no token decided
            FUZZ_CHECK(*v.pipe || v.verdict == Verdict::unknown_user, "compared, but no pipe named");
        if (v.user_locked) u.reported_ban_end = now + v.ban_seconds;

        // ---- against the model ----
        FUZZ_CHECK(v.verdict == e.verdict,
                   "guess %zu (t+%lld, user '%s', password '%s', %s, window %u, attempt %u, "
                   "address '%s'): %s (%s), expected %s",
                   n, static_cast<long long>(now - fuzz::kNow), FUZZ_P(user), FUZZ_P(password),
                   pin_use == PinUse::not_used ? "code alone" : "PIN + code", policy.totp_window,
                   slot, address.c_str(), verdict_name(v.verdict), v.detail.c_str(),
                   verdict_name(e.verdict));
        FUZZ_CHECK(v.compared == e.compared, "guess %zu: compared %d, expected %d", n, v.compared,
                   e.compared);
        FUZZ_CHECK(v.attempts_left == e.attempts_left, "guess %zu: attempts_left %d, expected %d",
                   n, v.attempts_left, e.attempts_left);
        FUZZ_CHECK(v.attempt_aborted == e.attempt_aborted,
                   "guess %zu: attempt_aborted %d, expected %d", n, v.attempt_aborted,
                   e.attempt_aborted);
        FUZZ_CHECK(v.user_locked == e.user_locked && v.ban_seconds == e.ban_seconds,
                   "guess %zu (user '%s', %s): user_locked %d ban %lld, expected %d ban %lld", n,
                   FUZZ_P(user), verdict_name(v.verdict), v.user_locked,
                   static_cast<long long>(v.ban_seconds), e.user_locked,
                   static_cast<long long>(e.ban_seconds));
        FUZZ_CHECK(v.address_locked_now == e.address_locked_now,
                   "guess %zu (address '%s'): address_locked_now %d, expected %d", n,
                   address.c_str(), v.address_locked_now, e.address_locked_now);
        FUZZ_CHECK(v.retry_after == e.retry_after,
                   "guess %zu (%s): retry_after %lld, expected %lld", n, verdict_name(v.verdict),
                   static_cast<long long>(v.retry_after), static_cast<long long>(e.retry_after));
        FUZZ_CHECK(v.user_unlocked == e.user_unlocked,
                   "guess %zu (user '%s'): user_unlocked %d, expected %d", n, FUZZ_P(user),
                   v.user_unlocked, e.user_unlocked);
    }
    return 0;
}
