#pragma once

#include "verdant/shared/Clock.hpp"
#include "verdant/shared/Hlc.hpp"

#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>

namespace verdant::shared {

/// Issues hybrid logical clock timestamps for one node and keeps them ahead of every timestamp
/// the node has received, so a change made after seeing another change always sorts after it.
///
/// Received timestamps further ahead of this node's physical clock than `maxForwardDrift` are
/// refused (clock skew): a device whose clock runs days ahead cannot make its edits win every
/// later tie-break. The server sets a drift bound; a device usually sets none, so it always
/// accepts what the server already accepted.
///
/// Holds a reference to the physical clock, which must outlive it. Thread-safe (internal mutex).
class HlcClock {
public:
    /// The default drift bound used by the server: 5 minutes.
    static constexpr std::chrono::milliseconds kDefaultMaxForwardDrift{5 * 60 * 1000};

    /// A clock for `node` reading physical time from `clock`; nullopt drift means unbounded.
    HlcClock(const Clock& clock, std::uint64_t node,
             std::optional<std::chrono::milliseconds> maxForwardDrift = kDefaultMaxForwardDrift);

    /// A new timestamp, greater than every timestamp issued or received before.
    Hlc now();

    /// Whether `remote` is dated further ahead of the physical clock than the drift bound allows.
    bool isTooFarAhead(const Hlc& remote) const;

    /// Merges a received timestamp so later `now()` values sort after it. Returns the updated
    /// clock value, or nullopt (and leaves the clock untouched) if `remote` is too far ahead.
    std::optional<Hlc> tryReceive(const Hlc& remote);

    /// As tryReceive, but throws Error(ErrorCode::ClockSkew) when `remote` is too far ahead.
    Hlc receive(const Hlc& remote);

    /// The last timestamp issued or merged (physical 0 before the first).
    Hlc last() const;

    /// Forgets every timestamp issued or received after `floor`: later `now()` values only need
    /// to sort after `floor`. For a device whose wall clock was wrong: its future-dated local
    /// timestamps were refused by the server, and its re-stamped changes must sort as of the
    /// corrected clock, not after the bad dates. Never used on a server.
    void rewind(const Hlc& floor);

    /// The node id stamped on every issued timestamp.
    std::uint64_t node() const noexcept { return _node; }

    /// The drift bound; nullopt when unbounded.
    std::optional<std::chrono::milliseconds> maxForwardDrift() const noexcept {
        return _maxForwardDrift;
    }

private:
    std::uint64_t physicalNow() const;
    void advanceCounter(std::uint64_t physicalMs, std::uint32_t counter);

    const Clock& _clock;
    const std::uint64_t _node;
    const std::optional<std::chrono::milliseconds> _maxForwardDrift;
    mutable std::mutex _mutex;
    std::uint64_t _lastMs = 0;
    std::uint16_t _lastCounter = 0;
};

}  // namespace verdant::shared
