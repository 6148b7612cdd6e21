// Two-way flows (twoway/two_way_flows.h, two_way_steps.h) under sequences of operations
// against a model. Each 4-byte record of the input is one operation over a MemoryStateStore
// whose clock only moves forward:
//   byte 0: operation (init / a portal user enters a flow's client code / enters a wrong code /
//           the app completes with the right response / with a wrong one / move the clock),
//   1: which of four flows, 2: which of three portal users, 3: seconds to move the clock.
// Properties: a flow completes at most once and only with its response, after its client code
// was entered, naming the user who entered it; a client code is entered at most once; no
// flow gets more responses compared than OTPAllowedRetry; nothing succeeds past the lifetime;
// 4002 only before the portal step and 4001 only after it.
#include <array>
#include <cstdint>
#include <string>

#include "crypto/digest.h"
#include "fuzz_support.h"
#include "store/state_store.h"
#include "twoway/two_way_flows.h"
#include "twoway/two_way_steps.h"

using namespace otp;

namespace {

constexpr std::int64_t kStart = 1700000000;

struct ModelFlow {
    bool exists = false;
    std::string id, code, response, user;
    std::int64_t expires = 0;
    bool entered = false, completed = false;
    int compared = 0;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const HmacSha256Key key(std::string(32, '\x5a'));
    MemoryStateStore store;
    std::int64_t now = kStart;
    store.set_now(now);
    TwoWayFlows flows(store, key);
    TwoWayPolicy policy;
    policy.lifetime = 60;
    policy.allowed_retry = 2;
    policy.init_rate = 1000;
    LimitPolicy limits;
    limits.allowed_retry = policy.allowed_retry;
    limits.lockout = false;  // the model counts flows, not users
    Verifier verifier(store, limits, "fuzz two-way");
    std::array<ModelFlow, 4> model;
    const char* users[] = {"alice", "bob", "carol"};

    for (std::size_t at = 0; at + 4 <= size && at < 4 * 64; at += 4) {
        const std::uint8_t op = data[at] % 6;
        ModelFlow& flow = model[data[at + 1] % 4];
        const std::string user = users[data[at + 2] % 3];
        switch (op) {
            case 0: {
                const TwoWayInit init = flows.init(policy, "192.0.2.1", "app", now);
                FUZZ_CHECK(init.status == TwoWayStatus::ok, "init failed");
                flow = ModelFlow{};
                flow.exists = true;
                flow.id = init.flow;
                flow.code = init.client_code;
                flow.expires = now + policy.lifetime;
                break;
            }
            case 1:
            case 2: {
                if (!flow.exists) break;
                const std::string code = op == 1 ? flow.code : "X" + flow.code.substr(1);
                const TwoWayStep step = enter_client_code(flows, verifier, policy, code, user, now);
                if (step.status == TwoWayStatus::ok) {
                    FUZZ_CHECK(op == 1, "a wrong client code was entered");
                    FUZZ_CHECK(!flow.entered, "a client code was entered twice");
                    FUZZ_CHECK(now < flow.expires, "entered past the lifetime");
                    flow.entered = true;
                    flow.user = user;
                    flow.response = step.response;
                } else {
                    FUZZ_CHECK(step.status == TwoWayStatus::unrecoverable,
                               "enter: unexpected status %d", static_cast<int>(step.status));
                    FUZZ_CHECK(op == 2 || flow.entered || now >= flow.expires,
                               "the right client code was refused (%s)", step.reason);
                }
                break;
            }
            case 3:
            case 4: {
                if (!flow.exists) break;
                std::string response = flow.response.empty() ? "000000" : flow.response;
                if (op == 4) response = "X" + response.substr(1);
                const TwoWayStep step = complete_flow(flows, verifier, policy, flow.id, response, "app", now);
                if (step.verification.compared) ++flow.compared;
                FUZZ_CHECK(flow.compared <= static_cast<int>(policy.allowed_retry),
                           "%d responses compared", flow.compared);
                switch (step.status) {
                    case TwoWayStatus::ok:
                        FUZZ_CHECK(op == 3 && flow.entered && !flow.completed,
                                   "completed without the right response or twice");
                        FUZZ_CHECK(step.user == flow.user, "completed for the wrong user");
                        FUZZ_CHECK(now < flow.expires, "completed past the lifetime");
                        flow.completed = true;
                        break;
                    case TwoWayStatus::not_entered:
                        FUZZ_CHECK(!flow.entered, "4002 after the portal step");
                        break;
                    case TwoWayStatus::wrong_response:
                        FUZZ_CHECK(flow.entered && op == 4, "4001 for the right response");
                        break;
                    case TwoWayStatus::unrecoverable:
                        FUZZ_CHECK(op == 4 || flow.completed || flow.compared > 0 ||
                                       now >= flow.expires,
                                   "the right response refused (%s)", step.reason);
                        break;
                    default:
                        FUZZ_CHECK(false, "complete: status %d", static_cast<int>(step.status));
                }
                break;
            }
            default:
                now += data[at + 3] % 40;
                store.set_now(now);
                break;
        }
    }
    return 0;
}
