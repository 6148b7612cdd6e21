// Tests for lib/util/secure_wipe: strings, arrays and plain objects end up all zero, and the
// guard wipes whichever way its scope is left.
#include <cstdint>
#include <string>

#include "cmocka_wrap.h"
#include "util/secure_wipe.h"

using otp::secure_wipe;
using otp::WipeOnExit;

namespace {

bool all_zero(const void* data, std::size_t size) {
    const auto* p = static_cast<const unsigned char*>(data);
    for (std::size_t i = 0; i < size; ++i)
        if (p[i] != 0) return false;
    return true;
}

void test_wipes_strings(void**) {
    std::string key(48, 'k');
    const char* data = key.data();
    secure_wipe(key);
    assert_int_equal(key.size(), 48);  // the size stays; the characters are gone
    assert_true(data == key.data());
    assert_true(all_zero(key.data(), key.size()));
    std::string empty;
    secure_wipe(empty);
    assert_true(empty.empty());
}

struct State {
    std::uint32_t h[5];
    unsigned char block[64];
};

void test_wipes_objects_and_arrays(void**) {
    unsigned char block[2][64];
    for (auto& row : block)
        for (unsigned char& b : row) b = 0xee;
    secure_wipe(block);
    assert_true(all_zero(block, sizeof block));

    State state;
    for (std::uint32_t& h : state.h) h = 0xdeadbeef;
    for (unsigned char& b : state.block) b = 0x5c;
    secure_wipe(state);
    assert_true(all_zero(&state, sizeof state));

    unsigned char bytes[16];
    for (unsigned char& b : bytes) b = 1;
    secure_wipe(bytes + 4, 8);
    assert_int_equal(bytes[3], 1);
    assert_true(all_zero(bytes + 4, 8));
    assert_int_equal(bytes[12], 1);
}

void fill(std::string& secret, unsigned char (&block)[32]) {
    WipeOnExit wipe_secret(secret);
    WipeOnExit wipe_block(block);
    secret.assign(20, 's');  // assigned after the guard: wiped as it is at the end
    for (unsigned char& b : block) b = 0x36;
}

void test_guard_wipes_on_every_exit(void**) {
    std::string secret;
    unsigned char block[32];
    fill(secret, block);
    assert_int_equal(secret.size(), 20);
    assert_true(all_zero(secret.data(), secret.size()));
    assert_true(all_zero(block, sizeof block));

    std::string thrown(8, 't');
    try {
        WipeOnExit wipe(thrown);
        throw 1;
    } catch (int) {
    }
    assert_true(all_zero(thrown.data(), thrown.size()));
}

}  // namespace

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_wipes_strings),
        cmocka_unit_test(test_wipes_objects_and_arrays),
        cmocka_unit_test(test_guard_wipes_on_every_exit),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
