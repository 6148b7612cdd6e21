// The Lua scripts that make the StateStore's read-modify-write operations one atomic step on
// the Redis server (a script runs with no other command in between). Each is sent by its
// SHA-1 (EVALSHA); a server that does not know it yet (NOSCRIPT: new, restarted or failed
// over) gets the script itself (EVAL), which also loads it.
#pragma once

#include <string>

namespace otp {

struct RedisScript {
    const char* name;  // for error messages
    const char* body;
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

}  // namespace otp
