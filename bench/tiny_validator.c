/* The smallest useful OTPPipe validation program, for bench/issue10_pipes.sh: reads the JSON
 * line mod_otp writes to its stdin (up to 8 KiB; more is read and ignored, so mod_otp never
 * blocks on a full pipe) and exits 0 (valid) if it contains "otp":"123456", else 1 (invalid).
 * No JSON parser, no allocation, no output: what is measured is mod_otp's cost of running a
 * program, not the program's.
 *   cc -O2 -o tiny_validator bench/tiny_validator.c
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

int main(void) {
    static char input[8192 + 1];
    static const char wanted[] = "\"otp\":\"123456\"";
    size_t have = 0;
    for (;;) {
        char discard[4096];
        char* into = have < sizeof input - 1 ? input + have : discard;
        size_t room = have < sizeof input - 1 ? sizeof input - 1 - have : sizeof discard;
        ssize_t n = read(0, into, room);
        if (n == 0) break;
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return 2; /* a pipe error, not "invalid" */
        if (into == input + have) have += (size_t)n;
    }
    input[have] = '\0';
    return strstr(input, wanted) ? 0 : 1;
}
