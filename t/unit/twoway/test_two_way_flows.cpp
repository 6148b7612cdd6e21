// Two-way flows on real stores (MemoryStateStore, and the shared-memory table for its value
// size limit): every status (2000 end to end, 4001 then 2000, 4002, 5000 unknown, expired,
// retries used up, completed twice), a client code coupled once, the init rate, long user
// names, no code or flow id in the store, and parallel completes and parallel wrong responses.
#include <sys/mman.h>

#include <atomic>
#include <thread>
#include <vector>

#include "cmocka_wrap.h"
#include "crypto/digest.h"
#include "store/shared_table_store.h"
#include "twoway/two_way_flows.h"
#include "twoway/two_way_steps.h"

using namespace otp;

namespace {

constexpr std::int64_t kNow = 1700000000;
constexpr const char* kApp = "app location";

const HmacSha256Key& test_key() {
    static const HmacSha256Key key(std::string(32, '\x37'));
    return key;
}

TwoWayPolicy policy() {
    TwoWayPolicy p;
    p.allowed_retry = 2;
    p.lifetime = 300;
    p.init_rate = 30;
    return p;
}

#define assert_status(actual, expected) \
    assert_int_equal(static_cast<int>(actual), static_cast<int>(TwoWayStatus::expected))

// The app's complete and the portal's step, through a verifier as the module runs them.
TwoWayStep complete(StateStore& store, TwoWayFlows& flows, const std::string& flow,
                    const std::string& response, std::int64_t now, TwoWayPolicy p = policy()) {
    LimitPolicy limits;
    limits.allowed_retry = p.allowed_retry;
    Verifier verifier(store, limits, "two-way test");
    return complete_flow(flows, verifier, p, flow, response, kApp, now);
}

TwoWayStep enter(StateStore& store, TwoWayFlows& flows, const std::string& code,
                 const std::string& user, std::int64_t now, TwoWayPolicy p = policy()) {
    Verifier verifier(store, LimitPolicy{}, "two-way test");
    return enter_client_code(flows, verifier, p, code, user, now);
}

struct Flow {
    std::string id, code, response;
};

Flow coupled_flow(StateStore& store, TwoWayFlows& flows, const std::string& user,
                 std::int64_t now = kNow) {
    Flow flow;
    TwoWayInit init = flows.init(policy(), "192.0.2.1", kApp, now);
    assert_status(init.status, ok);
    flow.id = init.flow;
    flow.code = init.client_code;
    auto entered = enter(store, flows, flow.code, user, now + 1);
    assert_status(entered.status, ok);
    flow.response = entered.response;
    return flow;
}

std::string wrong(const std::string& response) {
    std::string other = response;
    other[0] = other[0] == '1' ? '2' : '1';
    return other;
}

}  // namespace

static void the_happy_path(void**) {
    MemoryStateStore store;
    store.set_now(kNow);
    TwoWayFlows flows(store, test_key());
    const TwoWayInit init = flows.init(policy(), "192.0.2.1", kApp, kNow);
    assert_status(init.status, ok);
    assert_true(is_two_way_flow_id(init.flow));
    assert_int_equal(init.client_code.size(), 6);
    // Before the portal step: 4002, and nothing is counted.
    for (int i = 0; i < 5; ++i)
        assert_status(complete(store, flows, init.flow, "123456", kNow).status, not_entered);
    const auto entered = enter(store, flows, init.client_code, "alice", kNow + 1);
    assert_status(entered.status, ok);
    assert_int_equal(entered.response.size(), 6);
    assert_string_equal(entered.flow_ref.c_str(), flows.flow_ref(init.flow).c_str());
    const auto done = complete(store, flows, init.flow, entered.response, kNow + 2);
    assert_status(done.status, ok);
    assert_string_equal(done.user.c_str(), "alice");
    // Completed once: then the flow is gone.
    const auto again = complete(store, flows, init.flow, entered.response, kNow + 3);
    assert_status(again.status, unrecoverable);
    assert_string_equal(again.reason, "expired");
}

static void a_typo_then_the_right_response(void**) {
    MemoryStateStore store;
    store.set_now(kNow);
    TwoWayFlows flows(store, test_key());
    const Flow flow = coupled_flow(store, flows, "bob");
    const auto typo = complete(store, flows, flow.id, wrong(flow.response), kNow + 2);
    assert_status(typo.status, wrong_response);
    assert_int_equal(typo.attempts_left, 1);
    assert_true(typo.verification.compared);
    assert_string_equal(typo.user.c_str(), "bob");
    assert_status(complete(store, flows, flow.id, flow.response, kNow + 3).status, ok);
}

static void retries_used_up_end_the_flow(void**) {
    MemoryStateStore store;
    store.set_now(kNow);
    TwoWayFlows flows(store, test_key());
    const Flow flow = coupled_flow(store, flows, "carol");
    assert_status(complete(store, flows, flow.id, wrong(flow.response), kNow).status,
                  wrong_response);
    const auto last = complete(store, flows, flow.id, wrong(flow.response), kNow);
    assert_status(last.status, unrecoverable);
    assert_string_equal(last.reason, "retries_exhausted");
    // Even the right response is refused now: the flow and its records are gone.
    assert_status(complete(store, flows, flow.id, flow.response, kNow).status, unrecoverable);
}

