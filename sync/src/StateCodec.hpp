#pragma once

// The canonical byte encoding of values and merge states stored in SQLite (private to sync).
//
// Canonical: equal states always encode to equal bytes (maps and candidate lists are ordered,
// integers are fixed-width big-endian), so the canonical dump and checksum of two converged
// replicas are byte-identical. Unlike the wire format this is not versioned per blob: a layout
// change is a store migration.

#include "verdant/shared/Value.hpp"
#include "verdant/sync/FieldState.hpp"

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace verdant::sync::codec {

/// Appends fixed-width and length-prefixed items to a byte buffer.
class ByteWriter {
public:
    /// Appends one byte.
    void u8(std::uint8_t value) { _bytes.push_back(value); }
    /// Appends 8 bytes, big-endian.
    void u64(std::uint64_t value);
    /// Appends raw bytes.
    void raw(std::span<const std::uint8_t> bytes) {
        _bytes.insert(_bytes.end(), bytes.begin(), bytes.end());
    }
    /// Appends a length (varint) and the bytes of `text`.
    void string(std::string_view text);
    /// Appends a varint.
    void varint(std::uint64_t value);
    /// The bytes written so far.
    const std::vector<std::uint8_t>& bytes() const noexcept { return _bytes; }
    /// Empties the buffer, keeping its capacity.
    void clear() noexcept { _bytes.clear(); }

private:
    std::vector<std::uint8_t> _bytes;
};

/// Reads what ByteWriter wrote; throws Error(InternalError) on truncated or malformed input
/// (a corrupt database).
class ByteReader {
public:
    /// Reads from `bytes`, which must outlive the reader.
    explicit ByteReader(std::span<const std::uint8_t> bytes) noexcept : _bytes(bytes) {}
    /// One byte.
    std::uint8_t u8();
    /// 8 bytes, big-endian.
    std::uint64_t u64();
    /// `size` raw bytes.
    std::span<const std::uint8_t> raw(std::size_t size);
    /// A length-prefixed string.
    std::string string();
    /// A varint.
    std::uint64_t varint();
    /// Whether everything was read.
    bool atEnd() const noexcept { return _offset == _bytes.size(); }

private:
    std::span<const std::uint8_t> _bytes;
    std::size_t _offset = 0;
};

/// Appends the canonical form of a value.
void writeValue(ByteWriter& out, const shared::Value& value);
/// Reads a value.
shared::Value readValue(ByteReader& in);

/// The canonical bytes of a value.
std::vector<std::uint8_t> encodeValue(const shared::Value& value);
/// Decodes encodeValue() output.
shared::Value decodeValue(std::span<const std::uint8_t> bytes);

/// Appends the elements of an add-wins set (ordered by element, as the map is).
void writeSetElements(ByteWriter& out, const std::map<std::string, SetElement>& elements);
/// Reads what writeSetElements() wrote.
std::map<std::string, SetElement> readSetElements(ByteReader& in);

/// Appends the canonical form of a field state.
void writeFieldState(ByteWriter& out, const FieldState& state);
/// Decodes a field state.
FieldState decodeFieldState(std::span<const std::uint8_t> bytes);

/// Appends the canonical form of a record state.
void writeRecordState(ByteWriter& out, const RecordState& state);
/// Decodes a record state.
RecordState decodeRecordState(std::span<const std::uint8_t> bytes);

/// Lower-case hex of bytes.
std::string toHex(std::span<const std::uint8_t> bytes);

}  // namespace verdant::sync::codec
