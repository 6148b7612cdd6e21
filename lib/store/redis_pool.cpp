#include "store/redis_pool.h"

#include <unistd.h>

#include <algorithm>

#include "util/numbers.h"

namespace otp {
namespace {

// Error texts from a server are quoted in log lines; a bound keeps a hostile or broken
// server from filling the log.
std::string quoted_reply(std::string_view text) {
    constexpr std::size_t kMax = 200;
    std::string out;
    for (char c : text.substr(0, kMax)) out += (c >= 0x20 && c < 0x7f) ? c : '?';
    return out;
}

}  // namespace

RedisPool::RedisPool(RedisSettings settings, Logger log)
    : settings_(std::move(settings)), log_(std::move(log)), owner_(::getpid()) {}

RedisPool::~RedisPool() = default;

RedisPool::Lease::Lease(Lease&& other) noexcept
    : pool_(other.pool_), connection_(std::move(other.connection_)), epoch_(other.epoch_) {
    other.pool_ = nullptr;
}

RedisPool::Lease::~Lease() {
    if (!pool_ || !connection_) return;
    const bool broken = connection_->broken();
    const bool timed_out = connection_->timed_out();
    const std::string why = broken ? connection_->failure() : std::string();
    pool_->give_back(std::move(connection_), epoch_);
    if (broken) pool_->lost(why, timed_out);
}

void RedisPool::Lease::master_moved() {
    if (!pool_ || !connection_) return;
    const std::string why =
        "redis " + connection_->endpoint().describe() + ": READONLY (no longer the master)";
    RedisPool* pool = pool_;
    pool_ = nullptr;
    connection_.reset();
    pool->give_back(nullptr, epoch_);
    // No wait before connecting again: the sentinels may name the new master already.
    pool->lost(why, false);
}

void RedisPool::drop_if_forked() {
    const pid_t self = ::getpid();
    if (self == owner_) return;
    // Connections made before a fork belong to the parent: closing the child's copies of
    // the sockets leaves the parent's alone.
    idle_.clear();
    open_ = 0;
    ++epoch_;
    owner_ = self;
}

std::optional<RedisPool::Lease> RedisPool::acquire(const Deadline& deadline, std::string* error) {
    if (settings_.address.kind == RedisAddress::Kind::sentinel) recheck_master(deadline);
    std::uint64_t epoch = 0;
    std::vector<std::unique_ptr<RedisConnection>> closed;  // closed after the lock is released
    {
        std::unique_lock<std::mutex> lock(mutex_);
        drop_if_forked();
        for (;;) {
            while (!idle_.empty()) {
                std::unique_ptr<RedisConnection> connection = std::move(idle_.back());
                idle_.pop_back();
                if (!connection->peer_closed()) return Lease(this, std::move(connection), epoch_);
                // Closed by the server while idle (a restart): a fresh one takes its place.
                closed.push_back(std::move(connection));
                --open_;
            }
            const auto now = std::chrono::steady_clock::now();
            if (now < retry_after_) {
                const auto wait =
                    std::chrono::duration_cast<std::chrono::milliseconds>(retry_after_ - now);
                *error = "not connecting again for " + std::to_string(wait.count()) +
                         " ms after: " + last_failure_;
                return std::nullopt;
            }
            if (open_ < settings_.max_connections) break;
            const auto left = deadline.remaining();
            if (left.count() <= 0 || returned_.wait_for(lock, left) == std::cv_status::timeout) {
                *error = settings_.address.describe() + ": all " +
                         std::to_string(settings_.max_connections) +
                         " connections of this process stayed busy for the whole timeout";
                return std::nullopt;
            }
        }
        ++open_;
        epoch = epoch_;
    }
    std::unique_ptr<RedisConnection> connection = connect(deadline, error);
    if (!connection) {
        give_back(nullptr, epoch);
        lost(*error, true);
        return std::nullopt;
    }
    bool again = false;
    {
        std::lock_guard<std::mutex> lock(mutex_);
        backoff_ = std::chrono::milliseconds(0);
        again = was_lost_;
        was_lost_ = false;
    }
    if (again)
        log(RedisLogLevel::notice,
            "state store connected again: redis " + connection->endpoint().describe());
    return Lease(this, std::move(connection), epoch);
}

void RedisPool::give_back(std::unique_ptr<RedisConnection> connection, std::uint64_t epoch) {
    std::unique_ptr<RedisConnection> closing;
    {
        std::lock_guard<std::mutex> lock(mutex_);
        if (connection && !connection->broken() && epoch == epoch_ && ::getpid() == owner_) {
            idle_.push_back(std::move(connection));
        } else {
            closing = std::move(connection);
            if (open_ > 0) --open_;
        }
    }
    returned_.notify_one();
}

void RedisPool::lost(const std::string& why, bool back_off) {
    std::vector<std::unique_ptr<RedisConnection>> closing;
    bool first = false;
    {
        std::lock_guard<std::mutex> lock(mutex_);
        ++epoch_;  // connections lent out now are closed when they come back
        open_ -= std::min(open_, idle_.size());
        closing.swap(idle_);
        master_.reset();
        if (back_off) {
            backoff_ = backoff_.count() == 0 ? kFirstBackoff : std::min(backoff_ * 2, kMaxBackoff);
            retry_after_ = std::chrono::steady_clock::now() + backoff_;
        }
        last_failure_ = why;
        first = !was_lost_;
        was_lost_ = true;
    }
    returned_.notify_all();
    if (first) log(RedisLogLevel::error, "state store unavailable: " + why);
}

std::unique_ptr<RedisConnection> RedisPool::connect(const Deadline& deadline, std::string* error) {
    const std::optional<RedisEndpoint> endpoint = master(deadline, error);
    if (!endpoint) return nullptr;
    std::unique_ptr<RedisConnection> connection = RedisConnection::open(*endpoint, deadline, error);
    if (!connection || !set_up(*connection, deadline, error)) return nullptr;
    return connection;
}

void RedisPool::recheck_master(const Deadline& deadline) {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        const auto now = std::chrono::steady_clock::now();
        if (!master_ || rechecking_ || now - master_checked_ < kMasterRecheck) return;
        rechecking_ = true;
        master_checked_ = now;
    }
    // At most half of this operation's time: the operation itself still gets its share.
    std::string why;
    const std::optional<RedisEndpoint> found =
        ask_sentinels(deadline.capped(deadline.remaining() / 2), &why);
    std::vector<std::unique_ptr<RedisConnection>> retired;
    bool moved = false;
    {
        std::lock_guard<std::mutex> lock(mutex_);
        rechecking_ = false;
        // No answer keeps the master we know: the sentinels may be down while it is not.
        if (found && master_ && !(*master_ == *found)) {
            moved = true;
            master_ = found;
            ++epoch_;  // connections lent out now are closed when they come back
            open_ -= std::min(open_, idle_.size());
            retired.swap(idle_);
        }
    }
    if (moved)
        log(RedisLogLevel::notice, "state store: the sentinels name " + found->describe() +
                                       " as master '" + settings_.address.master_name +
                                       "' now; connections to the old master closed");
}

