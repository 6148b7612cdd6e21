#include "twoway/two_way_flows.h"

#include <algorithm>
#include <vector>

#include "crypto/constant_time.h"
#include "util/base64url.h"
#include "util/codec.h"
#include "util/numbers.h"

namespace otp {
namespace {

constexpr std::size_t kUserChunkBytes = 90;
constexpr std::size_t kUserChunks = 3;  // kTwoWayMaxUserBytes / kUserChunkBytes
constexpr int kCodeTries = 8;           // fresh client codes tried when one is in use

std::string user_chunk_kind(std::size_t i) { return "2w-user" + std::to_string(i); }

// "<state>|...|<expiry>": the expiry is the last field.
std::int64_t expiry_of(const std::string& value) {
    const std::size_t bar = value.rfind('|');
    if (bar == std::string::npos) return 0;
    return parse_decimal<std::int64_t>(std::string_view(value).substr(bar + 1)).value_or(0);
}

bool store_full(const StateStore& store) { return store.last_failure() == StoreStatus::full; }

// The '|'-separated fields of a flow record.
std::vector<std::string_view> fields_of(std::string_view value) {
    std::vector<std::string_view> fields;
    std::size_t start = 0;
    while (true) {
        const std::size_t bar = value.find('|', start);
        fields.push_back(value.substr(start, bar == std::string_view::npos ? bar : bar - start));
        if (bar == std::string_view::npos) return fields;
        start = bar + 1;
    }
}

// Codes are compared case-insensitively whatever the checking location's OTPTwoWayCode says:
// the app's location made the client code and the portal's the response, and either may be
// alphanumeric while the other is not. Digits are unchanged, so numeric codes lose nothing.
std::string canonical(std::string_view code) {
    return normalize_typed_code(code, CodeCharset::alphanumeric);
}

}  // namespace

bool is_two_way_flow_id(std::string_view flow) {
    if (flow.size() != kTwoWayFlowIdLength) return false;
    for (char c : flow)
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_'))
            return false;
    return true;
}

TwoWayFlows::TwoWayFlows(StateStore& store, const HmacSha256Key& key) : store_(store), key_(key) {}

std::string TwoWayFlows::hashed(std::string_view purpose, std::string_view value) const {
    const std::string mac = key_.mac(length_prefixed({"mod_otp two-way", purpose, value}));
    return mac.empty() ? std::string() : hex_encode(mac.substr(0, 16));
}

std::string TwoWayFlows::flow_id_hash(std::string_view flow) const { return hashed("flow", flow); }

std::string TwoWayFlows::location_tag(std::string_view location) const {
    return hashed("location", location).substr(0, 16);
}

std::string TwoWayFlows::flow_ref(std::string_view flow) const {
    return flow_id_hash(flow).substr(0, 16);
}

TwoWayInit TwoWayFlows::init(const TwoWayPolicy& policy, std::string_view address,
                             std::string_view app_location, std::int64_t now) {
    TwoWayInit result;
    const std::string address_id = hashed("address", address);
    if (address_id.empty()) return result;
    auto inits = store_.increment(record_key(address_id, "2w-inits"), kTwoWayInitWindow);
    if (!inits) {
        result.store_full = store_full(store_);
        return result;
    }
    if (*inits > static_cast<std::int64_t>(policy.init_rate)) {
        result.status = TwoWayStatus::rate_limited;
        return result;
    }
    // And all addresses together: a flow and its code take two records for the flow's
    // lifetime, so many addresses must not be able to fill the store every login shares.
    auto all_inits = store_.increment(record_key(hashed("address", "(all)"), "2w-inits"),
                                      kTwoWayInitWindow);
    if (!all_inits) {
        result.store_full = store_full(store_);
        return result;
    }
    if (*all_inits > static_cast<std::int64_t>(policy.init_rate) * kTwoWayAllInitsFactor) {
        result.status = TwoWayStatus::rate_limited;
        return result;
    }
    auto random = random_bytes(16);
    if (!random) return result;
    result.flow = base64url_encode(*random);
    const std::string flow_hash = flow_id_hash(result.flow);
    const std::int64_t expires = now + policy.lifetime;
    // A client code names one live flow: a code in use by another flow is drawn again.
    std::string code_key;
    for (int i = 0; i < kCodeTries && code_key.empty(); ++i) {
        auto code = generate_code(policy.code);
        if (!code) return result;
        const std::string key =
            record_key(hashed("code", canonical(*code)), "2w-code");
        const StoreStatus added = store_.add(key, flow_hash, policy.lifetime);
        if (added == StoreStatus::ok) {
            code_key = key;
            result.client_code = std::move(*code);
        } else if (added != StoreStatus::exists) {
            result.store_full = store_full(store_);
            return result;
        }
    }
    if (code_key.empty()) return result;  // the code space is crowded: fail closed
    if (store_.add(record_key(flow_hash, "2w-flow"),
                   "p|" + location_tag(app_location) + "|" + std::to_string(expires),
                   policy.lifetime) != StoreStatus::ok) {
        result.store_full = store_full(store_);
        store_.remove(code_key);
        result.client_code.clear();
        return result;
    }
    result.status = TwoWayStatus::ok;
    return result;
}

TwoWayEnter TwoWayFlows::enter(const TwoWayPolicy& policy, std::string_view code,
                               std::string_view user, std::int64_t now) {
    TwoWayEnter result;
    const std::string code_key =
        record_key(hashed("code", canonical(code)), "2w-code");
    std::string flow_hash;
    StoreStatus found = store_.get(code_key, &flow_hash);
    if (found == StoreStatus::not_found) {
        result.status = TwoWayStatus::unrecoverable;
        result.reason = "invalid_otp";
        return result;
    }
    if (found != StoreStatus::ok) return result;
    if (flow_hash == "taken") {
        result.status = TwoWayStatus::unrecoverable;
        result.reason = "replay";
        return result;
    }
    result.flow_ref = flow_hash.substr(0, 16);
    const std::string flow_key = record_key(flow_hash, "2w-flow");
    std::string state;
    found = store_.get(flow_key, &state);
    if (found == StoreStatus::not_found || (found == StoreStatus::ok && state.rfind("p|", 0) != 0)) {
        result.status = TwoWayStatus::unrecoverable;
        result.reason = found == StoreStatus::not_found ? "expired" : "replay";
        return result;
    }
    if (found != StoreStatus::ok) return result;
    const std::int64_t expires = expiry_of(state);
    const std::int64_t ttl = expires - now;
    if (ttl <= 0) {
        result.status = TwoWayStatus::unrecoverable;
        result.reason = "expired";
        return result;
    }
    // One portal user claims the code; whoever comes second is refused.
    const StoreStatus claimed = store_.compare_and_set(code_key, flow_hash, "taken", ttl);
    if (claimed == StoreStatus::exists || claimed == StoreStatus::not_found) {
        result.status = TwoWayStatus::unrecoverable;
        result.reason = "replay";
        return result;
    }
    if (claimed != StoreStatus::ok) {
        result.store_full = store_full(store_);
        return result;
    }
    for (std::size_t i = 0; i < kUserChunks; ++i) {
        const std::size_t from = i * kUserChunkBytes;
        const std::string_view piece =
            from < user.size() ? user.substr(from, kUserChunkBytes) : std::string_view();
        if (piece.empty() && i > 0) break;
        if (store_.put(record_key(flow_hash, user_chunk_kind(i)), piece, ttl) != StoreStatus::ok) {
            result.store_full = store_full(store_);
            return result;
        }
    }
    auto response = generate_code(policy.code);
    if (!response) return result;
    const std::vector<std::string_view> pending = fields_of(state);
    if (pending.size() != 3) return result;  // not a record of ours: fail closed
    const std::string coupled = "c|" + hashed("response " + flow_hash, canonical(*response)) + "|" +
                                std::string(pending[1]) + "|" + std::to_string(expires);
    const StoreStatus set = store_.compare_and_set(flow_key, state, coupled, ttl);
    if (set != StoreStatus::ok) {
        if (set == StoreStatus::exists || set == StoreStatus::not_found) {
            result.status = TwoWayStatus::unrecoverable;
            result.reason = set == StoreStatus::not_found ? "expired" : "replay";
        } else {
            result.store_full = store_full(store_);
        }
        return result;
    }
    result.status = TwoWayStatus::ok;
    result.response = std::move(*response);
    return result;
}

TwoWayLookup TwoWayFlows::find_coupled(std::string_view flow, std::string_view app_location,
                                       std::int64_t now) {
    TwoWayLookup result;
    if (!is_two_way_flow_id(flow)) {
        result.status = TwoWayStatus::unrecoverable;
        result.reason = "expired";
        return result;
    }
    result.flow_hash = flow_id_hash(flow);
    const StoreStatus found = store_.get(record_key(result.flow_hash, "2w-flow"), &result.state);
    if (found == StoreStatus::not_found) {
        result.status = TwoWayStatus::unrecoverable;
        result.reason = "expired";
        return result;
    }
    if (found != StoreStatus::ok) {
        result.store_full = store_full(store_);
        return result;
    }
    result.expires = expiry_of(result.state);
    const std::vector<std::string_view> fields = fields_of(result.state);
    const bool pending = fields.size() == 3 && fields[0] == "p";
    const bool coupled = fields.size() == 4 && fields[0] == "c";
    // A flow is completed where it was started: another location of the virtual host (with
    // its own retries and tokens) does not know it.
    if ((pending || coupled) && fields[pending ? 1 : 2] != location_tag(app_location)) {
        result.status = TwoWayStatus::unrecoverable;
        result.reason = "expired";
        return result;
    }
    if (pending) {
        result.status = TwoWayStatus::not_entered;
        return result;
    }
    if (!coupled || result.expires <= now) {  // "d|": completed
        result.status = TwoWayStatus::unrecoverable;
        result.reason = result.expires <= now ? "expired" : "replay";
        return result;
    }
    for (std::size_t i = 0; i < kUserChunks; ++i) {
        std::string piece;
        const StoreStatus read =
            store_.get(record_key(result.flow_hash, user_chunk_kind(i)), &piece);
        if (read == StoreStatus::not_found) break;
        if (read != StoreStatus::ok) {
            result.store_full = store_full(store_);
            return result;
        }
        result.user += piece;
        if (piece.size() < kUserChunkBytes) break;
    }
    result.status = TwoWayStatus::ok;
    return result;
}

bool TwoWayFlows::finish(const TwoWayLookup& flow, std::string_view response, std::int64_t now,
                         bool* replay, bool* store_failed) {
    *replay = false;
    *store_failed = false;
    const std::string& state = flow.state;
    const std::vector<std::string_view> fields = fields_of(state);
    if (fields.size() != 4) return false;
    const std::string_view expected = fields[1];
    const std::string typed = hashed("response " + flow.flow_hash,
                                     canonical(response));
    if (typed.empty() || !constant_time_equal(typed, expected)) return false;
    const std::int64_t ttl = std::max<std::int64_t>(1, flow.expires - now);
    const StoreStatus done = store_.compare_and_set(record_key(flow.flow_hash, "2w-flow"), state,
                                                    "d|" + std::to_string(flow.expires), ttl);
    if (done == StoreStatus::ok) return true;
    if (done == StoreStatus::exists || done == StoreStatus::not_found)
        *replay = true;
    else
        *store_failed = true;
    return false;
}

void TwoWayFlows::forget(const std::string& flow_hash) {
    store_.remove(record_key(flow_hash, "2w-flow"));
    for (std::size_t i = 0; i < kUserChunks; ++i)
        store_.remove(record_key(flow_hash, user_chunk_kind(i)));
}

}  // namespace otp
