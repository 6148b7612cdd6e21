// The attempt cookie and the limits it is bound to (SPEC §3, lib/login/login_limits.h,
// lib/session/session_cookie.h). The whole input is an attempt cookie's value for
// SessionSealer::open_attempt(); then the same bytes choose attempts (first-factor user,
// return path), user names and a sequence of guesses.
//
// Properties:
//  - open_attempt(value) opens nothing that was not sealed with the key (also not a session
//    cookie sealed with it), and an attempt sealed for one realm never opens in another;
//  - create_attempt stores nothing and makes 24-character base64url ids; sealed into its
//    cookie and opened again, an attempt comes back with the first-factor user, return path
//    and creation time it was made with (what start_endpoint compares with r->user);
//  - admission, for page guesses (an attempt, no address) and Basic guesses (no attempt, a
//    client address) mixed: no attempt gets more than allowed_retry comparisons, no user more
//    than lockout_failures comparisons between successes, the failure that reaches the limit
//    locks the user, a locked user gets "locked" for every later guess (the clock stands
//    still), attempts_left is allowed_retry minus the attempt's guesses, one user's lockout
//    never touches another user; an address is locked exactly by the failure that makes
//    address_failures failures from it (OTPAddressLockout counts failures, whatever the
//    user names) and then answers address_locked.
#include <fuzzer/FuzzedDataProvider.h>

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "fixtures.h"
#include "fuzz_support.h"
#include "login/login_limits.h"
#include "login/start_request.h"
#include "session/session_cookie.h"
#include "store/state_store.h"

using namespace otp;

namespace {

// Forwards to a MemoryStateStore and counts the operations; can be told to fail.
class ProbeStore final : public StateStore {
public:
    ProbeStore() { inner_.set_now(fuzz::kNow); }
    bool failing = false;
    std::size_t operations = 0;

    StoreStatus add(std::string_view k, std::string_view v, std::int64_t ttl) override {
        ++operations;
        return failing ? StoreStatus::error : inner_.add(k, v, ttl);
    }
    std::optional<std::int64_t> increment(std::string_view k, std::int64_t ttl) override {
        ++operations;
        if (failing) return std::nullopt;
        return inner_.increment(k, ttl);
    }
    std::optional<std::int64_t> decrement(std::string_view k) override {
        ++operations;
        if (failing) return std::nullopt;
        return inner_.decrement(k);
    }
    GuessCountAnswer count_guess(const GuessCountRequest& request) override {
        ++operations;
        if (failing) return GuessCountAnswer{};
        return inner_.count_guess(request);
    }
    GuardedCount increment_unless(std::string_view k, std::int64_t ttl,
                                  std::string_view blocker) override {
        ++operations;
        if (failing) return GuardedCount{};
        return inner_.increment_unless(k, ttl, blocker);
    }
    std::optional<bool> advance(std::string_view k, std::uint64_t v, std::int64_t ttl) override {
        ++operations;
        if (failing) return std::nullopt;
        return inner_.advance(k, v, ttl);
    }
    StoreStatus compare_and_set(std::string_view k, std::string_view e, std::string_view d,
                                std::int64_t ttl) override {
        ++operations;
        return failing ? StoreStatus::error : inner_.compare_and_set(k, e, d, ttl);
    }
    StoreStatus put(std::string_view k, std::string_view v, std::int64_t ttl) override {
        ++operations;
        return failing ? StoreStatus::error : inner_.put(k, v, ttl);
    }
    StoreStatus get(std::string_view k, std::string* v) override {
        ++operations;
        return failing ? StoreStatus::error : inner_.get(k, v);
    }
    StoreStatus remove(std::string_view k) override {
        ++operations;
        return failing ? StoreStatus::error : inner_.remove(k);
    }

private:
    MemoryStateStore inner_;
};

bool our_id_shape(std::string_view id) {
    if (id.size() != 24) return false;
    for (char c : id)
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_'))
            return false;
    return true;
}

const char kScope[] = "/etc/apache2/otp/users.oath";
const char kRealm[] = "main:/app:/etc/apache2/otp/users.oath:otp_session";

const SessionSealer& sealer() {
    static const SessionSealer instance(std::string(kSessionKeyBytes, '\x42'));
    return instance;
}

void check_cookie_value(std::string_view value) {
    FUZZ_CHECK(!sealer().open_attempt(value, kRealm), "opened attempt cookie '%s'",
               FUZZ_P(value));
}

struct AttemptModel {
    LoginAttempt attempt;
    unsigned proceeds = 0;
    unsigned failures = 0;
    bool done = false;  // succeeded: not used again
};

struct UserModel {
    unsigned proceeds_since_success = 0;
    unsigned failures_since_success = 0;
    bool locked = false;
};

struct AddressModel {
    unsigned failures = 0;   // since the address was last locked
    unsigned successes = 0;  // for the message
    bool locked = false;
};

const char* const kAddresses[] = {"192.0.2.1", "2001:db8::7"};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    check_cookie_value(fuzz::as_view(data, size));

