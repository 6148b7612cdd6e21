// Delivered codes (verify/delivered_code.h) under sequences of operations against a model.
// Each 8-byte record of the input is one operation on one of four users over a
// MemoryStateStore whose clock only moves forward:
//   byte 0: operation (issue / check the user's code / check another code / check another
//           user's code / compare only / move the clock), 1: user, 2-3: the code's seed,
//   4: uses (1-4), 5: lifetime (1-64 s), 6: charset and case of the typed code, 7: seconds to
//   move the clock.
// Properties: check() answers exactly what the model says (accepted only for the user's own
// live code with uses left, expired only for the user's own code past its lifetime or uses,
// invalid otherwise; compare-only never takes a use), the number of accepted checks of a code
// never exceeds its uses, and the stored record never contains the code or the user name.
#include <array>
#include <cstdint>
#include <map>
#include <string>

#include "crypto/digest.h"
#include "fuzz_support.h"
#include "store/state_store.h"
#include "verify/delivered_code.h"

using namespace otp;

namespace {

constexpr std::int64_t kStart = 1700000000;
constexpr std::int64_t kRecordTtl = 100000;

struct ModelCode {
    std::string code;
    CodeCharset charset = CodeCharset::numeric;
    std::int64_t expires = 0;
    unsigned uses = 1;
    unsigned taken = 0;
};

std::string code_from(std::uint16_t seed, CodeCharset charset, unsigned length) {
    const std::string_view alphabet = code_alphabet(charset);
    std::string code;
    std::uint32_t x = seed * 2654435761u + 1;
    for (unsigned i = 0; i < length; ++i) {
        code += alphabet[(x >> 8) % alphabet.size()];
        x = x * 1103515245u + 12345u;
    }
    return code;
}

std::string lower(std::string s) {
    for (char& c : s)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    return s;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const HmacSha256Key key(std::string(32, '\x17'));
    static const std::array<const char*, 4> kUsers = {"alice", "bob", "carl", "dora"};
    MemoryStateStore store;
    std::int64_t now = kStart;
    store.set_now(now);
    DeliveredCodes codes(store, key);
    std::map<int, ModelCode> model;
    for (std::size_t at = 0; at + 8 <= size && at < 8 * 128; at += 8) {
        const std::uint8_t* op = data + at;
        const int user = op[1] % 4;
        const CodeCharset charset = (op[6] & 1) ? CodeCharset::alphanumeric : CodeCharset::numeric;
        switch (op[0] % 6) {
            case 0: {  // issue
                ModelCode m;
                m.charset = charset;
                m.code = code_from(static_cast<std::uint16_t>(op[2] | op[3] << 8), charset, 6);
                m.uses = 1 + op[4] % 4;
                m.expires = now + 1 + op[5] % 64;
                DeliveredCodePolicy policy;
                policy.length = 6;
                policy.charset = charset;
                policy.lifetime = m.expires - now;
                policy.uses = m.uses;
                FUZZ_CHECK(codes.issue("scope", kUsers[user], m.code, policy, now, kRecordTtl) ==
                               StoreStatus::ok,
                           "issue failed");
                std::string stored;
                FUZZ_CHECK(store.get(DeliveredCodes::record_name("scope", kUsers[user]), &stored) ==
                               StoreStatus::ok,
                           "no record after issue");
                FUZZ_CHECK(stored.find(m.code) == std::string::npos &&
                               stored.find(kUsers[user]) == std::string::npos,
                           "the record holds the code or the user: %s", stored.c_str());
                model[user] = m;
                break;
            }
            case 1:    // the user's own code (maybe in lower case)
            case 4: {  // ... compared only
                auto found = model.find(user);
                if (found == model.end()) break;
                ModelCode& m = found->second;
                const bool take = op[0] % 6 == 1;
                const std::string typed = (op[6] & 2) && m.charset == CodeCharset::alphanumeric
                                              ? lower(m.code)
                                              : m.code;
                DeliveredCodePolicy checking;
                checking.charset = m.charset;
                checking.lifetime = 64;
                checking.uses = 4;
                const CodeCheck got = codes.check("scope", kUsers[user], typed, checking, now, take);
                const bool live = now < m.expires && m.taken < m.uses;
                const CodeCheck want = live ? CodeCheck::accepted : CodeCheck::expired;
                FUZZ_CHECK(got == want, "own code: got %d want %d (taken %u of %u, %lld s left)",
                           static_cast<int>(got), static_cast<int>(want), m.taken, m.uses,
                           static_cast<long long>(m.expires - now));
                if (got == CodeCheck::accepted && take) ++m.taken;
                FUZZ_CHECK(m.taken <= m.uses, "more uses than allowed");
                break;
            }
            case 2: {  // another code for the user
                const std::string other = code_from(static_cast<std::uint16_t>(op[2] | op[3] << 8),
                                                    charset, 1 + op[4] % 8);
                auto found = model.find(user);
                const bool same = found != model.end() &&
                                  normalize_typed_code(other, found->second.charset) ==
                                      found->second.code;
                if (same) break;
                DeliveredCodePolicy checking;
                checking.charset = charset;
                const CodeCheck got = codes.check("scope", kUsers[user], other, checking, now);
                FUZZ_CHECK(got == CodeCheck::invalid, "a wrong code got %d", static_cast<int>(got));
                break;
            }
            case 3: {  // someone else's code
                const int other = (user + 1 + op[2] % 3) % 4;
                auto found = model.find(other);
                if (found == model.end()) break;
                auto mine = model.find(user);
                if (mine != model.end() && mine->second.code == found->second.code) break;
                DeliveredCodePolicy checking;
                checking.charset = found->second.charset;
                const CodeCheck got =
                    codes.check("scope", kUsers[user], found->second.code, checking, now);
                FUZZ_CHECK(got == CodeCheck::invalid, "another user's code got %d",
                           static_cast<int>(got));
                break;
            }
            case 5:  // time passes
                now += op[7] % 40;
                store.set_now(now);
                break;
        }
    }
    return 0;
}
