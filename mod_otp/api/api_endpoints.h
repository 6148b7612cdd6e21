// The calls of the verify API (README "Verify API"), each given the call's context and its
// body (already checked for method, origin, content type and size by the handler).
#pragma once

#include <string_view>

#include "mod_otp/api/api_request.h"

// POST <loc> or <loc>/verify: is this the user's code? Optionally a session token.
int serve_verify(ApiRequest& api, std::string_view body);
// POST <loc>/generate: a delivered code for the user, to the pre-pipe or back to the caller.
int serve_generate(ApiRequest& api, std::string_view body);
// POST <loc>/token: is this token (from verify's tokenType "session") still valid, for whom?
// `revocations`: the limits whose lockouts end the location's tokens.
int serve_token(ApiRequest& api, std::string_view body, otp::LoginLimits& revocations);
// POST <loc>/authentication_requests/initiate: Toopher's call, answered at once.
int serve_initiate(ApiRequest& api, std::string_view body);

// A refusal of initiate in Toopher's shape: {"error_code":…,"error_message":…} with the
// error's HTTP status (`element` is added to the message).
int answer_initiate_error(ApiRequest& api, otp::ApiError error, const std::string& element = {});

// verify's "token" member for `user`: a sealed token bound to this location. nullopt when it
// cannot be sealed (no key, no randomness).
std::optional<otp::JsonObject> issue_api_token(ApiRequest& api, const std::string& user);
