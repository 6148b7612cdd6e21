// A small builder for the JSON objects the module answers with ({"status":"ERROR",...}) and
// writes to logs. Keys keep their insertion order and the output is compact, so answers are
// byte-stable for clients and tests.
//
// Any string is accepted: bytes that are not valid UTF-8 become U+FFFD (jansson only takes
// valid UTF-8, and an answer must never fail because a client sent a strange user name);
// embedded NULs are kept and written as \u0000.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <type_traits>

struct json_t;

namespace otp {

class JsonObject {
public:
    JsonObject();
    ~JsonObject();
    JsonObject(const JsonObject& other);  // deep copy
    JsonObject& operator=(const JsonObject& other);
    JsonObject(JsonObject&&) noexcept;
    JsonObject& operator=(JsonObject&&) noexcept;

    // Setting an existing key replaces its value (and keeps its original position).
    JsonObject& set(const char* key, std::string_view value);
    // Without the const char* overload a string literal would pick set(key, bool): a
    // standard conversion beats the user-defined one to string_view.
    JsonObject& set(const char* key, const char* value) {
        return set(key, std::string_view(value));
    }
    JsonObject& set(const char* key, const std::string& value) {
        return set(key, std::string_view(value));
    }
    JsonObject& set(const char* key, bool value);
    JsonObject& set(const char* key, long long value);
    // All other integer types (int, unsigned, std::int64_t, …) go through long long, so that
    // set("attempts_left", 1) is not ambiguous between bool and long long.
    template <typename Int,
              typename = std::enable_if_t<std::is_integral_v<Int> && !std::is_same_v<Int, bool>>>
    JsonObject& set(const char* key, Int value) {
        return set(key, static_cast<long long>(value));
    }
    JsonObject& set(const char* key, const JsonObject& nested);  // deep copy of `nested`
    JsonObject& set_null(const char* key);

    bool empty() const;

    // Compact, keys in insertion order, e.g. {"status":"ERROR","error":"invalid_otp"}.
    // Returns "{}" only if memory ran out while building.
    std::string dump() const;

private:
    struct Deleter {
        void operator()(json_t* j) const;
    };
    std::unique_ptr<json_t, Deleter> object_;
};

// Encodes one string as a JSON string literal with quotes ("a\"b"), sanitising UTF-8 as above.
std::string json_quote(std::string_view value);

}  // namespace otp
