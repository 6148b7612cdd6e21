// The users index's allocator: large arrays in huge-page aligned mappings, small ones on the
// heap, and containers that move between the two as they grow without losing content.
#include <cstdint>
#include <cstring>
#include <string>

#include "cmocka_wrap.h"
#include "users/huge_page_allocator.h"

using namespace otp::users_detail;

namespace {

void test_large_blocks_are_aligned_mappings(void**) {
    for (std::size_t bytes : {kLargeMapThreshold, kLargeMapThreshold + 1, 3 * kLargeMapThreshold}) {
        auto* p = static_cast<unsigned char*>(allocate_large(bytes));
        assert_non_null(p);
        assert_int_equal(reinterpret_cast<std::uintptr_t>(p) % kHugePageBytes, 0);
        // Every page is there and writable (anonymous mappings start zeroed).
        for (std::size_t i = 0; i < bytes; i += 4096) assert_int_equal(p[i], 0);
        assert_int_equal(p[bytes - 1], 0);
        std::memset(p, 0x5a, bytes);
        assert_int_equal(p[bytes - 1], 0x5a);
        release_large(p, bytes);
    }
}

void test_small_blocks(void**) {
    for (std::size_t bytes : {std::size_t{1}, std::size_t{4096}, kLargeMapThreshold - 1}) {
        auto* p = static_cast<unsigned char*>(allocate_large(bytes));
        assert_non_null(p);
        std::memset(p, 0xa5, bytes);
        assert_int_equal(p[bytes - 1], 0xa5);
        release_large(p, bytes);
    }
}

void test_containers_grow_across_the_threshold(void**) {
    LargeString text;
    for (std::size_t i = 0; text.size() < 2 * kLargeMapThreshold; ++i)
        text.push_back(static_cast<char>('a' + i % 26));
    for (std::size_t i = 0; i < text.size(); i += 1000)
        assert_int_equal(text[i], static_cast<char>('a' + i % 26));
    text.resize(10);
    text.shrink_to_fit();  // back onto the heap
    assert_true(text == "abcdefghij");

    LargeVector<std::uint64_t> numbers;
    const std::size_t count = 2 * kLargeMapThreshold / sizeof(std::uint64_t);
    for (std::size_t i = 0; i < count; ++i) numbers.push_back(i * 7);
    assert_int_equal(numbers.size(), count);
    for (std::size_t i = 0; i < count; i += 4099) assert_int_equal(numbers[i], i * 7);
    assert_int_equal(numbers.back(), (count - 1) * 7);
    LargeVector<std::uint64_t> copy = numbers;
    assert_true(copy == numbers);
}

}  // namespace

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_large_blocks_are_aligned_mappings),
        cmocka_unit_test(test_small_blocks),
        cmocka_unit_test(test_containers_grow_across_the_threshold),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
