// Two-way OTP flows (SPEC §3 "Two-way OTP API"): a mobile app that knows nothing about its
// user gets a client code (init); the person types it into a portal where they are logged in,
// which couples the code to the portal's user and shows a challenge response (enter); the
// person types that into the app, and mod_otp tells the app who the user is (complete).
//
// Everything lives in the shared StateStore, under keyed hashes only (the store never sees a
// flow id, a code or a response), and every step that may happen once happens once however
// many requests race for it: a client code is claimed by compare-and-set (one portal user
// couples it), a flow is completed by compare-and-set (one 2000), and the app's responses are
// counted before they are compared (never more comparisons than OTPAllowedRetry): the portal's
// code and the app's response are guesses through the one verifier (two_way_steps.h).
//
// Records (README "State store"), each living until the flow's end:
//   <H(code)>.2w-code    the flow a client code belongs to ("taken" once entered)
//   <H(flow)>.2w-flow    "p|<H(app location)>|<expiry>" pending,
//                        "c|<H(response)>|<H(app location)>|<expiry>" coupled,
//                        "d|<expiry>" completed (then removed)
//   <H(flow)>.2w-user0..2  the coupled user, in pieces of at most 90 bytes
//   <H(address)>.2w-inits  inits from one client address (and from all) in the current minute
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "crypto/digest.h"
#include "store/state_store.h"
#include "verify/delivered_code.h"

namespace otp {

struct TwoWayPolicy {
    DeliveredCodePolicy code;     // OTPTwoWayCode length charset (client codes, responses)
    std::int64_t lifetime = 300;  // OTPTwoWayLifetime: a flow ends this long after init
    unsigned allowed_retry = 2;   // OTPAllowedRetry: wrong responses per flow; the n-th ends it
    unsigned init_rate = 30;      // OTPTwoWayInitRate: inits per minute per client address
};

// The statuses of the API (the JSON "status"), and what went wrong besides them.
enum class TwoWayStatus {
    ok = 2000,
    wrong_response = 4001,   // coupled, the response is wrong: a typo
    not_entered = 4002,      // the client code was never entered on a portal
    unrecoverable = 5000,    // unknown / expired / used-up / completed: start again
    rate_limited = 4029,     // OTPTwoWayInitRate
    store_error = 5030,      // the state store failed: fail closed
};

constexpr std::int64_t kTwoWayInitWindow = 60;  // seconds of OTPTwoWayInitRate
// All addresses together get this many times OTPTwoWayInitRate per window: with the default
// (30, 300 s) at most 6,000 live flows, 12,000 records, whatever the number of addresses.
constexpr std::int64_t kTwoWayAllInitsFactor = 20;
constexpr std::size_t kTwoWayMaxUserBytes = 270;
constexpr std::size_t kTwoWayFlowIdLength = 22;  // base64url of 16 random bytes

struct TwoWayInit {
    TwoWayStatus status = TwoWayStatus::store_error;
    std::string flow;         // the opaque id the app keeps
    std::string client_code;  // what the person types into the portal
    bool store_full = false;  // store_error because the store had no room
};

struct TwoWayEnter {
    TwoWayStatus status = TwoWayStatus::store_error;
    std::string response;  // the challenge response the portal shows (ok)
    std::string flow_ref;  // which flow (for events): a keyed hash of its id, never the id
    const char* reason = "";  // unrecoverable: "invalid_otp" (no such code), "replay" (entered)
    bool store_full = false;
};

// A flow found for complete: coupled (status ok) with its user, or why not.
struct TwoWayLookup {
    TwoWayStatus status = TwoWayStatus::store_error;
    std::string user;       // ok: the coupled user
    std::string flow_hash;  // the flow's keyed hash (its records' id)
    std::string state;      // the flow record as read ("c|<H(response)>|<expiry>")
    std::int64_t expires = 0;
    const char* reason = "";  // unrecoverable: "expired" (no such flow) or "replay" (completed)
    bool store_full = false;
};

class TwoWayFlows {
public:
    // `key` keys every hash; flows of one key (one virtual host) see each other, no others.
    TwoWayFlows(StateStore& store, const HmacSha256Key& key);

    // `app_location` names the otp-twoway location (its realm): only it can complete the flow.
    TwoWayInit init(const TwoWayPolicy& policy, std::string_view address,
                    std::string_view app_location, std::int64_t now);
    // The portal's `user` typed `code`. The caller has admitted the guess (the portal user's
    // lockout) and records its outcome: invalid_otp is a wrong guess.
    TwoWayEnter enter(const TwoWayPolicy& policy, std::string_view code, std::string_view user,
                      std::int64_t now);
    // The flow behind an app's `flow` id, with its coupled user.
    TwoWayLookup find_coupled(std::string_view flow, std::string_view app_location,
                              std::int64_t now);
    // Whether `response` is the coupled flow's challenge response; when it is, the flow moves
    // to completed, exactly once (false for every parallel request that comes second: *replay).
    bool finish(const TwoWayLookup& flow, std::string_view response, std::int64_t now,
                bool* replay, bool* store_failed);
    // Removes a flow's records (completed, or its retries used up).
    void forget(const std::string& flow_hash);

    // The flow's reference in events ("IDENTIFIER" until it is coupled): a keyed hash of its
    // id, so an event log reader learns nothing that completes a flow.
    std::string flow_ref(std::string_view flow) const;

private:
    std::string location_tag(std::string_view location) const;
    std::string hashed(std::string_view purpose, std::string_view value) const;
    std::string flow_id_hash(std::string_view flow) const;

    StateStore& store_;
    const HmacSha256Key& key_;
};

// A flow id as init makes them: kTwoWayFlowIdLength base64url characters.
bool is_two_way_flow_id(std::string_view flow);

}  // namespace otp
