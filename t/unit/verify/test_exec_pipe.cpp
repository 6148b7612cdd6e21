// Exec pipes and the delivered pipe through the one verifier: the JSON a program gets, exit
// statuses as verdicts (0 accepted, 1 invalid, anything else pipe_error), OTPPipeMaxConcurrent
// refusing at once without running the program, the code redacted from stderr, and how the
// verifier counts pipe errors (not at all) and expired delivered codes (like a replay).
#include <sys/stat.h>
#include <unistd.h>

#include <memory>
#include <string>

#include "cmocka_wrap.h"
#include "crypto/digest.h"
#include "test_support.h"
#include "verify/delivered_code.h"
#include "verify/exec_pipe.h"
#include "verify/verifier.h"

using namespace otp;

namespace {

constexpr std::int64_t kNow = 1700000000;

std::string script(const std::string& dir, const std::string& name, const std::string& body) {
    const std::string path = dir + "/" + name;
    write_whole_file(path, "#!/bin/sh\n" + body);
    chmod(path.c_str(), 0755);
    return path;
}

ProgramSpec spec(const std::string& path) {
    ProgramSpec s;
    s.path = path;
    s.env = {kPipeProgramPath};
    return s;
}

struct Fixture {
    std::string dir = make_scratch_dir("exec-pipe");
    std::unique_ptr<UsersIndex> index;
    std::string users_path = "users.oath";
    MemoryStateStore store;
    OtpPolicy policy;
    LimitPolicy limits;
    PipeContext context;

    Fixture() {
        std::string error;
        index = UsersIndex::parse("HOTP/T30 alice - 3132333435363738393031323334353637383930\n",
                                  "users.oath", UsersFileLayout::oath, &error);
        assert_non_null(index.get());
        store.set_now(kNow);
        limits.lockout_failures = 3;
        context.customer = "acme";
        context.locale = "sv";
        context.request_id = "req-1";
        context.location = "/app";
    }
    Verification verify(const Pipe& pipe, const std::string& user, const std::string& code,
                        const LoginAttempt* attempt = nullptr) {
        Verifier verifier(store, limits, users_path);
        Guess guess;
        guess.user = user;
        guess.password = code;
        guess.attempt = attempt;
        guess.now = kNow;
        guess.context = &context;
        return verifier.verify(UsersSource{*index, users_path}, pipe, policy, guess);
    }
};

#define assert_verdict(v, expected) \
    assert_int_equal(static_cast<int>((v).verdict), static_cast<int>(Verdict::expected))

}  // namespace

static void the_request_json(void**) {
    PipeContext context;
    context.customer = "acme";
    context.locale = "sv";
    context.request_id = "r1";
    context.location = "/app";
    PipeRequest validate;
    validate.user = "al\"ice\n";
    validate.otp = "123456";
    validate.context = &context;
    assert_string_equal(pipe_request_json(validate).c_str(),
                        "{\"action\":\"validate\",\"user\":\"al\\\"ice\\n\",\"otp\":\"123456\","
                        "\"customer\":\"acme\",\"locale\":\"sv\",\"request_id\":\"r1\","
                        "\"location\":\"/app\"}\n");
    PipeRequest send;
    send.action = "send";
    send.user = "bob";
    send.otp = "K7P2";
    send.lifetime = 300;
    assert_string_equal(pipe_request_json(send).c_str(),
                        "{\"action\":\"send\",\"user\":\"bob\",\"otp\":\"K7P2\",\"lifetime\":300}\n");
}

static void exit_statuses_decide(void**) {
    Fixture f;
    ConcurrencyLimit limit(4);
    // The program sees the request on stdin: it accepts 123456 for alice only.
    const std::string judge = script(
        f.dir, "judge",
        "read -r line\n"
        "case \"$line\" in *'\"user\":\"alice\",\"otp\":\"123456\"'*) exit 0;; *'\"otp\":\"222222\"'*) exit 2;; esac\n"
        "exit 1\n");
    ExecPipe pipe("judge", spec(judge), limit);
    Verification v = f.verify(pipe, "alice", "123456");
    assert_verdict(v, accepted);
    assert_string_equal(v.pipe, "judge");
    assert_true(v.program.has_value());
    assert_int_equal(v.program->exit_code, 0);
    v = f.verify(pipe, "alice", "654321");
    assert_verdict(v, invalid_otp);
    v = f.verify(pipe, "bob", "123456");  // not in the users file: the program decides alone
    assert_verdict(v, invalid_otp);
    v = f.verify(pipe, "alice", "222222");
    assert_verdict(v, pipe_error);
    assert_true(v.program->failed);
    assert_string_equal(v.program->outcome.c_str(), "exit 2");
    assert_int_equal(limit.in_use(), 0);
}