std::optional<RedisEndpoint> RedisPool::master(const Deadline& deadline, std::string* error) {
    if (settings_.address.kind != RedisAddress::Kind::sentinel) return settings_.address.server;
    {
        std::lock_guard<std::mutex> lock(mutex_);
        if (master_) return master_;
    }
    std::optional<RedisEndpoint> found = ask_sentinels(deadline, error);
    if (!found) return std::nullopt;
    bool changed = false;
    {
        std::lock_guard<std::mutex> lock(mutex_);
        changed = !master_ || !(*master_ == *found);
        master_ = found;
        master_checked_ = std::chrono::steady_clock::now();
    }
    if (changed)
        log(RedisLogLevel::notice, "state store: the sentinels name " + found->describe() +
                                       " as master '" + settings_.address.master_name + "'");
    return found;
}

std::optional<RedisEndpoint> RedisPool::ask_sentinels(const Deadline& deadline,
                                                      std::string* error) {
    const std::vector<RedisEndpoint>& sentinels = settings_.address.sentinels;
    const std::size_t count = sentinels.size();
    const std::size_t first = next_sentinel_.load() % count;
    std::string failures;
    for (std::size_t tried = 0; tried < count; ++tried) {
        const std::size_t index = (first + tried) % count;
        // Each sentinel gets a fair share of the time left, so one hung sentinel cannot use
        // up the whole timeout before the others are asked.
        const auto share = std::max(deadline.remaining() / static_cast<int>(count - tried),
                                    std::chrono::milliseconds(20));
        const Deadline step = deadline.capped(share);
        std::string why;
        std::unique_ptr<RedisConnection> sentinel =
            RedisConnection::open(sentinels[index], step, &why);
        RedisReply reply;
        if (sentinel)
            reply = sentinel->command(
                {"SENTINEL", "get-master-addr-by-name", settings_.address.master_name}, step, &why);
        if (reply && reply.is_array() && reply.elements() == 2) {
            const std::string_view host = RedisReply::element_text(reply.element(0));
            const auto port = parse_decimal<int>(RedisReply::element_text(reply.element(1)));
            if (!host.empty() && port && *port > 0 && *port <= 65535) {
                next_sentinel_.store(index);
                RedisEndpoint endpoint;
                endpoint.host = std::string(host);
                endpoint.port = *port;
                return endpoint;
            }
            why = "sentinel " + sentinels[index].describe() + ": unexpected answer";
        } else if (reply && reply.is_nil()) {
            why = "sentinel " + sentinels[index].describe() + ": knows no master '" +
                  settings_.address.master_name + "'";
        } else if (reply) {
            why = "sentinel " + sentinels[index].describe() + ": " + quoted_reply(reply.text());
        }
        failures += (failures.empty() ? "" : "; ") + why;
        if (deadline.passed()) break;
    }
    *error = "no sentinel named the master '" + settings_.address.master_name + "': " + failures;
    return std::nullopt;
}

