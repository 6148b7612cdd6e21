// Translation catalogues for the OTP page and for localized messages (SPEC §5).
//
// Built in: "en" and "sv" with exactly the keys and strings of SPEC §5 plus the keys the page
// needs. OTPTranslations adds languages, or overrides single strings of existing ones, from
// <dir>/<lang>.json files holding one flat JSON object {"key": "text", ...}.
//
// Texts are plain text: whoever inserts them into HTML escapes them (login_page.cpp does).
// Some texts contain named slots such as "{n}"; fill them with format_text().
//
// Language tags are stored and compared in lower case ("pt-BR.json" is language "pt-br").
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace otp {

constexpr char kDefaultLanguage[] = "en";

class Translations {
public:
    // The built-in catalogues: "en" and "sv".
    static Translations builtin();

    // Reads every <dir>/<name>.json file (sorted by name) and merges its strings over the
    // catalogue of language <name> (creating it if new). File rules:
    //  - names starting with '.' and names not ending in ".json" are ignored (README, editor
    //    backups such as sv.json~);
    //  - a ".json" file whose stem is not a language tag ([a-z]{2,3}(-[A-Za-z0-9]{2,8})?) is
    //    an error: "Swedish.json" or "sv_SE.json" is a mistake worth reporting, not ignoring;
    //  - the content must be a JSON object whose values are all strings, at most 1 MiB, no
    //    duplicate keys.
    // On any error nothing is changed, false is returned and *error names the file and reason.
    bool load_directory(const std::string& dir, std::string* error);

    // Adds or replaces one string (for tests and programmatic catalogues). False if `lang` is
    // not a language tag.
    bool set_text(std::string_view lang, std::string_view key, std::string_view text);

    // The text of `key` in `lang`, else in lang's primary language ("sv" for "sv-fi"), else
    // in English, else the key itself (so a missing string is visible, never blank).
    std::string text(std::string_view lang, std::string_view key) const;

    // Like text() but without the English and key fallbacks.
    std::optional<std::string> find(std::string_view lang, std::string_view key) const;

    std::vector<std::string> languages() const;      // sorted, lower case
    bool has_language(std::string_view lang) const;  // case-insensitive

    // All keys of one language (sorted); empty for an unknown language.
    std::vector<std::string> keys(std::string_view lang) const;

private:
    using Catalogue = std::map<std::string, std::string, std::less<>>;
    std::map<std::string, Catalogue, std::less<>> catalogues_;
};

// [a-z]{2,3}(-[A-Za-z0-9]{2,8})? : the language tags a catalogue can have.
bool is_language_tag(std::string_view tag);

// Lower-cases ASCII letters ("sv-SE" -> "sv-se").
std::string normalize_language_tag(std::string_view tag);

// Text direction of a language, for <html dir>: "rtl" for Arabic, Hebrew, Persian, Urdu and a
// few more; "ltr" otherwise.
const char* language_direction(std::string_view lang);

// Replaces every "{name}" in `text` by `value` (format_text("Attempts left: {n}", "n", "2")).
std::string format_text(std::string_view text, std::string_view name, std::string_view value);

// The page language: the cookie's language if it is one of `translations`; else the best
// match of the Accept-Language header (RFC 9110 §12.5.4: highest q first, equal q in header
// order, q=0 means "not acceptable", "sv-SE" falls back to "sv", "sv" matches "sv-fi" when
// there is no plain "sv", "*" is ignored); else "en". Malformed elements are skipped, never
// fatal, and only the first 64 elements are considered.
std::string choose_language(const Translations& translations, std::string_view cookie_value,
                            std::string_view accept_language);

}  // namespace otp
