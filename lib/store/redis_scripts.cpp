#include "store/redis_scripts.h"

#include "crypto/digest.h"
#include "util/codec.h"

namespace otp {
namespace {

RedisScript make(const char* name, const char* body) {
    return RedisScript{name, body, hex_encode(sha1(body))};
}

// A counter that exists without an expiry was just created by INCR (or by nobody we know):
// it gets the ttl; an existing one keeps the expiry it had, as KeyValueStateStore does.
constexpr const char* kIncrement = R"lua(
local n = redis.call('INCR', KEYS[1])
if redis.call('PTTL', KEYS[1]) < 0 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
return n
)lua";

constexpr const char* kDecrement = R"lua(
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
local n = redis.call('DECR', KEYS[1])
if n < 0 then redis.call('INCR', KEYS[1]) return 0 end
return n
)lua";

constexpr const char* kIncrementUnless = R"lua(
local blocker = redis.call('GET', KEYS[2])
if blocker then return {0, blocker} end
local n = redis.call('INCR', KEYS[1])
if redis.call('PTTL', KEYS[1]) < 0 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
return {1, n}
)lua";

constexpr const char* kAdvance = R"lua(
local v = redis.call('GET', KEYS[1])
if v then
  if not string.match(v, '^%d+$') then return redis.error_reply('ERR not a counter') end
  local a = ARGV[1]
  if #v > #a or (#v == #a and v >= a) then return 0 end
end
redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
return 1
)lua";

constexpr const char* kCompareAndSet = R"lua(
local v = redis.call('GET', KEYS[1])
if not v then return -1 end
if v ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'EX', ARGV[3])
return 1
)lua";

}  // namespace

const RedisScript& redis_increment_script() {
    static const RedisScript script = make("increment", kIncrement);
    return script;
}
const RedisScript& redis_decrement_script() {
    static const RedisScript script = make("decrement", kDecrement);
    return script;
}
const RedisScript& redis_increment_unless_script() {
    static const RedisScript script = make("increment_unless", kIncrementUnless);
    return script;
}
const RedisScript& redis_advance_script() {
    static const RedisScript script = make("advance", kAdvance);
    return script;
}
const RedisScript& redis_compare_and_set_script() {
    static const RedisScript script = make("compare_and_set", kCompareAndSet);
    return script;
}

}  // namespace otp
