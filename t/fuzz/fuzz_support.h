// Helpers shared by the fuzz targets: a fatal property check that libFuzzer records as a
// crash (with the input saved as an artifact), and small string utilities the oracles need.
#pragma once

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

// Checks a property of the code under test. A failure prints what was expected and aborts,
// which libFuzzer reports as a crash and saves the input for.
#define FUZZ_CHECK(cond, ...)                                                        \
    do {                                                                             \
        if (!(cond)) {                                                               \
            std::fprintf(stderr, "\nFUZZ PROPERTY VIOLATED at %s:%d: %s\n  ", __FILE__, \
                         __LINE__, #cond);                                           \
            std::fprintf(stderr, __VA_ARGS__);                                       \
            std::fprintf(stderr, "\n");                                              \
            std::abort();                                                            \
        }                                                                            \
    } while (0)

namespace fuzz {

inline std::string_view as_view(const std::uint8_t* data, std::size_t size) {
    return std::string_view(reinterpret_cast<const char*>(data), size);
}

// For messages: printable ASCII kept, everything else as \xNN, long values cut.
inline std::string printable(std::string_view s, std::size_t max = 200) {
    static const char kHex[] = "0123456789abcdef";
    std::string out;
    for (std::size_t i = 0; i < s.size() && i < max; ++i) {
        const auto c = static_cast<unsigned char>(s[i]);
        if (c >= 0x20 && c < 0x7f && c != '\\') {
            out.push_back(static_cast<char>(c));
        } else {
            out += "\\x";
            out.push_back(kHex[c >> 4]);
            out.push_back(kHex[c & 15]);
        }
    }
    if (s.size() > max) out += "...";
    return out;
}
#define FUZZ_P(s) (::fuzz::printable(s).c_str())

inline bool contains(std::string_view haystack, std::string_view needle) {
    return haystack.find(needle) != std::string_view::npos;
}

inline std::string ascii_upper(std::string_view s) {
    std::string out(s);
    for (char& c : out)
        if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    return out;
}

inline std::string ascii_lower(std::string_view s) {
    std::string out(s);
    for (char& c : out)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    return out;
}

// Splits at every occurrence of `sep` (empty pieces kept).
inline std::vector<std::string_view> split(std::string_view s, char sep) {
    std::vector<std::string_view> out;
    std::size_t start = 0;
    for (;;) {
        const std::size_t end = s.find(sep, start);
        if (end == std::string_view::npos) {
            out.push_back(s.substr(start));
            return out;
        }
        out.push_back(s.substr(start, end - start));
        start = end + 1;
    }
}

// The two parts of an input split at its first NUL (second empty when there is none).
inline std::pair<std::string_view, std::string_view> split_at_nul(std::string_view s) {
    const std::size_t nul = s.find('\0');
    if (nul == std::string_view::npos) return {s, std::string_view()};
    return {s.substr(0, nul), s.substr(nul + 1)};
}

}  // namespace fuzz
