#pragma once

#include <chrono>
#include <cstdint>
#include <random>

namespace verdant::client {

/// How transient failures (server unreachable, 5xx, storage busy) are retried.
struct RetryPolicy {
    /// Attempts of one request inside one sync() before the sync gives up and reports it.
    int maxAttempts = 4;
    /// The first delay's upper bound; each further failure doubles it...
    std::chrono::milliseconds initialDelay{500};
    /// ...up to this cap.
    std::chrono::milliseconds maxDelay{5 * 60 * 1000};
};

/// Exponential backoff with full jitter (as AWS recommends: a random delay in [0, cap], the cap
/// doubling per failure), so a fleet of tablets regaining the network together does not retry
/// in lockstep. Not thread-safe; one per retry loop.
class Backoff {
public:
    /// A backoff following `policy`, with jitter drawn from a generator seeded by `seed`.
    explicit Backoff(RetryPolicy policy, std::uint64_t seed = std::random_device{}());

    /// The delay before the next attempt, after one more failure.
    std::chrono::milliseconds nextDelay();

    /// The upper bound the next delay is drawn under.
    std::chrono::milliseconds currentCap() const noexcept;

    /// Failures since the last reset().
    int failures() const noexcept { return _failures; }

    /// Back to the first delay (after a success).
    void reset() noexcept { _failures = 0; }

private:
    RetryPolicy _policy;
    std::mt19937_64 _random;
    int _failures = 0;
};

}  // namespace verdant::client
