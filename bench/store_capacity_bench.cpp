// Capacity and speed of the default state store (lib/store/shared_table_store.h), for
// bench/README.md: how many records a size holds before the first refusal and at saturation,
// what that means in live sessions and in anonymous wrong guesses per second absorbed, and
// the cost of one operation (lock, keyed hash, probe) with the table nearly empty and nearly
// full. Usage: store_capacity_bench [MiB ...]   (default: 1 32)
#include <sys/mman.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "store/shared_table_store.h"

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
    return std::chrono::duration<double>(Clock::now() - start).count();
}

void measure(std::size_t mib) {
    const std::size_t bytes = mib << 20;
    void* region = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (region == MAP_FAILED) {
        std::perror("mmap");
        std::exit(1);
    }
    // As the module does at startup: commit every page first, so the timings below are the
    // table's own cost, not first-touch page faults.
    std::memset(region, 0, bytes);
    std::string error;
    if (!otp::SharedTableStore::format(region, bytes, &error)) {
        std::fprintf(stderr, "%s\n", error.c_str());
        std::exit(1);
    }
    otp::SharedTableStore store(region, 1000);
    const std::size_t slots = store.stats().slots;

    // Writes of new records (as an attacker's new user names make them) until the first
    // refusal, then on until 1,000 refusals in a row (saturation).
    std::size_t stored = 0, tried = 0, first_refusal = 0, consecutive = 0;
    std::vector<std::size_t> stored_ids;
    double early_write_us = 0;  // the first tenth of the slots: a lightly loaded table
    const auto fill_start = Clock::now();
    while (consecutive < 1000) {
        const std::string key = std::to_string(tried) + ".guesses";
        if (store.increment(key, 3600)) {
            stored_ids.push_back(tried);
            ++stored;
            consecutive = 0;
            if (stored == slots / 10) early_write_us = seconds_since(fill_start) / stored * 1e6;
        } else {
            if (!first_refusal) first_refusal = stored;
            ++consecutive;
        }
        ++tried;
    }
    const double fill_seconds = seconds_since(fill_start);

    // Reads of live records in the full table (every lookup walks its key's run).
    const std::size_t reads = 200000;
    const auto read_start = Clock::now();
    std::size_t found = 0;
    for (std::size_t i = 0; i < reads; ++i)
        found += store.get(std::to_string(stored_ids[i % stored]) + ".guesses", nullptr) ==
                 otp::StoreStatus::ok;
    const double read_us = seconds_since(read_start) / reads * 1e6;

    const double per_mib_first = static_cast<double>(first_refusal) / static_cast<double>(mib);
    std::printf(
        "%zu MiB: %zu slots; first refusal after %zu records (%.1f %% full, %.0f records "
        "per MiB); saturated at %zu (%.1f %%)\n",
        mib, slots, first_refusal, 100.0 * first_refusal / slots, per_mib_first, stored,
        100.0 * stored / slots);
    std::printf(
        "  live sessions (1 record each): %zu; anonymous wrong guesses absorbed without "
        "a refusal, sustained (2 records each, living 900 s and 300 s): %.0f/s\n",
        first_refusal, first_refusal / 1200.0);
    std::printf(
        "  new-record writes: %.2f us each in the first tenth, %.2f us on average up to "
        "saturation; reads in the full table: %.2f us each (%zu of %zu found)\n",
        early_write_us, fill_seconds / static_cast<double>(tried) * 1e6, read_us, found, reads);
    munmap(region, bytes);
}

}  // namespace

int main(int argc, char** argv) {
    std::vector<std::size_t> sizes;
    for (int i = 1; i < argc; ++i) sizes.push_back(std::strtoul(argv[i], nullptr, 10));
    if (sizes.empty()) sizes = {1, 32};
    for (std::size_t mib : sizes) measure(mib);
    return 0;
}
