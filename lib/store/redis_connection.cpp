#include "store/redis_connection.h"

#include <fcntl.h>
#include <hiredis/hiredis.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/time.h>

#include <algorithm>
#include <cerrno>

namespace otp {
namespace {

timeval to_timeval(std::chrono::milliseconds ms) {
    timeval tv{};
    tv.tv_sec = static_cast<time_t>(ms.count() / 1000);
    tv.tv_usec = static_cast<suseconds_t>((ms.count() % 1000) * 1000);
    return tv;
}

// Keeps a write to a connection the server closed from raising SIGPIPE in this thread while
// hiredis writes (it uses write(), with no MSG_NOSIGNAL): the write fails with EPIPE and the
// operation fails closed instead of killing the process. httpd ignores SIGPIPE, then this is
// one sigaction() query; lib/ does not count on it (as exec/program_runner does not).
class SigpipeBlock {
public:
    SigpipeBlock() {
        struct sigaction current {};
        if (::sigaction(SIGPIPE, nullptr, &current) == 0 && current.sa_handler == SIG_IGN) return;
        sigemptyset(&pipe_);
        sigaddset(&pipe_, SIGPIPE);
        sigset_t pending;
        was_pending_ = ::sigpending(&pending) == 0 && sigismember(&pending, SIGPIPE) == 1;
        active_ = ::pthread_sigmask(SIG_BLOCK, &pipe_, &old_) == 0;
    }
    ~SigpipeBlock() {
        if (!active_) return;
        // A SIGPIPE this block caused is taken, so unblocking does not deliver it.
        sigset_t pending;
        if (!was_pending_ && ::sigpending(&pending) == 0 && sigismember(&pending, SIGPIPE) == 1) {
            const timespec zero{0, 0};
            ::sigtimedwait(&pipe_, nullptr, &zero);
        }
        ::pthread_sigmask(SIG_SETMASK, &old_, nullptr);
    }
    SigpipeBlock(const SigpipeBlock&) = delete;
    SigpipeBlock& operator=(const SigpipeBlock&) = delete;

private:
    sigset_t pipe_{};
    sigset_t old_{};
    bool was_pending_ = false;
    bool active_ = false;
};

}  // namespace

std::chrono::milliseconds Deadline::remaining() const {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        at_ - std::chrono::steady_clock::now());
    return std::max(left, std::chrono::milliseconds(0));
}

Deadline Deadline::capped(std::chrono::milliseconds budget) const {
    return Deadline(std::min(at_, std::chrono::steady_clock::now() + budget));
}

void RedisReply::Free::operator()(redisReply* reply) const { freeReplyObject(reply); }

bool RedisReply::is_error() const { return reply_ && reply_->type == REDIS_REPLY_ERROR; }
bool RedisReply::is_status() const { return reply_ && reply_->type == REDIS_REPLY_STATUS; }
bool RedisReply::is_nil() const { return reply_ && reply_->type == REDIS_REPLY_NIL; }
bool RedisReply::is_integer() const { return reply_ && reply_->type == REDIS_REPLY_INTEGER; }
bool RedisReply::is_string() const { return reply_ && reply_->type == REDIS_REPLY_STRING; }
bool RedisReply::is_array() const { return reply_ && reply_->type == REDIS_REPLY_ARRAY; }
std::int64_t RedisReply::integer() const { return reply_ ? reply_->integer : 0; }

std::string_view RedisReply::text() const {
    if (!reply_ || !reply_->str) return {};
    return std::string_view(reply_->str, reply_->len);
}

std::size_t RedisReply::elements() const { return is_array() ? reply_->elements : 0; }

const redisReply* RedisReply::element(std::size_t i) const {
    return i < elements() ? reply_->element[i] : nullptr;
}

bool RedisReply::element_is_string(const redisReply* e) {
    return e && (e->type == REDIS_REPLY_STRING || e->type == REDIS_REPLY_STATUS);
}

std::string_view RedisReply::element_text(const redisReply* e) {
    if (!element_is_string(e) || !e->str) return {};
    return std::string_view(e->str, e->len);
}

