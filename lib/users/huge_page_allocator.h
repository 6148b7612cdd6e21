// Where the users index keeps its large arrays. A million-user index is some 80 MB read at
// random, plus the file text while loading; in their own mapping with transparent huge pages
// requested (THP is usually in "madvise" mode), 2 MiB pages cut the page faults while loading
// and the TLB misses of every lookup, which dominate both on virtual machines. Arrays from
// 128 KiB get a mapping of their own (so a reload gives the old index's memory back to the
// system), small ones stay on the ordinary heap.
#pragma once

#include <cstddef>
#include <new>
#include <string>
#include <vector>

namespace otp::users_detail {

constexpr std::size_t kHugePageBytes = std::size_t{2} << 20;
constexpr std::size_t kLargeMapThreshold = 2 * kHugePageBytes;  // from here: huge pages
// From here (and below kLargeMapThreshold): a page-rounded mapping of its own, no huge pages.
// Not malloc: glibc serves blocks of a few MB from the heap once one such block was freed (its
// mmap threshold grows up to 32 MB), and every worker thread's malloc arena then keeps the
// freed arrays of the index it replaced (httpd children grew from 16 to ~150 MB over 60
// reloads of a 100,000-user file). A mapping goes back to the system when it is released.
constexpr std::size_t kPrivateMapThreshold = std::size_t{128} << 10;

// Memory for `bytes`: from kLargeMapThreshold on a mapping of its own, aligned to a huge page;
// from kPrivateMapThreshold on a mapping of its own; else malloc. Never null: throws
// std::bad_alloc. Give it back with release_large() and the same size.
void* allocate_large(std::size_t bytes);
void release_large(void* p, std::size_t bytes);

template <typename T>
struct LargeAllocator {
    using value_type = T;
    LargeAllocator() = default;
    template <typename U>
    LargeAllocator(const LargeAllocator<U>&) {}

    T* allocate(std::size_t n) { return static_cast<T*>(allocate_large(n * sizeof(T))); }
    void deallocate(T* p, std::size_t n) { release_large(p, n * sizeof(T)); }
    template <typename U>
    bool operator==(const LargeAllocator<U>&) const {
        return true;
    }
    template <typename U>
    bool operator!=(const LargeAllocator<U>&) const {
        return false;
    }
};

using LargeString = std::basic_string<char, std::char_traits<char>, LargeAllocator<char>>;
template <typename T>
using LargeVector = std::vector<T, LargeAllocator<T>>;

}  // namespace otp::users_detail
