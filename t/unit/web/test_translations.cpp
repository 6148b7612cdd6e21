// Tests for lib/translations: the exact SPEC §5 strings, the extra keys in both languages,
// fallbacks, OTPTranslations directories and Accept-Language negotiation.
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "cmocka_wrap.h"
#include "test_support.h"
#include "web/translations.h"
#include "util/utf8.h"

using otp::Translations;

namespace {

#define expect_text(t, lang, key, expected) \
    assert_string_equal((t).text(lang, key).c_str(), expected)

// ---- built-in catalogues ------------------------------------------------------------------

struct SpecRow {
    const char* key;
    const char* en;
    const char* sv;
};

// SPEC §5, verbatim.
const SpecRow kSpec[] = {
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
};

void test_spec_strings_exact(void**) {
    const Translations t = Translations::builtin();
    for (const SpecRow& row : kSpec) {
        const std::optional<std::string> en = t.find("en", row.key);
        const std::optional<std::string> sv = t.find("sv", row.key);
        assert_true(en.has_value());
        assert_true(sv.has_value());
        assert_string_equal(en->c_str(), row.en);
        assert_string_equal(sv->c_str(), row.sv);
    }
    // The double space is part of the contract.
    assert_non_null(std::strstr(t.text("sv", "allow-cookies-body").c_str(), "av  språk-cookie."));
    assert_true(t.text("en", "change_language").empty());
    assert_true(t.text("sv", "change_language").empty());
}

void test_page_keys_in_both_languages(void**) {
    const Translations t = Translations::builtin();
    const std::vector<std::string> en = t.keys("en");
    const std::vector<std::string> sv = t.keys("sv");
    assert_true(en == sv);  // same key set
    assert_true(en.size() >= 30);
    for (const std::string& key : en) {
        assert_true(otp::is_valid_utf8(t.text("en", key)));
        if (key != "change_language") {
            assert_false(t.text("en", key).empty());
            assert_false(t.text("sv", key).empty());
        }
    }
    const struct {
        const char* key;
        const char* en;
        const char* sv;
    } extra[] = {
        {"otp_validation.user", "User name", "Användarnamn"},
        {"otp_validation.attempts_left", "Attempts left: {n}", "Försök kvar: {n}"},
        {"otp_validation.locked", "Too many attempts. Try again later.",
         "För många försök. Försök igen senare."},
        {"otp_validation.retries_exhausted", "Too many wrong codes. Start again.",
         "För många felaktiga koder. Börja om."},
        {"otp_validation.send_code", "Send code", "Skicka kod"},
        {"otp_validation.instructions", "Enter the code from your authenticator app.",
         "Ange koden från din autentiseringsapp."},
        {"language.en", "English", "English"},
        {"language.sv", "Svenska", "Svenska"},
    };
    for (const auto& row : extra) {
        expect_text(t, "en", row.key, row.en);
        expect_text(t, "sv", row.key, row.sv);
    }
    for (const char* key :
         {"otp_validation.title", "otp_validation.instructions_user", "otp_validation.code_sent",
          "otp_validation.error_generic", "otp_validation.verifying", "otp_validation.start_again",
          "otp_validation.page_expired", "otp_validation.missing_otp", "allow-cookies-decline",
          "allow-cookies-title", "language.label", "otp_validation.user_known",
          "otp_validation.otp_hint_numeric", "otp_validation.otp_hint_alphanumeric",
          "otp_validation.instructions_delivered", "otp_validation.send_failed"}) {
        assert_true(t.find("en", key).has_value());
        assert_true(t.find("sv", key).has_value());
        assert_true(t.text("en", key) != t.text("sv", key));  // really translated
    }
}

void test_fallbacks(void**) {
    Translations t = Translations::builtin();
    expect_text(t, "sv", "otp_validation.cancel", "Avbryt");
    expect_text(t, "SV", "otp_validation.cancel", "Avbryt");     // case-insensitive
    expect_text(t, "sv-FI", "otp_validation.cancel", "Avbryt");  // primary language
    expect_text(t, "de", "otp_validation.cancel", "Cancel");     // unknown -> en
    expect_text(t, "", "otp_validation.cancel", "Cancel");
    expect_text(t, "sv", "no.such.key", "no.such.key");  // -> the key itself
    assert_false(t.find("sv", "no.such.key").has_value());
    assert_false(t.find("de", "otp_validation.cancel").has_value());
    // A key only English has: another language falls back per key.
    assert_true(t.set_text("en", "only.en", "English only"));
    expect_text(t, "sv", "only.en", "English only");
    assert_false(t.set_text("not a tag", "k", "v"));
}

void test_languages(void**) {
    const Translations t = Translations::builtin();
    const std::vector<std::string> langs = t.languages();
    assert_int_equal(langs.size(), 2);
    assert_string_equal(langs[0].c_str(), "en");
    assert_string_equal(langs[1].c_str(), "sv");
    assert_true(t.has_language("sv"));
    assert_true(t.has_language("EN"));
    assert_false(t.has_language("de"));
    assert_false(t.has_language(""));
}

void test_format_text(void**) {
    assert_string_equal(otp::format_text("Attempts left: {n}", "n", "2").c_str(),
                        "Attempts left: 2");
    assert_string_equal(otp::format_text("{n}/{n} {m}", "n", "x").c_str(), "x/x {m}");
    assert_string_equal(otp::format_text("none", "n", "x").c_str(), "none");
    assert_string_equal(otp::format_text("{n}", "n", "{n}").c_str(), "{n}");  // not recursive
}

void test_language_tags(void**) {
    for (const char* tag : {"en", "sv", "fil", "pt-BR", "sv-fi", "zh-Hant", "de-1996", "es-419"})
        assert_true(otp::is_language_tag(tag));
    for (const char* tag : {"", "e", "engl", "sv_SE", "sv-", "-sv", "sv-a", "sv-abcdefghi", "s1",
                            "sv-SE-x", "../en", "en.json", "sv se"})
        assert_false(otp::is_language_tag(tag));
    assert_string_equal(otp::language_direction("ar"), "rtl");
    assert_string_equal(otp::language_direction("he-IL"), "rtl");
    assert_string_equal(otp::language_direction("sv"), "ltr");
}

// ---- OTPTranslations directories ----------------------------------------------------------

void test_load_directory_good(void**) {
    const std::string dir = make_scratch_dir("translations");
    write_whole_file(dir + "/de.json",
                     "{\"otp_validation.otp\":\"Einmalpasswort\",\"language.de\":\"Deutsch\"}");
    write_whole_file(dir + "/sv.json", "{\"otp_validation.cancel\":\"Avsluta\"}");  // override one
    write_whole_file(dir + "/pt-BR.json", "{\"otp_validation.cancel\":\"Cancelar\"}");
    write_whole_file(dir + "/README.md", "not a catalogue");  // ignored: not .json
    write_whole_file(dir + "/sv.json~", "{broken");           // ignored: editor backup
    write_whole_file(dir + "/.hidden.json", "{broken");       // ignored: hidden
    Translations t = Translations::builtin();
    std::string error;
    assert_true(t.load_directory(dir, &error));
    expect_text(t, "de", "otp_validation.otp", "Einmalpasswort");
    expect_text(t, "de", "otp_validation.cancel", "Cancel");  // missing in de -> en
    expect_text(t, "sv", "otp_validation.cancel", "Avsluta");
    expect_text(t, "sv", "otp_validation.otp", "Engångslösenord");  // the rest stays
    expect_text(t, "pt-br", "otp_validation.cancel", "Cancelar");
    expect_text(t, "pt-BR", "otp_validation.cancel", "Cancelar");
    const std::vector<std::string> langs = t.languages();
    assert_int_equal(langs.size(), 4);
    assert_string_equal(langs[0].c_str(), "de");
    assert_string_equal(langs[2].c_str(), "pt-br");
}

void expect_load_error(const std::string& file_name, const std::string& content,
                       const char* fragment) {
    const std::string dir = make_scratch_dir("translations");
    write_whole_file(dir + "/aa.json", "{\"otp_validation.otp\":\"fine\"}");
    write_whole_file(dir + "/" + file_name, content);
    Translations t = Translations::builtin();
    std::string error;
    assert_false(t.load_directory(dir, &error));
    if (error.find(file_name) == std::string::npos || error.find(fragment) == std::string::npos) {
        print_error("error \"%s\" lacks \"%s\" or \"%s\"\n", error.c_str(), file_name.c_str(),
                    fragment);
        fail();
    }
    assert_false(t.has_language("aa"));  // nothing was applied
    expect_text(t, "sv", "otp_validation.otp", "Engångslösenord");
}

void test_load_directory_errors(void**) {
    expect_load_error("sv.json", "{\"otp_validation.otp\": \"x\",", "sv.json:");
    expect_load_error("sv.json", "", "sv.json:");
    expect_load_error("sv.json", "[\"x\"]", "must be a JSON object");
    expect_load_error("sv.json", "{\"otp_validation.otp\": 5}",
                      "\"otp_validation.otp\" is not a string");
    expect_load_error("sv.json", "{\"a\": {\"nested\": \"x\"}}", "\"a\" is not a string");
    expect_load_error("sv.json", "{\"a\": \"x\", \"a\": \"y\"}", "duplicate");
    expect_load_error("sv.json", "{\"a\": \"\xff\"}", "sv.json:");
    expect_load_error("Swedish.json", "{}", "language tag");
    expect_load_error("sv_SE.json", "{}", "language tag");

    Translations t = Translations::builtin();
    std::string error;
    assert_false(t.load_directory("/nonexistent/otp-translations", &error));
    assert_non_null(std::strstr(error.c_str(), "/nonexistent/otp-translations"));
}

// ---- Accept-Language ----------------------------------------------------------------------

#define expect_choice(t, cookie, header, expected) \
    assert_string_equal(otp::choose_language((t), (cookie), (header)).c_str(), expected)

void test_choose_cookie_first(void**) {
    const Translations t = Translations::builtin();
    expect_choice(t, "sv", "en", "sv");
    expect_choice(t, "SV", "en", "sv");
    expect_choice(t, " sv ", "", "sv");
    expect_choice(t, "de", "sv", "sv");  // unknown cookie language: header decides
    expect_choice(t, "garbage;", "", "en");
}

void test_choose_accept_language(void**) {
    const Translations t = Translations::builtin();
    expect_choice(t, "", "", "en");
    expect_choice(t, "", "sv", "sv");
    expect_choice(t, "", "sv-SE", "sv");  // lookup falls back to sv
    expect_choice(t, "", "sv-Latn-SE", "sv");
    expect_choice(t, "", "de, sv;q=0.5, en;q=0.4", "sv");  // first available by q
    expect_choice(t, "", "en;q=0.4, sv;q=0.5", "sv");      // q beats order
    expect_choice(t, "", "sv;q=0.5, en;q=0.5", "sv");      // equal q: header order
    expect_choice(t, "", "de-DE,de;q=0.9", "en");          // nothing available
    expect_choice(t, "", "sv;q=0, *", "en");               // q=0: not acceptable
    expect_choice(t, "", "sv-SE, sv;q=0", "en");           // exclusion wins over fallback
    expect_choice(t, "", "sv;q=0.000", "en");
    expect_choice(t, "", "*, sv;q=0.1", "sv");                 // * is ignored
    expect_choice(t, "", "  sv  ;  q=0.8 ,\ten;q=0.7", "sv");  // whitespace
    expect_choice(t, "", "SV;Q=1", "sv");
    expect_choice(t, "", "sv;level=1;q=0.9, en;q=0.8", "sv");  // other parameters ignored
    expect_choice(t, "", "en;q=1.0, sv;q=1", "en");
}

void test_choose_more_specific_catalogue(void**) {
    Translations t = Translations::builtin();
    assert_true(t.set_text("pt-br", "otp_validation.cancel", "Cancelar"));
    expect_choice(t, "", "pt", "pt-br");  // "pt" is happy with "pt-br"
    expect_choice(t, "", "pt-PT, pt;q=0.9, en;q=0.5", "pt-br");
    expect_choice(t, "", "pt-PT, en;q=0.5", "en");  // no sibling matching: pt-PT is not pt-BR
    expect_choice(t, "", "pt-BR;q=0, pt", "en");
}

void test_choose_malformed_never_crashes(void**) {
    const Translations t = Translations::builtin();
    for (const char* header : {",",
                               ",,,",
                               ";",
                               ";q=1",
                               "sv;q=",
                               "sv;q=2",
                               "sv;q=1.5",
                               "sv;q=0.1234",
                               "sv;q=-1",
                               "sv;q=abc",
                               "sv;=",
                               "sv;q",
                               "=",
                               "sv-",
                               "-sv",
                               "s\xff",
                               "sv_SE",
                               "sv-SE-",
                               "12",
                               "\x00",
                               "sv;q=0.5;q=0.9",
                               "a-b-c-d-e-f-g-h-i-j-k-l-m-n"}) {
        const std::string chosen = otp::choose_language(t, "", header);
        assert_true(chosen == "en" || chosen == "sv");
    }
    expect_choice(t, "", "sv;q=2, en", "en");       // a bad weight drops that element
    expect_choice(t, "", "sv_SE, sv;q=0.1", "sv");  // a bad range is skipped
    // Many elements: only the first 64 count, and it stays quick.
    std::string many;
    for (int i = 0; i < 100000; ++i) many += "de;q=0.9,";
    many += "sv";
    expect_choice(t, "", many, "en");
    // Random bytes.
    std::mt19937 rng(12);
    for (int round = 0; round < 2000; ++round) {
        std::string noise(rng() % 64, '\0');
        for (char& c : noise) c = "sven-;q=0.1,* \t\xff"[rng() % 16];
        const std::string chosen = otp::choose_language(t, noise, noise);
        assert_true(chosen == "en" || chosen == "sv");
    }
}

}  // namespace

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_spec_strings_exact),
        cmocka_unit_test(test_page_keys_in_both_languages),
        cmocka_unit_test(test_fallbacks),
        cmocka_unit_test(test_languages),
        cmocka_unit_test(test_format_text),
        cmocka_unit_test(test_language_tags),
        cmocka_unit_test(test_load_directory_good),
        cmocka_unit_test(test_load_directory_errors),
        cmocka_unit_test(test_choose_cookie_first),
        cmocka_unit_test(test_choose_accept_language),
        cmocka_unit_test(test_choose_more_specific_catalogue),
        cmocka_unit_test(test_choose_malformed_never_crashes),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
