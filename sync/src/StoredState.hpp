#pragma once

// The stored form of a field's merge state (the `fields.state` column, private to sync).
//
// The canonical form (StateCodec.hpp) repeats, for every write a state remembers, what the log
// row of that write already holds: its HLC, device, sequence, author and value. The stored form
// names the log row instead — (device_ref, device_seq), unique in `changes` — and leaves the
// version out when it is the highest HLC among the writes, which it nearly always is. A state
// only ever remembers writes of its own field, whose log rows are removed only together with the
// field's row (purge, rewrite), so a reference always resolves.
//
// Checksums, dumps and everything that leaves the store use the canonical form, so replicas
// still compare byte for byte whatever their local references.

#include "StateCodec.hpp"

#include "verdant/shared/Id.hpp"
#include "verdant/sync/FieldState.hpp"

#include <cstdint>
#include <functional>
#include <span>
#include <vector>

namespace verdant::sync {

class StoreBackend;

/// Where a write is in this replica's log.
struct WriteRef {
    std::int64_t deviceRef = 0;   ///< devices.device_ref of the write's device.
    std::uint64_t deviceSeq = 0;  ///< The write's device sequence.
};

/// Appends the stored form of `state`; `deviceRefOf` names each write's device in this store.
void writeStoredFieldState(codec::ByteWriter& out, const FieldState& state,
                           const std::function<std::int64_t(const shared::DeviceId&)>& deviceRefOf);

/// Decodes a stored state; `writeOf` reads each referenced write back from the log.
FieldState readStoredFieldState(std::span<const std::uint8_t> stored,
                                const std::function<Write(const WriteRef&)>& writeOf);

/// Reads stored field states back whole from a replica's log.
class StoredStateReader {
public:
    /// Reads through `backend`, which must outlive the reader.
    explicit StoredStateReader(StoreBackend& backend) noexcept : _backend(backend) {}

    /// The merge state stored as `stored`. Throws Error(InternalError) if the bytes are corrupt
    /// or a write they name is missing from the log (a damaged replica).
    FieldState state(std::span<const std::uint8_t> stored);
    /// The canonical bytes of the state stored as `stored` (what checksums and dumps use).
    std::vector<std::uint8_t> canonical(std::span<const std::uint8_t> stored);

private:
    Write writeAt(const WriteRef& ref);

    StoreBackend& _backend;
};

}  // namespace verdant::sync
