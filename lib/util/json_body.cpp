#include "util/json_body.h"

#include <jansson.h>

#include "util/utf8.h"

namespace otp {
namespace {

constexpr size_t kDumpFlags = JSON_COMPACT | JSON_PRESERVE_ORDER;

// json_stringn refuses invalid UTF-8 and returns NULL; repair first so it cannot.
json_t* make_string(std::string_view value) {
    if (is_valid_utf8(value)) return json_stringn(value.data(), value.size());
    const std::string clean = sanitize_utf8(value);
    return json_stringn(clean.data(), clean.size());
}

// json_dumpb writes into our buffer, so the result never has to be released with whatever
// free() another module may have installed through json_set_alloc_funcs.
std::string dump_json(const json_t* value, size_t flags) {
    if (!value) return {};
    const size_t size = json_dumpb(value, nullptr, 0, flags);
    if (size == 0) return {};
    std::string out(size, '\0');
    if (json_dumpb(value, out.data(), out.size(), flags) != size) return {};
    return out;
}

}  // namespace

void JsonObject::Deleter::operator()(json_t* j) const { json_decref(j); }

JsonObject::JsonObject() : object_(json_object()) {}
JsonObject::~JsonObject() = default;
JsonObject::JsonObject(const JsonObject& other)
    : object_(other.object_ ? json_deep_copy(other.object_.get()) : json_object()) {}
JsonObject& JsonObject::operator=(const JsonObject& other) {
    if (this != &other)
        object_.reset(other.object_ ? json_deep_copy(other.object_.get()) : json_object());
    return *this;
}
JsonObject::JsonObject(JsonObject&&) noexcept = default;
JsonObject& JsonObject::operator=(JsonObject&&) noexcept = default;

// json_object_set_new takes ownership of the value even when it fails, and copes with a NULL
// value by failing, so a failed allocation just leaves the key out.
JsonObject& JsonObject::set(const char* key, std::string_view value) {
    if (object_ && key) json_object_set_new(object_.get(), key, make_string(value));
    return *this;
}

JsonObject& JsonObject::set(const char* key, bool value) {
    if (object_ && key) json_object_set_new(object_.get(), key, json_boolean(value));
    return *this;
}

JsonObject& JsonObject::set(const char* key, long long value) {
    if (object_ && key)
        json_object_set_new(object_.get(), key, json_integer(static_cast<json_int_t>(value)));
    return *this;
}

JsonObject& JsonObject::set(const char* key, const JsonObject& nested) {
    if (object_ && key && nested.object_)
        json_object_set_new(object_.get(), key, json_deep_copy(nested.object_.get()));
    return *this;
}

JsonObject& JsonObject::set_null(const char* key) {
    if (object_ && key) json_object_set_new(object_.get(), key, json_null());
    return *this;
}

bool JsonObject::empty() const { return !object_ || json_object_size(object_.get()) == 0; }

std::string JsonObject::dump() const {
    std::string out = dump_json(object_.get(), kDumpFlags);
    return out.empty() ? std::string("{}") : out;
}

std::string json_quote(std::string_view value) {
    std::unique_ptr<json_t, void (*)(json_t*)> s(make_string(value), json_decref);
    std::string out = dump_json(s.get(), kDumpFlags | JSON_ENCODE_ANY);
    return out.empty() ? std::string("\"\"") : out;
}

}  // namespace otp
