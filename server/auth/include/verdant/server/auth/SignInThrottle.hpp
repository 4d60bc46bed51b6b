#pragma once

#include "verdant/shared/Clock.hpp"
#include "verdant/shared/ErrorCode.hpp"

#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace verdant::server {

/// The error of a sign-in refused while its account is locked: TooManyAttempts, with the seconds
/// after which a try is let through again (the `Retry-After` header).
class SignInThrottled : public shared::Error {
public:
    explicit SignInThrottled(std::int64_t retryAfterSeconds);

    /// Whole seconds until the account accepts a try again (at least 1).
    std::int64_t retryAfterSeconds() const noexcept { return _retryAfterSeconds; }

private:
    std::int64_t _retryAfterSeconds;
};

/// Slows password guessing against one account (a tenant and a user name, as typed, whether or
/// not they exist, so the answer tells nothing about which accounts exist).
///
/// After `freeFailures` wrong passwords within `windowMs` the account is locked for `firstLockMs`;
/// each further failure after a lock doubles the lock, up to `maxLockMs`. While locked, every try
/// is refused before the password is hashed (no Argon2id work for a guess), also with the right
/// password. A successful sign-in forgets the account's failures.
///
/// The state is in memory, one small entry per account with recent failures, at most
/// `maxAccounts` of them (the oldest is evicted first): a wrong password must not cost a durable
/// write to the accounts database, which would hand a guesser a write amplifier. A restart
/// forgets the counters; several server nodes count separately (see docs/security.md).
///
/// Thread-safe.
class SignInThrottle {
public:
    struct Policy {
        int freeFailures = 10;                      ///< Failures before the first lock.
        std::int64_t windowMs = 15LL * 60 * 1000;   ///< Failures older than this are forgotten.
        std::int64_t firstLockMs = 30LL * 1000;     ///< The first lock's length.
        std::int64_t maxLockMs = 15LL * 60 * 1000;  ///< No lock is longer.
        std::size_t maxAccounts = 10000;            ///< Entries kept at most.
    };

    /// One sign-in attempt in flight; tell it how the password check went. An attempt that is
    /// neither failed nor succeeded (an error on the way) counts as nothing. Not thread-safe.
    class Attempt {
    public:
        Attempt(SignInThrottle& throttle, std::string key) noexcept
            : _throttle(&throttle), _key(std::move(key)) {}
        ~Attempt();
        Attempt(Attempt&& other) noexcept
            : _throttle(other._throttle), _key(std::move(other._key)) {
            other._throttle = nullptr;
        }
        Attempt(const Attempt&) = delete;
        Attempt& operator=(const Attempt&) = delete;
        Attempt& operator=(Attempt&&) = delete;

        /// The password was wrong, or the account does not exist.
        void failed();
        /// The password was right: the account's failures are forgotten.
        void succeeded();

    private:
        SignInThrottle* _throttle;
        std::string _key;
    };

    /// `clock` must outlive the throttle.
    explicit SignInThrottle(const shared::Clock& clock) : SignInThrottle(clock, Policy{}) {}
    SignInThrottle(const shared::Clock& clock, Policy policy);

    /// Starts an attempt on the account. Throws SignInThrottled while the account is locked, and
    /// also when the attempts already in flight could use up its remaining free failures (so
    /// parallel guesses cannot slip past the limit; after a lock, one try at a time).
    Attempt begin(std::string_view tenant, std::string_view username);

    /// Accounts with remembered failures (for tests and metrics).
    std::size_t trackedAccounts() const;

private:
    struct Entry {
        int failures = 0;
        int inFlight = 0;
        std::int64_t lastFailureMs = 0;
        std::int64_t lockedUntilMs = 0;
    };

    void finish(const std::string& key, int outcome);
    Entry& entryFor(const std::string& key, std::int64_t nowMs);
    void evictOne(std::int64_t nowMs);
    bool forgiven(const Entry& entry, std::int64_t nowMs) const;
    std::int64_t lockLengthMs(int failures) const;

    const shared::Clock& _clock;
    Policy _policy;
    mutable std::mutex _mutex;
    std::unordered_map<std::string, Entry> _entries;
};

}  // namespace verdant::server
