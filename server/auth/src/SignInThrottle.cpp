#include "verdant/server/auth/SignInThrottle.hpp"

#include <Poco/SHA2Engine.h>

#include <algorithm>
#include <tuple>
#include <utility>

namespace verdant::server {

namespace {

constexpr int kFailed = -1;
constexpr int kUndecided = 0;
constexpr int kSucceeded = 1;

/// The table's key: a digest, so that a long user name costs no more memory than a short one.
std::string accountKey(std::string_view tenant, std::string_view username) {
    Poco::SHA2Engine engine(Poco::SHA2Engine::SHA_256);
    engine.update(tenant.data(), static_cast<unsigned>(tenant.size()));
    engine.update('\0');
    engine.update(username.data(), static_cast<unsigned>(username.size()));
    const auto& digest = engine.digest();
    return {digest.begin(), digest.end()};
}

std::string tooManyMessage(std::int64_t seconds) {
    return "Too many failed sign-ins for this account; try again in " + std::to_string(seconds) +
           " s.";
}

}  // namespace

SignInThrottled::SignInThrottled(std::int64_t retryAfterSeconds)
    : Error(shared::ErrorCode::TooManyAttempts, tooManyMessage(retryAfterSeconds)),
      _retryAfterSeconds(retryAfterSeconds) {}

SignInThrottle::Attempt::~Attempt() {
    if (_throttle != nullptr) {
        _throttle->finish(_key, kUndecided);
    }
}

void SignInThrottle::Attempt::failed() {
    if (_throttle != nullptr) {
        std::exchange(_throttle, nullptr)->finish(_key, kFailed);
    }
}

void SignInThrottle::Attempt::succeeded() {
    if (_throttle != nullptr) {
        std::exchange(_throttle, nullptr)->finish(_key, kSucceeded);
    }
}

SignInThrottle::SignInThrottle(const shared::Clock& clock, Policy policy)
    : _clock(clock), _policy(policy) {}

SignInThrottle::Attempt SignInThrottle::begin(std::string_view tenant, std::string_view username) {
    auto key = accountKey(tenant, username);
    const auto now = _clock.nowMs();
    std::lock_guard lock(_mutex);
    auto& entry = entryFor(key, now);
    if (now < entry.lockedUntilMs) {
        throw SignInThrottled((entry.lockedUntilMs - now + 999) / 1000);
    }
    // Attempts in flight count as failures to come: parallel guesses cannot pass the limit.
    // After a lock has run out, one try at a time.
    const int allowed = std::max(_policy.freeFailures - entry.failures, 1);
    if (entry.inFlight >= allowed) {
        throw SignInThrottled(1);  // the attempts in flight decide whether a lock follows
    }
    ++entry.inFlight;
    return Attempt(*this, std::move(key));
}

std::size_t SignInThrottle::trackedAccounts() const {
    std::lock_guard lock(_mutex);
    return _entries.size();
}

void SignInThrottle::finish(const std::string& key, int outcome) {
    const auto now = _clock.nowMs();
    std::lock_guard lock(_mutex);
    auto& entry = entryFor(key, now);
    entry.inFlight = std::max(0, entry.inFlight - 1);
    if (outcome == kSucceeded) {
        entry.failures = 0;
        entry.lockedUntilMs = 0;
    } else if (outcome == kFailed) {
        ++entry.failures;
        entry.lastFailureMs = now;
        if (entry.failures >= _policy.freeFailures) {
            entry.lockedUntilMs = now + lockLengthMs(entry.failures);
        }
    }
    if (entry.failures == 0 && entry.inFlight == 0) {
        _entries.erase(key);
    }
}

SignInThrottle::Entry& SignInThrottle::entryFor(const std::string& key, std::int64_t nowMs) {
    if (const auto found = _entries.find(key); found != _entries.end()) {
        auto& entry = found->second;
        // Old failures are forgiven once the window has passed since the last failure AND since
        // the last lock ended: the longest lock is as long as the window, and forgiving at its end
        // would hand a guesser ten fresh tries after every long lock.
        if (entry.failures > 0 && forgiven(entry, nowMs)) {
            entry.failures = 0;
        }
        return entry;
    }
    if (_entries.size() >= _policy.maxAccounts) {
        evictOne(nowMs);
    }
    return _entries[key];
}

void SignInThrottle::evictOne(std::int64_t nowMs) {
    // Forgotten entries first; then the unlocked one whose last failure is oldest, so that a
    // spray of made-up names cannot push a locked account out; a locked one only if all are.
    auto victim = _entries.end();
    // Fewest failures first, so that a spray of made-up names (one failure each) evicts its own
    // entries rather than an account's count of nine.
    auto rank = [&](const Entry& entry) {
        return std::tuple{nowMs < entry.lockedUntilMs, entry.failures, entry.lastFailureMs};
    };
    for (auto it = _entries.begin(); it != _entries.end(); ++it) {
        const auto& entry = it->second;
        if (entry.inFlight > 0) {
            continue;
        }
        if (forgiven(entry, nowMs)) {
            victim = it;
            break;
        }
        if (victim == _entries.end() || rank(entry) < rank(victim->second)) {
            victim = it;
        }
    }
    if (victim != _entries.end()) {
        _entries.erase(victim);
    }
}

bool SignInThrottle::forgiven(const Entry& entry, std::int64_t nowMs) const {
    return nowMs - std::max(entry.lastFailureMs, entry.lockedUntilMs) > _policy.windowMs;
}

std::int64_t SignInThrottle::lockLengthMs(int failures) const {
    const int doublings = std::min(failures - _policy.freeFailures, 20);
    return std::min(_policy.maxLockMs, _policy.firstLockMs << doublings);
}

}  // namespace verdant::server
