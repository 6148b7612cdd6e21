// A real redis-server for the tests of the Redis state store: started from PATH on a free
// loopback port (optionally with requirepass and a Unix socket), in a scratch directory under
// /tmp, without persistence; waited for until it answers PING; stopped by its PID.
//
// cmocka reports a failed assertion with longjmp, which skips the destructors of the test
// function's locals. So every server this process starts is also in a registry of PIDs:
// stop_all_redis_servers() (call it from each test's teardown) and an atexit handler stop what
// a skipped destructor left running, and the server itself dies with the test process
// (PR_SET_PDEATHSIG) should that be killed. Only the process that started a server stops it:
// a forked test child leaves the parent's servers alone.
//
// RawRedis is a plain hiredis client (not the code under test) for looking at what the store
// wrote: TTL/PTTL, SCAN, SELECT, SCRIPT FLUSH, CLIENT LIST.
#pragma once

#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <hiredis/hiredis.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "cmocka_wrap.h"

namespace redis_test {

// The redis-server on PATH, or "" when there is none.
inline std::string find_redis_server() {
    const char* path = std::getenv("PATH");
    std::string dirs = path && *path ? path : "/usr/local/bin:/usr/bin:/bin";
    std::size_t start = 0;
    while (start <= dirs.size()) {
        std::size_t end = dirs.find(':', start);
        if (end == std::string::npos) end = dirs.size();
        std::string dir = dirs.substr(start, end - start);
        if (dir.empty()) dir = ".";
        const std::string candidate = dir + "/redis-server";
        struct stat st;
        if (::stat(candidate.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
            ::access(candidate.c_str(), X_OK) == 0)
            return candidate;
        start = end + 1;
    }
    return {};
}

// Removes the files of a scratch directory (it has no subdirectories), then the directory.
inline void remove_scratch_dir(const std::string& dir) {
    if (dir.empty()) return;
    if (DIR* d = ::opendir(dir.c_str())) {
        while (dirent* entry = ::readdir(d)) {
            const std::string name = entry->d_name;
            if (name == "." || name == "..") continue;
            ::unlink((dir + "/" + name).c_str());
        }
        ::closedir(d);
    }
    ::rmdir(dir.c_str());
}

// SIGCONT (it may be paused), SIGTERM, up to 5 s to exit, then SIGKILL. Reaps the process.
inline void stop_redis_pid(pid_t pid) {
    if (pid <= 0) return;
    ::kill(pid, SIGCONT);
    ::kill(pid, SIGTERM);
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    for (;;) {
        int status = 0;
        const pid_t done = ::waitpid(pid, &status, WNOHANG);
        if (done == pid || (done < 0 && errno == ECHILD)) return;
        if (std::chrono::steady_clock::now() > give_up) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    ::kill(pid, SIGKILL);
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
}

// The servers (PID and scratch directory) this process started and has not stopped yet.
struct Registry {
    std::mutex mutex;
    pid_t owner = ::getpid();
    std::vector<pid_t> pids;
    std::vector<std::string> dirs;
};

class RedisServer;
// Stops every server this process started and has not stopped, except `keep`.
inline void stop_all_redis_servers(const RedisServer* keep = nullptr);

inline Registry& registry() {
    static Registry* instance = [] {
        auto* r = new Registry;  // never destroyed: the atexit handler below still needs it
        std::atexit([] { stop_all_redis_servers(); });
        return r;
    }();
    return *instance;
}

// A reply as plain values (hiredis's reply tree, copied).
struct RawReply {
    int type = 0;  // REDIS_REPLY_*; 0 when the command could not be sent or read
    long long integer = 0;
    std::string str;  // string, status or error
    std::vector<RawReply> elements;

    bool ok() const { return type != 0; }
    bool is_error() const { return type == REDIS_REPLY_ERROR; }
    bool is_nil() const { return type == REDIS_REPLY_NIL; }
};

inline RawReply copy_reply(const redisReply* reply) {
    RawReply out;
    if (!reply) return out;
    out.type = reply->type;
    out.integer = reply->integer;
    if (reply->str) out.str.assign(reply->str, reply->len);
    for (std::size_t i = 0; i < reply->elements; ++i)
        out.elements.push_back(copy_reply(reply->element[i]));
    return out;
}

struct RedisServerOptions {
    std::string password;      // requirepass, when not empty
    bool unix_socket = false;  // also listen on <dir>/redis.sock
};

class RedisServer {
public:
    using Options = RedisServerOptions;

    // Starts the server; fails the test when it cannot be started.
    explicit RedisServer(Options options = {}) : options_(std::move(options)) {
        binary_ = find_redis_server();
        if (binary_.empty()) {
            print_error("redis-server not installed\n");
            fail();
        }
        char templ[] = "/tmp/otp-redis-test.XXXXXX";
        if (!::mkdtemp(templ)) {
            print_error("mkdtemp: %s\n", std::strerror(errno));
            fail();
        }
        dir_ = templ;
        {
            Registry& r = registry();
            std::lock_guard<std::mutex> lock(r.mutex);
            r.dirs.push_back(dir_);
        }
        // A port picked from the kernel can be taken by someone else before the server binds
        // it: then try another one.
        for (int attempt = 0; attempt < 5; ++attempt) {
            port_ = free_port();
            if (start()) return;
        }
        print_error("redis-server would not start: %s\n%s\n", last_error_.c_str(),
                    log_tail().c_str());
        fail();
    }

    ~RedisServer() {
        stop();
        remove_scratch_dir(dir_);
        Registry& r = registry();
        std::lock_guard<std::mutex> lock(r.mutex);
        r.dirs.erase(std::remove(r.dirs.begin(), r.dirs.end(), dir_), r.dirs.end());
    }

    RedisServer(const RedisServer&) = delete;
    RedisServer& operator=(const RedisServer&) = delete;

    // (Re)starts the server on its port and waits until it answers PING (up to 10 s). False,
    // with error(), when it exited or did not answer.
    bool start() {
        if (pid_ > 0) return true;
        write_config();
        const std::string config = dir_ + "/redis.conf";
        const std::string output = dir_ + "/stdout.log";
        const pid_t parent = ::getpid();
        const pid_t pid = ::fork();
        if (pid < 0) {
            last_error_ = std::string("fork: ") + std::strerror(errno);
            return false;
        }
        if (pid == 0) {
            // Dies with the test process, whatever kills it.
            ::prctl(PR_SET_PDEATHSIG, SIGKILL);
            if (::getppid() != parent) ::_exit(127);
            const int null_fd = ::open("/dev/null", O_RDONLY);
            const int out_fd = ::open(output.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
            if (null_fd >= 0) ::dup2(null_fd, 0);
            if (out_fd >= 0) {
                ::dup2(out_fd, 1);
                ::dup2(out_fd, 2);
            }
            // The test's own sockets (clients of earlier servers) stay with the test.
            for (int fd = 3; fd < 1024; ++fd) ::close(fd);
            ::execl(binary_.c_str(), binary_.c_str(), config.c_str(), static_cast<char*>(nullptr));
            ::_exit(127);
        }
        pid_ = pid;
        paused_ = false;
        {
            Registry& r = registry();
            std::lock_guard<std::mutex> lock(r.mutex);
            r.pids.push_back(pid_);
        }
        const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(10);
        while (std::chrono::steady_clock::now() < give_up) {
            int status = 0;
            if (::waitpid(pid_, &status, WNOHANG) == pid_) {
                unregister(pid_);
                pid_ = -1;
                last_error_ = "redis-server exited at startup (port " + std::to_string(port_) +
                              " taken?)";
                return false;
            }
            if (answers_ping()) return true;
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
        }
        last_error_ = "redis-server did not answer PING within 10 s";
        stop();
        return false;
    }

    // Stops the server (SIGTERM, as a restart or an operator would) and waits for it to exit,
    // so that the port is free for start() again.
    void stop() {
        if (pid_ <= 0) return;
        stop_redis_pid(pid_);
        unregister(pid_);
        pid_ = -1;
        paused_ = false;
    }

    // A hung server: SIGSTOP (the kernel still accepts connections into the listen queue,
    // nothing answers). Returns once the process is stopped.
    void pause() {
        if (pid_ <= 0 || paused_) return;
        ::kill(pid_, SIGSTOP);
        int status = 0;
        while (::waitpid(pid_, &status, WUNTRACED) < 0 && errno == EINTR) {
        }
        paused_ = true;
    }

    void resume() {
        if (pid_ <= 0 || !paused_) return;
        ::kill(pid_, SIGCONT);
        paused_ = false;
    }

    pid_t pid() const { return pid_; }
    int port() const { return port_; }
    bool running() const { return pid_ > 0; }
    const std::string& password() const { return options_.password; }
    const std::string& dir() const { return dir_; }
    std::string unix_path() const { return options_.unix_socket ? dir_ + "/redis.sock" : ""; }
    // "127.0.0.1:PORT", as the store's error messages name the server.
    std::string endpoint() const { return "127.0.0.1:" + std::to_string(port_); }
    std::string url(int db = 0) const {
        return "redis://" + endpoint() + (db ? "/" + std::to_string(db) : "");
    }
    std::string unix_url(int db = 0) const {
        return "redis+unix://" + unix_path() + (db ? "?db=" + std::to_string(db) : "");
    }
    const std::string& error() const { return last_error_; }

    // The end of the server's log, for failure messages.
    std::string log_tail() const {
        std::string out;
        for (const char* name : {"/redis.log", "/stdout.log"}) {
            FILE* f = std::fopen((dir_ + name).c_str(), "rb");
            if (!f) continue;
            char buf[4096];
            std::size_t n;
            std::string text;
            while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) text.append(buf, n);
            std::fclose(f);
            out += text.size() > 2000 ? text.substr(text.size() - 2000) : text;
        }
        return out;
    }

private:
    static int free_port() {
        const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0) return 0;
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        addr.sin_port = 0;
        socklen_t len = sizeof addr;
        int port = 0;
        if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
            ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0)
            port = ntohs(addr.sin_port);
        ::close(fd);
        return port;
    }

    void write_config() const {
        std::string conf;
        conf += "bind 127.0.0.1\n";
        conf += "port " + std::to_string(port_) + "\n";
        conf += "protected-mode yes\n";
        conf += "daemonize no\n";
        conf += "save \"\"\n";
        conf += "appendonly no\n";
        conf += "dir " + dir_ + "\n";
        conf += "dbfilename never-written.rdb\n";
        conf += "logfile " + dir_ + "/redis.log\n";
        conf += "databases 16\n";
        conf += "hz 100\n";  // SIGTERM is acted on in the next cron tick: 10 ms, not 100
        if (options_.unix_socket) {
            conf += "unixsocket " + dir_ + "/redis.sock\n";
            conf += "unixsocketperm 700\n";
        }
        if (!options_.password.empty()) conf += "requirepass \"" + options_.password + "\"\n";
        const std::string path = dir_ + "/redis.conf";
        const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (fd < 0) return;
        const ssize_t written = ::write(fd, conf.data(), conf.size());
        (void)written;
        ::close(fd);
    }

    bool answers_ping() const {
        timeval tv{0, 200 * 1000};
        redisContext* c = redisConnectWithTimeout("127.0.0.1", port_, tv);
        if (!c) return false;
        bool ok = false;
        if (!c->err) {
            redisSetTimeout(c, tv);
            bool authed = true;
            if (!options_.password.empty()) {
                auto* r = static_cast<redisReply*>(
                    redisCommand(c, "AUTH %b", options_.password.data(), options_.password.size()));
                authed = r && r->type == REDIS_REPLY_STATUS;
                if (r) freeReplyObject(r);
            }
            if (authed) {
                auto* r = static_cast<redisReply*>(redisCommand(c, "PING"));
                ok = r && r->type == REDIS_REPLY_STATUS && r->str && std::string(r->str) == "PONG";
                if (r) freeReplyObject(r);
            }
        }
        redisFree(c);
        return ok;
    }

    static void unregister(pid_t pid) {
        Registry& r = registry();
        std::lock_guard<std::mutex> lock(r.mutex);
        r.pids.erase(std::remove(r.pids.begin(), r.pids.end(), pid), r.pids.end());
    }

    Options options_;
    std::string binary_;
    std::string dir_;
    int port_ = 0;
    pid_t pid_ = -1;
    bool paused_ = false;
    std::string last_error_;
};

// A plain hiredis client of a RedisServer (AUTH and SELECT done), with a 5 s timeout so that
// no check can hang. Not for use while the server is paused.
class RawRedis {
public:
    explicit RawRedis(const RedisServer& server, int db = 0) {
        timeval tv{5, 0};
        context_ = redisConnectWithTimeout("127.0.0.1", server.port(), tv);
        if (!context_ || context_->err) {
            print_error("raw client: cannot connect to %s: %s\n", server.endpoint().c_str(),
                        context_ ? context_->errstr : "out of memory");
            fail();
        }
        redisSetTimeout(context_, tv);
        const int flags = ::fcntl(context_->fd, F_GETFD);
        if (flags >= 0) ::fcntl(context_->fd, F_SETFD, flags | FD_CLOEXEC);
        if (!server.password().empty()) must_ok({"AUTH", server.password()});
        if (db) must_ok({"SELECT", std::to_string(db)});
    }
    ~RawRedis() {
        if (context_) redisFree(context_);
    }
    RawRedis(const RawRedis&) = delete;
    RawRedis& operator=(const RawRedis&) = delete;

