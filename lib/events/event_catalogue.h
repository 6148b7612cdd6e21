// The events mod_otp writes for log pipelines (SPEC §6), one JSON object per line. Ids and
// names are a public interface: the README lists every event with every field, and
// pipelines alert on them, so never renumber or rename one.
#pragma once

#include <cstdint>
#include <string>

#include "util/json_body.h"

namespace otp {

struct EventType {
    const char* id;
    const char* name;
};

namespace event {
inline constexpr EventType kValidated{"WEB_100019", "OTP validated"};
inline constexpr EventType kValidationFailed{"WEB_100020", "OTP validation failed"};
inline constexpr EventType kAttemptStarted{"WEB_100021", "OTP login attempt started"};
inline constexpr EventType kCodeSent{"WEB_100022", "OTP code sent"};
inline constexpr EventType kAttemptAborted{"WEB_100023", "OTP login attempt aborted"};
inline constexpr EventType kUserLocked{"WEB_100024", "OTP user locked out"};
inline constexpr EventType kUserUnlocked{"WEB_100025", "OTP user unlocked"};
inline constexpr EventType kSessionStarted{"WEB_100026", "OTP session started"};
inline constexpr EventType kSessionEnded{"WEB_100027", "OTP session ended"};
inline constexpr EventType kUsersFileReloaded{"WEB_100028", "OTP users file reloaded"};
inline constexpr EventType kUsersFileReloadFailed{"WEB_100029", "OTP users file reload failed"};
inline constexpr EventType kStoreError{"WEB_100030", "OTP state store error"};
inline constexpr EventType kAddressLocked{"WEB_100031", "OTP client address locked out"};
inline constexpr EventType kPipeError{"WEB_100032", "OTP pipe error"};
inline constexpr EventType kTwoWayStarted{"WEB_100033", "OTP two-way flow started"};
inline constexpr EventType kTwoWayCodeEntered{"WEB_100034", "OTP two-way code entered"};
}  // namespace event

// "2026-11-24T10:00:00.123Z"
std::string format_utc_millis(std::int64_t unix_millis);

// A new event line with "time", "event_id" and "event" first, in that order; the caller
// adds the event's own fields and dumps it.
JsonObject make_event(const EventType& type, std::int64_t unix_millis);

}  // namespace otp
