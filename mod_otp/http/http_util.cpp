#include "mod_otp/http/http_util.h"

#include <util_cookies.h>

#include "util/cookie_header.h"

APLOG_USE_MODULE(otp);

namespace {

bool header_mentions(const char* header, const char* type) {
    return header && ap_strcasestr(header, type) != nullptr;
}

void common_headers(request_rec* r) {
    // Answers about logins are personal and short-lived: never cache, never frame.
    apr_table_setn(r->err_headers_out, "Cache-Control", "no-store");
    apr_table_setn(r->err_headers_out, "X-Content-Type-Options", "nosniff");
    apr_table_setn(r->err_headers_out, "Referrer-Policy", "no-referrer");
    apr_table_setn(r->err_headers_out, "X-Frame-Options", "DENY");
}

std::string cookie_attributes(request_rec* r, std::string_view path) {
    std::string attrs = "Path=" + std::string(path) + ";HttpOnly;SameSite=Lax";
    if (is_https(r)) attrs += ";Secure";
    return attrs;
}

}  // namespace

bool is_https(request_rec* r) { return std::string_view(ap_http_scheme(r)) == "https"; }

bool wants_json(request_rec* r) {
    const char* accept = apr_table_get(r->headers_in, "Accept");
    return header_mentions(accept, "application/json") && !header_mentions(accept, "text/html");
}

int send_body(request_rec* r, int status, const char* content_type, std::string_view body) {
    common_headers(r);
    r->status = status;
    ap_set_content_type(r, apr_pstrdup(r->pool, content_type));
    ap_set_content_length(r, body.size());
    if (!r->header_only) ap_rwrite(body.data(), static_cast<int>(body.size()), r);
    return OK;
}

int send_json(request_rec* r, int status, const otp::JsonObject& body) {
    return send_body(r, status, "application/json", body.dump());
}

int send_json_error(request_rec* r, int status, std::string_view error) {
    otp::JsonObject body;
    body.set("status", "ERROR");
    body.set("error", error);
    return send_json(r, status, body);
}

int send_redirect(request_rec* r, int status, const std::string& location) {
    common_headers(r);
    apr_table_set(r->err_headers_out, "Location", location.c_str());
    r->status = status;
    ap_set_content_length(r, 0);
    return OK;
}

int read_body(request_rec* r, std::size_t limit, std::string* body) {
    if (ap_setup_client_block(r, REQUEST_CHUNKED_DECHUNK) != OK) return HTTP_BAD_REQUEST;
    if (r->remaining > static_cast<apr_off_t>(limit)) {
        // The body stays unread: the connection cannot be reused for another request.
        r->connection->keepalive = AP_CONN_CLOSE;
        return HTTP_REQUEST_ENTITY_TOO_LARGE;
    }
    if (!ap_should_client_block(r)) return OK;
    char buffer[4096];
    for (;;) {
        long got = ap_get_client_block(r, buffer, sizeof buffer);
        if (got < 0) return HTTP_BAD_REQUEST;
        if (got == 0) return OK;
        if (body->size() + static_cast<std::size_t>(got) > limit) {
            r->connection->keepalive = AP_CONN_CLOSE;
            return HTTP_REQUEST_ENTITY_TOO_LARGE;
        }
        body->append(buffer, static_cast<std::size_t>(got));
    }
}

bool origin_allowed(request_rec* r) {
    const char* origin = apr_table_get(r->headers_in, "Origin");
    if (!origin) return true;
    // Compare with what the client itself addressed (Host), and with the server's name.
    const char* host = apr_table_get(r->headers_in, "Host");
    std::string scheme = std::string(ap_http_scheme(r)) + "://";
    if (host && scheme + host == origin) return true;
    apr_port_t port = ap_get_server_port(r);
    std::string named = scheme + ap_get_server_name_for_url(r);
    if (!ap_is_default_port(port, r)) named += ":" + std::to_string(port);
    return named == origin;
}

bool same_origin_request(request_rec* r) {
    const char* site = apr_table_get(r->headers_in, "Sec-Fetch-Site");
    if (site && (!strcasecmp(site, "cross-site") || !strcasecmp(site, "same-site"))) return false;
    return origin_allowed(r);
}

namespace {

struct CookieScan {
    const char* name;
    std::vector<std::string_view> values;
};

int scan_cookie_header(void* data, const char*, const char* header) {
    auto* scan = static_cast<CookieScan*>(data);
    otp::append_cookie_values(header ? header : "", scan->name, &scan->values);
    return 1;
}

}  // namespace

std::vector<std::string> read_cookies(request_rec* r, const char* name) {
    CookieScan scan{name, {}};
    apr_table_do(scan_cookie_header, &scan, r->headers_in, "Cookie", nullptr);
    return std::vector<std::string>(scan.values.begin(), scan.values.end());
}

std::optional<std::string> read_cookie(request_rec* r, const char* name) {
    std::vector<std::string> values = read_cookies(r, name);
    if (values.empty()) return std::nullopt;
    return values.front();
}

void write_cookie(request_rec* r, const char* name, std::string_view value, std::string_view path,
                  long max_age) {
    std::string attrs = cookie_attributes(r, path);
    ap_cookie_write(r, name, apr_pstrmemdup(r->pool, value.data(), value.size()),
                    apr_pstrdup(r->pool, attrs.c_str()), max_age, r->err_headers_out, nullptr);
}

void clear_cookie(request_rec* r, const char* name, std::string_view path) {
    std::string attrs = cookie_attributes(r, path);
    ap_cookie_remove(r, name, apr_pstrdup(r->pool, attrs.c_str()), r->err_headers_out, nullptr);
}
