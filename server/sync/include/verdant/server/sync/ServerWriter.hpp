#pragma once

#include "verdant/shared/Change.hpp"
#include "verdant/shared/HlcClock.hpp"
#include "verdant/shared/Id.hpp"
#include "verdant/shared/Value.hpp"
#include "verdant/sync/Store.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace verdant::server {

/// One field write the server makes itself (a review decision, a score snapshot, a due date).
struct ServerWrite {
    std::string collection;                                ///< e.g. "audits".
    shared::RecordId recordId;                             ///< The record written.
    std::string field;                                     ///< The field written.
    shared::Operation operation = shared::Operation::Set;  ///< Set, Add, Reopen…
    shared::Value value;                                   ///< What is written.
};

/// Writes changes under the server's own device id, as ordinary changes that sync to every
/// device holding the record: conflict resolutions, review decisions, score snapshots, due dates.
///
/// Each write's base is the field's current version (so a write over an open conflict resolves
/// it), its HLC is taken after that version, and the device sequence continues the server
/// device's. Call it under the tenant's store lock (TenantStores::with); not thread-safe itself.
class ServerWriter {
public:
    /// `hlc` must outlive the writer.
    ServerWriter(shared::HlcClock& hlc, shared::DeviceId device);

    /// Applies `writes` to `store` in one batch, authored by `author` (the user id of the HQ
    /// reviewer who asked, or "server" for the server's own bookkeeping), without any gate: the
    /// caller has checked the permission. Returns the log position of each write. Throws
    /// shared::Error with the store's code when the store refuses a write (a server bug or a
    /// write the schema forbids, such as a second write of an immutable field).
    std::vector<std::uint64_t> apply(sync::Store& store, const std::string& author,
                                     const std::vector<ServerWrite>& writes);

    /// The changes apply() would make, dated, numbered and checked (it throws as apply() does
    /// for a write the store would refuse), without applying them: for a Store::FollowUp, which
    /// applies them in the transaction of the batch they follow from.
    std::vector<shared::Change> prepare(const sync::Store& store, const std::string& author,
                                        const std::vector<ServerWrite>& writes);

    /// The server's device id.
    const shared::DeviceId& device() const noexcept { return _device; }

private:
    shared::HlcClock& _hlc;
    shared::DeviceId _device;
};

}  // namespace verdant::server
