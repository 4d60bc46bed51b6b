#include "verdant/shared/HlcClock.hpp"

#include "verdant/shared/ErrorCode.hpp"

#include <algorithm>
#include <string>

namespace verdant::shared {

HlcClock::HlcClock(const Clock& clock, std::uint64_t node,
                   std::optional<std::chrono::milliseconds> maxForwardDrift)
    : _clock(clock), _node(node), _maxForwardDrift(maxForwardDrift) {}

std::uint64_t HlcClock::physicalNow() const {
    const std::int64_t ms = _clock.nowMs();
    if (ms <= 0) {
        return 0;
    }
    return std::min(static_cast<std::uint64_t>(ms), Hlc::kMaxPhysicalMs);
}

void HlcClock::advanceCounter(std::uint64_t physicalMs, std::uint32_t counter) {
    // The counter has 16 bits; rather than fail after 65535 events in one millisecond, borrow
    // the next millisecond. This moves the clock ahead by at most a few ms under extreme load.
    if (counter > 0xffff) {
        physicalMs += 1;
        counter = 0;
    }
    _lastMs = physicalMs;
    _lastCounter = static_cast<std::uint16_t>(counter);
}

Hlc HlcClock::now() {
    std::lock_guard lock(_mutex);
    const std::uint64_t physical = physicalNow();
    if (physical > _lastMs) {
        advanceCounter(physical, 0);
    } else {
        advanceCounter(_lastMs, std::uint32_t{_lastCounter} + 1);
    }
    return Hlc{_lastMs, _lastCounter, _node};
}

bool HlcClock::isTooFarAhead(const Hlc& remote) const {
    if (!_maxForwardDrift) {
        return false;
    }
    const auto drift =
        static_cast<std::uint64_t>(std::max<std::int64_t>(0, _maxForwardDrift->count()));
    return remote.physicalMs > physicalNow() + drift;
}

std::optional<Hlc> HlcClock::tryReceive(const Hlc& remote) {
    if (isTooFarAhead(remote)) {
        return std::nullopt;
    }
    std::lock_guard lock(_mutex);
    const std::uint64_t physical = physicalNow();
    const std::uint64_t top = std::max({_lastMs, remote.physicalMs, physical});
    std::uint32_t counter = 0;
    if (top == _lastMs && top == remote.physicalMs) {
        counter = std::uint32_t{std::max(_lastCounter, remote.logical)} + 1;
    } else if (top == _lastMs) {
        counter = std::uint32_t{_lastCounter} + 1;
    } else if (top == remote.physicalMs) {
        counter = std::uint32_t{remote.logical} + 1;
    }
    advanceCounter(top, counter);
    return Hlc{_lastMs, _lastCounter, _node};
}

Hlc HlcClock::receive(const Hlc& remote) {
    if (auto merged = tryReceive(remote)) {
        return *merged;
    }
    throw Error(ErrorCode::ClockSkew, "A timestamp (" + remote.toString() +
                                          ") is dated too far in the future; re-stamp and retry.");
}

void HlcClock::rewind(const Hlc& floor) {
    std::lock_guard lock(_mutex);
    _lastMs = floor.physicalMs;
    _lastCounter = floor.logical;
}

Hlc HlcClock::last() const {
    std::lock_guard lock(_mutex);
    return Hlc{_lastMs, _lastCounter, _node};
}

}  // namespace verdant::shared
