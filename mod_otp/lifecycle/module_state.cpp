#include "mod_otp/lifecycle/module_state.h"

#include <stdexcept>

#include "util/error.h"

namespace {

OtpModuleState* g_state = nullptr;

apr_status_t destroy_state(void* data) {
    auto* state = static_cast<OtpModuleState*>(data);
    if (g_state == state) g_state = nullptr;
    delete state;
    return APR_SUCCESS;
}

}  // namespace

const char* const kOtpStoreMutexType = "otp-state";
const char* const kOtpEventLogMutexType = "otp-eventlog";

OtpModuleState& otp_state_create(apr_pool_t* pconf) {
    auto* state = new OtpModuleState();
    apr_pool_cleanup_register(pconf, state, destroy_state, apr_pool_cleanup_null);
    g_state = state;
    return *state;
}

OtpModuleState& otp_state() {
    // pre_config always runs before any directive or request; reaching this without it is
    // a programming error, reported as an exception that the entry point turns into a 500.
    if (!g_state) throw std::logic_error("mod_otp: module state used before pre_config");
    return *g_state;
}

const otp::Translations* OtpModuleState::load_translations(const std::string& dir,
                                                           std::string* error) {
    const auto too_many = [&dir, error]() -> const otp::Translations* {
        otp::set_error(error, dir + ": not loaded: this server already has " +
                                  std::to_string(kMaxTranslationsDirs) +
                                  " distinct OTPTranslations directories (each path named in an "
                                  ".htaccess file counts; name fewer directories)");
        return nullptr;
    };
    {
        std::lock_guard<std::mutex> lock(translations_mutex);
        auto found = translations.find(dir);
        if (found != translations.end()) return found->second.get();
        if (translations.size() >= kMaxTranslationsDirs) return too_many();
    }
    // Read outside the lock, so one slow directory does not stall other requests.
    auto loaded = std::make_unique<otp::Translations>(otp::Translations::builtin());
    if (!loaded->load_directory(dir, error)) return nullptr;
    std::lock_guard<std::mutex> lock(translations_mutex);
    auto found = translations.find(dir);
    if (found != translations.end()) return found->second.get();  // another thread won
    if (translations.size() >= kMaxTranslationsDirs) return too_many();
    return translations.emplace(dir, std::move(loaded)).first->second.get();
}
