#pragma once

#include <atomic>
#include <cstdint>

namespace verdant::shared {

/// The physical-time seam: every component that needs "now" asks a Clock, so tests can use a
/// ManualClock and never sleep.
///
/// Implementations must be safe to call from several threads at once.
class Clock {
public:
    virtual ~Clock() = default;

    /// Milliseconds since the Unix epoch (UTC), as this clock sees them. May jump backwards.
    virtual std::int64_t nowMs() const = 0;
};

/// The machine's wall clock (std::chrono::system_clock). Thread-safe; holds no state.
class SystemClock final : public Clock {
public:
    /// Milliseconds since the Unix epoch from the operating system.
    std::int64_t nowMs() const override;

    /// A process-wide instance; never destroyed before exit, safe to share between threads.
    static const SystemClock& instance() noexcept;
};

/// A clock that only moves when told to; for tests and simulations. Thread-safe (atomic).
class ManualClock final : public Clock {
public:
    /// A clock reading `startMs`.
    explicit ManualClock(std::int64_t startMs = 0) noexcept : _nowMs(startMs) {}

    /// The current reading.
    std::int64_t nowMs() const override { return _nowMs.load(); }

    /// Sets the reading; may go backwards (to test clocks that jump).
    void set(std::int64_t ms) noexcept { _nowMs.store(ms); }

    /// Moves the reading by `deltaMs` (negative goes back).
    void advance(std::int64_t deltaMs) noexcept { _nowMs.fetch_add(deltaMs); }

private:
    std::atomic<std::int64_t> _nowMs;
};

/// Another clock corrected by an offset that may change at any time: a device's estimate of the
/// server's time (its own clock plus the offset learned at the last sync). Thread-safe (atomic).
class OffsetClock final : public Clock {
public:
    /// A clock reading `base` (which must outlive it) plus `offsetMs`.
    explicit OffsetClock(const Clock& base, std::int64_t offsetMs = 0) noexcept
        : _base(base), _offsetMs(offsetMs) {}

    /// The base clock's reading plus the offset.
    std::int64_t nowMs() const override { return _base.nowMs() + _offsetMs.load(); }

    /// Replaces the offset.
    void setOffset(std::int64_t offsetMs) noexcept { _offsetMs.store(offsetMs); }

    /// The current offset.
    std::int64_t offset() const noexcept { return _offsetMs.load(); }

private:
    const Clock& _base;
    std::atomic<std::int64_t> _offsetMs;
};

}  // namespace verdant::shared
