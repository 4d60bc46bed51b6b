#pragma once

#include "verdant/shared/Id.hpp"

#include <array>
#include <compare>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace verdant::shared {

/// A hybrid logical clock timestamp (Kulkarni et al., 2014): physical milliseconds, a logical
/// counter for events within one millisecond (or while the physical clock lags a received
/// timestamp), and the node that stamped it.
///
/// Timestamps are totally ordered by (physicalMs, logical, node); distinct nodes never produce
/// equal timestamps. The binary form (16 bytes, big-endian) and the string form (fixed width hex)
/// both sort the same way as the timestamps, so SQLite can order them as blobs or text.
/// A plain value type; thread-safe as any const value.
struct Hlc {
    /// Largest physical time representable (48 bits of milliseconds, about year 10889).
    static constexpr std::uint64_t kMaxPhysicalMs = (std::uint64_t{1} << 48) - 1;
    /// Size of the binary form.
    static constexpr std::size_t kBinarySize = 16;
    /// Size of the string form, e.g. "018c1a2b3c4d-0001-a1b2c3d4e5f60708".
    static constexpr std::size_t kStringSize = 34;

    std::uint64_t physicalMs = 0;  ///< Unix milliseconds (at most kMaxPhysicalMs).
    std::uint16_t logical = 0;     ///< Counter within one physical millisecond.
    std::uint64_t node = 0;        ///< Node (device or server) that stamped it.

    /// Total order: physical time, then counter, then node.
    constexpr auto operator<=>(const Hlc&) const noexcept = default;

    /// The 16-byte big-endian form: 6 bytes ms, 2 bytes counter, 8 bytes node.
    std::array<std::uint8_t, kBinarySize> toBinary() const noexcept;

    /// Reads the 16-byte form; nullopt if `bytes` has another size.
    static std::optional<Hlc> fromBinary(std::span<const std::uint8_t> bytes) noexcept;

    /// The fixed-width lower-case hex form "mmmmmmmmmmmm-cccc-nnnnnnnnnnnnnnnn".
    std::string toString() const;

    /// Parses the string form; nullopt if `text` is not one.
    static std::optional<Hlc> parse(std::string_view text) noexcept;
};

/// The HLC node id of a device: the random low 64 bits of its (UUIDv7) id.
constexpr std::uint64_t nodeIdOf(const DeviceId& device) noexcept {
    return device.low64();
}

}  // namespace verdant::shared
