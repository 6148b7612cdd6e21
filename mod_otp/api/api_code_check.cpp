#include "mod_otp/api/api_code_check.h"

#include "mod_otp/config/server_config.h"
#include "mod_otp/events/verification_events.h"
#include "mod_otp/http/clock.h"
#include "mod_otp/users/users_lookup.h"

otp::Verification check_api_code(ApiRequest& api, const std::string& user,
                                 const std::string& code, const otp::LoginAttempt* transaction) {
    request_rec* r = api.login.r;
    auto index = otp_users_index(r, api.login.conf);
    if (!index) {
        otp::Verification unavailable;
        unavailable.verdict = otp::Verdict::store_error;
        unavailable.detail = "the users file is unavailable";
        otp_report_verification(r, api.call.origin, user, unavailable);
        return unavailable;
    }
    const std::string users_path(api.login.conf->users_file ? api.login.conf->users_file : "");
    // Codes from generate are checked here, so the delivered codes' key is always given.
    const otp::PipeContext context = otp_pipe_context(api.call, otp_code_key(r->server));
    otp::Guess guess;
    guess.user = user;
    guess.password = code;
    guess.attempt = transaction;
    guess.client_address = r->useragent_ip ? r->useragent_ip : "";
    guess.now = unix_now();
    guess.context = &context;
    const otp::Verification result =
        api.login.verifier.verify(otp::UsersSource{*index, users_path}, *api.login.pipe,
                                  otp_policy(api.login.conf), guess);
    otp_report_verification(r, api.call.origin, user, result);
    return result;
}
