#include "mod_otp/api/api_config_check.h"

#include <apr_strings.h>
#include <util_cfgtree.h>

#include <string_view>

APLOG_USE_MODULE(otp);

namespace {

bool starts_with_nocase(std::string_view text, std::string_view head) {
    return text.size() >= head.size() && strncasecmp(text.data(), head.data(), head.size()) == 0;
}

// "<IfModule", "<IfDefine", "<IfVersion", "<IfFile", "<IfDirective", "<IfSection": conditional
// wrappers, whose children belong to the enclosing section.
bool is_conditional(const ap_directive_t* d) { return starts_with_nocase(d->directive, "<If"); }

// An access requirement among the section's own directives.
bool requires_something(const ap_directive_t* first) {
    for (const ap_directive_t* d = first; d; d = d->next) {
        if (starts_with_nocase(d->directive, "Require") ||
            starts_with_nocase(d->directive, "<Require") ||
            starts_with_nocase(d->directive, "SSLVerifyClient"))
            return true;
        if (is_conditional(d) && requires_something(d->first_child)) return true;
    }
    return false;
}

bool sets_handler(const ap_directive_t* first, std::string_view name) {
    for (const ap_directive_t* d = first; d; d = d->next) {
        if (!strcasecmp(d->directive, "SetHandler") && d->args) {
            std::string_view handler = d->args;
            while (!handler.empty() && (handler.front() == '"' || handler.front() == '\''))
                handler.remove_prefix(1);
            while (!handler.empty() &&
                   (handler.back() == '"' || handler.back() == '\'' || handler.back() == ' '))
                handler.remove_suffix(1);
            if (handler == name) return true;
        }
        if (is_conditional(d) && sets_handler(d->first_child, name)) return true;
    }
    return false;
}

void check_sections(const ap_directive_t* first, bool protected_around) {
    for (const ap_directive_t* d = first; d; d = d->next) {
        if (!d->first_child) continue;
        if (is_conditional(d)) {
            check_sections(d->first_child, protected_around);
            continue;
        }
        const bool protected_here = protected_around || requires_something(d->first_child);
        if (!protected_here && sets_handler(d->first_child, "otp-verify"))
            ap_log_error(APLOG_MARK, APLOG_STARTUP | APLOG_WARNING, 0, nullptr,
                         "%s:%d: SetHandler otp-verify without any Require in this section or "
                         "around it: the verify API answers anyone who can reach it; protect it "
                         "with Require ip or client certificates (README \"Verify API\")",
                         d->filename, d->line_num);
        if (!protected_here && sets_handler(d->first_child, "otp-twoway-portal"))
            ap_log_error(APLOG_MARK, APLOG_STARTUP | APLOG_WARNING, 0, nullptr,
                         "%s:%d: SetHandler otp-twoway-portal without any Require in this section "
                         "or around it: the portal step needs the portal's login (every request "
                         "without a user is refused with 401); add the portal's AuthType and "
                         "Require valid-user",
                         d->filename, d->line_num);
        check_sections(d->first_child, protected_here);
    }
}

}  // namespace

int otp_api_check_config(apr_pool_t*, apr_pool_t*, apr_pool_t*, server_rec*) {
    try {
        check_sections(ap_conftree, false);
    } catch (...) {
        ap_log_error(APLOG_MARK, APLOG_STARTUP | APLOG_ERR, 0, nullptr,
                     "mod_otp: checking the verify API's sections: internal error");
    }
    return OK;
}
