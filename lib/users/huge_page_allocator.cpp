#include "users/huge_page_allocator.h"

#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>

namespace otp::users_detail {
namespace {

std::size_t round_up(std::size_t value, std::size_t unit) {
    return (value + unit - 1) / unit * unit;
}

void* map_large(std::size_t bytes) {
    const std::size_t length = round_up(bytes, kHugePageBytes);
    void* raw = ::mmap(nullptr, length + kHugePageBytes, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (raw == MAP_FAILED) return nullptr;
    // Align to a huge page and give back the slack on both sides.
    const std::uintptr_t start = reinterpret_cast<std::uintptr_t>(raw);
    const std::uintptr_t aligned = round_up(start, kHugePageBytes);
    const std::uintptr_t end = start + length + kHugePageBytes;
    if (aligned > start) ::munmap(raw, aligned - start);
    if (end > aligned + length)
        ::munmap(reinterpret_cast<void*>(aligned + length), end - aligned - length);
#ifdef MADV_HUGEPAGE
    ::madvise(reinterpret_cast<void*>(aligned), length, MADV_HUGEPAGE);
#endif
    return reinterpret_cast<void*>(aligned);
}

std::size_t page_bytes() {
    static const std::size_t page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
    return page;
}

void* map_pages(std::size_t bytes) {
    void* p = ::mmap(nullptr, round_up(bytes, page_bytes()), PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    return p == MAP_FAILED ? nullptr : p;
}

}  // namespace

void* allocate_large(std::size_t bytes) {
    void* p = bytes >= kLargeMapThreshold     ? map_large(bytes)
              : bytes >= kPrivateMapThreshold ? map_pages(bytes)
                                              : std::malloc(bytes);
    if (!p) throw std::bad_alloc();
    return p;
}

void release_large(void* p, std::size_t bytes) {
    if (bytes >= kLargeMapThreshold)
        ::munmap(p, round_up(bytes, kHugePageBytes));
    else if (bytes >= kPrivateMapThreshold)
        ::munmap(p, round_up(bytes, page_bytes()));
    else
        std::free(p);
}

}  // namespace otp::users_detail