    RawReply command(const std::vector<std::string>& argv) {
        std::vector<const char*> args;
        std::vector<std::size_t> lengths;
        for (const std::string& a : argv) {
            args.push_back(a.data());
            lengths.push_back(a.size());
        }
        auto* reply = static_cast<redisReply*>(redisCommandArgv(
            context_, static_cast<int>(args.size()), args.data(), lengths.data()));
        RawReply out = copy_reply(reply);
        if (reply) freeReplyObject(reply);
        return out;
    }

    // The integer answer of a command (TTL, PTTL, EXISTS, DBSIZE, CLIENT ID); fails the test
    // on any other answer.
    long long integer(const std::vector<std::string>& argv) {
        const RawReply r = command(argv);
        if (r.type != REDIS_REPLY_INTEGER) {
            print_error("raw %s: no integer answer (type %d: %s)\n", argv[0].c_str(), r.type,
                        r.str.c_str());
            fail();
        }
        return r.integer;
    }

    // GET: the value, or "<nil>".
    std::string get(const std::string& key) {
        const RawReply r = command({"GET", key});
        if (r.is_nil()) return "<nil>";
        if (r.type != REDIS_REPLY_STRING) {
            print_error("raw GET: type %d: %s\n", r.type, r.str.c_str());
            fail();
        }
        return r.str;
    }

