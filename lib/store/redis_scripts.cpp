#include "store/redis_scripts.h"

#include "crypto/digest.h"
#include "util/codec.h"

namespace otp {
namespace {

RedisScript make(const char* name, std::string body) {
    std::string digest = hex_encode(sha1(body));
    return RedisScript{name, std::move(body), std::move(digest)};
}

// One copy of "give a guess back" for the scripts that do: never below 0 (also for a value
// that somehow is below already), a missing counter stays missing, and KEEPTTL keeps the
// window the counter was counted in.
constexpr const char* kDecrementFunction = R"lua(
local function decrement(key)
  if redis.call('EXISTS', key) == 0 then return 0 end
  local n = redis.call('DECR', key)
  if n < 0 then redis.call('SET', key, '0', 'KEEPTTL') return 0 end
  return n
end
)lua";

// One copy of "count": a new counter (no expiry yet) gets the ttl; an existing one keeps its.
constexpr const char* kIncrementFunction = R"lua(
local function increment(key, ttl)
  local n = redis.call('INCR', key)
  if redis.call('PTTL', key) < 0 then redis.call('EXPIRE', key, ttl) end
  return n
end
)lua";

constexpr const char* kIncrement = R"lua(
return increment(KEYS[1], ARGV[1])
)lua";

constexpr const char* kDecrement = R"lua(
return decrement(KEYS[1])
)lua";

constexpr const char* kIncrementUnless = R"lua(
local blocker = redis.call('GET', KEYS[2])
if blocker then return {0, blocker} end
return {1, increment(KEYS[1], ARGV[1])}
)lua";

// StateStore::count_guess in one step (as KeyValueStateStore::count_guess does it in C++).
constexpr const char* kCountGuess = R"lua(
local function give_back(last)
  for j = 1, last do
    if ARGV[2 + (j - 1) * 4 + 3] == '1' then decrement(KEYS[2 + (j - 1) * 2 + 1]) end
  end
end
if ARGV[1] == '1' then
  local until_ = redis.call('GET', KEYS[1])
  if until_ then return {1, 0, until_, 0} end
end
local removed = 0
if ARGV[2] == '1' then removed = redis.call('DEL', KEYS[2]) end
local answer = {0, 0, '', removed}
local counters = (#KEYS - 2) / 2
for i = 1, counters do
  local key, blocker = KEYS[2 + (i - 1) * 2 + 1], KEYS[2 + (i - 1) * 2 + 2]
  local ttl, limit = ARGV[2 + (i - 1) * 4 + 1], tonumber(ARGV[2 + (i - 1) * 4 + 2])
  -- The user's lock, checked above in this same atomic step, need not be read again.
  if ARGV[2 + (i - 1) * 4 + 4] == '1' and not (ARGV[1] == '1' and blocker == KEYS[1]) then
    local value = redis.call('GET', blocker)
    if value then
      give_back(i - 1)
      answer[1], answer[2], answer[3] = 2, i - 1, value
      return answer
    end
  end
  local n = increment(key, ttl)
  answer[#answer + 1] = n
  if n > limit then
    give_back(i)
    answer[1], answer[2] = 3, i - 1
    return answer
  end
end
return answer
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
    static const RedisScript script =
        make("increment", std::string(kIncrementFunction) + kIncrement);
    return script;
}
const RedisScript& redis_decrement_script() {
    static const RedisScript script =
        make("decrement", std::string(kDecrementFunction) + kDecrement);
    return script;
}
const RedisScript& redis_increment_unless_script() {
    static const RedisScript script =
        make("increment_unless", std::string(kIncrementFunction) + kIncrementUnless);
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

const RedisScript& redis_count_guess_script() {
    static const RedisScript script =
        make("count_guess", std::string(kIncrementFunction) + kDecrementFunction + kCountGuess);
    return script;
}

}  // namespace otp
