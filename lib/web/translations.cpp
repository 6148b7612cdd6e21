#include "web/translations.h"

#include <jansson.h>
#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <memory>
#include <new>

#include "util/ascii.h"
#include "util/error.h"

namespace otp {
namespace {

struct BuiltinText {
    const char* key;
    const char* en;
    const char* sv;
};

// One row per key, so both built-in languages always have the same keys. The first nine rows
// are SPEC §5 verbatim (the Swedish allow-cookies-body has a double space before "språk").
constexpr BuiltinText kBuiltin[] = {
    {"otp_validation.otp", "One-time password", "Engångslösenord"},
    {"otp_validation.start_validate", "Verify one-time password", "Verifiera engångslösenord"},
    {"otp_validation.verified", "One-time password verified", "Engångslösenord verifierat"},
    {"otp_validation.redirecting", "Redirecting...", "Omdirigerar..."},
    {"otp_validation.cancel", "Cancel", "Avbryt"},
    {"otp_validation.ERROR", "Wrong one-time password", "Felaktigt engångslösenord"},
    {"allow-cookies-body",
     "To save your language settings on this device you need to approve a language cookie.",
     "Vill du spara dina språkinställningar på denna enhet behövs ett godkännande av  "
     "språk-cookie."},
    {"allow-cookies-button", "Approve language cookie", "Godkänn språk-cookie"},
    {"change_language", "", ""},

    // What the page needs beyond SPEC §5.
    {"otp_validation.title", "One-time password verification", "Verifiering med engångslösenord"},
    {"otp_validation.user", "User name", "Användarnamn"},
    {"otp_validation.user_known", "Signed in as {user}", "Inloggad som {user}"},
    {"otp_validation.instructions", "Enter the code from your authenticator app.",
     "Ange koden från din autentiseringsapp."},
    {"otp_validation.instructions_user",
     "Enter your user name and the code from your authenticator app.",
     "Ange ditt användarnamn och koden från din autentiseringsapp."},
    {"otp_validation.instructions_delivered", "Enter the code that was sent to you.",
     "Ange koden som skickades till dig."},
    {"otp_validation.instructions_delivered_send",
     "Select \u201cSend code\u201d and enter the code you receive.",
     "Välj \u201dSkicka kod\u201d och ange koden du får."},
    {"otp_validation.instructions_delivered_user",
     "Enter your user name, select \u201cSend code\u201d and enter the code you receive.",
     "Ange ditt användarnamn, välj \u201dSkicka kod\u201d och ange koden du får."},
    {"otp_validation.otp_hint_numeric", "Digits only", "Endast siffror"},
    {"otp_validation.otp_hint_alphanumeric", "Letters and digits only",
     "Endast bokstäver och siffror"},
    {"otp_validation.attempts_left", "Attempts left: {n}", "Försök kvar: {n}"},
    {"otp_validation.locked", "Too many attempts. Try again later.",
     "För många försök. Försök igen senare."},
    {"otp_validation.retries_exhausted", "Too many wrong codes. Start again.",
     "För många felaktiga koder. Börja om."},
    {"otp_validation.start_again", "Start again", "Börja om"},
    {"otp_validation.send_code", "Send code", "Skicka kod"},
    {"otp_validation.code_sent", "A code has been sent.", "En kod har skickats."},
    {"otp_validation.resend_code", "Send a new code", "Skicka en ny kod"},
    {"otp_validation.resend_too_soon", "Wait {n} seconds before asking for a new code.",
     "Vänta {n} sekunder innan du ber om en ny kod."},
    {"otp_validation.send_limit_reached", "No more codes can be sent in this login. Start again.",
     "Inga fler koder kan skickas i den här inloggningen. Börja om."},
    {"otp_validation.expired", "The code has expired. Ask for a new code.",
     "Koden har gått ut. Be om en ny kod."},
    {"otp_validation.unavailable", "The service is busy. Try again in a moment.",
     "Tjänsten är upptagen. Försök igen om en stund."},
    {"otp_validation.otp_hint_delivered_numeric", "The code has {n} digits.",
     "Koden har {n} siffror."},
    {"otp_validation.otp_hint_delivered_alphanumeric",
     "The code has {n} letters and digits; upper or lower case does not matter.",
     "Koden har {n} bokstäver och siffror; stora eller små bokstäver spelar ingen roll."},
    {"otp_validation.send_failed", "The code could not be sent. Try again later.",
     "Koden kunde inte skickas. Försök igen senare."},
    {"otp_validation.verifying", "Verifying...", "Verifierar..."},
    {"otp_validation.missing_otp", "Enter the one-time password.", "Ange engångslösenordet."},
    {"otp_validation.missing_user", "Enter your user name.", "Ange ditt användarnamn."},
    {"otp_validation.invalid_otp_format", "The code contains characters that are not allowed.",
     "Koden innehåller otillåtna tecken."},
    {"otp_validation.page_expired", "The page has expired. Try again.",
     "Sidan har gått ut. Försök igen."},
    {"otp_validation.session_ended", "Your session has ended. Verify again to continue.",
     "Din session har avslutats. Verifiera igen för att fortsätta."},
    {"otp_validation.error_generic", "Something went wrong. Try again.",
     "Något gick fel. Försök igen."},
    // The verify API's messages ("verify_api." + the errorCode's name, lib/api/api_error.h).
    {"verify_api.malformed_request", "The request is not a valid JSON object.",
     "Begäran är inte ett giltigt JSON-objekt."},
    {"verify_api.missing_element", "A required element is missing.",
     "Ett obligatoriskt element saknas."},
    {"verify_api.invalid_element", "An element has an invalid value.",
     "Ett element har ett ogiltigt värde."},
    {"verify_api.unknown_token_type", "Unknown token type.", "Okänd tokentyp."},
    {"verify_api.body_too_large", "The request is too large.", "Begäran är för stor."},
    {"verify_api.unsupported_media_type", "Unsupported content type.",
     "Innehållstypen stöds inte."},
    {"verify_api.method_not_allowed", "Use POST.", "Använd POST."},
    {"verify_api.not_found", "No such call.", "Anropet finns inte."},
    {"verify_api.bad_origin", "Requests from other sites are not accepted.",
     "Begäranden från andra webbplatser tas inte emot."},
    {"verify_api.generate_not_available", "This service does not generate codes.",
     "Den här tjänsten skapar inga koder."},
    {"verify_api.invalid_otp", "Wrong one-time password.", "Felaktigt engångslösenord."},
    {"verify_api.expired", "The one-time password has expired.",
     "Engångslösenordet har gått ut."},
    {"verify_api.retries_exhausted", "Too many wrong codes in this transaction.",
     "För många felaktiga koder i den här transaktionen."},
    {"verify_api.locked", "Too many attempts. The user is locked out for now.",
     "För många försök. Användaren är spärrad tills vidare."},
    {"verify_api.invalid_token", "The token is not valid.", "Token är inte giltig."},
    {"verify_api.resend_too_soon", "A code was generated a moment ago. Wait before asking again.",
     "En kod skapades nyss. Vänta innan du ber om en ny."},
    {"verify_api.send_limit_reached", "No more codes can be generated for now.",
     "Inga fler koder kan skapas just nu."},
    {"verify_api.otp_required", "A one-time password is required.",
     "Ett engångslösenord krävs."},
    {"verify_api.store_error", "The service is temporarily unavailable.",
     "Tjänsten är tillfälligt otillgänglig."},
    {"verify_api.store_full", "The service is temporarily unavailable.",
     "Tjänsten är tillfälligt otillgänglig."},
    {"verify_api.pipe_error", "The one-time password could not be checked or sent.",
     "Engångslösenordet kunde inte kontrolleras eller skickas."},
    {"verify_api.pipe_busy", "The service is busy. Try again in a moment.",
     "Tjänsten är upptagen. Försök igen om en stund."},
    {"verify_api.not_configured", "The service is not configured for this call.",
     "Tjänsten är inte konfigurerad för det här anropet."},
    {"verify_api.internal_error", "Something went wrong.", "Något gick fel."},
    {"verify_api.granted", "One-time password verified.", "Engångslösenord verifierat."},
    // The two-way portal page.
    {"twoway.title", "Connect your app", "Koppla din app"},
    {"twoway.instructions", "Enter the code that your app shows.",
     "Ange koden som din app visar."},
    {"twoway.code_label", "Code from the app", "Kod från appen"},
    {"twoway.submit", "Show the response code", "Visa svarskoden"},
    {"twoway.response_intro", "Enter this code in your app:", "Ange den här koden i din app:"},
    {"twoway.missing_code", "Enter the code from your app.", "Ange koden från din app."},
    {"twoway.error_invalid_code",
     "The code is not valid or has expired. Start again in the app.",
     "Koden är ogiltig eller har gått ut. Börja om i appen."},
    {"twoway.error_locked", "Too many attempts. Try again later.",
     "För många försök. Försök igen senare."},
    {"twoway.error_store_error", "The service is temporarily unavailable. Try again later.",
     "Tjänsten är tillfälligt otillgänglig. Försök igen senare."},
    {"twoway.error_store_full", "The service is temporarily unavailable. Try again later.",
     "Tjänsten är tillfälligt otillgänglig. Försök igen senare."},
    {"allow-cookies-title", "Language cookie", "Språk-cookie"},
    {"allow-cookies-decline", "No thanks", "Nej tack"},
    {"language.label", "Language", "Språk"},
    // Language names in their own language (endonyms), the same in every catalogue, so that a
    // visitor finds their language whatever language the page is in.
    {"language.en", "English", "English"},
    {"language.sv", "Svenska", "Svenska"},
};

constexpr std::uintmax_t kMaxTranslationFileBytes = 1024 * 1024;

bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

// Primary language of a normalised tag ("sv" for "sv-fi"), or empty if it has no subtag.
std::string_view primary_of(std::string_view tag) {
    const std::size_t dash = tag.find('-');
    return dash == std::string_view::npos ? std::string_view() : tag.substr(0, dash);
}

using Json = std::unique_ptr<json_t, void (*)(json_t*)>;

}  // namespace

bool is_language_tag(std::string_view tag) {
    std::size_t i = 0;
    while (i < tag.size() && is_alpha(tag[i])) ++i;
    if (i < 2 || i > 3) return false;
    if (i == tag.size()) return true;
    if (tag[i] != '-') return false;
    const std::size_t sub = tag.size() - i - 1;
    if (sub < 2 || sub > 8) return false;
    for (++i; i < tag.size(); ++i)
        if (!is_alpha(tag[i]) && !is_digit(tag[i])) return false;
    return true;
}

std::string normalize_language_tag(std::string_view tag) { return ascii_lowercase(tag); }

const char* language_direction(std::string_view lang) {
    const std::string tag = normalize_language_tag(lang);
    std::string_view primary = primary_of(tag);
    if (primary.empty()) primary = tag;
    for (std::string_view rtl : {"ar", "he", "fa", "ur", "yi", "ps", "dv", "ckb", "ug", "syr"})
        if (primary == rtl) return "rtl";
    return "ltr";
}

std::string format_text(std::string_view text, std::string_view name, std::string_view value) {
    std::string slot = "{";
    slot.append(name.data(), name.size());
    slot += '}';
    std::string out;
    out.reserve(text.size() + value.size());
    std::size_t pos = 0;
    for (std::size_t hit; (hit = text.find(slot, pos)) != std::string_view::npos;) {
        out.append(text.data() + pos, hit - pos);
        out.append(value.data(), value.size());
        pos = hit + slot.size();
    }
    out.append(text.data() + pos, text.size() - pos);
    return out;
}

Translations Translations::builtin() {
    Translations t;
    Catalogue& en = t.catalogues_["en"];
    Catalogue& sv = t.catalogues_["sv"];
    for (const BuiltinText& row : kBuiltin) {
        en.emplace(row.key, row.en);
        sv.emplace(row.key, row.sv);
    }
    return t;
}

bool Translations::set_text(std::string_view lang, std::string_view key, std::string_view text) {
    if (!is_language_tag(lang)) return false;
    catalogues_[normalize_language_tag(lang)][std::string(key)] = std::string(text);
    return true;
}

std::optional<std::string> Translations::find(std::string_view lang, std::string_view key) const {
    const std::string tag = normalize_language_tag(lang);
    for (std::string_view candidate : {std::string_view(tag), primary_of(tag)}) {
        if (candidate.empty()) continue;
        const auto catalogue = catalogues_.find(candidate);
        if (catalogue == catalogues_.end()) continue;
        const auto entry = catalogue->second.find(key);
        if (entry != catalogue->second.end()) return entry->second;
    }
    return std::nullopt;
}

std::string Translations::text(std::string_view lang, std::string_view key) const {
    if (auto found = find(lang, key)) return *found;
    if (auto found = find(kDefaultLanguage, key)) return *found;
    return std::string(key);
}

std::vector<std::string> Translations::languages() const {
    std::vector<std::string> out;
    for (const auto& entry : catalogues_) out.push_back(entry.first);
    return out;  // std::map keeps them sorted
}

bool Translations::has_language(std::string_view lang) const {
    return catalogues_.find(normalize_language_tag(lang)) != catalogues_.end();
}

std::vector<std::string> Translations::keys(std::string_view lang) const {
    std::vector<std::string> out;
    const auto catalogue = catalogues_.find(normalize_language_tag(lang));
    if (catalogue != catalogues_.end())
        for (const auto& entry : catalogue->second) out.push_back(entry.first);
    return out;
}

bool Translations::load_directory(const std::string& dir, std::string* error) try {
    namespace fs = std::filesystem;
    std::error_code ec;
    std::vector<fs::path> files;
    fs::directory_iterator it(dir, ec), end;
    if (ec) return set_error(error, dir + ": cannot read directory: " + ec.message());
    for (; it != end; it.increment(ec)) {
        if (ec) return set_error(error, dir + ": cannot read directory: " + ec.message());
        const std::string name = it->path().filename().string();
        if (name.empty() || name[0] == '.') continue;
        if (name.size() <= 5 || name.compare(name.size() - 5, 5, ".json") != 0) continue;
        files.push_back(it->path());
    }
    if (ec) return set_error(error, dir + ": cannot read directory: " + ec.message());
    std::sort(files.begin(), files.end());

    // Build on a copy so that a bad file leaves the catalogues as they were.
    auto merged = catalogues_;
    for (const fs::path& file : files) {
        const std::string path = file.string();
        const std::string stem = file.stem().string();
        if (!is_language_tag(stem))
            return set_error(error, path +
                                        ": the file name must be a language tag followed by .json "
                                        "(for example de.json or pt-BR.json)");
        if (!fs::is_regular_file(file, ec)) return set_error(error, path + ": not a regular file");
        const std::uintmax_t size = fs::file_size(file, ec);
        if (ec) return set_error(error, path + ": " + ec.message());
        if (size > kMaxTranslationFileBytes) return set_error(error, path + ": larger than 1 MiB");

        json_error_t jerr;
        Json root(json_load_file(path.c_str(), JSON_REJECT_DUPLICATES, &jerr), json_decref);
        if (!root)
            return set_error(error, path + ":" + std::to_string(jerr.line) + ":" +
                                        std::to_string(jerr.column) + ": " + jerr.text);
        if (!json_is_object(root.get()))
            return set_error(error, path + ": must be a JSON object of \"key\": \"text\" pairs");

        Catalogue& catalogue = merged[normalize_language_tag(stem)];
        const char* key;
        json_t* value;
        json_object_foreach(root.get(), key, value) {
            if (!json_is_string(value))
                return set_error(error, path + ": the value of \"" + key + "\" is not a string");
            catalogue[key] = std::string(json_string_value(value), json_string_length(value));
        }
    }
    catalogues_ = std::move(merged);
    return true;
} catch (const std::bad_alloc&) {
    return set_error(error, dir + ": out of memory");
}

// ---- language negotiation -----------------------------------------------------------------

namespace {

constexpr std::size_t kMaxAcceptLanguageElements = 64;

struct LanguageRange {
    std::string tag;  // lower case, or "*"
    int q;            // thousandths, 0..1000
};

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

// RFC 4647 §2.1 language-range: "*" or 1*8ALPHA *("-" 1*8alphanum).
bool is_language_range(std::string_view s) {
    if (s == "*") return true;
    std::size_t i = 0, run = 0;
    bool first = true;
    for (; i <= s.size(); ++i) {
        if (i == s.size() || s[i] == '-') {
            if (run < 1 || run > 8) return false;
            run = 0;
            first = false;
            continue;
        }
        if (!(is_alpha(s[i]) || (!first && is_digit(s[i])))) return false;
        ++run;
    }
    return true;
}

// RFC 9110 §12.4.2 qvalue: ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] ).
std::optional<int> parse_qvalue(std::string_view s) {
    if (s.empty() || (s[0] != '0' && s[0] != '1')) return std::nullopt;
    const int whole = s[0] - '0';
    if (s.size() == 1) return whole * 1000;
    if (s[1] != '.' || s.size() > 5) return std::nullopt;
    int fraction = 0, scale = 100;
    for (std::size_t i = 2; i < s.size(); ++i, scale /= 10) {
        if (!is_digit(s[i])) return std::nullopt;
        fraction += (s[i] - '0') * scale;
    }
    if (whole == 1 && fraction != 0) return std::nullopt;
    return whole * 1000 + fraction;
}

std::optional<LanguageRange> parse_element(std::string_view element) {
    const std::size_t semicolon = element.find(';');
    const std::string_view range = trim(element.substr(0, semicolon));
    if (!is_language_range(range)) return std::nullopt;
    LanguageRange out{normalize_language_tag(range), 1000};
    std::string_view params =
        semicolon == std::string_view::npos ? std::string_view() : element.substr(semicolon + 1);
    while (!params.empty()) {
        const std::size_t next = params.find(';');
        const std::string_view param = trim(params.substr(0, next));
        params = next == std::string_view::npos ? std::string_view() : params.substr(next + 1);
        const std::size_t eq = param.find('=');
        if (eq == std::string_view::npos) continue;
        const std::string_view name = trim(param.substr(0, eq));
        if (name != "q" && name != "Q") continue;  // other parameters carry no preference
        const std::optional<int> q = parse_qvalue(trim(param.substr(eq + 1)));
        if (!q) return std::nullopt;  // a weight we cannot read: do not guess
        out.q = *q;
    }
    return out;
}

}  // namespace

std::string choose_language(const Translations& translations, std::string_view cookie_value,
                            std::string_view accept_language) try {
    const std::string_view cookie = trim(cookie_value);
    if (is_language_tag(cookie) && translations.has_language(cookie))
        return normalize_language_tag(cookie);

    std::vector<LanguageRange> ranges;
    std::size_t elements = 0;
    while (!accept_language.empty() && elements < kMaxAcceptLanguageElements) {
        const std::size_t comma = accept_language.find(',');
        const std::string_view element = accept_language.substr(0, comma);
        accept_language = comma == std::string_view::npos ? std::string_view()
                                                          : accept_language.substr(comma + 1);
        if (trim(element).empty()) continue;  // "a,,b" and trailing commas are allowed
        ++elements;
        if (auto range = parse_element(element)) ranges.push_back(std::move(*range));
    }
    std::stable_sort(ranges.begin(), ranges.end(),
                     [](const LanguageRange& a, const LanguageRange& b) { return a.q > b.q; });

    auto refused = [&ranges](std::string_view tag) {
        for (const LanguageRange& r : ranges)
            if (r.q == 0 && r.tag == tag) return true;
        return false;
    };
    const std::vector<std::string> available = translations.languages();
    for (const LanguageRange& range : ranges) {
        if (range.q == 0) break;  // sorted: the rest are all "not acceptable"
        if (range.tag == "*") continue;
        // Lookup (RFC 4647 §3.4): "sv-se" tries "sv-se", then "sv".
        for (std::string tag = range.tag; !tag.empty();) {
            if (translations.has_language(tag) && !refused(tag)) return tag;
            const std::size_t dash = tag.rfind('-');
            tag.resize(dash == std::string::npos ? 0 : dash);
        }
        // Then a more specific catalogue: "sv" is happy with "sv-fi".
        for (const std::string& tag : available)
            if (starts_with(tag, range.tag + "-") && !refused(tag)) return tag;
    }
    return kDefaultLanguage;
} catch (const std::bad_alloc&) {
    return kDefaultLanguage;
}

}  // namespace otp
