#include "mod_otp/events/event_log.h"

#include "crypto/digest.h"
#include "mod_otp/config/dir_config.h"
#include "mod_otp/config/section.h"
#include "mod_otp/config/server_config.h"
#include "mod_otp/lifecycle/module_state.h"
#include "util/codec.h"

APLOG_USE_MODULE(otp);

namespace {

constexpr const char* kRequestIdNote = "otp-request-id";

std::int64_t now_millis() { return apr_time_as_msec(apr_time_now()); }

apr_file_t* open_target(apr_pool_t* pconf, server_rec* s, const char* target) {
    if (*target == '|') {
        // Reliable piped log: httpd restarts the program if it dies.
        piped_log* pipe = ap_open_piped_log(pconf, target + 1);
        return pipe ? ap_piped_log_write_fd(pipe) : nullptr;
    }
    apr_file_t* file = nullptr;
    apr_status_t rv =
        apr_file_open(&file, target, APR_WRITE | APR_APPEND | APR_CREATE | APR_LARGEFILE,
                      APR_FPROT_UREAD | APR_FPROT_UWRITE | APR_FPROT_GREAD, pconf);
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, rv, s, "OTPEventLog: cannot open %s", target);
        return nullptr;
    }
    return file;
}

void write_line(server_rec* s, const std::string& line) {
    const otp_server_config* conf = otp_server_conf(s);
    if (!conf->event_log) return;
    OtpModuleState& state = otp_state();
    auto it = state.event_logs.find(conf->event_log);
    if (it == state.event_logs.end() || !it->second) return;
    if (!state.event_log_mutex || apr_global_mutex_lock(state.event_log_mutex) != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_ERR, 0, s, "OTPEventLog: cannot lock; event lost");
        return;
    }
    apr_size_t written = 0;
    apr_status_t rv = apr_file_write_full(it->second, line.data(), line.size(), &written);
    apr_global_mutex_unlock(state.event_log_mutex);
    if (rv != APR_SUCCESS)
        ap_log_error(APLOG_MARK, APLOG_ERR, rv, s, "OTPEventLog: write to %s failed",
                     conf->event_log);
}

void add_fields(otp::JsonObject& event, std::initializer_list<EventField> fields) {
    for (const EventField& field : fields) {
        if (auto* text = std::get_if<std::string_view>(&field.value))
            event.set(field.key, *text);
        else
            event.set(field.key, std::get<long long>(field.value));
    }
}

}  // namespace

apr_status_t otp_event_log_pre_config(apr_pool_t* pconf) {
    return ap_mutex_register(pconf, kOtpEventLogMutexType, nullptr, APR_LOCK_DEFAULT, 0);
}

const char* otp_event_log_post_config(apr_pool_t* pconf, apr_pool_t* ptemp, server_rec* s) {
    OtpModuleState& state = otp_state();
    for (server_rec* vhost = s; vhost; vhost = vhost->next) {
        const char* target = otp_server_conf(vhost)->event_log;
        if (!target || state.event_logs.count(target)) continue;
        apr_file_t* file = open_target(pconf, vhost, target);
        if (!file) return apr_psprintf(ptemp, "OTPEventLog: cannot open %s", target);
        state.event_logs.emplace(target, file);
    }
    if (state.event_logs.empty()) return nullptr;
    if (ap_global_mutex_create(&state.event_log_mutex, nullptr, kOtpEventLogMutexType, nullptr, s,
                               pconf, 0) != APR_SUCCESS)
        return "OTPEventLog: cannot create the global mutex";
    return nullptr;
}

void otp_event_log_child_init(apr_pool_t* pchild, server_rec* s) {
    OtpModuleState& state = otp_state();
    if (!state.event_log_mutex) return;
    apr_status_t rv = apr_global_mutex_child_init(
        &state.event_log_mutex, apr_global_mutex_lockfile(state.event_log_mutex), pchild);
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, rv, s,
                     "OTPEventLog: cannot reattach the mutex; events of this child are lost");
        state.event_log_mutex = nullptr;
    }
}

const char* otp_request_id(request_rec* r) {
    if (const char* unique_id = apr_table_get(r->subprocess_env, "UNIQUE_ID")) return unique_id;
    request_rec* main = r->main ? r->main : r;
    if (const char* ours = apr_table_get(main->notes, kRequestIdNote)) return ours;
    auto bytes = otp::random_bytes(12);
    std::string id = bytes ? otp::hex_encode(*bytes) : std::to_string(apr_time_now());
    apr_table_set(main->notes, kRequestIdNote, id.c_str());
    return apr_table_get(main->notes, kRequestIdNote);
}

EventOrigin otp_event_origin(request_rec* r) {
    auto* conf = static_cast<otp_dir_config*>(ap_get_module_config(r->per_dir_config, &otp_module));
    EventOrigin origin;
    origin.server = r->server;
    if (conf->customer_identifier) {
        const char* err = nullptr;
        const char* customer = ap_expr_str_exec(r, conf->customer_identifier, &err);
        if (err)
            ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r,
                          "OTPCustomerIdentifier: cannot evaluate: %s", err);
        else if (customer)
            origin.customer = customer;
    }
    origin.source_address = r->useragent_ip ? r->useragent_ip : "";
    origin.request_id = otp_request_id(r);
    origin.location = protected_section(r, conf).url_path;
    return origin;
}

void otp_emit_event(const EventOrigin& origin, const otp::EventType& type,
                    std::string_view identifier, std::initializer_list<EventField> fields,
                    const char* pipe) {
    if (!otp_server_conf(origin.server)->event_log) return;
    otp::JsonObject event = otp::make_event(type, now_millis());
    event.set("IDENTIFIER", identifier);
    if (!origin.customer.empty()) event.set("CUSTOMER_IDENTIFIER", origin.customer);
    event.set("SOURCE_ADDRESS", origin.source_address);
    add_fields(event, fields);
    for (const auto& field : origin.call_fields) event.set(field.first, field.second);
    event.set("request_id", origin.request_id);
    event.set("location", origin.location);
    if (pipe && *pipe) event.set("pipe", pipe);
    write_line(origin.server, event.dump() + "\n");
}

void otp_emit_request_event(request_rec* r, const otp::EventType& type, std::string_view identifier,
                            std::initializer_list<EventField> fields, const char* pipe) {
    if (!otp_server_conf(r->server)->event_log) return;
    otp_emit_event(otp_event_origin(r), type, identifier, fields, pipe);
}

void otp_emit_server_event(server_rec* s, const otp::EventType& type,
                           std::initializer_list<EventField> fields) {
    if (!otp_server_conf(s)->event_log) return;
    otp::JsonObject event = otp::make_event(type, now_millis());
    add_fields(event, fields);
    write_line(s, event.dump() + "\n");
}
