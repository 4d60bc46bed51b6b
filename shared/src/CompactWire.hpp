#pragma once

#include "verdant/shared/ErrorCode.hpp"
#include "verdant/shared/Id.hpp"

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

// Private to verdant_shared: the primitives of the compact binary form (format 2) of the sync
// messages. See docs/protocol.md, "Binary form 2".

namespace verdant::shared::compact {

/// Appends the primitives of the compact form to a byte string: bytes, unsigned LEB128 varints,
/// zigzag varints for signed numbers and deltas, length-prefixed text, raw ids. Not thread-safe.
class Writer {
public:
    /// One byte.
    void byte(std::uint8_t value) { _bytes.push_back(static_cast<char>(value)); }
    /// An unsigned varint: 7 bits a byte, low bits first, high bit set on all but the last.
    void varint(std::uint64_t value);
    /// A signed number as a zigzag varint (0, -1, 1, -2… → 0, 1, 2, 3…).
    void signedVarint(std::int64_t value);
    /// `current - previous` as a zigzag varint; both are at most 2^63-1.
    void delta(std::uint64_t previous, std::uint64_t current);
    /// A varint length and the bytes.
    void text(std::string_view text);
    /// Bytes as they are.
    void raw(const void* data, std::size_t size);
    /// 8 bytes, big-endian.
    void fixed64(std::uint64_t value);
    /// An id's 16 bytes.
    template <class Tag>
    void id(const Id<Tag>& id) {
        raw(id.bytes().data(), id.bytes().size());
    }
    /// Appends what `other` wrote.
    void append(const Writer& other) { _bytes += other._bytes; }
    /// The bytes written so far, handed over.
    std::string take() { return std::move(_bytes); }

private:
    std::string _bytes;
};

/// Reads the primitives of the compact form from caller-owned bytes, never past their end.
/// Every read that would pass the end, and every malformed primitive, throws
/// Error(InvalidRequest) with a message that names no input; no read allocates more than the
/// bytes that remain could fill. Not thread-safe.
class Reader {
public:
    /// Most elements of one list (and changes of one message).
    static constexpr std::size_t kMaxElements = 1'000'000;

    /// Reads `bytes`, which must outlive the reader.
    explicit Reader(std::string_view bytes) : _bytes(bytes) {}

    std::uint8_t byte();
    /// An unsigned varint of at most 10 bytes that fits 64 bits.
    std::uint64_t varint();
    /// A zigzag varint.
    std::int64_t signedVarint();
    /// `previous` plus a zigzag delta, refused (InvalidRequest) unless it lies in [min, max].
    std::uint64_t delta(std::uint64_t previous, std::uint64_t min, std::uint64_t max);
    /// `previous + step` when it lies in [min, max] (computed without overflow), else nullopt.
    static std::optional<std::uint64_t> offset(std::uint64_t previous, std::int64_t step,
                                               std::uint64_t min, std::uint64_t max) noexcept;
    /// A varint count of elements that take at least `elementBytes` each: refused when the
    /// bytes that remain could not hold that many, or when it exceeds kMaxElements.
    std::size_t count(std::size_t elementBytes = 1);
    /// A varint length and that many bytes (at most ChangeCodec::kMaxWireStringBytes).
    std::string text();
    /// 8 bytes, big-endian.
    std::uint64_t fixed64();
    /// An id's 16 bytes.
    template <class Tag>
    Id<Tag> id() {
        typename Id<Tag>::Bytes bytes{};
        take(bytes.data(), bytes.size());
        return Id<Tag>(bytes);
    }
    /// Bytes not read yet.
    std::size_t remaining() const noexcept { return _bytes.size() - _position; }
    /// Throws Error(InvalidRequest) unless every byte was read.
    void requireEnd() const;

private:
    void take(void* out, std::size_t size);

    std::string_view _bytes;
    std::size_t _position = 0;
};

/// Throws Error(InvalidRequest) with `message` (a fixed text: never input).
[[noreturn]] void malformed(const char* message);

/// The strings a message names (collections, fields, authors, outcomes), numbered in order of
/// first use, so that each is written once and referred to by a varint. Not thread-safe.
class StringTable {
public:
    /// The number of `text`, adding it if it is new.
    std::uint64_t indexOf(const std::string& text);
    /// Writes the table: a count, then each string.
    void write(Writer& out) const;

private:
    std::vector<const std::string*> _order;
    std::unordered_map<std::string, std::uint64_t> _index;
};

/// The device ids a message names, numbered in order of first use. Not thread-safe.
class DeviceTable {
public:
    std::uint64_t indexOf(const DeviceId& device);
    /// Writes the table: a count, then each id's 16 bytes.
    void write(Writer& out) const;

private:
    std::vector<DeviceId> _order;
    std::map<DeviceId, std::uint64_t> _index;
};

/// A string table as read: lookups check the index. Strings that are not UTF-8 are refused.
class ReadStrings {
public:
    explicit ReadStrings(Reader& in);
    /// The string numbered by the next varint; Error(InvalidRequest) if there is none.
    const std::string& next(Reader& in) const;

private:
    std::vector<std::string> _strings;
};

/// A device table as read: lookups check the index.
class ReadDevices {
public:
    explicit ReadDevices(Reader& in);
    /// The index read next, checked against the table.
    std::size_t nextIndex(Reader& in) const;
    const DeviceId& at(std::size_t index) const { return _devices[index]; }
    std::size_t size() const noexcept { return _devices.size(); }

private:
    std::vector<DeviceId> _devices;
};

}  // namespace verdant::shared::compact