static void signals_and_timeouts_are_pipe_errors(void**) {
    Fixture f;
    ConcurrencyLimit limit(4);
    ExecPipe killed("killed", spec(script(f.dir, "killed", "kill -9 $$\n")), limit);
    Verification v = f.verify(killed, "alice", "123456");
    assert_verdict(v, pipe_error);
    assert_int_equal(v.program->signal, 9);
    ExecPipe slow("slow", spec(script(f.dir, "slow", "sleep 5\nexit 0\n")), limit);
    slow.set_timeout_ms(200);
    v = f.verify(slow, "alice", "123456");
    assert_verdict(v, pipe_error);
    assert_string_equal(v.program->outcome.c_str(), "timeout");
    assert_true(v.program->duration_ms < 2000);
}

static void busy_refuses_without_running(void**) {
    Fixture f;
    f.limits.lockout = false;
    ConcurrencyLimit limit(1);
    const std::string marker = f.dir + "/ran";
    ExecPipe pipe("p", spec(script(f.dir, "p", "touch '" + marker + "'\nexit 0\n")), limit);
    auto held = limit.try_acquire();
    assert_true(held.has_value());
    Verification v = f.verify(pipe, "alice", "123456");
    assert_verdict(v, pipe_busy);
    assert_false(exists(marker));
    held.reset();
    v = f.verify(pipe, "alice", "123456");
    assert_verdict(v, accepted);
    assert_true(exists(marker));
}

static void the_code_never_reaches_stderr_lines(void**) {
    Fixture f;
    ConcurrencyLimit limit(4);
    ExecPipe pipe("chatty", spec(script(f.dir, "chatty", "read -r line\necho \"got $line\" >&2\nexit 1\n")),
                  limit);
    Verification v = f.verify(pipe, "alice", "918273");
    assert_verdict(v, invalid_otp);
    assert_int_equal(v.program->stderr_lines.size(), 1);
    assert_true(v.program->stderr_lines[0].find("918273") == std::string::npos);
    assert_true(v.program->stderr_lines[0].find("[redacted]") != std::string::npos);
}

// A program that ran saw the code: its failure counts like a wrong code (three lock the user
// here). One that could not start saw nothing: no lockout comes of it. An expired delivered
// code ends the attempt's retry like a replay.
static void how_the_verifier_counts(void**) {
    Fixture f;
    ConcurrencyLimit limit(4);
    ExecPipe broken("broken", spec(script(f.dir, "broken", "exit 3\n")), limit);
    for (int i = 0; i < 3; ++i) assert_verdict(f.verify(broken, "zed", "123456"), pipe_error);
    assert_verdict(f.verify(broken, "zed", "123456"), locked);
    ExecPipe missing("missing", spec(f.dir + "/no-such-program"), limit);
    for (int i = 0; i < 5; ++i) {
        const Verification v = f.verify(missing, "bob", "123456");
        assert_verdict(v, pipe_error);
        assert_false(v.program->started);
    }
    LoginLimits probe(f.store, f.limits, f.users_path);
    std::string lock;
    assert_int_equal(static_cast<int>(f.store.get(record_key(probe.user_key("bob"), "lock"), &lock)),
                     static_cast<int>(StoreStatus::not_found));
    // pipe_busy is answered before admission: the attempt keeps its retries.
    ConcurrencyLimit one(1);
    ExecPipe busy("busy", spec(script(f.dir, "ok", "exit 0\n")), one);
    LoginAttempt fresh = *probe.create_attempt("", "/app/", kNow);
    auto held = one.try_acquire();
    for (int i = 0; i < 4; ++i) assert_verdict(f.verify(busy, "carl", "123456", &fresh), pipe_busy);
    held.reset();
    assert_verdict(f.verify(busy, "carl", "123456", &fresh), accepted);

    const HmacSha256Key key(std::string(32, 'k'));
    f.context.code_key = &key;
    DeliveredCodes codes(f.store, key);
    DeliveredCodePolicy once;
    codes.issue(f.users_path, "alice", "555666", once, kNow - 400, 1200);  // lifetime 300: over
    LoginAttempt attempt = *probe.create_attempt("", "/app/", kNow);
    Verification v = f.verify(delivered_pipe(), "alice", "555666", &attempt);
    assert_verdict(v, expired);
    assert_int_equal(v.attempts_left, 1);
    assert_string_equal(v.pipe, "delivered");
    // Without a code key (Basic) the delivered pipe fails closed.
    f.context.code_key = nullptr;
    assert_verdict(f.verify(delivered_pipe(), "alice", "555666"), pipe_error);
    // An unknown user is "unknown_user" even with a code record of that name.
    f.context.code_key = &key;
    codes.issue(f.users_path, "mallory", "121212", once, kNow, 1200);
    assert_verdict(f.verify(delivered_pipe(), "mallory", "121212"), unknown_user);
}

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(the_request_json),
        cmocka_unit_test(exit_statuses_decide),
        cmocka_unit_test(signals_and_timeouts_are_pipe_errors),
        cmocka_unit_test(busy_refuses_without_running),
        cmocka_unit_test(the_code_never_reaches_stderr_lines),
        cmocka_unit_test(how_the_verifier_counts),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