bool RedisPool::set_up(RedisConnection& connection, const Deadline& deadline, std::string* error) {
    const std::string where = "redis " + connection.endpoint().describe() + ": ";
    if (!settings_.password.empty()) {
        RedisReply reply = connection.command({"AUTH", settings_.password}, deadline, error);
        if (!reply) return false;
        if (reply.is_error()) {
            *error = where + "AUTH refused (check OTPStateStorePasswordFile): " +
                     quoted_reply(reply.text());
            return false;
        }
    }
    if (settings_.password.empty()) {
        // A server that wants a password says so to a PING (NOAUTH): found here, the log names
        // the fix, not a later command's "Protocol error" (Redis 7 closes an unauthenticated
        // connection that sends a command of more than 10 arguments, as admission does).
        RedisReply reply = connection.command({"PING"}, deadline, error);
        if (!reply) return false;
        if (reply.is_error()) {
            const bool wants_password = reply.text().substr(0, 6) == "NOAUTH";
            *error = where +
                     (wants_password ? "the server wants a password (AUTH): set "
                                       "OTPStateStorePasswordFile: "
                                     : "PING refused: ") +
                     quoted_reply(reply.text());
            return false;
        }
    }
    if (settings_.address.db != 0) {
        const std::string db = std::to_string(settings_.address.db);
        RedisReply reply = connection.command({"SELECT", db}, deadline, error);
        if (!reply) return false;
        if (reply.is_error()) {
            *error = where + "SELECT " + db + " refused: " + quoted_reply(reply.text());
            return false;
        }
    }
    if (settings_.address.kind == RedisAddress::Kind::sentinel) {
        // A sentinel's answer can be stale by a moment during a failover: only a server that
        // says it is the master is written to.
        RedisReply reply = connection.command({"ROLE"}, deadline, error);
        if (!reply) return false;
        const std::string_view role =
            reply.is_array() ? RedisReply::element_text(reply.element(0)) : std::string_view();
        if (role != "master") {
            *error = where + "is not the master (ROLE: " +
                     quoted_reply(role.empty() ? reply.text() : role) + ")";
            return false;
        }
    }
    return true;
}

}  // namespace otp
