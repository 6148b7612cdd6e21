// The module's clock: unix seconds, as the core's time-based logic counts them.
#pragma once

#include <apr_time.h>

#include <cstdint>

inline std::int64_t unix_now() { return apr_time_sec(apr_time_now()); }