    FuzzedDataProvider in(data, size);
    ProbeStore store;
    LimitPolicy policy;
    policy.allowed_retry = in.ConsumeIntegralInRange<unsigned>(1, 5);
    policy.lockout_failures = in.ConsumeIntegralInRange<unsigned>(1, 8);
    policy.address_failures = in.ConsumeIntegralInRange<unsigned>(1, 12);
    LoginLimits limits(store, policy, kScope);

    // Up to three user names: what a client can send as data.user (any bytes here).
    std::vector<std::string> users;
    for (int i = 0, n = in.ConsumeIntegralInRange<int>(1, 3); i < n; ++i) {
        std::string name = in.ConsumeRandomLengthString(kMaxUserBytes);
        bool duplicate = false;
        for (const std::string& u : users) duplicate |= u == name;
        if (!duplicate) users.push_back(std::move(name));
    }
    std::map<std::string, UserModel> model;
    std::map<std::string, AddressModel> addresses;
    std::vector<AttemptModel> attempts;

    auto new_attempt = [&]() {
        // r->user is a C string: it ends at the first NUL. The module passes a return path
        // that passed is_safe_return_path, or "" from the start endpoint.
        std::string bound = in.ConsumeRandomLengthString(300);
        bound = bound.substr(0, bound.find('\0'));
        std::string ret = in.ConsumeRandomLengthString(300);
        if (!is_safe_return_path(ret, "/app")) ret = in.ConsumeBool() ? "/app" : "";
        const std::size_t operations = store.operations;
        const auto made = limits.create_attempt(bound, ret, fuzz::kNow);
        FUZZ_CHECK(made.has_value(), "create_attempt failed");
        FUZZ_CHECK(store.operations == operations, "create_attempt used the store");
        FUZZ_CHECK(our_id_shape(made->id), "attempt id '%s'", FUZZ_P(made->id));
        FUZZ_CHECK(limits.attempt_current(*made, fuzz::kNow), "a fresh attempt is not current");
        const auto sealed = sealer().seal(
            AttemptClaims{made->id, made->bound_user, made->return_path, made->created}, kRealm);
        FUZZ_CHECK(sealed.has_value(), "cannot seal an attempt");
        FUZZ_CHECK(!sealer().open_attempt(*sealed, "main:/other:users:otp_session"),
                   "an attempt opened in another realm");
        FUZZ_CHECK(!sealer().open(*sealed, kRealm), "an attempt opened as a session");
        const auto found = sealer().open_attempt(*sealed, kRealm);
        FUZZ_CHECK(found.has_value(), "a sealed attempt does not open");
        FUZZ_CHECK(found->id == made->id && found->bound_user == bound &&
                       found->return_path == ret && found->created == fuzz::kNow,
                   "attempt round trip: bound '%s' return '%s' came back as '%s' / '%s'",
                   FUZZ_P(bound), FUZZ_P(ret), FUZZ_P(found->bound_user),
                   FUZZ_P(found->return_path));
        attempts.push_back(AttemptModel{*made});
    };
    new_attempt();

