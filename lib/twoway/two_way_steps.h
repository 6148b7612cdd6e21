// The two steps of a two-way flow where a person types a code, each one guess through the one
// verifier (SPEC §7), so admission counts it before it is compared:
//  - the portal's step: the portal user typed the app's client code. The portal user's
//    OTPLockout limits how many client codes one account can try (no account can sweep the
//    code space to capture other people's apps);
//  - the app's complete: the response the portal showed. The flow is the attempt, so
//    OTPAllowedRetry counts wrong responses per flow, and the coupled user's lockout applies.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "twoway/two_way_flows.h"
#include "verify/verifier.h"

namespace otp {

struct TwoWayStep {
    TwoWayStatus status = TwoWayStatus::store_error;
    bool verified = false;      // the verifier ran: `verification` holds its outcome
    Verification verification;  // for the events (the same reporting as every way in)
    std::string response;       // enter, ok: the challenge response to show
    std::string user;           // complete: the coupled user (when it was found)
    std::string flow_ref;       // the flow, for events
    int attempts_left = -1;     // complete, wrong_response
    std::int64_t retry_after = 0;
    // rate_limited: "locked"; unrecoverable: "invalid_otp", "expired", "replay",
    // "retries_exhausted"; store_error: "store_error" or "store_full"
    const char* reason = "";
};

TwoWayStep enter_client_code(TwoWayFlows& flows, Verifier& verifier, const TwoWayPolicy& policy,
                             std::string_view code, std::string_view user, std::int64_t now);

// `app_location`: the otp-twoway location asking; a flow another location started is unknown.
TwoWayStep complete_flow(TwoWayFlows& flows, Verifier& verifier, const TwoWayPolicy& policy,
                         std::string_view flow, std::string_view response,
                         std::string_view app_location, std::int64_t now);

}  // namespace otp