    void must_ok(const std::vector<std::string>& argv) {
        const RawReply r = command(argv);
        if (r.type != REDIS_REPLY_STATUS) {
            print_error("raw %s: not OK (type %d: %s)\n", argv[0].c_str(), r.type, r.str.c_str());
            fail();
        }
    }

    // Every key of the selected database (SCAN, so it is the server's own listing).
    std::vector<std::string> all_keys() {
        std::vector<std::string> keys;
        std::string cursor = "0";
        do {
            const RawReply r = command({"SCAN", cursor, "COUNT", "1000"});
            if (r.type != REDIS_REPLY_ARRAY || r.elements.size() != 2) {
                print_error("raw SCAN: unexpected answer (type %d)\n", r.type);
                fail();
            }
            cursor = r.elements[0].str;
            for (const RawReply& k : r.elements[1].elements) keys.push_back(k.str);
        } while (cursor != "0");
        std::sort(keys.begin(), keys.end());
        return keys;
    }

private:
    redisContext* context_ = nullptr;
};

inline void stop_all_redis_servers(const RedisServer* keep) {
    Registry& r = registry();
    std::vector<pid_t> pids;
    std::vector<std::string> dirs;
    {
        std::lock_guard<std::mutex> lock(r.mutex);
        if (::getpid() != r.owner) return;  // a forked child: the parent's servers
        for (pid_t pid : r.pids)
            if (!keep || pid != keep->pid()) pids.push_back(pid);
        for (const std::string& dir : r.dirs)
            if (!keep || dir != keep->dir()) dirs.push_back(dir);
        r.pids.erase(std::remove_if(r.pids.begin(), r.pids.end(),
                                    [&](pid_t p) { return !keep || p != keep->pid(); }),
                     r.pids.end());
        r.dirs.erase(std::remove_if(r.dirs.begin(), r.dirs.end(),
                                    [&](const std::string& d) { return !keep || d != keep->dir(); }),
                     r.dirs.end());
    }
    for (pid_t pid : pids) stop_redis_pid(pid);
    for (const std::string& dir : dirs) remove_scratch_dir(dir);
}

}  // namespace redis_test
