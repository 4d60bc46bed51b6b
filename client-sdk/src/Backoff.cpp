#include "verdant/client/Backoff.hpp"

#include <algorithm>

namespace verdant::client {

Backoff::Backoff(RetryPolicy policy, std::uint64_t seed) : _policy(policy), _random(seed) {}

std::chrono::milliseconds Backoff::currentCap() const noexcept {
    const auto initial = std::max<std::int64_t>(1, _policy.initialDelay.count());
    const auto cap = std::max<std::int64_t>(initial, _policy.maxDelay.count());
    // Doubling past 2^30 overflows nothing below and is capped long before.
    const int doublings = std::min(_failures, 30);
    const auto grown = initial << doublings;
    return std::chrono::milliseconds(std::min<std::int64_t>(grown, cap));
}

std::chrono::milliseconds Backoff::nextDelay() {
    const auto cap = currentCap();
    ++_failures;
    std::uniform_int_distribution<std::int64_t> draw(0, cap.count());
    return std::chrono::milliseconds(draw(_random));
}

}  // namespace verdant::client
