#pragma once

// The store's incremental checksums. Every stored row of replicated state (a record's tombstone,
// a field's merge state) has a SHA-256 digest of its canonical bytes; a scope's checksum is the
// sum of the digests of its records' rows, added lane-wise (four 64-bit lanes, each modulo
// 2^64). A sum does not depend on the order rows were written in, and it changes by
// (new digest - old digest) when one row changes, so the store keeps one sum per scope in the
// table scope_digests and updates it in the transaction that writes the rows: comparing a
// scope with another replica's costs one lookup, whatever the scope's size. Recomputing a sum
// from the rows is for repairs and for tests.

#include "verdant/shared/Id.hpp"

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace verdant::sync {

class StoreBackend;

/// A sum of row digests (zero for no rows).
struct Digest {
    std::array<std::uint64_t, 4> lanes{};  ///< Big-endian 64-bit words of the 32-byte sum.

    /// Lane-wise sum.
    Digest& operator+=(const Digest& other) noexcept;
    /// Lane-wise difference.
    Digest& operator-=(const Digest& other) noexcept;
    /// Lane-wise equality.
    friend bool operator==(const Digest&, const Digest&) = default;

    /// The 32 bytes, big-endian lanes.
    std::array<std::uint8_t, 32> bytes() const noexcept;
    /// From 32 bytes; zero for a blob of another size.
    static Digest fromBytes(std::span<const std::uint8_t> blob) noexcept;
    /// Lower-case hex of bytes(): what a checksum is on the wire.
    std::string hex() const;
};

/// The digest of a record's tombstone row.
Digest recordRowDigest(std::string_view collection, const shared::RecordId& id,
                       std::span<const std::uint8_t> tombstone);

/// The digest of one field's row (its merge state determines its value, version and conflict).
Digest fieldRowDigest(std::string_view collection, const shared::RecordId& id,
                      std::string_view field, std::span<const std::uint8_t> state);

/// The key under which records whose scope is not known yet are summed.
inline constexpr std::string_view kUnscopedDigestKey = "";
/// The key of the sum over every record of the store (what Store::checksum() returns).
inline constexpr std::string_view kWholeStoreDigestKey = "*";

/// What one transaction adds to the scope sums: a difference and the highest feed position
/// (log position, or a record's join position) per scope key.
class DigestDelta {
public:
    /// Adds `digest` to the sum of `scopeKey` (nullopt: the unscoped sum) and of the store.
    void add(const std::optional<std::string>& scopeKey, const Digest& digest);
    /// Subtracts `digest` from the sum of `scopeKey` and of the store.
    void subtract(const std::optional<std::string>& scopeKey, const Digest& digest);
    /// Moves `digest` from one scope's sum to another's (the store's sum is unchanged).
    void move(const std::optional<std::string>& from, const std::optional<std::string>& to,
              const Digest& digest);
    /// Records that `scopeKey`'s feed reached `position`.
    void reach(const std::optional<std::string>& scopeKey, std::uint64_t position);
    /// Writes the sums into the kept scope sums (inside the caller's transaction) and clears this.
    void writeTo(StoreBackend& backend);

private:
    struct Entry {
        Digest sum;
        std::uint64_t lastSeq = 0;
    };
    Entry& entry(const std::optional<std::string>& scopeKey);
    std::map<std::string, Entry, std::less<>> _entries;
};

/// One row of scope_digests.
struct ScopeDigestRow {
    Digest sum;                 ///< The sum of the scope's row digests.
    std::uint64_t lastSeq = 0;  ///< The highest position of the scope's feed (0: none).
};

/// The stored row of `scopeKey` (zero sum and position when the store has none).
ScopeDigestRow storedScopeDigest(StoreBackend& backend, std::string_view scopeKey);

/// The digest of every stored row of one record (its tombstone and its fields).
Digest recomputeRecordDigest(StoreBackend& backend, std::int64_t recordRef);

/// Every stored sum, by key.
std::map<std::string, Digest> storedScopeDigests(StoreBackend& backend);

/// Subtracts every stored row of one record from `delta` (before the record is removed).
void subtractRecord(StoreBackend& backend, std::int64_t recordRef, DigestDelta& delta);

/// Subtracts `scopeKey`'s sum from the store's and removes its row (its records were removed).
void forgetScopeDigest(StoreBackend& backend, const std::string& scopeKey);

/// Every sum recomputed from the rows (keyed as scope_digests is), with no row of its own.
std::map<std::string, Digest> recomputeScopeDigests(StoreBackend& backend);

/// Replaces the content of scope_digests with sums and feed positions recomputed from the rows.
void rebuildScopeDigests(StoreBackend& backend);

}  // namespace verdant::sync
