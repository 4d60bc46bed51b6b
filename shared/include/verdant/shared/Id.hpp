#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace verdant::shared {

namespace detail {
/// 16 raw UUID bytes.
using UuidBytes = std::array<std::uint8_t, 16>;
/// Canonical lower-case 8-4-4-4-12 hex form of a UUID.
std::string uuidToString(const UuidBytes& bytes);
/// Parses the 8-4-4-4-12 hex form (either case); nullopt for anything else.
std::optional<UuidBytes> uuidFromString(std::string_view text) noexcept;
}  // namespace detail

/// A 128-bit identifier, in practice a UUIDv7 (RFC 9562): 48-bit Unix milliseconds, then random
/// bits, so ids generated offline on any device are unique and sort by creation time.
///
/// `Tag` only keeps kinds of ids apart at compile time (a DeviceId is not a RecordId). A plain
/// value type: cheap to copy, no ownership, thread-safe as any const value.
template <class Tag>
class Id {
public:
    /// The raw bytes, big-endian, as in the string form.
    using Bytes = detail::UuidBytes;

    /// The nil id (all zero bits), which no generator produces; used as "none".
    constexpr Id() noexcept = default;

    /// An id with these raw bytes.
    explicit constexpr Id(const Bytes& bytes) noexcept : _bytes(bytes) {}

    /// The raw bytes (16, big-endian).
    constexpr const Bytes& bytes() const noexcept { return _bytes; }

    /// Whether this is the nil id.
    constexpr bool isNil() const noexcept { return _bytes == Bytes{}; }

    /// The canonical string form, e.g. "0190f3a2-7b1c-7d3e-8f00-1a2b3c4d5e6f".
    std::string toString() const { return detail::uuidToString(_bytes); }

    /// Parses the canonical string form; nullopt if `text` is not a UUID.
    static std::optional<Id> parse(std::string_view text) noexcept {
        if (auto bytes = detail::uuidFromString(text)) {
            return Id(*bytes);
        }
        return std::nullopt;
    }

    /// The creation time carried by a UUIDv7 (Unix ms); meaningless for other versions.
    constexpr std::int64_t timestampMs() const noexcept {
        std::int64_t ms = 0;
        for (std::size_t i = 0; i < 6; ++i) {
            ms = (ms << 8) | _bytes[i];
        }
        return ms;
    }

    /// The last 8 bytes as a number (the random part of a UUIDv7).
    constexpr std::uint64_t low64() const noexcept {
        std::uint64_t value = 0;
        for (std::size_t i = 8; i < 16; ++i) {
            value = (value << 8) | _bytes[i];
        }
        return value;
    }

    /// Byte-wise order, which for UUIDv7 is creation order.
    constexpr auto operator<=>(const Id&) const noexcept = default;

private:
    Bytes _bytes{};
};

/// Tag of record ids.
struct RecordIdTag {};
/// Tag of device ids.
struct DeviceIdTag {};

/// The id of a record (an audit, a finding, a registration...), generated where it is created.
using RecordId = Id<RecordIdTag>;

/// The id of a device (one install of the SDK), generated once on that device.
using DeviceId = Id<DeviceIdTag>;

}  // namespace verdant::shared
