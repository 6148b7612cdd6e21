// The users file index of a request's location, re-read first when the file changed on disk;
// reloads and failed reloads are logged and reported as events.
#pragma once

#include <memory>

#include "mod_otp/config/dir_config.h"
#include "mod_otp/http/apache_headers.h"
#include "users/users_file.h"

// nullptr when the file has never been readable in this process (the reason is logged). A
// location without OTPUsersFile (an exec pipe's) gets an empty index.
std::shared_ptr<const otp::UsersIndex> otp_users_index(request_rec* r, const otp_dir_config* conf);