    for (int step = 0; step < 64 && in.remaining_bytes() > 0; ++step) {
        if (in.ConsumeIntegralInRange<int>(0, 7) == 0) {
            new_attempt();
            continue;
        }
        // A page guess (the start endpoint: an attempt, no address) or a Basic guess (the
        // provider: no attempt, the client address).
        const bool basic = in.ConsumeBool();
        AttemptModel* a = nullptr;
        if (!basic) {
            a = &attempts[in.ConsumeIntegralInRange<std::size_t>(0, attempts.size() - 1)];
            if (a->done) continue;
        }
        const std::string address = basic ? kAddresses[in.ConsumeIntegralInRange<int>(0, 1)] : "";
        const std::string& user = users[in.ConsumeIntegralInRange<std::size_t>(0, users.size() - 1)];
        UserModel& u = model[user];
        AddressModel* ad = basic ? &addresses[address] : nullptr;

        const Admission admission =
            limits.admit(a ? &a->attempt : nullptr, user, address, fuzz::kNow);
        FUZZ_CHECK(admission.verdict != GateVerdict::store_error, "store_error from memory");
        if (u.locked)
            FUZZ_CHECK(admission.verdict == GateVerdict::locked, "a locked user got verdict %d",
                       static_cast<int>(admission.verdict));
        else if (ad && ad->locked)
            FUZZ_CHECK(admission.verdict == GateVerdict::address_locked,
                       "a locked address got verdict %d", static_cast<int>(admission.verdict));
        if (admission.verdict == GateVerdict::address_locked)
            FUZZ_CHECK(ad && ad->locked,
                       "address %s refused as locked after %u failures and %u successes (%u "
                       "failures allowed)", address.c_str(), ad ? ad->failures : 0,
                       ad ? ad->successes : 0, policy.address_failures);
        if (a && a->failures >= policy.allowed_retry)
            FUZZ_CHECK(admission.verdict != GateVerdict::proceed,
                       "guess after %u failures in an attempt allowing %u", a->failures,
                       policy.allowed_retry);
        if (admission.verdict == GateVerdict::locked ||
            admission.verdict == GateVerdict::address_locked) {
            FUZZ_CHECK(admission.retry_after > 0, "locked without Retry-After");
            continue;
        }
        if (admission.verdict != GateVerdict::proceed) continue;

        ++u.proceeds_since_success;
        FUZZ_CHECK(u.proceeds_since_success <= policy.lockout_failures,
                   "user compared %u codes, lockout after %u", u.proceeds_since_success,
                   policy.lockout_failures);
        if (a) {
            ++a->proceeds;
            FUZZ_CHECK(a->proceeds <= policy.allowed_retry, "attempt compared %u codes, allowed %u",
                       a->proceeds, policy.allowed_retry);
        }

        if (in.ConsumeIntegralInRange<int>(0, 5) == 0) {  // the code was right
            limits.record_success(a ? &a->attempt : nullptr, user, address, admission);
            if (a) a->done = true;
            if (ad) ++ad->successes;
            u.proceeds_since_success = u.failures_since_success = 0;
            continue;
        }
        const FailureOutcome outcome = limits.record_failure(user, address, admission, fuzz::kNow);
        ++u.failures_since_success;
        FUZZ_CHECK(outcome.store_ok, "store failure on memory");
        if (a) {
            ++a->failures;
            const int left = static_cast<int>(policy.allowed_retry) - static_cast<int>(a->proceeds);
            FUZZ_CHECK(outcome.attempts_left == std::max(0, left), "attempts_left %d, expected %d",
                       outcome.attempts_left, std::max(0, left));
            FUZZ_CHECK(outcome.attempt_aborted == (a->failures >= policy.allowed_retry),
                       "attempt_aborted %d after %u of %u failures", outcome.attempt_aborted,
                       a->failures, policy.allowed_retry);
        }
        if (u.failures_since_success >= policy.lockout_failures && !u.locked) {
            FUZZ_CHECK(outcome.user_locked, "%u failures did not lock (limit %u)",
                       u.failures_since_success, policy.lockout_failures);
            u.locked = true;
        } else {
            FUZZ_CHECK(!outcome.user_locked, "locked after %u failures (limit %u)",
                       u.failures_since_success, policy.lockout_failures);
        }
        if (ad) {
            ++ad->failures;
            const bool reached = ad->failures >= policy.address_failures;
            FUZZ_CHECK(outcome.address_locked == (reached && !ad->locked),
                       "address %s: address_locked %d after %u failures and %u successes (%u "
                       "failures allowed)", address.c_str(), outcome.address_locked,
                       ad->failures, ad->successes, policy.address_failures);
            if (outcome.address_locked) {
                ad->locked = true;
                ad->failures = 0;
            }
        } else {
            FUZZ_CHECK(!outcome.address_locked, "page guess locked an address");
        }
    }
    return 0;
}
