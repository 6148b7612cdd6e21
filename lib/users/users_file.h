// The users file (SPEC §4): one OATH token per line, in the OATH Toolkit users.oath layout
// (pam_oath, oathtool) or the mod_authn_otp layout. Parsed once into a compact in-memory index
// whose lookup cost does not depend on the number of users (1,000,000 users must load in well
// under a second and take < 200 bytes per user).
//
// The one header for the rest of the code. Behind it, one job per file: line_parser.h (the
// tokenizer and both layouts), users_index.cpp (the index), huge_page_allocator.h (where the
// index keeps its arrays), users_writeback.cpp (the locked rewrite) and file_identity.h.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "otp/token_type.h"

namespace otp {

enum class UsersFileLayout {
    oath,           // COUNTER = counter of the last accepted code (liboath)
    mod_authn_otp,  // COUNTER = next expected counter, or time drift offset for time tokens
};

// The PIN field: "-" none, "+" checked by another provider, otherwise the PIN itself.
enum class PinMode { none, external, pin };

// One token as read from one line. Owns its data (a copy out of the index).
struct TokenRecord {
    TokenType type;
    std::string user;
    PinMode pin_mode = PinMode::none;
    std::string pin;           // only for PinMode::pin
    std::string secret;        // raw key bytes (decoded from hex)
    bool has_counter = false;  // the COUNTER field was present
    std::int64_t counter = 0;  // as written in the file (meaning depends on the layout)
    std::string last_otp;      // LASTOTP field, empty when absent
    unsigned line_number = 0;  // 1-based line in the file it came from

    // First counter value a new code may have: for the oath layout counter+1 once a code was
    // accepted (LASTOTP present), else counter (liboath accepts counter itself until then);
    // for mod_authn_otp the next expected counter. Counter tokens only.
    std::uint64_t next_counter(UsersFileLayout layout) const;
};

// Identity of the file on disk, for cheap "has it changed?" checks (reload on change).
struct FileIdentity {
    std::uint64_t device = 0, inode = 0, size = 0;
    std::int64_t mtime_ns = 0, ctime_ns = 0;
    bool operator==(const FileIdentity& o) const;
    bool operator!=(const FileIdentity& o) const { return !(*this == o); }
};
std::optional<FileIdentity> stat_identity(const std::string& path, std::string* error);

class UsersIndex {
public:
    // Parses the whole file. Any malformed line fails the load with *error set to
    // "<path>:<line>: <reason>" (the reason names the field and never contains the secret).
    static std::unique_ptr<UsersIndex> load(const std::string& path, UsersFileLayout layout,
                                            std::string* error);
    // Parses text already in memory (same rules; `name` is used in error messages).
    static std::unique_ptr<UsersIndex> parse(std::string_view text, const std::string& name,
                                             UsersFileLayout layout, std::string* error);

    ~UsersIndex();
    UsersIndex(const UsersIndex&) = delete;
    UsersIndex& operator=(const UsersIndex&) = delete;

    // All tokens of `user`, in file order. Empty for an unknown user.
    std::vector<TokenRecord> tokens_for(std::string_view user) const;
    // Whether the file lists `user` (any token), without copying its tokens.
    bool has_user(std::string_view user) const;

    std::size_t user_count() const;
    std::size_t token_count() const;
    std::size_t memory_bytes() const;  // approximate heap use of the index
    UsersFileLayout layout() const;
    const FileIdentity& identity() const;  // of the file when it was read (zero for parse())

private:
    UsersIndex();
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

// The locked read-modify-write of counter-based tokens (SPEC §4), safe against
// oath-toolkit's CVE-2024-47191: the lock is taken before the record is read, `<file>.lock`
// and `<file>.new` are opened with O_NOFOLLOW (and `.new` with O_EXCL), the new file keeps the
// owner and mode of the old one, it is fsync'ed before the rename, and every irregularity
// (symlinked or non-regular users file, lock file or `.new`, failed chown) is a refusal with a
// reason. A stale regular `.new` (single link) left by a crash is removed under the lock.
// The lock is an exclusive fcntl write lock on `<file>.lock`, as pam_oath takes it, so
// pam_oath/oathtool and mod_otp can share one file. Released by the destructor.
//
// The wait for the lock is bounded: begin() tries it without blocking, with short sleeps, for
// at most kUsersFileLockWaitMs (retries after another writer got in count against the same
// bound), then fails with an error naming the lock file; callers refuse the code (store_error).
constexpr int kUsersFileLockWaitMs = 2000;

class UsersFileTransaction {
public:
    static std::unique_ptr<UsersFileTransaction> begin(const std::string& path,
                                                       UsersFileLayout layout, std::string* error);
    ~UsersFileTransaction();
    UsersFileTransaction(const UsersFileTransaction&) = delete;
    UsersFileTransaction& operator=(const UsersFileTransaction&) = delete;

    // The user's tokens as the file says now (read under the lock).
    std::vector<TokenRecord> tokens_for(std::string_view user) const;

    // Records that `token` (from tokens_for) accepted `code` at counter `accepted_counter`:
    // rewrites only that line, as liboath writes it for the oath layout
    // (TYPE\tUSER\tPIN\tSECRET\tCOUNTER\tLASTOTP\tLASTTIME, LASTTIME = local time
    // "%Y-%m-%dT%H:%M:%SL"), or in the mod_authn_otp layout. Every other byte of the file is
    // kept. `now` is the acceptance time. `client_address` fills mod_authn_otp's "last IP"
    // field ("-" when empty; unused in the oath layout). Returns false with *error set on any
    // failure, in which case the file is unchanged.
    bool record_counter(const TokenRecord& token, std::uint64_t accepted_counter,
                        std::string_view code, std::int64_t now, std::string* error,
                        std::string_view client_address = {});

private:
    UsersFileTransaction();
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace otp
