// The users-file write-back (SPEC §4), compared byte for byte with what liboath itself writes,
// and the counter semantics it relies on, checked against liboath: the locked rewrite in both
// layouts, owner and mode, every refusal, and concurrent writers.
//
// liboath is linked into this test (CMakeLists.txt links it into test_users_file by name, which
// is why this file keeps that name); without it the comparisons fail rather than skip, because
// they are the evidence that pam_oath and mod_otp can share one file.
#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <ctime>
#include <string>
#include <vector>

#include "cmocka_wrap.h"
#include "users/users_file.h"
#include "users_test_support.h"

#ifdef HAVE_LIBOATH
#include <oath.h>
#endif

using namespace otp;

namespace {

// ---- helpers -----------------------------------------------------------------------------

std::int64_t monotonic_ms() {
    struct timespec ts;
    ::clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<std::int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

std::string local_time(std::time_t t) {
    struct tm tm;
    localtime_r(&t, &tm);
    char buf[64];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SL", &tm);
    return buf;
}

#ifdef HAVE_LIBOATH
std::string liboath_code(const std::string& hex_key, std::uint64_t counter, unsigned digits) {
    char key[64];
    size_t key_len = sizeof key;
    assert_int_equal(oath_hex2bin(hex_key.c_str(), key, &key_len), OATH_OK);
    char code[16];
    assert_int_equal(oath_hotp_generate(key, key_len, counter, digits, false,
                                        OATH_HOTP_DYNAMIC_TRUNCATION, code),
                     OATH_OK);
    return code;
}
#endif

void require_liboath() {
#ifndef HAVE_LIBOATH
    print_error("liboath is not linked into test_users_file (install liboath-dev)\n");
    fail();
#endif
}

// ---- next_counter, checked against liboath -------------------------------------------------

void test_next_counter_semantics(void**) {
    const std::string text =
        "HOTP a - 00\n"
        "HOTP b - 00 5\n"
        "HOTP c - 00 5 123456\n"
        "HOTP d - 00 5 123456 2024-01-01T00:00:00L\n";
    std::unique_ptr<UsersIndex> index = parse_ok(text);
    assert_int_equal(only_token(*index, "a").next_counter(UsersFileLayout::oath), 0);
    assert_int_equal(only_token(*index, "b").next_counter(UsersFileLayout::oath), 5);
    assert_int_equal(only_token(*index, "c").next_counter(UsersFileLayout::oath), 6);
    assert_int_equal(only_token(*index, "d").next_counter(UsersFileLayout::oath), 6);
    // The same numbers read as mod_authn_otp mean "next expected".
    assert_int_equal(only_token(*index, "c").next_counter(UsersFileLayout::mod_authn_otp), 5);

    require_liboath();
#ifdef HAVE_LIBOATH
    assert_int_equal(oath_init(), OATH_OK);
    const std::string dir = make_scratch_dir("users_file");
    const std::string path = dir + "/users.oath";
    write_file(path, "HOTP alice - " + std::string(kKey) + "\n");
    time_t last = 0;
    // Fresh line: counter 0 itself is accepted (window 0 = only the start counter).
    assert_int_equal(oath_authenticate_usersfile(path.c_str(), "alice",
                                                 liboath_code(kKey, 0, 6).c_str(), 0, "", &last),
                     OATH_OK);
    std::string error;
    std::unique_ptr<UsersIndex> after = UsersIndex::load(path, UsersFileLayout::oath, &error);
    assert_non_null(after.get());
    TokenRecord alice = only_token(*after, "alice");
    assert_int_equal(alice.counter, 0);
    assert_int_equal(alice.next_counter(UsersFileLayout::oath), 1);
    // The code at COUNTER is a replay; the next one is COUNTER+1.
    assert_int_equal(oath_authenticate_usersfile(path.c_str(), "alice",
                                                 liboath_code(kKey, 0, 6).c_str(), 5, "", &last),
                     OATH_REPLAYED_OTP);
    assert_int_equal(oath_authenticate_usersfile(path.c_str(), "alice",
                                                 liboath_code(kKey, 1, 6).c_str(), 1, "", &last),
                     OATH_OK);
    after = UsersIndex::load(path, UsersFileLayout::oath, &error);
    alice = only_token(*after, "alice");
    assert_int_equal(alice.counter, 1);
    assert_int_equal(alice.next_counter(UsersFileLayout::oath), 2);
#endif
}

// ---- write-back: oath layout, compared with liboath -----------------------------------------

struct LiboathScenario {
    const char* user;
    const char* password;  // what pam_oath passes: "" for PIN "-"
    const char* hex_key;
    std::uint64_t counter;  // of the code that is accepted
    unsigned digits;
    unsigned line;  // the line liboath updates
};

void test_oath_writeback_matches_liboath(void**) {
    require_liboath();
#ifdef HAVE_LIBOATH
    assert_int_equal(oath_init(), OATH_OK);
    // Tabs, runs of spaces, CRLF, an upper-case key, a PIN, an existing LASTOTP/LASTTIME,
    // leading blanks and a last line without newline.
    const std::string original =
        "# users file shared with pam_oath\n"                               // 1
        "HOTP\talice\t-\t3132333435363738393031323334353637383930\n"        // 2
        "HOTP/T30  bob  pin  3132333435363738393031323334353637383930  \n"  // 3
        "HOTP carol 4711 ABCDEF0123456789ABCDEF0123456789ABCDEF01 5 123456 "
        "2024-01-02T03:04:05L\r\n"                                        // 4
        "\n"                                                              // 5
        "HOTP/E/8 dave - 3132333435363738393031323334353637383930 7\n"    // 6
        "   HOTP   erin   -   0011223344556677889900112233445566778899";  // 7
    const LiboathScenario scenarios[] = {
        {"alice", "", kKey, 3, 6, 2},
        {"carol", "4711", "ABCDEF0123456789ABCDEF0123456789ABCDEF01", 8, 6, 4},
        {"dave", "", kKey, 7, 8, 6},
        {"erin", "", "0011223344556677889900112233445566778899", 0, 6, 7},
    };
    const std::string dir = make_scratch_dir("users_file");
    const std::string theirs = dir + "/liboath.oath", ours = dir + "/ours.oath";
    for (const LiboathScenario& s : scenarios) {
        const std::string code = liboath_code(s.hex_key, s.counter, s.digits);
        bool compared = false;
        // LASTTIME has a resolution of one second: retry until both writes share a second.
        for (int attempt = 0; attempt < 5 && !compared; ++attempt) {
            write_file(theirs, original, 0640);
            write_file(ours, original, 0640);
            const std::time_t before = std::time(nullptr);
            time_t last = 0;
            assert_int_equal(oath_authenticate_usersfile(theirs.c_str(), s.user, code.c_str(), 10,
                                                         s.password, &last),
                             OATH_OK);
            std::string error;
            std::unique_ptr<UsersFileTransaction> tx =
                UsersFileTransaction::begin(ours, UsersFileLayout::oath, &error);
            assert_non_null(tx.get());
            const std::vector<TokenRecord> tokens = tx->tokens_for(s.user);
            assert_int_equal(tokens.size(), 1);
            assert_int_equal(tokens[0].line_number, s.line);
            assert_true(tokens[0].next_counter(UsersFileLayout::oath) <= s.counter);
            const std::time_t now = std::time(nullptr);
            if (!tx->record_counter(tokens[0], s.counter, code, now, &error)) {
                print_error("record_counter: %s\n", error.c_str());
                fail();
            }
            tx.reset();
            if (std::time(nullptr) != before) continue;
            EXPECT_STR_EQ(read_file(ours), read_file(theirs));
            EXPECT_CONTAINS(read_file(ours), "\t" + std::to_string(s.counter) + "\t" + code + "\t" +
                                                 local_time(now) + "\n");
            compared = true;
        }
        assert_true(compared);
    }
    // A captured example of what liboath 2.6.7 wrote for alice (code 969429 at counter 3):
    //   HOTP\talice\t-\t3132333435363738393031323334353637383930\t3\t969429\t2026-11-25T11:48:39L\n
    // and it leaves no "<file>.lock" behind; neither do we in this layout.
    assert_false(exists(ours + ".lock"));
    assert_false(exists(ours + ".new"));
#endif
}

// ---- write-back: mod_authn_otp layout -------------------------------------------------------

std::string authn_otp_expected(const char* type, const char* user, const char* pin, const char* key,
                               long next, const char* otp, const std::string& when,
                               const char* ip) {
    // mod_authn_otp's print_user(): "%-7s %-13s %-7s " KEY " %-3ld %-2u" " %-7s %s %s" "\n".
    char buf[512];
    std::snprintf(buf, sizeof buf, "%-7s %-13s %-7s %s %-3ld %-2u %-7s %s %s\n", type, user, pin,
                  key, next, 0u, otp, when.c_str(), ip);
    return buf;
}

void test_authn_otp_writeback(void**) {
    const std::string dir = make_scratch_dir("users_file");
    const std::string path = dir + "/users.otp";
    const std::string line1 = "# mod_authn_otp users\n";
    const std::string line2 =
        "HOTP    barney        1234    8a2d55707a9084982649dadc04b426a06df19ab2 21      3 "
        "820658  2009-06-12T17:52:32L 192.168.1.1\n";
    const std::string line3 = "HOTP wilma 5678 A4D8ACBDDEF654FCCC418DB4CC2F85CEA6339F00\n";
    const std::string line4 =
        "E\tfred  5678 acbd18db4cc2f85cedef654fccc4a4d8bd537891   78 617363 "
        "2009-06-04T21:17:03L\n";
    const std::string line5 = "  \t \n";
    write_file(path, line1 + line2 + line3 + line4 + line5, 0640);

    std::string error;
    std::unique_ptr<UsersFileTransaction> tx =
        UsersFileTransaction::begin(path, UsersFileLayout::mod_authn_otp, &error);
    assert_non_null(tx.get());
    const TokenRecord barney = tx->tokens_for("barney").at(0);
    assert_int_equal(barney.next_counter(UsersFileLayout::mod_authn_otp), 21);
    const std::time_t now = 1700000000;
    assert_true(tx->record_counter(barney, 23, "123456", now, &error, "203.0.113.7"));
    const TokenRecord wilma = tx->tokens_for("wilma").at(0);
    assert_true(tx->record_counter(wilma, 0, "654321", now, &error));
    tx.reset();

    const std::string when = local_time(now);
    const std::string expected =
        line1 +
        authn_otp_expected("HOTP", "barney", "1234", "8a2d55707a9084982649dadc04b426a06df19ab2", 24,
                           "123456", when, "203.0.113.7") +
        authn_otp_expected("HOTP", "wilma", "5678", "A4D8ACBDDEF654FCCC418DB4CC2F85CEA6339F00", 1,
                           "654321", when, "-") +
        line4 + line5;
    EXPECT_STR_EQ(read_file(path), expected);

    // What we wrote reads back in that layout (FAILURES LASTOTP LASTTIME LASTIP form).
    std::unique_ptr<UsersIndex> index =
        UsersIndex::load(path, UsersFileLayout::mod_authn_otp, &error);
    assert_non_null(index.get());
    assert_int_equal(only_token(*index, "barney").next_counter(UsersFileLayout::mod_authn_otp), 24);
    EXPECT_STR_EQ(only_token(*index, "barney").last_otp, "123456");
    assert_int_equal(only_token(*index, "wilma").next_counter(UsersFileLayout::mod_authn_otp), 1);
    // mod_authn_otp keeps its lock file; so do we in its layout.
    assert_true(exists(path + ".lock"));
    assert_false(exists(path + ".new"));
}

// ---- write-back: owner, mode and refusals ---------------------------------------------------

bool record_first(const std::string& path, const std::string& user, std::uint64_t counter,
                  std::string* error) {
    std::unique_ptr<UsersFileTransaction> tx =
        UsersFileTransaction::begin(path, UsersFileLayout::oath, error);
    if (!tx) return false;
    const std::vector<TokenRecord> tokens = tx->tokens_for(user);
    if (tokens.empty()) {
        *error = "no token";
        return false;
    }
    return tx->record_counter(tokens[0], counter, "123456", std::time(nullptr), error);
}

void test_writeback_keeps_mode_and_owner(void**) {
    const std::string dir = make_scratch_dir("users_file");
    const std::string path = dir + "/users.oath";
    write_file(path, "HOTP alice - 01\n", 0640);
    struct stat before;
    assert_int_equal(::stat(path.c_str(), &before), 0);
    std::string error;
    assert_true(record_first(path, "alice", 0, &error));
    struct stat after;
    assert_int_equal(::stat(path.c_str(), &after), 0);
    assert_int_equal(after.st_mode & 07777, 0640);
    assert_int_equal(after.st_uid, before.st_uid);
    assert_int_equal(after.st_gid, before.st_gid);
    assert_true(after.st_ino != before.st_ino);  // replaced, not rewritten in place

    if (::geteuid() != 0) return;
    // As root: a file owned by someone else keeps that owner.
    assert_int_equal(::chown(path.c_str(), 4242, 4343), 0);
    assert_true(record_first(path, "alice", 1, &error));
    assert_int_equal(::stat(path.c_str(), &after), 0);
    assert_int_equal(after.st_uid, 4242);
    assert_int_equal(after.st_gid, 4343);
    assert_int_equal(after.st_mode & 07777, 0640);

    // A writer that cannot give the new file the old owner must refuse, not change it. It
    // runs as "nobody" in a directory it may write to (under /tmp, which it can reach).
    char shared_template[] = "/tmp/users_file_owner.XXXXXX";
    assert_non_null(::mkdtemp(shared_template));
    const std::string shared_dir = shared_template, shared = shared_dir + "/users.oath";
    assert_int_equal(::chmod(shared_dir.c_str(), 0777), 0);
    write_file(shared, "HOTP alice - 01\n", 0644);
    const pid_t child = ::fork();
    assert_true(child >= 0);
    if (child == 0) {
        if (::setgid(65534) != 0 || ::setuid(65534) != 0) ::_exit(3);
        std::string child_error;
        if (record_first(shared, "alice", 5, &child_error)) ::_exit(1);
        std::fprintf(stderr, "(expected refusal: %s)\n", child_error.c_str());
        ::_exit(contains(child_error, "owner and group") ? 0 : 2);
    }
    int status = 0;
    assert_int_equal(::waitpid(child, &status, 0), child);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    EXPECT_STR_EQ(read_file(shared), "HOTP alice - 01\n");
    assert_false(exists(shared + ".new"));
    ::unlink(shared.c_str());
    ::unlink((shared + ".lock").c_str());
    assert_int_equal(::rmdir(shared_dir.c_str()), 0);
}

void test_refuses_symlinked_users_file(void**) {
    const std::string dir = make_scratch_dir("users_file");
    const std::string real = dir + "/real.oath", link = dir + "/users.oath";
    const std::string content = "HOTP alice - 01\n";
    write_file(real, content);
    assert_int_equal(::symlink(real.c_str(), link.c_str()), 0);
    std::string error;
    assert_null(UsersFileTransaction::begin(link, UsersFileLayout::oath, &error).get());
    EXPECT_CONTAINS(error, "symbolic link");
    EXPECT_STR_EQ(read_file(real), content);
    // Reading through a symlink is fine (nothing is written).
    assert_non_null(UsersIndex::load(link, UsersFileLayout::oath, &error).get());
    // A FIFO is not a users file (and must not hang the reader).
    const std::string fifo = dir + "/fifo.oath";
    assert_int_equal(::mkfifo(fifo.c_str(), 0600), 0);
    assert_null(UsersFileTransaction::begin(fifo, UsersFileLayout::oath, &error).get());
    EXPECT_CONTAINS(error, "not a regular file");
    assert_null(UsersIndex::load(fifo, UsersFileLayout::oath, &error).get());
    EXPECT_CONTAINS(error, "not a regular file");
}

void test_refuses_symlinked_lock_file(void**) {
    const std::string dir = make_scratch_dir("users_file");
    const std::string path = dir + "/users.oath", victim = dir + "/victim";
    const std::string content = "HOTP alice - 01\n";
    write_file(path, content);
    write_file(victim, "precious\n", 0644);
    assert_int_equal(::symlink(victim.c_str(), (path + ".lock").c_str()), 0);
    std::string error;
    assert_null(UsersFileTransaction::begin(path, UsersFileLayout::oath, &error).get());
    EXPECT_CONTAINS(error, path + ".lock is a symbolic link");
    EXPECT_STR_EQ(read_file(victim), "precious\n");
    EXPECT_STR_EQ(read_file(path), content);
    struct stat st;
    assert_int_equal(::stat(victim.c_str(), &st), 0);
    assert_int_equal(st.st_mode & 07777, 0644);

    // Dangling: the target must not be created.
    assert_int_equal(::unlink((path + ".lock").c_str()), 0);
    assert_int_equal(::symlink((dir + "/created").c_str(), (path + ".lock").c_str()), 0);
    assert_null(UsersFileTransaction::begin(path, UsersFileLayout::oath, &error).get());
    assert_false(exists(dir + "/created"));
}

void test_refuses_symlinked_new_file(void**) {
    const std::string dir = make_scratch_dir("users_file");
    const std::string path = dir + "/users.oath", victim = dir + "/victim";
    const std::string content = "HOTP alice - 01\n";
    write_file(path, content);
    write_file(victim, "precious\n", 0644);
    assert_int_equal(::symlink(victim.c_str(), (path + ".new").c_str()), 0);
    std::string error;
    assert_false(record_first(path, "alice", 0, &error));
    EXPECT_CONTAINS(error, path + ".new is a symbolic link");
    EXPECT_STR_EQ(read_file(victim), "precious\n");
    EXPECT_STR_EQ(read_file(path), content);
    struct stat st;
    assert_int_equal(::lstat((path + ".new").c_str(), &st), 0);
    assert_true(S_ISLNK(st.st_mode));  // left for the administrator to look at

    assert_int_equal(::unlink((path + ".new").c_str()), 0);
    assert_int_equal(::symlink((dir + "/created").c_str(), (path + ".new").c_str()), 0);
    assert_false(record_first(path, "alice", 0, &error));
    assert_false(exists(dir + "/created"));
    EXPECT_STR_EQ(read_file(path), content);
}

void test_stale_new_file_is_replaced(void**) {
    const std::string dir = make_scratch_dir("users_file");
    const std::string path = dir + "/users.oath";
    write_file(path, "HOTP alice - 01\n");
    write_file(path + ".new", "half-written junk from a crash");
    // A crash's leftover is old; a young `.new` may be a live writer's (see the next test).
    const struct timespec old_times[2] = {{std::time(nullptr) - 3600, 0},
                                          {std::time(nullptr) - 3600, 0}};
    assert_int_equal(::utimensat(AT_FDCWD, (path + ".new").c_str(), old_times, 0), 0);
    std::string error;
    if (!record_first(path, "alice", 0, &error)) {
        print_error("%s\n", error.c_str());
        fail();
    }
    assert_false(exists(path + ".new"));
    EXPECT_CONTAINS(read_file(path), "HOTP\talice\t-\t01\t0\t123456\t");
}

// A `.new` written a moment ago may be another writer's work in progress (liboath creates it
// with O_EXCL too): it is left alone, and the write-back gives up within the lock bound.
void test_young_new_file_is_left_alone(void**) {
    const std::string dir = make_scratch_dir("users_file");
    const std::string path = dir + "/users.oath";
    write_file(path, "HOTP alice - 01\n");
    write_file(path + ".new", "another writer's work in progress");
    std::string error;
    const std::int64_t started = monotonic_ms();
    assert_false(record_first(path, "alice", 0, &error));
    assert_true(monotonic_ms() - started < kUsersFileLockWaitMs + 1000);
    EXPECT_STR_EQ(read_file(path + ".new"), "another writer's work in progress");
    EXPECT_STR_EQ(read_file(path), "HOTP alice - 01\n");
    assert_false(exists(path + ".lock"));
}

// Another writer (pam_oath, mod_authn_otp: classic fcntl locks on `<file>.lock`) holds the
// lock for 6 s: begin() gives up after kUsersFileLockWaitMs with an error naming the lock file,
// instead of waiting for it (it used to wait without bound, F_SETLKW).
void test_lock_wait_is_bounded(void**) {
    const std::string dir = make_scratch_dir("users_file");
    const std::string path = dir + "/users.oath";
    write_file(path, "HOTP alice - 01\n");
    int ready[2];
    assert_int_equal(::pipe(ready), 0);
    const pid_t holder = ::fork();
    assert_true(holder >= 0);
    if (holder == 0) {
        const int fd = ::open((path + ".lock").c_str(), O_RDWR | O_CREAT, 0600);
        struct flock l {};
        l.l_type = F_WRLCK;
        l.l_whence = SEEK_SET;
        if (fd < 0 || ::fcntl(fd, F_SETLKW, &l) != 0) ::_exit(1);
        (void)!::write(ready[1], "x", 1);
        ::sleep(6);
        ::unlink((path + ".lock").c_str());
        ::_exit(0);
    }
    char byte;
    assert_int_equal(::read(ready[0], &byte, 1), 1);
    std::string error;
    const std::int64_t started = monotonic_ms();
    std::unique_ptr<UsersFileTransaction> tx =
        UsersFileTransaction::begin(path, UsersFileLayout::oath, &error);
    const std::int64_t waited = monotonic_ms() - started;
    ::kill(holder, SIGKILL);
    int status = 0;
    ::waitpid(holder, &status, 0);
    ::close(ready[0]);
    ::close(ready[1]);
    print_message("write-back under a held lock: gave up after %lld ms\n",
                  static_cast<long long>(waited));
    assert_null(tx.get());
    assert_true(waited >= kUsersFileLockWaitMs - 50);
    assert_true(waited < kUsersFileLockWaitMs + 1000);
    EXPECT_CONTAINS(error, path + ".lock");
    EXPECT_CONTAINS(error, "still locked");
    EXPECT_STR_EQ(read_file(path), "HOTP alice - 01\n");
}

void test_refuses_changed_record(void**) {
    const std::string dir = make_scratch_dir("users_file");
    const std::string path = dir + "/users.oath";
    const std::string original = "# users\nHOTP alice - 01 4 111111\nHOTP/T30 bob - 02\n";
    write_file(path, original);
    std::string error;
    std::unique_ptr<UsersIndex> index = UsersIndex::load(path, UsersFileLayout::oath, &error);
    const TokenRecord from_index = only_token(*index, "alice");

    // The administrator changed alice's key since the index was loaded.
    const std::string rekeyed = "# users\nHOTP alice - 09 4 111111\nHOTP/T30 bob - 02\n";
    write_file(path, rekeyed);
    std::unique_ptr<UsersFileTransaction> tx =
        UsersFileTransaction::begin(path, UsersFileLayout::oath, &error);
    assert_non_null(tx.get());
    assert_false(tx->record_counter(from_index, 5, "123456", std::time(nullptr), &error));
    EXPECT_CONTAINS(error, path + ":2: the line no longer holds this token");
    tx.reset();
    EXPECT_STR_EQ(read_file(path), rekeyed);

    // Lines moved: line 2 now holds somebody else.
    const std::string moved = "# users\nHOTP/T30 bob - 02\nHOTP alice - 01 4 111111\n";
    write_file(path, moved);
    tx = UsersFileTransaction::begin(path, UsersFileLayout::oath, &error);
    assert_false(tx->record_counter(from_index, 5, "123456", std::time(nullptr), &error));
    EXPECT_CONTAINS(error, "no longer holds");
    // The current token (line 3) is fine, but not with a counter that was already used.
    const TokenRecord current = tx->tokens_for("alice").at(0);
    assert_int_equal(current.line_number, 3);
    assert_false(tx->record_counter(current, 4, "123456", std::time(nullptr), &error));
    EXPECT_CONTAINS(error, "already used");
    assert_false(tx->record_counter(current, 5, "12a456", std::time(nullptr), &error));
    EXPECT_CONTAINS(error, "digits");
    assert_false(tx->record_counter(current, 5, "123456\nHOTP", std::time(nullptr), &error));
    assert_false(tx->record_counter(current, 5, "", std::time(nullptr), &error));
    assert_false(
        tx->record_counter(tx->tokens_for("bob").at(0), 5, "123456", std::time(nullptr), &error));
    EXPECT_CONTAINS(error, "time-based");
    tx.reset();
    EXPECT_STR_EQ(read_file(path), moved);

    // An editor that ignores the lock replaces the file while we hold it.
    tx = UsersFileTransaction::begin(path, UsersFileLayout::oath, &error);
    const TokenRecord locked = tx->tokens_for("alice").at(0);
    const std::string edited = moved + "HOTP carol - 03\n";
    write_file(path, edited);
    assert_false(tx->record_counter(locked, 5, "123456", std::time(nullptr), &error));
    EXPECT_CONTAINS(error, "changed by a program that ignores");
    tx.reset();
    EXPECT_STR_EQ(read_file(path), edited);
    assert_false(exists(path + ".new"));

    // Two records in one transaction see each other.
    tx = UsersFileTransaction::begin(path, UsersFileLayout::oath, &error);
    TokenRecord t = tx->tokens_for("alice").at(0);
    assert_true(tx->record_counter(t, 5, "555555", std::time(nullptr), &error));
    t = tx->tokens_for("alice").at(0);
    assert_int_equal(t.next_counter(UsersFileLayout::oath), 6);
    assert_false(tx->record_counter(t, 5, "555555", std::time(nullptr), &error));
    assert_true(tx->record_counter(t, 6, "666666", std::time(nullptr), &error));
    t = tx->tokens_for("carol").at(0);
    assert_true(tx->record_counter(t, 0, "000000", std::time(nullptr), &error));
    tx.reset();
    index = UsersIndex::load(path, UsersFileLayout::oath, &error);
    assert_int_equal(only_token(*index, "alice").counter, 6);
    EXPECT_STR_EQ(only_token(*index, "alice").last_otp, "666666");
    assert_int_equal(only_token(*index, "carol").next_counter(UsersFileLayout::oath), 1);
}

// ---- concurrency ---------------------------------------------------------------------------

constexpr int kWriters = 8;
constexpr int kRounds = 20;

int writer_process(const std::string& path, int id) {
    const std::string own = "user" + std::to_string(id);
    int timeouts = 0;
    for (int round = 0; round < kRounds; ++round) {
        std::string error;
        std::unique_ptr<UsersFileTransaction> tx =
            UsersFileTransaction::begin(path, UsersFileLayout::oath, &error);
        // The lock wait is bounded: eight writers at full tilt on a busy machine may wait
        // longer, which is a clean refusal (the request fails closed), not a lost update.
        if (!tx && error.find("still locked") != std::string::npos && ++timeouts < 100) {
            --round;
            continue;
        }
        if (!tx) return std::fprintf(stderr, "writer %d: %s\n", id, error.c_str()), 1;
        for (const std::string& user : {own, std::string("shared")}) {
            const std::vector<TokenRecord> tokens = tx->tokens_for(user);
            if (tokens.size() != 1)
                return std::fprintf(stderr, "writer %d: lost %s\n", id, user.c_str()), 1;
            const std::uint64_t next = tokens[0].next_counter(UsersFileLayout::oath);
            if (!tx->record_counter(tokens[0], next, "123456", std::time(nullptr), &error))
                return std::fprintf(stderr, "writer %d: %s\n", id, error.c_str()), 1;
        }
    }
    return 0;
}

void test_concurrent_writeback(void**) {
    const std::string dir = make_scratch_dir("users_file");
    const std::string path = dir + "/users.oath";
    std::string content = "# shared by all writers\nHOTP shared - " + std::string(kKey) + "\n";
    for (int i = 0; i < kWriters; ++i)
        content += "# writer " + std::to_string(i) + "\nHOTP user" + std::to_string(i) + " - " +
                   kKey + "\n";
    content += "HOTP/T30 idle - 00\n";
    write_file(path, content, 0640);

    pid_t children[kWriters];
    for (int i = 0; i < kWriters; ++i) {
        children[i] = ::fork();
        assert_true(children[i] >= 0);
        if (children[i] == 0) ::_exit(writer_process(path, i));
    }
    for (pid_t child : children) {
        int status = 0;
        assert_int_equal(::waitpid(child, &status, 0), child);
        assert_true(WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), 0);
    }
    std::string error;
    std::unique_ptr<UsersIndex> index = UsersIndex::load(path, UsersFileLayout::oath, &error);
    if (!index) {
        print_error("%s\n", error.c_str());
        fail();
    }
    assert_int_equal(index->token_count(), kWriters + 2);
    for (int i = 0; i < kWriters; ++i)
        assert_int_equal(
            only_token(*index, "user" + std::to_string(i)).next_counter(UsersFileLayout::oath),
            kRounds);
    assert_int_equal(only_token(*index, "shared").next_counter(UsersFileLayout::oath),
                     kWriters * kRounds);
    const std::string after = read_file(path);
    for (int i = 0; i < kWriters; ++i)
        EXPECT_CONTAINS(after, "# writer " + std::to_string(i) + "\n");
    EXPECT_CONTAINS(after, "HOTP/T30 idle - 00\n");
    assert_false(exists(path + ".new"));
    assert_false(exists(path + ".lock"));
    struct stat st;
    assert_int_equal(::stat(path.c_str(), &st), 0);
    assert_int_equal(st.st_mode & 07777, 0640);
}

// While we hold the lock, pam_oath must not write the file; once we are done it must be able
// to (we do not leave a lock file that the CVE-fixed liboath would trip over).
void test_lock_excludes_liboath(void**) {
    require_liboath();
#ifdef HAVE_LIBOATH
    assert_int_equal(oath_init(), OATH_OK);
    const std::string dir = make_scratch_dir("users_file");
    const std::string path = dir + "/users.oath";
    const std::string content = "HOTP alice - " + std::string(kKey) + "\n";
    write_file(path, content);
    std::string error;
    std::unique_ptr<UsersFileTransaction> tx =
        UsersFileTransaction::begin(path, UsersFileLayout::oath, &error);
    assert_non_null(tx.get());

    const std::string code0 = liboath_code(kKey, 0, 6);
    const pid_t child = ::fork();
    assert_true(child >= 0);
    if (child == 0) {
        time_t last = 0;
        const int rc =
            oath_authenticate_usersfile(path.c_str(), "alice", code0.c_str(), 5, "", &last);
        ::_exit(rc == OATH_OK ? 0 : 1);
    }
    int status = 0;
    pid_t done = 0;
    for (int i = 0; i < 50 && done == 0; ++i) {  // up to 0.5 s
        ::poll(nullptr, 0, 10);
        done = ::waitpid(child, &status, WNOHANG);
    }
    // Either liboath gave up (CVE-fixed: the lock file exists) or it is waiting for our lock
    // (older releases); in both cases it has not touched the file.
    if (done == child) {
        assert_true(WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), 1);
    }
    EXPECT_STR_EQ(read_file(path), content);
    tx.reset();
    if (done == 0) assert_int_equal(::waitpid(child, &status, 0), child);

