// The Lua scripts that make the StateStore's read-modify-write operations one atomic step on
// the Redis server (a script runs with no other command in between). Each is sent by its
// SHA-1 (EVALSHA); a server that does not know it yet (NOSCRIPT: new, restarted or failed
// over) gets the script itself (EVAL), which also loads it.
#pragma once

#include <string>

namespace otp {

struct RedisScript {
    const char* name;  // for error messages
    std::string body;
    std::string sha1;  // lower-case hex, as EVALSHA wants it
};

// KEYS[1] counter; ARGV[1] ttl. INCR, and a new counter (no expiry yet) gets the ttl.
const RedisScript& redis_increment_script();
// KEYS[1] counter. DECR a live counter, never below 0; a missing one stays missing (0).
const RedisScript& redis_decrement_script();
// KEYS[1] counter, KEYS[2] blocker; ARGV[1] ttl. {0, blocker value} or {1, new count}.
const RedisScript& redis_increment_unless_script();
// KEYS[1]; ARGV[1] decimal value, ARGV[2] ttl. 1 when stored (nothing or a smaller number
// was there), 0 when not. Compares decimal strings, so no number loses precision in Lua.
const RedisScript& redis_advance_script();
// KEYS[1]; ARGV[1] expected, ARGV[2] desired, ARGV[3] ttl. 1 replaced, 0 differs, -1 missing.
const RedisScript& redis_compare_and_set_script();
// StateStore::count_guess. KEYS[1] lock, KEYS[2] notice, then per counter its key and its
// blocker; ARGV[1] "1" when there is a lock, ARGV[2] "1" when there is a notice, then per
// counter: ttl, limit, give back ("1"/"0"), has a blocker ("1"/"0"). The answer:
// {status (0 counted, 1 locked, 2 blocked, 3 over limit), stopped at (0-based), blocker value
// or "", notice removed (0/1), count...}.
const RedisScript& redis_count_guess_script();

}  // namespace otp