static void unknown_and_expired_flows(void**) {
    MemoryStateStore store;
    store.set_now(kNow);
    TwoWayFlows flows(store, test_key());
    assert_status(complete(store, flows, "AAAAAAAAAAAAAAAAAAAAAA", "123456", kNow).status,
                  unrecoverable);
    assert_status(complete(store, flows, "not a flow", "123456", kNow).status, unrecoverable);
    const Flow flow = coupled_flow(store, flows, "dave");
    store.set_now(kNow + 301);
    const auto late = complete(store, flows, flow.id, flow.response, kNow + 301);
    assert_status(late.status, unrecoverable);
    // A client code past the flow's lifetime cannot be entered either.
    store.set_now(kNow);
    const TwoWayInit init = flows.init(policy(), "192.0.2.1", kApp, kNow);
    store.set_now(kNow + 301);
    const auto entered = enter(store, flows, init.client_code, "dave", kNow + 301);
    assert_status(entered.status, unrecoverable);
    assert_string_equal(entered.reason, "invalid_otp");
}

static void a_client_code_is_coupled_once(void**) {
    MemoryStateStore store;
    store.set_now(kNow);
    TwoWayFlows flows(store, test_key());
    const TwoWayInit init = flows.init(policy(), "192.0.2.1", kApp, kNow);
    assert_status(enter(store, flows, init.client_code, "erin", kNow).status, ok);
    const auto second = enter(store, flows, init.client_code, "mallory", kNow);
    assert_status(second.status, unrecoverable);
    assert_string_equal(second.reason, "replay");
    const auto unknown = enter(store, flows, "000000", "mallory", kNow);
    assert_true(unknown.status == TwoWayStatus::unrecoverable);
    // The parallel version: of 16 portal users entering one code, exactly one couples it.
    const TwoWayInit raced = flows.init(policy(), "192.0.2.1", kApp, kNow);
    std::atomic<int> coupled{0};
    std::vector<std::thread> threads;
    for (int i = 0; i < 16; ++i)
        threads.emplace_back([&, i] {
            if (enter(store, flows, raced.client_code, "user" + std::to_string(i), kNow).status ==
                TwoWayStatus::ok)
                ++coupled;
        });
    for (auto& t : threads) t.join();
    assert_int_equal(coupled.load(), 1);
}

static void a_portal_user_cannot_sweep_client_codes(void**) {
    MemoryStateStore store;
    store.set_now(kNow);
    TwoWayFlows flows(store, test_key());
    const TwoWayInit init = flows.init(policy(), "192.0.2.1", kApp, kNow);
    // OTPLockout's default: 5 wrong client codes within 300 s lock the portal user out ...
    for (int i = 0; i < 5; ++i) {
        const auto wrong_code = enter(store, flows, "X0000" + std::to_string(i), "sweeper", kNow);
        assert_status(wrong_code.status, unrecoverable);
        assert_string_equal(wrong_code.reason, "invalid_otp");
    }
    // ... so even the right one is refused now, and the flow stays free for its owner.
    const auto locked = enter(store, flows, init.client_code, "sweeper", kNow);
    assert_status(locked.status, rate_limited);
    assert_string_equal(locked.reason, "locked");
    assert_true(locked.retry_after > 0);
    assert_false(locked.verification.compared);
    assert_status(enter(store, flows, init.client_code, "owner", kNow).status, ok);
}

static void an_own_flow_does_not_wipe_a_sweepers_failures(void**) {
    MemoryStateStore store;
    store.set_now(kNow);
    TwoWayFlows flows(store, test_key());
    // 4 wrong client codes, then a flow of the sweeper's own, entered and completed: the
    // accepted steps prove nothing, so the 5th wrong code still locks the sweeper out.
    for (int i = 0; i < 4; ++i)
        assert_status(enter(store, flows, "Y0000" + std::to_string(i), "sweeper", kNow).status,
                      unrecoverable);
    const TwoWayInit own = flows.init(policy(), "192.0.2.9", kApp, kNow);
    const auto entered = enter(store, flows, own.client_code, "sweeper", kNow);
    assert_status(entered.status, ok);
    assert_status(complete(store, flows, own.flow, entered.response, kNow).status, ok);
    const auto fifth = enter(store, flows, "Y00009", "sweeper", kNow);
    assert_status(fifth.status, unrecoverable);
    assert_true(fifth.verification.user_locked);
    const TwoWayInit other = flows.init(policy(), "192.0.2.9", kApp, kNow);
    assert_status(enter(store, flows, other.client_code, "sweeper", kNow).status, rate_limited);
}

