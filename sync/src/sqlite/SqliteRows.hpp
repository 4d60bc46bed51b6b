#pragma once

// Reading and binding the SQLite backend's columns (private to sync/src/sqlite).

#include "verdant/shared/ErrorCode.hpp"
#include "verdant/sync/Sqlite.hpp"
#include "verdant/sync/Store.hpp"

#include <array>
#include <cstring>
#include <span>

namespace verdant::sync::sqlite_rows {

/// The bytes of a fixed-size id or HLC, for binding.
template <std::size_t N>
std::span<const std::uint8_t> bytesOf(const std::array<std::uint8_t, N>& bytes) {
    return {bytes.data(), bytes.size()};
}

/// An id read from a BLOB column; throws InternalError for a blob of the wrong size.
template <class Tag>
shared::Id<Tag> idFromColumn(std::span<const std::uint8_t> blob) {
    typename shared::Id<Tag>::Bytes bytes{};
    if (blob.size() != bytes.size()) {
        throw shared::Error(shared::ErrorCode::InternalError, "The store holds a corrupt id.");
    }
    std::memcpy(bytes.data(), blob.data(), bytes.size());
    return shared::Id<Tag>(bytes);
}

/// An HLC read from a BLOB column; throws InternalError for a malformed one.
inline shared::Hlc hlcFromColumn(std::span<const std::uint8_t> blob) {
    if (auto hlc = shared::Hlc::fromBinary(blob)) {
        return *hlc;
    }
    throw shared::Error(shared::ErrorCode::InternalError, "The store holds a corrupt timestamp.");
}

/// The SQLite form of a sequence number or count (clamped to what an INTEGER holds).
inline std::int64_t sqlInteger(std::uint64_t value) noexcept {
    return static_cast<std::int64_t>(std::min<std::uint64_t>(value, INT64_MAX));
}

}  // namespace verdant::sync::sqlite_rows
