// Small HTTP helpers for the login flow's answers: JSON and HTML bodies with the right
// headers, request bodies with a size limit, cookies, the Origin check.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mod_otp/http/apache_headers.h"
#include "util/json_body.h"

// The client asked for JSON and not for HTML (Accept: application/json, no text/html).
bool wants_json(request_rec* r);

// Writes a complete answer; returns OK (for handlers) — check_authn callers return DONE.
int send_body(request_rec* r, int status, const char* content_type, std::string_view body);
int send_json(request_rec* r, int status, const otp::JsonObject& body);
int send_json_error(request_rec* r, int status, std::string_view error);
int send_redirect(request_rec* r, int status, const std::string& location);

// Reads the request body. Returns OK, HTTP_REQUEST_ENTITY_TOO_LARGE when it is longer than
// `limit`, or HTTP_BAD_REQUEST when it cannot be read.
int read_body(request_rec* r, std::size_t limit, std::string* body);

// An Origin header, when present, must name this server (scheme, host and port).
bool origin_allowed(request_rec* r);
// origin_allowed, and the browser does not say that another site made the request
// (Sec-Fetch-Site: cross-site or same-site). Requests without these headers (old browsers,
// scripts) pass.
bool same_origin_request(request_rec* r);

// Every value of cookie `name` in the request's Cookie headers, in order (nested realms send
// one per path); read_cookie gives the first.
std::vector<std::string> read_cookies(request_rec* r, const char* name);
std::optional<std::string> read_cookie(request_rec* r, const char* name);
// HttpOnly, SameSite=Lax, Secure over HTTPS; session cookies (no Max-Age) unless max_age > 0.
void write_cookie(request_rec* r, const char* name, std::string_view value, std::string_view path,
                  long max_age = 0);
void clear_cookie(request_rec* r, const char* name, std::string_view path);

bool is_https(request_rec* r);