static void a_flow_completes_only_where_it_started(void**) {
    MemoryStateStore store;
    store.set_now(kNow);
    TwoWayFlows flows(store, test_key());
    const Flow flow = coupled_flow(store, flows, "hank");
    LimitPolicy limits;
    Verifier verifier(store, limits, "two-way test");
    const TwoWayStep elsewhere = complete_flow(flows, verifier, policy(), flow.id, flow.response,
                                               "another location", kNow);
    assert_status(elsewhere.status, unrecoverable);
    assert_false(elsewhere.verification.compared);
    assert_status(complete(store, flows, flow.id, flow.response, kNow).status, ok);
}

static void all_addresses_together_are_limited(void**) {
    MemoryStateStore store;
    store.set_now(kNow);
    TwoWayFlows flows(store, test_key());
    TwoWayPolicy p = policy();
    p.init_rate = 2;
    int ok = 0;
    for (int i = 0; i < 100; ++i)
        if (flows.init(p, "10.0." + std::to_string(i) + ".1", kApp, kNow).status ==
            TwoWayStatus::ok)
            ++ok;
    assert_int_equal(ok, 2 * kTwoWayAllInitsFactor);
}

static void parallel_completes(void**) {
    MemoryStateStore store;
    store.set_now(kNow);
    TwoWayFlows flows(store, test_key());
    // 20 right responses at once: exactly one 2000.
    const Flow right = coupled_flow(store, flows, "frank");
    std::atomic<int> ok{0}, refused{0};
    std::vector<std::thread> threads;
    for (int i = 0; i < 20; ++i)
        threads.emplace_back([&] {
            const auto done = complete(store, flows, right.id, right.response, kNow);
            (done.status == TwoWayStatus::ok ? ok : refused)++;
        });
    for (auto& t : threads) t.join();
    assert_int_equal(ok.load(), 1);
    assert_int_equal(refused.load(), 19);
    // 20 wrong responses at once: no more than OTPAllowedRetry compared.
    const Flow flow = coupled_flow(store, flows, "gina");
    std::atomic<int> compared{0};
    threads.clear();
    for (int i = 0; i < 20; ++i)
        threads.emplace_back([&] {
            if (complete(store, flows, flow.id, wrong(flow.response), kNow).verification.compared) ++compared;
        });
    for (auto& t : threads) t.join();
    assert_int_equal(compared.load(), 2);
    assert_status(complete(store, flows, flow.id, flow.response, kNow).status, unrecoverable);
}

static void inits_are_rate_limited_per_address(void**) {
    MemoryStateStore store;
    store.set_now(kNow);
    TwoWayFlows flows(store, test_key());
    TwoWayPolicy p = policy();
    p.init_rate = 3;
    for (int i = 0; i < 3; ++i) assert_status(flows.init(p, "198.51.100.7", kApp, kNow).status, ok);
    assert_status(flows.init(p, "198.51.100.7", kApp, kNow).status, rate_limited);
    assert_status(flows.init(p, "198.51.100.8", kApp, kNow).status, ok);  // another address
    store.set_now(kNow + kTwoWayInitWindow + 1);
    assert_status(flows.init(p, "198.51.100.7", kApp, kNow + kTwoWayInitWindow + 1).status, ok);
}

static void alphanumeric_codes_and_long_users_fit_the_shared_table(void**) {
    const std::size_t bytes = 1 << 20;
    void* memory = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    assert_true(memory != MAP_FAILED);
    std::string error;
    assert_true(SharedTableStore::format(memory, bytes, &error));
    {
        SharedTableStore store(memory, 1000);
        store.set_now(kNow);
        TwoWayFlows flows(store, test_key());
        TwoWayPolicy p = policy();
        p.code.length = 8;
        p.code.charset = CodeCharset::alphanumeric;
        const TwoWayInit init = flows.init(p, "192.0.2.1", kApp, kNow);
        assert_status(init.status, ok);
        assert_int_equal(init.client_code.size(), 8);
        const std::string user(kTwoWayMaxUserBytes, 'u');
        // Typed in lower case: alphanumeric codes are case-insensitive.
        std::string typed = init.client_code;
        for (char& c : typed) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        const auto entered = enter(store, flows, typed, user, kNow, p);
        assert_status(entered.status, ok);
        const auto done = complete(store, flows, init.flow, entered.response, kNow, p);
        assert_status(done.status, ok);
        assert_string_equal(done.user.c_str(), user.c_str());
    }
    munmap(memory, bytes);
}

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(the_happy_path),
        cmocka_unit_test(a_typo_then_the_right_response),
        cmocka_unit_test(retries_used_up_end_the_flow),
        cmocka_unit_test(unknown_and_expired_flows),
        cmocka_unit_test(a_client_code_is_coupled_once),
        cmocka_unit_test(a_portal_user_cannot_sweep_client_codes),
        cmocka_unit_test(an_own_flow_does_not_wipe_a_sweepers_failures),
        cmocka_unit_test(a_flow_completes_only_where_it_started),
        cmocka_unit_test(all_addresses_together_are_limited),
        cmocka_unit_test(parallel_completes),
        cmocka_unit_test(inits_are_rate_limited_per_address),
        cmocka_unit_test(alphanumeric_codes_and_long_users_fit_the_shared_table),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
