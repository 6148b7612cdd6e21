// OTPEventLog: JSON-lines events (SPEC §6) for log pipelines, to a file or a piped program
// (restarted by httpd, as CustomLog pipes are). Lines are written whole under a global
// mutex, so lines from different processes and threads never interleave, also on pipes
// where writes above PIPE_BUF bytes are not atomic.
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "events/event_catalogue.h"
#include "mod_otp/http/apache_headers.h"

struct EventField {
    const char* key;
    std::variant<std::string_view, long long> value;
};

// Lifecycle: mutex type in pre_config, logs opened in post_config (in the parent, so
// children inherit them), mutex reattached in child_init.
apr_status_t otp_event_log_pre_config(apr_pool_t* pconf);
const char* otp_event_log_post_config(apr_pool_t* pconf, apr_pool_t* ptemp, server_rec* s);
void otp_event_log_child_init(apr_pool_t* pchild, server_rec* s);

// What an event says about the request it comes from, captured so that an event can also be
// written after the request has ended (a pre-pipe's send runs in the background).
struct EventOrigin {
    server_rec* server = nullptr;  // whose OTPEventLog
    std::string customer;          // OTPCustomerIdentifier's value, empty when unset
    std::string source_address;
    std::string request_id;
    std::string location;
    // What an API caller said about its call (caller_id, client_txn_id, txn_id): written
    // after each event's own fields, so every event of the call can be joined to it.
    std::vector<std::pair<const char*, std::string>> call_fields;
};
EventOrigin otp_event_origin(request_rec* r);

// An event with IDENTIFIER, CUSTOMER_IDENTIFIER (when not empty), SOURCE_ADDRESS, `fields`,
// the origin's call fields, request_id, location and pipe (when given), in that order.
void otp_emit_event(const EventOrigin& origin, const otp::EventType& type,
                    std::string_view identifier, std::initializer_list<EventField> fields,
                    const char* pipe = nullptr);

// An event about a request: adds IDENTIFIER, CUSTOMER_IDENTIFIER (OTPCustomerIdentifier,
// when set and not empty), SOURCE_ADDRESS (the client as httpd sees it, so mod_remoteip
// applies), then `fields`, then request_id (mod_unique_id's UNIQUE_ID, else one of ours),
// location and pipe (when given).
void otp_emit_request_event(request_rec* r, const otp::EventType& type, std::string_view identifier,
                            std::initializer_list<EventField> fields, const char* pipe = nullptr);

// An event about the server (users file reloads): time, id, name and `fields`.
void otp_emit_server_event(server_rec* s, const otp::EventType& type,
                           std::initializer_list<EventField> fields);

// The request's id for events and error log lines.
const char* otp_request_id(request_rec* r);