bool RedisReply::element_integer(const redisReply* e, std::int64_t* out) {
    if (!e || e->type != REDIS_REPLY_INTEGER) return false;
    *out = e->integer;
    return true;
}

std::unique_ptr<RedisConnection> RedisConnection::open(const RedisEndpoint& endpoint,
                                                       const Deadline& deadline,
                                                       std::string* error) {
    const auto budget = deadline.remaining();
    if (budget.count() <= 0) {
        *error = "redis " + endpoint.describe() + ": no time left to connect";
        return nullptr;
    }
    redisContext* context =
        endpoint.unix_path.empty()
            ? redisConnectWithTimeout(endpoint.host.c_str(), endpoint.port, to_timeval(budget))
            : redisConnectUnixWithTimeout(endpoint.unix_path.c_str(), to_timeval(budget));
    if (!context) {
        *error = "redis " + endpoint.describe() + ": out of memory";
        return nullptr;
    }
    if (context->err) {
        *error = "redis " + endpoint.describe() + ": cannot connect: " + context->errstr;
        redisFree(context);
        return nullptr;
    }
    // Programs the module starts (exec pipes, pre-pipes) must not inherit the socket.
    const int flags = fcntl(context->fd, F_GETFD);
    if (flags >= 0) fcntl(context->fd, F_SETFD, flags | FD_CLOEXEC);
    return std::unique_ptr<RedisConnection>(new RedisConnection(context, endpoint));
}

RedisConnection::RedisConnection(redisContext* context, RedisEndpoint endpoint)
    : context_(context), endpoint_(std::move(endpoint)) {}

RedisConnection::~RedisConnection() { redisFree(context_); }

bool RedisConnection::arm(const Deadline& deadline) {
    const auto left = deadline.remaining();
    if (left.count() <= 0) return false;
    // Setting the socket timeouts costs two system calls: skip them while the timeout already
    // set ends no later than the deadline, give or take a few milliseconds.
    if (armed_.count() >= 0 && armed_ <= left + std::chrono::milliseconds(5) &&
        armed_ + std::chrono::milliseconds(5) >= left)
        return true;
    if (redisSetTimeout(context_, to_timeval(left)) != REDIS_OK) return false;
    armed_ = left;
    return true;
}

bool RedisConnection::peer_closed() const {
    struct pollfd idle = {context_->fd, POLLIN, 0};
    const int ready = ::poll(&idle, 1, 0);
    // Readable (EOF, an error, or bytes nobody asked for), hung up, or poll itself failed.
    return ready != 0;
}

RedisReply RedisConnection::command(std::initializer_list<std::string_view> argv,
                                    const Deadline& deadline, std::string* error) {
    return command(std::vector<std::string_view>(argv), deadline, error);
}

RedisReply RedisConnection::command(const std::vector<std::string_view>& argv,
                                    const Deadline& deadline, std::string* error) {
    const std::string where = "redis " + endpoint_.describe() + ": ";
    if (broken_) {
        *error = where + "connection already failed";
        return {};
    }
    if (!arm(deadline)) {
        broken_ = timed_out_ = true;
        *error = failure_ = where + "timed out";
        return {};
    }
    std::vector<const char*> args;
    std::vector<std::size_t> lengths;
    args.reserve(argv.size());
    lengths.reserve(argv.size());
    for (std::string_view arg : argv) {
        args.push_back(arg.data());
        lengths.push_back(arg.size());
    }
    errno = 0;
    const SigpipeBlock no_sigpipe;
    void* reply =
        redisCommandArgv(context_, static_cast<int>(args.size()), args.data(), lengths.data());
    if (!reply || context_->err) {
        const int saved = errno;
        broken_ = true;
        timed_out_ = context_->err == REDIS_ERR_IO && (saved == EAGAIN || saved == EWOULDBLOCK);
        *error = where + (timed_out_ ? std::string("no answer within the timeout")
                                     : std::string(context_->errstr[0] ? context_->errstr
                                                                       : "connection failed"));
        failure_ = *error;
        if (reply) freeReplyObject(reply);
        return {};
    }
    return RedisReply(static_cast<redisReply*>(reply));
}

}  // namespace otp
