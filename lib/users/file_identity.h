// FileIdentity from a stat result. Both the index (which version did it load?) and the
// write-back (is the file still the one read under the lock?) must compute it the same way,
// or a reload check would see a change that never happened.
#pragma once

#include <sys/stat.h>

#include "users/users_file.h"

namespace otp::users_detail {

FileIdentity identity_of(const struct stat& st);

}  // namespace otp::users_detail
