// The protected section of a request: which <Location>, <Directory>, <Files> or .htaccess
// section applies innermost, and the URL path it covers. Sessions are bound to it (their
// realm, the cookie's Path) and events name it ("location").
#pragma once

#include <string>

#include "mod_otp/config/dir_config.h"
#include "mod_otp/http/apache_headers.h"

struct ProtectedSection {
    const char* config_path;  // as the configuration names it; "" for the server itself
    std::string url_path;     // the URL path it covers ("/" when none can be told)
};

ProtectedSection protected_section(request_rec* r, const otp_dir_config* conf);

// Whether `uri` is `prefix` or below it, at a path segment boundary.
bool is_prefix_path(std::string_view prefix, std::string_view uri);
