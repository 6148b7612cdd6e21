// httpd's lifecycle hooks for mod_otp (see lifecycle_hooks.cpp).
#pragma once

#include "mod_otp/http/apache_headers.h"

int otp_lifecycle_pre_config(apr_pool_t* pconf, apr_pool_t* plog, apr_pool_t* ptemp);
int otp_lifecycle_post_config(apr_pool_t* pconf, apr_pool_t* plog, apr_pool_t* ptemp,
                              server_rec* s);
void otp_lifecycle_child_init(apr_pool_t* pchild, server_rec* s);
