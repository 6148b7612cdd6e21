// OTPBasicLinger: a Basic client resends the same password on every request, but its code
// can be used only once. After a code is accepted, a linger record lets that same user and
// password from the same client address in for a while. The record's key is a keyed hash
// (HMAC-SHA-256 under a per-start random key, keyed once per process), so the store never holds the password.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "crypto/digest.h"
#include "users/users_file.h"

// `tokens` are the user's tokens now: their secrets and PINs go into the key, so a changed
// token ends the linger.
// `scope` names where the password was accepted: the users (otp_users_scope), the pipe and,
// for an exec pipe, the protected section, so no record lingers where another pipe decides.
std::string linger_record_key(const otp::HmacSha256Key& secret, std::string_view scope,
                              std::string_view user, std::string_view password,
                              std::string_view client_address,
                              const std::vector<otp::TokenRecord>& tokens);