    assert_false(exists(path + ".lock"));
    write_file(path, content);
    time_t last = 0;
    assert_int_equal(
        oath_authenticate_usersfile(path.c_str(), "alice", code0.c_str(), 5, "", &last), OATH_OK);
    // And our lock protocol copes with the lock file liboath created and removed.
    assert_true(record_first(path, "alice", 1, &error));
#endif
}

// pam_oath and mod_otp on one file under heavy HOTP load: two processes of mod_otp
// write-backs (user "writer", one every 2 ms each) and one liboath process logging "pam" in
// with successive codes (one every 1 ms), for 3 s. Prints
// how many liboath logins succeeded and why the others failed, and checks that no mod_otp
// write-back failed for any reason but the lock bound (a failure is a 500 for Basic auth).
void test_shared_with_liboath_under_load(void**) {
    require_liboath();
#ifdef HAVE_LIBOATH
    assert_int_equal(oath_init(), OATH_OK);
    const std::string dir = make_scratch_dir("users_file");
    const std::string path = dir + "/users.oath";
    write_file(path, "HOTP writer - " + std::string(kKey) + "\nHOTP pam - " + std::string(kKey) +
                         "\n");
    constexpr int kSeconds = 3, kWriters = 2;
    int results[2];
    assert_int_equal(::pipe(results), 0);
    std::vector<pid_t> children;
    for (int w = 0; w < kWriters; ++w) {
        const pid_t pid = ::fork();
        assert_true(pid >= 0);
        if (pid == 0) {
            long ok = 0, timeouts = 0, other = 0;
            const std::time_t end = std::time(nullptr) + kSeconds;
            std::string first_other;
            while (std::time(nullptr) < end) {
                std::string error;
                std::unique_ptr<UsersFileTransaction> tx =
                    UsersFileTransaction::begin(path, UsersFileLayout::oath, &error);
                bool done = false;
                if (tx) {
                    const std::vector<TokenRecord> tokens = tx->tokens_for("writer");
                    done = !tokens.empty() &&
                           tx->record_counter(tokens[0],
                                              tokens[0].next_counter(UsersFileLayout::oath),
                                              "123456", std::time(nullptr), &error);
                }
                if (done)
                    ++ok;
                else if (error.find("still locked") != std::string::npos)
                    ++timeouts;
                else if (++other == 1)
                    first_other = error;
                tx.reset();
                ::poll(nullptr, 0, 2);  // heavy HOTP load, not a busy loop
            }
            char line[512];
            const int n = std::snprintf(line, sizeof line, "W %ld %ld %ld %.300s\n", ok, timeouts,
                                        other, first_other.c_str());
            (void)!::write(results[1], line, static_cast<std::size_t>(n));
            ::_exit(0);
        }
        children.push_back(pid);
    }
    const pid_t pam = ::fork();
    assert_true(pam >= 0);
    if (pam == 0) {
        long ok = 0, lock_error = 0, other = 0;
        int first_other = 0;
        std::uint64_t counter = 0;
        const std::time_t end = std::time(nullptr) + kSeconds;
        while (std::time(nullptr) < end) {
            time_t last = 0;
            const std::string code = liboath_code(kKey, counter, 6);
            const int rc =
                oath_authenticate_usersfile(path.c_str(), "pam", code.c_str(), 1000, "", &last);
            if (rc >= 0) {
                ++ok;
                ++counter;
            } else if (rc == OATH_FILE_LOCK_ERROR) {
                ++lock_error;
            } else {
                if (++other == 1) first_other = rc;
                ++counter;  // e.g. replayed: move on
            }
            ::poll(nullptr, 0, 1);  // a login now and then, not a busy loop
        }
        char line[128];
        const int n = std::snprintf(line, sizeof line, "P %ld %ld %ld %d\n", ok, lock_error,
                                    other, first_other);
        (void)!::write(results[1], line, static_cast<std::size_t>(n));
        ::_exit(0);
    }
    children.push_back(pam);
    for (pid_t pid : children) ::waitpid(pid, nullptr, 0);
    ::close(results[1]);
    std::string report;
    char buf[1024];
    ssize_t n;
    while ((n = ::read(results[0], buf, sizeof buf)) > 0) report.append(buf, static_cast<std::size_t>(n));
    ::close(results[0]);
    long w_ok = 0, w_timeouts = 0, w_other = 0, p_ok = 0, p_lock = 0, p_other = 0;
    std::size_t pos = 0;
    while (pos < report.size()) {
        const std::size_t eol = report.find('\n', pos);
        const std::string line = report.substr(pos, eol - pos);
        pos = eol == std::string::npos ? report.size() : eol + 1;
        long a = 0, b = 0, c = 0;
        if (std::sscanf(line.c_str(), "W %ld %ld %ld", &a, &b, &c) == 3) {
            w_ok += a;
            w_timeouts += b;
            w_other += c;
            if (c > 0) print_message("mod_otp write-back failure: %s\n", line.c_str());
        } else if (std::sscanf(line.c_str(), "P %ld %ld %ld", &a, &b, &c) == 3) {
            p_ok += a;
            p_lock += b;
            p_other += c;
            if (c > 0) print_message("liboath other failures: %s\n", line.c_str());
        }
    }
    const long p_all = p_ok + p_lock + p_other;
    print_message("shared file, %d s: mod_otp %ld written, %ld lock timeouts, %ld other failures; "
                  "liboath %ld of %ld logins succeeded (%.1f %%), %ld OATH_FILE_LOCK_ERROR, "
                  "%ld other\n",
                  kSeconds, w_ok, w_timeouts, w_other, p_ok, p_all,
                  p_all ? 100.0 * static_cast<double>(p_ok) / static_cast<double>(p_all) : 0.0,
                  p_lock, p_other);
    assert_true(w_ok > 0);
    assert_int_equal(w_other, 0);
    assert_false(exists(path + ".new"));
#endif
}

}  // namespace

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_next_counter_semantics),
        cmocka_unit_test(test_oath_writeback_matches_liboath),
        cmocka_unit_test(test_authn_otp_writeback),
        cmocka_unit_test(test_writeback_keeps_mode_and_owner),
        cmocka_unit_test(test_refuses_symlinked_users_file),
        cmocka_unit_test(test_refuses_symlinked_lock_file),
        cmocka_unit_test(test_refuses_symlinked_new_file),
        cmocka_unit_test(test_stale_new_file_is_replaced),
        cmocka_unit_test(test_young_new_file_is_left_alone),
        cmocka_unit_test(test_lock_wait_is_bounded),
        cmocka_unit_test(test_refuses_changed_record),
        cmocka_unit_test(test_concurrent_writeback),
        cmocka_unit_test(test_lock_excludes_liboath),
        cmocka_unit_test(test_shared_with_liboath_under_load),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
