// Zeroing that the compiler may not remove as a dead store: keys, key-derived HMAC states and
// decrypted cookies must not outlive their use in freed memory or on the stack.
#pragma once

#include <cstddef>
#include <string>
#include <type_traits>

namespace otp {

void secure_wipe(void* data, std::size_t size);

// The characters of `s` (its size, not its capacity).
inline void secure_wipe(std::string& s) {
    if (!s.empty()) secure_wipe(s.data(), s.size());
}

// Every byte of a plain object or array: hash states, key blocks, MAC buffers.
template <class T>
void secure_wipe(T& object) {
    static_assert(std::is_trivially_copyable_v<T>, "wipe containers through their own overload");
    secure_wipe(&object, sizeof object);
}

// Wipes `object` when the scope ends, whichever way it is left.
template <class T>
class WipeOnExit {
public:
    explicit WipeOnExit(T& object) : object_(object) {}
    ~WipeOnExit() { secure_wipe(object_); }
    WipeOnExit(const WipeOnExit&) = delete;
    WipeOnExit& operator=(const WipeOnExit&) = delete;

private:
    T& object_;
};

}  // namespace otp
