#include "mod_otp/users/users_lookup.h"

#include "mod_otp/events/event_log.h"
#include "mod_otp/http/clock.h"
#include "mod_otp/lifecycle/module_state.h"

APLOG_USE_MODULE(otp);

// Looks up the location's users file, reloading it if it changed on disk.
std::shared_ptr<const otp::UsersIndex> otp_users_index(request_rec* r, const otp_dir_config* conf) {
    if (!conf->users_file) {
        // A location whose exec pipe knows its own users needs no users file: it sees none.
        static const std::shared_ptr<const otp::UsersIndex> kNoUsers = [] {
            std::string error;
            return std::shared_ptr<const otp::UsersIndex>(
                otp::UsersIndex::parse("", "(no OTPUsersFile)", otp::UsersFileLayout::oath,
                                       &error));
        }();
        return kNoUsers;
    }
    auto lookup = otp_state().users.get(conf->users_file, otp_users_layout(conf), unix_now());
    if (!lookup.error.empty()) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "OTPUsersFile %s could not be reloaded%s: %s",
                      conf->users_file, lookup.index ? ", still using the previous version" : "",
                      lookup.error.c_str());
        otp_emit_server_event(r->server, otp::event::kUsersFileReloadFailed,
                              {{"file", conf->users_file},
                               {"reason", lookup.error},
                               {"kept_previous", lookup.index ? 1LL : 0LL}});
    } else if (lookup.reloaded) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                      "OTPUsersFile %s reloaded: %" APR_SIZE_T_FMT " users", conf->users_file,
                      lookup.index->user_count());
        otp_emit_server_event(r->server, otp::event::kUsersFileReloaded,
                              {{"file", conf->users_file},
                               {"users", static_cast<long long>(lookup.index->user_count())},
                               {"tokens", static_cast<long long>(lookup.index->token_count())}});
    }
    if (!lookup.index && lookup.error.empty())
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "OTPUsersFile %s is unavailable",
                      conf->users_file);
    return lookup.index;
}
