#pragma once

// The persistence of one replica, behind one interface: what the sync engine (Store: merge,
// gates, exactly-once, checksums, quarantine rules) reads and writes, in rows, never in SQL.
// SqliteBackend (the embedded default, sync/src/sqlite/) implements it; a server database
// (PostgreSQL) implements the same rows without touching the engine, the gates or the SDK.
//
// Rows use replica-local numbers (`*Ref`) for devices, names and records, so the log does not
// repeat them; field states are stored in their stored form (StoredState.hpp: writes named by
// their log rows). Everything that leaves a replica is canonical and rebuilt by the engine.
//
// A backend is used by one thread at a time (a server opens one per connection it needs).
// Every method throws shared::Error: StorageUnavailable for busy, locked, full or I/O failures,
// InternalError for anything else; a write is only durable once commit() returned.

#include "verdant/shared/Change.hpp"
#include "verdant/sync/Store.hpp"

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace verdant::sync {

/// A record's row.
struct RecordRow {
    std::int64_t ref = 0;                 ///< The replica-local number of the record.
    bool deleted = false;                 ///< Whether its tombstone state says deleted.
    std::vector<std::uint8_t> tombstone;  ///< Canonical RecordState bytes.
    std::optional<std::string> scopeKey;  ///< Its scope, once known.
    std::int64_t scopeSeq = 0;            ///< Log position at which it joined that scope.
};

/// A change as the log keeps it.
struct ChangeRow {
    std::int64_t deviceRef = 0;                      ///< devices row of its device.
    std::uint64_t deviceSeq = 0;                     ///< Its device sequence.
    std::int64_t recordRef = 0;                      ///< records row of its record.
    std::string_view field;                          ///< Field name ("" for Delete/Restore).
    shared::Operation operation{};                   ///< What it does.
    std::span<const std::uint8_t> value;             ///< Canonical value bytes.
    shared::Hlc hlc;                                 ///< Its HLC.
    std::optional<shared::Hlc> base;                 ///< The version it was written on, if any.
    std::int64_t authorRef = 0;                      ///< names row of its author.
    ChangeOutcome outcome = ChangeOutcome::Applied;  ///< Its outcome so far.
};

/// A field's row.
struct FieldRow {
    std::string_view field;               ///< Field name.
    std::span<const std::uint8_t> state;  ///< Stored-form merge state.
    bool inConflict = false;              ///< Whether it holds an open conflict.
};

/// One stored row of replicated state, as a pass over the whole replica yields it: a record's
/// tombstone (no field), or one of its fields. Views are valid during the callback only.
struct StateRow {
    std::int64_t recordRef = 0;                ///< The record's number.
    std::string_view collection;               ///< Its collection.
    shared::RecordId id;                       ///< Its id.
    bool deleted = false;                      ///< Whether it is deleted.
    std::span<const std::uint8_t> tombstone;   ///< Canonical RecordState bytes.
    std::optional<std::string_view> scopeKey;  ///< Its scope, once known.
    std::optional<FieldRow> field;             ///< The field, or none for the record row.
};

/// What a replica received before under one (device, sequence).
struct ReceivedBefore {
    std::optional<shared::ErrorCode> refusal;  ///< Set when it was refused and quarantined.
    std::string message;                       ///< The refusal's message.
};

/// One kept scope sum (see StoreDigest.hpp): the sum's bytes and the scope's feed end.
struct ScopeSumRow {
    std::vector<std::uint8_t> sum;  ///< 32 bytes, or empty for none.
    std::uint64_t lastSeq = 0;      ///< Highest log position of the scope's feed.
};

/// The persistence of one replica (see the file comment).
class StoreBackend {
public:
    virtual ~StoreBackend() = default;

    // --- Transactions ---------------------------------------------------------------------------
    /// Begins a write transaction, waiting for the write lock up front.
    virtual void beginWrite() = 0;
    /// Commits the write transaction.
    virtual void commit() = 0;
    /// Rolls the write transaction back. Never throws.
    virtual void rollback() noexcept = 0;
    /// Begins a read transaction pinned to the state committed now.
    virtual void beginRead() = 0;
    /// Ends the read transaction. Never throws.
    virtual void endRead() noexcept = 0;
    /// Holds (true) or releases (false, then folds the journal back) background checkpoints,
    /// for a long run of writes. A backend without them does nothing.
    virtual void holdCheckpoints(bool held) = 0;
    /// The version of the stored layout.
    virtual int schemaVersion() = 0;

    // --- Devices and names ----------------------------------------------------------------------
    /// The number of a device, if the replica has seen it.
    virtual std::optional<std::int64_t> findDevice(const shared::DeviceId& device) = 0;
    /// Adds a device; returns its number.
    virtual std::int64_t addDevice(const shared::DeviceId& device) = 0;
    /// Raises a device's high-water mark to at least `mark`.
    virtual void raiseHighWater(std::int64_t deviceRef, std::uint64_t mark) = 0;
    /// A device's high-water mark (0 for a device never seen).
    virtual std::uint64_t highWater(const shared::DeviceId& device) = 0;
    /// The number of a name (an author), if kept.
    virtual std::optional<std::int64_t> findName(std::string_view name) = 0;
    /// Keeps a name; returns its number.
    virtual std::int64_t addName(std::string_view name) = 0;

    // --- Records
    // ----------------------------------------------------------------------------------
    /// The row of a record, if held.
    virtual std::optional<RecordRow> findRecord(std::string_view collection,
                                                const shared::RecordId& id) = 0;
    /// Adds a record (not deleted, scope_seq 0); returns its number.
    virtual std::int64_t addRecord(std::string_view collection, const shared::RecordId& id,
                                   std::span<const std::uint8_t> tombstone,
                                   const std::optional<std::string>& scopeKey) = 0;
    /// Rewrites a record's tombstone and scope.
    virtual void updateRecord(const RecordRow& row) = 0;
    /// The ids of a collection's records in id order, tombstoned ones only if asked.
    virtual std::vector<shared::RecordId> recordIds(std::string_view collection,
                                                    bool includeDeleted) = 0;
    /// The records of one scope, by collection and id.
    virtual std::vector<RecordRef> recordsInScope(const std::string& scopeKey) = 0;
    /// Per scope, how many live records of `collection` it holds (through the scope index).
    virtual std::map<std::string, std::size_t> recordsPerScope(std::string_view collection) = 0;

    // --- Fields
    // -----------------------------------------------------------------------------------
    /// The stored state of one field, if it has a row.
    virtual std::optional<std::vector<std::uint8_t>> fieldState(std::int64_t recordRef,
                                                                std::string_view field) = 0;
    /// Writes a field's row (insert when `exists` is false, else update).
    virtual void putField(std::int64_t recordRef, const FieldRow& row, bool exists) = 0;
    /// Calls `visit` for each field row of a record, in field-name order.
    virtual void forEachField(std::int64_t recordRef,
                              const std::function<void(const FieldRow&)>& visit) = 0;
    /// Calls `visit(id, row)` for the given field of every live record of a collection, in id
    /// order.
    virtual void forEachFieldOf(
        std::string_view collection, std::string_view field,
        const std::function<void(const shared::RecordId&, const FieldRow&)>& visit) = 0;
    /// Calls `visit` for every field row in conflict, ordered by collection, id and field.
    virtual void forEachConflict(const std::function<void(const StateRow&)>& visit) = 0;
    /// Calls `visit` for every stored row (each record, then each of its fields), ordered by
    /// collection, id and field.
    virtual void forEachStateRow(const std::function<void(const StateRow&)>& visit) = 0;
    /// As forEachStateRow, for one record.
    virtual void forEachStateRowOf(std::int64_t recordRef,
                                   const std::function<void(const StateRow&)>& visit) = 0;

    // --- The log
    // ----------------------------------------------------------------------------------
    /// Logs a change; returns its log position, or nullopt if (device, sequence) is logged
    /// already (then nothing is written).
    virtual std::optional<std::uint64_t> appendChange(const ChangeRow& row) = 0;
    /// Sets the outcome of the change at a log position.
    virtual void setOutcome(std::uint64_t serverSeq, ChangeOutcome outcome) = 0;
    /// Sets the outcome of the change logged under (device, sequence), if any.
    virtual void setOutcomeOf(const shared::DeviceId& device, std::uint64_t deviceSeq,
                              ChangeOutcome outcome) = 0;
    /// Whether (device, sequence) was quarantined (first) or logged before.
    virtual std::optional<ReceivedBefore> receivedBefore(const shared::DeviceId& device,
                                                         std::uint64_t deviceSeq) = 0;
    /// The outcome (device, sequence) was logged with, if logged.
    virtual std::optional<ChangeOutcome> loggedOutcome(const shared::DeviceId& device,
                                                       std::uint64_t deviceSeq) = 0;
    /// The write logged under (device number, sequence): its key, author and value.
    virtual std::optional<Write> loggedWrite(std::int64_t deviceRef, std::uint64_t deviceSeq) = 0;
    /// The highest log position (0 for an empty log).
    virtual std::uint64_t lastServerSeq() = 0;
    /// Changes after `after`, in log order, at most `limit`.
    virtual std::vector<LoggedChange> changesSince(std::uint64_t after, std::size_t limit) = 0;
    /// A scoped page: the changes after `after` of the scopes' records, and the earlier changes
    /// of records that joined a scope after it (at the join's position), ordered by position,
    /// at most `limit` (a late joiner's group is never cut). See Store::changesSince.
    virtual std::vector<LoggedChange> scopedChanges(std::uint64_t after, std::size_t limit,
                                                    const std::vector<std::string>& scopeKeys) = 0;
    /// A field's changes ordered by (HLC, device, sequence).
    virtual std::vector<LoggedChange> fieldHistory(std::int64_t recordRef,
                                                   std::string_view field) = 0;
    /// A record's changes in log order.
    virtual std::vector<LoggedChange> recordChanges(std::int64_t recordRef) = 0;
    /// One device's changes after a sequence, by sequence, at most `limit`.
    virtual std::vector<LoggedChange> deviceChanges(std::int64_t deviceRef, std::uint64_t afterSeq,
                                                    std::size_t limit) = 0;

    // --- Removal
    // ----------------------------------------------------------------------------------
    /// Removes every record of a scope with its fields and changes; returns how many records.
    /// Later changes still get log positions above every earlier one.
    virtual std::size_t purgeScope(const std::string& scopeKey) = 0;
    /// Removes records with their fields and changes (positions kept as by purgeScope()).
    virtual void removeRecords(std::span<const std::int64_t> recordRefs) = 0;

    // --- Quarantine
    // -------------------------------------------------------------------------------
    /// Keeps a refused change (first refusal wins).
    virtual void addQuarantined(const QuarantinedChange& entry) = 0;
    /// Every quarantine entry, by device and sequence.
    virtual std::vector<QuarantinedChange> quarantine() = 0;
    /// One entry, if kept.
    virtual std::optional<QuarantinedChange> quarantined(const shared::DeviceId& device,
                                                         std::uint64_t deviceSeq) = 0;
    /// Entries after a position (of one device only, if given), at most `limit`.
    virtual std::vector<QuarantinedChange> quarantinePage(
        const QuarantinePosition& after, std::size_t limit,
        const std::optional<shared::DeviceId>& device) = 0;
    /// Records a decision on an undecided entry.
    virtual void decideQuarantined(const shared::DeviceId& device, std::uint64_t deviceSeq,
                                   QuarantineDecision decision, const std::string& decidedBy,
                                   std::int64_t decidedAtMs) = 0;

    // --- Scope sums
    // -------------------------------------------------------------------------------
    /// A kept scope sum (empty sum, position 0 when none).
    virtual ScopeSumRow scopeSum(std::string_view scopeKey) = 0;
    /// Writes a scope sum.
    virtual void putScopeSum(std::string_view scopeKey, std::span<const std::uint8_t> sum,
                             std::uint64_t lastSeq) = 0;
    /// Removes a scope sum.
    virtual void removeScopeSum(std::string_view scopeKey) = 0;
    /// Every kept sum, by scope key.
    virtual std::map<std::string, std::vector<std::uint8_t>> scopeSums() = 0;
    /// Removes every kept sum.
    virtual void clearScopeSums() = 0;
    /// Per scope key ("" for unscoped records, "*" for the whole store), the highest position of
    /// its feed, from the rows.
    virtual std::map<std::string, std::uint64_t> feedEnds() = 0;
};

/// The embedded default backend: the SQLite database at `path` (":memory:" for a private one),
/// created if needed and brought up to the latest layout; `schema` (finalized) is what layout
/// steps that fill data read; `options` gives its SQLite knobs (cache, memory map, durability,
/// readOnly, onOpen). Throws as Store's constructor documents.
std::unique_ptr<StoreBackend> openSqliteBackend(const std::string& path,
                                                const shared::Schema& schema,
                                                const StoreOptions& options);

}  // namespace verdant::sync
