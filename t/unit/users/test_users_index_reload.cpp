// Reloading a large users file again and again (a file that pam_oath or an administrator keeps
// changing) must not make the process grow: each reload builds a new index while the old one
// still serves requests, then the old one is released. Measured as httpd does it: reloads on
// the worker threads of a threaded MPM in turn, the previous index kept until the new one is
// in place, the resident set read from /proc/self/statm. (httpd children grew from 16 to
// ~150 MB over 60 reloads of a 100,000-user file: the index's arrays of 2 to 4 MB came from
// malloc, and each worker's malloc arena kept the memory of the index it had freed.)
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>
#include <mutex>
#include <condition_variable>

#include "cmocka_wrap.h"
#include "users/users_file.h"
#include "users_test_support.h"

using namespace otp;

namespace {

constexpr int kUsers = 100000;
constexpr int kReloads = 60;
constexpr int kWorkers = 16;

long resident_bytes() {
    std::ifstream statm("/proc/self/statm");
    long size = 0, resident = 0;
    statm >> size >> resident;
    return resident * ::sysconf(_SC_PAGESIZE);
}

void test_reloads_do_not_grow_the_process(void**) {
    const std::string dir = make_scratch_dir("users_reload");
    const std::string path = dir + "/users.oath";
    std::string text;
    text.reserve(kUsers * 72);
    for (int i = 0; i < kUsers; ++i) {
        char line[128];
        std::snprintf(line, sizeof line, "HOTP/T30 user%06d - %040x\n", i, i * 2654435761u);
        text += line;
    }
    write_file(path, text);
    text = std::string();

    const long before = resident_bytes();
    std::shared_ptr<const UsersIndex> current;
    long after_first = 0, peak = 0;
    // kWorkers long-lived threads take turns, as httpd's workers do: each has its own malloc
    // arena, so memory one of them frees and keeps cached is not reused by the next.
    std::mutex mutex;
    std::condition_variable turn_changed;
    int turn = 0;
    bool failed = false;
    std::vector<std::thread> workers;
    for (int w = 0; w < kWorkers; ++w)
        workers.emplace_back([&, w] {
            for (int round = w; round < kReloads; round += kWorkers) {
                std::unique_lock<std::mutex> lock(mutex);
                turn_changed.wait(lock, [&] { return turn == round; });
                std::string error;
                std::shared_ptr<const UsersIndex> fresh =
                    UsersIndex::load(path, UsersFileLayout::oath, &error);
                if (!fresh || fresh->user_count() != kUsers) {
                    std::fprintf(stderr, "reload %d: %s\n", round, error.c_str());
                    failed = true;
                }
                current = std::move(fresh);  // the previous index goes: nobody holds it
                const long now = resident_bytes();
                if (round == 0) after_first = now;
                if (now > peak) peak = now;
                if (std::getenv("OTP_RELOAD_TRACE"))
                    print_message("reload %d: RSS +%ld KiB\n", round + 1, (now - before) / 1024);
                ++turn;
                turn_changed.notify_all();
            }
        });
    for (std::thread& worker : workers) worker.join();
    assert_false(failed);
    const long first_growth = after_first - before;
    const long final_growth = resident_bytes() - before;
    print_message("users index: %d users, %zu bytes of index; RSS grew %ld KiB on the first load, "
                  "%ld KiB after %d reloads (peak %ld KiB)\n",
                  kUsers, current->memory_bytes(), first_growth / 1024, final_growth / 1024,
                  kReloads, (peak - before) / 1024);
    assert_true(first_growth > 0);
    assert_true(final_growth < 2 * first_growth);
    assert_true(peak - before < 3 * first_growth);
}

}  // namespace

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reloads_do_not_grow_the_process),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
