// The two-way API's answers: the status in the JSON body (2000, 4001, 4002, 5000, and 4000 /
// 4010 / 4029 / 5030 for requests that never reach a flow), the HTTP status that goes with it.
#pragma once

#include <cstdint>
#include <string>

#include "api/api_error.h"
#include "mod_otp/http/apache_headers.h"
#include "twoway/two_way_flows.h"
#include "util/json_body.h"

// Extra statuses of the API besides TwoWayStatus: a malformed request, no portal user.
constexpr int kTwoWayBadRequest = 4000;
constexpr int kTwoWayNotLoggedIn = 4010;

// The HTTP status of a TwoWayStatus: 200, 401 (4001), 409 (4002), 410 (5000), 429, 503.
int two_way_http_status(otp::TwoWayStatus status);

// {"status":<status>,"error":<error>} (+ attemptsLeft, retryAfter with Retry-After).
int answer_two_way_refusal(request_rec* r, otp::TwoWayStatus status, const char* error,
                           int attempts_left = -1, std::int64_t retry_after = 0);
// A request that never reached a flow: {"status":4000,"error":…,"element":…} with the
// error's HTTP status (400, 405, 413, 415, 403), or 4010 / 401 for no portal user.
int answer_two_way_bad_request(request_rec* r, otp::ApiError error, const std::string& element = {});
int answer_two_way_not_logged_in(request_rec* r);
