#include "util/secure_wipe.h"

#include <string.h>  // explicit_bzero (glibc): a store the compiler may not remove

namespace otp {

void secure_wipe(void* data, std::size_t size) {
    if (data && size) explicit_bzero(data, size);
}

}  // namespace otp
