#pragma once

#include "verdant/shared/Clock.hpp"
#include "verdant/shared/Id.hpp"

#include <cstdint>
#include <mutex>
#include <random>
#include <string_view>

namespace verdant::shared {

/// Generates UUIDv7 ids offline: 48-bit milliseconds from a Clock, a 12-bit counter that keeps
/// ids from one generator strictly increasing within a millisecond (and across a clock that steps
/// back), and 62 random bits.
///
/// Holds a reference to the clock, which must outlive it. Thread-safe (internal mutex).
class IdGenerator {
public:
    /// A generator whose random bits are seeded from std::random_device.
    explicit IdGenerator(const Clock& clock);

    /// A generator with a fixed seed, for reproducible tests and simulations.
    IdGenerator(const Clock& clock, std::uint64_t seed);

    /// A new record id, greater than every id this generator returned before.
    RecordId nextRecordId() { return RecordId(nextBytes()); }

    /// A new device id (generated once per install by the SDK).
    DeviceId nextDeviceId() { return DeviceId(nextBytes()); }

private:
    detail::UuidBytes nextBytes();

    const Clock& _clock;
    std::mutex _mutex;
    std::mt19937_64 _random;
    std::int64_t _lastMs = -1;
    std::uint16_t _counter = 0;
};

/// The record id named by `input`: the first 16 bytes of its SHA-256 as a version-8 UUID
/// (RFC 9562), the same on every device. For ids several devices must make alike (an answer per
/// audit and question, an invitation per session and supplier); each caller prefixes its own
/// domain text, so different kinds of record never share an id.
RecordId nameBasedRecordId(std::string_view input);

}  // namespace verdant::shared
