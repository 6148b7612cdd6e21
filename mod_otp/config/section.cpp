#include "mod_otp/config/section.h"

#include <cstring>
#include <optional>
#include <string_view>

bool is_prefix_path(std::string_view prefix, std::string_view uri) {
    if (prefix.empty() || prefix[0] != '/' || uri.compare(0, prefix.size(), prefix) != 0)
        return false;
    return uri.size() == prefix.size() || prefix.back() == '/' || uri[prefix.size()] == '/';
}

namespace {

// Whether the request lies in `section` (a <Location> URL path, or a <Directory> / .htaccess
// filesystem path), and if so the URL path that the section covers: a <Location> path is one
// already; for a directory, the part of the URI that maps to it.
std::optional<std::string> section_url_path(request_rec* r, const char* section) {
    const std::string_view uri = r->uri ? r->uri : "";
    if (!section || !*section) return std::nullopt;
    if (is_prefix_path(section, uri)) return std::string(section);
    const std::string_view dir(section);
    // The file with the path info after it lines up with the URI (.otp/start has no file).
    const std::string file =
        std::string(r->filename ? r->filename : "") + (r->path_info ? r->path_info : "");
    if (!is_prefix_path(dir, file)) return std::nullopt;
    std::string_view rest = std::string_view(file).substr(dir.size());  // below the directory
    while (!rest.empty() && rest.front() == '/') rest.remove_prefix(1);
    if (uri.size() >= rest.size() &&
        uri.compare(uri.size() - rest.size(), rest.size(), rest) == 0) {
        std::string prefix(uri.substr(0, uri.size() - rest.size()));
        if (!prefix.empty() && prefix[0] == '/') return prefix;
    }
    return std::string("/");  // an alias or rewrite that does not line up: the whole site
}

}  // namespace


ProtectedSection protected_section(request_rec* r, const otp_dir_config* conf) {
    // Core keeps one config for every <Location>, <Directory> and <Files> section (also one
    // without OTP* directives of its own, where ours is inherited from outside), the last
    // merged being the innermost. Only a .htaccess file holding no core directive (Auth*,
    // Require and OTP* lines are not core's) leaves no trace there; when it holds an OTP*
    // directive, ours names its directory, below core's.
    const auto* core =
        static_cast<const core_dir_config*>(ap_get_core_module_config(r->per_dir_config));
    const char* section = core ? core->d : nullptr;
    if (conf->section_path &&
        (!section || (is_prefix_path(section, conf->section_path) &&
                      std::strlen(conf->section_path) > std::strlen(section))))
        section = conf->section_path;
    return ProtectedSection{section ? section : "", section_url_path(r, section).value_or("/")};
}
