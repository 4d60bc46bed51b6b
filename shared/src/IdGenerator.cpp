#include "verdant/shared/IdGenerator.hpp"

#include <Poco/SHA2Engine.h>

#include <algorithm>

namespace verdant::shared {

namespace {

std::uint64_t seedFromDevice() {
    std::random_device device;
    return (static_cast<std::uint64_t>(device()) << 32) ^ device();
}

constexpr std::uint16_t kCounterMask = 0x0fff;

}  // namespace

IdGenerator::IdGenerator(const Clock& clock) : IdGenerator(clock, seedFromDevice()) {}

IdGenerator::IdGenerator(const Clock& clock, std::uint64_t seed) : _clock(clock), _random(seed) {}

detail::UuidBytes IdGenerator::nextBytes() {
    std::lock_guard lock(_mutex);
    std::int64_t ms = _clock.nowMs();
    if (ms < 0) {
        ms = 0;
    }
    if (ms > _lastMs) {
        _lastMs = ms;
        // Start the counter in the lower half so a burst within one millisecond has room.
        _counter = static_cast<std::uint16_t>(_random() & 0x07ff);
    } else if (_counter < kCounterMask) {
        ++_counter;  // same (or earlier) millisecond: stay monotonic
    } else {
        ++_lastMs;  // counter exhausted: borrow the next millisecond
        _counter = 0;
    }
    const auto unixMs = static_cast<std::uint64_t>(_lastMs);
    const std::uint64_t randomBits = _random();

    detail::UuidBytes bytes{};
    for (std::size_t i = 0; i < 6; ++i) {
        bytes[i] = static_cast<std::uint8_t>(unixMs >> (8 * (5 - i)));
    }
    bytes[6] = static_cast<std::uint8_t>(0x70 | ((_counter >> 8) & 0x0f));  // version 7
    bytes[7] = static_cast<std::uint8_t>(_counter & 0xff);
    for (std::size_t i = 8; i < 16; ++i) {
        bytes[i] = static_cast<std::uint8_t>(randomBits >> (8 * (15 - i)));
    }
    bytes[8] = static_cast<std::uint8_t>(0x80 | (bytes[8] & 0x3f));  // RFC 9562 variant
    return bytes;
}

RecordId nameBasedRecordId(std::string_view input) {
    Poco::SHA2Engine sha(Poco::SHA2Engine::SHA_256);
    sha.update(input.data(), static_cast<unsigned>(input.size()));
    const auto& digest = sha.digest();
    RecordId::Bytes bytes{};
    std::copy_n(digest.begin(), bytes.size(), bytes.begin());
    bytes[6] = static_cast<std::uint8_t>((bytes[6] & 0x0F) | 0x80);  // version 8 (custom)
    bytes[8] = static_cast<std::uint8_t>((bytes[8] & 0x3F) | 0x80);  // RFC 9562 variant
    return RecordId(bytes);
}

}  // namespace verdant::shared
