// Language negotiation (SPEC §5, lib/web/translations.h choose_language): the input is an
// Accept-Language header value, or "<language cookie>\0<header>".
//
// Catalogues: the built-in en and sv plus sv-fi, pt-br, zh-hant, de-ch (no plain "de") and fr.
//
// Properties:
//  - the answer is always one of the catalogues;
//  - it equals a reference of the header comment's rules: a valid cookie naming a catalogue
//    wins; else ranges (RFC 4647 syntax, RFC 9110 qvalues, other parameters ignored, malformed
//    elements skipped, first 64 non-empty elements) by q, ties in header order, q=0 excludes
//    that tag, "*" ignored, "sv-se" falls back to "sv", "sv" takes "sv-fi"; else "en";
//  - metamorphic: changing the letter case, adding empty elements, appending "*" or a
//    malformed element (while fewer than 64 elements), or anything at all after 64 elements,
//    does not change the answer; an unknown cookie is the same as none.
#include <algorithm>
#include <string>
#include <tuple>
#include <vector>

#include "fuzz_support.h"
#include "web/translations.h"

using namespace otp;

namespace {

const Translations& catalogues() {
    static const Translations t = [] {
        Translations t = Translations::builtin();
        for (const char* lang : {"sv-FI", "pt-br", "zh-Hant", "de-ch", "fr"})
            t.set_text(lang, "otp_validation.otp", "x");
        return t;
    }();
    return t;
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

bool alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool digit(char c) { return c >= '0' && c <= '9'; }

// RFC 4647 §2.1: "*" / 1*8ALPHA *("-" 1*8alphanum)
bool language_range(std::string_view s) {
    if (s == "*") return true;
    const auto parts = fuzz::split(s, '-');
    for (std::size_t i = 0; i < parts.size(); ++i) {
        if (parts[i].empty() || parts[i].size() > 8) return false;
        for (char c : parts[i])
            if (!(alpha(c) || (i > 0 && digit(c)))) return false;
    }
    return true;
}

// RFC 9110 §12.4.2: qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] ), in 1/1000.
std::optional<int> qvalue(std::string_view s) {
    if (s == "0" || s == "1") return (s[0] - '0') * 1000;
    if (s.size() < 2 || s.size() > 5 || s[1] != '.') return std::nullopt;
    if (s[0] == '1') {
        for (char c : s.substr(2))
            if (c != '0') return std::nullopt;
        return 1000;
    }
    if (s[0] != '0') return std::nullopt;
    int value = 0, scale = 100;
    for (char c : s.substr(2)) {
        if (!digit(c)) return std::nullopt;
        value += (c - '0') * scale;
        scale /= 10;
    }
    return value;
}

struct Range {
    std::string tag;
    int q;
};

std::vector<Range> ranges_of(std::string_view header) {
    std::vector<Range> out;
    std::size_t counted = 0;
    for (std::string_view element : fuzz::split(header, ',')) {
        if (trim(element).empty()) continue;
        if (++counted > 64) break;
        const auto parts = fuzz::split(element, ';');
        const std::string_view range = trim(parts[0]);
        if (!language_range(range)) continue;
        Range r{fuzz::ascii_lower(range), 1000};
        bool malformed = false;
        for (std::size_t i = 1; i < parts.size(); ++i) {
            const std::string_view param = trim(parts[i]);
            const std::size_t eq = param.find('=');
            if (eq == std::string_view::npos) continue;
            const std::string_view name = trim(param.substr(0, eq));
            if (name != "q" && name != "Q") continue;
            const auto q = qvalue(trim(param.substr(eq + 1)));
            if (!q) malformed = true;
            else r.q = *q;
        }
        if (!malformed) out.push_back(std::move(r));
    }
    return out;
}

std::string reference(std::string_view cookie, std::string_view header) {
    const Translations& t = catalogues();
    const std::string_view c = trim(cookie);
    if (is_language_tag(c) && t.has_language(c)) return fuzz::ascii_lower(c);

    std::vector<Range> ranges = ranges_of(header);
    std::stable_sort(ranges.begin(), ranges.end(),
                     [](const Range& a, const Range& b) { return a.q > b.q; });
    auto refused = [&](const std::string& tag) {
        for (const Range& r : ranges)
            if (r.q == 0 && r.tag == tag) return true;
        return false;
    };
    auto usable = [&](const std::string& tag) { return t.has_language(tag) && !refused(tag); };
    for (const Range& r : ranges) {
        if (r.q == 0 || r.tag == "*") continue;
        std::string tag = r.tag;
        while (!tag.empty()) {
            if (usable(tag)) return tag;
            const std::size_t dash = tag.rfind('-');
            tag.resize(dash == std::string::npos ? 0 : dash);
        }
        for (const std::string& lang : t.languages())
            if (lang.compare(0, r.tag.size() + 1, r.tag + "-") == 0 && usable(lang)) return lang;
    }
    return "en";
}

std::size_t nonempty_elements(std::string_view header) {
    std::size_t n = 0;
    for (std::string_view e : fuzz::split(header, ',')) n += !trim(e).empty();
    return n;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view input = fuzz::as_view(data, size);
    const bool has_cookie = input.find('\0') != std::string_view::npos;
    std::string_view cookie, header = input;
    if (has_cookie) std::tie(cookie, header) = fuzz::split_at_nul(input);

    const Translations& t = catalogues();
    const std::string got = choose_language(t, cookie, header);
    FUZZ_CHECK(t.has_language(got) && got == fuzz::ascii_lower(got),
               "answer '%s' is not a catalogue", FUZZ_P(got));
    const std::string want = reference(cookie, header);
    FUZZ_CHECK(got == want, "cookie '%s', header '%s': got '%s', expected '%s'", FUZZ_P(cookie),
               FUZZ_P(header), FUZZ_P(got), FUZZ_P(want));

    if (!(is_language_tag(trim(cookie)) && t.has_language(trim(cookie))))
        FUZZ_CHECK(choose_language(t, "", header) == got && choose_language(t, "zz", header) == got,
                   "an unusable cookie changed the answer");

    FUZZ_CHECK(choose_language(t, "", fuzz::ascii_upper(header)) == choose_language(t, "", header),
               "upper-casing the header changed the answer");
    const std::string base = choose_language(t, "", header);
    const std::string h(header);
    FUZZ_CHECK(choose_language(t, "", ", ," + h + ",") == base, "empty elements matter");
    if (nonempty_elements(header) < 64) {
        FUZZ_CHECK(choose_language(t, "", h + ",*") == base, "appending '*' changed the answer");
        FUZZ_CHECK(choose_language(t, "", h + ", sv;q=2") == base,
                   "appending a malformed element changed the answer");
    } else {
        FUZZ_CHECK(choose_language(t, "", h + ",sv,fr;q=1") == base,
                   "an element after the first 64 changed the answer");
    }
    return 0;
}
