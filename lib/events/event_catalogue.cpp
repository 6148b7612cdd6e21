#include "events/event_catalogue.h"

#include <cstdio>
#include <ctime>

namespace otp {

std::string format_utc_millis(std::int64_t unix_millis) {
    std::int64_t seconds = unix_millis / 1000;
    int millis = static_cast<int>(unix_millis % 1000);
    if (millis < 0) {  // before 1970: floor, not truncate
        millis += 1000;
        --seconds;
    }
    std::time_t t = static_cast<std::time_t>(seconds);
    std::tm utc{};
    gmtime_r(&t, &utc);
    char text[64];
    std::snprintf(text, sizeof text, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", utc.tm_year + 1900,
                  utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec, millis);
    return text;
}

JsonObject make_event(const EventType& type, std::int64_t unix_millis) {
    JsonObject event;
    event.set("time", format_utc_millis(unix_millis));
    event.set("event_id", type.id);
    event.set("event", type.name);
    return event;
}

}  // namespace otp
