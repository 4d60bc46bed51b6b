#pragma once

#include "verdant/shared/Change.hpp"
#include "verdant/shared/ErrorCode.hpp"
#include "verdant/shared/HlcClock.hpp"
#include "verdant/shared/Schema.hpp"
#include "verdant/sync/Conflict.hpp"
#include "verdant/sync/FieldState.hpp"

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

struct sqlite3;  // from <sqlite3.h>; only StoreOptions::onOpen hands it out

namespace verdant::sync {

class StoreBackend;

/// What happened to one change of a batch.
enum class ChangeOutcome : std::uint8_t {
    Applied = 0,         ///< Merged and logged (it may have lost a tie-break; see history).
    Duplicate = 1,       ///< Already applied before (same device and sequence): nothing done.
    ConflictRaised = 2,  ///< Merged and logged; the field now has an open conflict including it.
    Refused = 3,         ///< Not merged; `error` says why (validation, immutable, clock skew).
};

/// The lower-case name of an outcome, e.g. "conflict_raised".
std::string_view wireName(ChangeOutcome outcome) noexcept;

/// The result of one change of a batch, in batch order.
struct ChangeResult {
    ChangeOutcome outcome = ChangeOutcome::Applied;  ///< What happened.
    std::optional<shared::ErrorCode> error;          ///< Why it was refused.
    std::string message;                             ///< Human-readable reason when refused.
    std::optional<std::uint64_t> serverSeq;          ///< Log position when logged by this call.
};

/// The result of applying a batch.
struct ApplyResult {
    std::vector<ChangeResult> results;  ///< One per change, in batch order.

    /// How many results have `outcome`.
    std::size_t count(ChangeOutcome outcome) const noexcept;
};

/// The materialized value of one field of a record.
struct FieldValue {
    shared::Value value;                 ///< Visible value (null for sets; see `elements`).
    std::vector<std::string> elements;   ///< Add-wins set: the elements present, ascending.
    std::optional<shared::Hlc> version;  ///< The field version a writer sends as its base.
    std::optional<Write> writtenBy;      ///< The write that supplied `value` (not for sets).
    bool inConflict = false;             ///< Whether an open conflict exists on the field.
};

/// A materialized record.
struct Record {
    std::string collection;                    ///< Its collection.
    shared::RecordId id;                       ///< Its id.
    bool deleted = false;                      ///< Tombstoned (fields are still kept).
    std::map<std::string, FieldValue> fields;  ///< Every field ever written, by name.
};

/// One change as kept in the log, with its position.
struct LoggedChange {
    std::uint64_t serverSeq = 0;                     ///< Position in this store's log.
    shared::Change change;                           ///< The change as received.
    ChangeOutcome outcome = ChangeOutcome::Applied;  ///< Outcome when it arrived (or Refused
                                                     ///< if later displaced on an immutable
                                                     ///< field).
};

/// Names a record: its collection and id.
struct RecordRef {
    std::string collection;  ///< Its collection.
    shared::RecordId id;     ///< Its id.

    /// Field-by-field equality.
    friend bool operator==(const RecordRef&, const RecordRef&) = default;
};

/// What HQ decided about a quarantined change.
enum class QuarantineDecision : std::uint8_t {
    Accepted,   ///< Applied on HQ's authority.
    Discarded,  ///< Dropped on purpose; kept in the quarantine as a record of it.
};

/// The lower-case name of a decision: "accepted" or "discarded".
std::string_view wireName(QuarantineDecision decision) noexcept;

/// A quarantined change's value is kept whole up to this many bytes of text (string or JSON);
/// a longer one is kept as its first bytes (cut at a UTF-8 boundary) plus its size and digest.
inline constexpr std::size_t kQuarantinedValueBytes = 4096;

/// A quarantined change's collection, field and author are kept up to this many bytes each.
inline constexpr std::size_t kQuarantinedNameBytes = 256;

/// A refused change kept with its reason, and HQ's decision once made.
///
/// Refused changes are remembered, not stored whole: a value longer than
/// kQuarantinedValueBytes, or a name longer than kQuarantinedNameBytes, is cut (`truncated`),
/// and the size and SHA-256 of the full value are kept. The device still holds the change whole.
struct QuarantinedChange {
    shared::Change change;   ///< The change as received (cut when `truncated`; a JSON value cut
                             ///< is kept as a string of its text).
    bool truncated = false;  ///< Whether `change` lost bytes when it was stored (see above).
    std::uint64_t valueBytes = 0;  ///< When truncated: the full value's size in bytes.
    std::string valueSha256;       ///< When truncated: SHA-256 (lower-case hex) of the full value.
    shared::ErrorCode code = shared::ErrorCode::InternalError;  ///< Why it was refused.
    std::string message;                                        ///< Human-readable reason.
    std::optional<QuarantineDecision> decision;                 ///< None while it waits for HQ.
    std::string decidedBy;         ///< The user who decided (empty while none).
    std::int64_t decidedAtMs = 0;  ///< When (ms since the epoch; 0 while none).
};

/// A position in the quarantine's order (device, then sequence): a page starts after it.
struct QuarantinePosition {
    shared::DeviceId device;      ///< The nil id (with deviceSeq 0) starts before every entry.
    std::uint64_t deviceSeq = 0;  ///< The sequence within `device`.
};

/// Where a test can make the store fail; see StoreOptions::faultInjector.
enum class FaultPoint : std::uint8_t {
    BeforeChange,     ///< Before change `index` of a batch is processed.
    BeforeWriteBack,  ///< After every change was logged, before materialized state is written.
    BeforeCommit,     ///< After everything was written, before COMMIT.
};

/// Decides, inside apply's transaction, whether a valid change may be applied (the server's
/// permission check). `scopeKey` is the scope the change's record belongs to (from the store, from
/// an earlier change of the same batch, or derived from the change itself with
/// Schema::scopeKeyOf), or nullopt if not yet known. Return a ValidationError to refuse: the
/// change is then quarantined with that code and message and the device's high-water mark
/// advances (it will not be resent), outcome Refused; return nullopt to let it through.
///
/// A server gate should refuse changes whose scope is not known (nullopt: a Parent-scoped record
/// written before its parent field, or whose parent-field change was itself refused), or such a
/// record escapes its scope's check. A Set of a Parent-scoped collection's parent field on a
/// record already in a scope gets the
/// record's current scope, not the one the change names; a gate that must stop records from
/// moving between scopes compares `scopeKey` with `schema.scopeKeyOf(change)`. The gate must not
/// use the Store it is called from (the transaction is open on it).
using ChangeGate = std::function<std::optional<shared::ValidationError>(
    const shared::Change& change, const std::optional<std::string>& scopeKey)>;

/// How a Store is opened.
struct StoreOptions {
    /// The replica's HLC clock (not owned; must outlive the store). When set, changes dated
    /// further ahead than its drift bound are refused with ErrorCode::ClockSkew, and the clock
    /// receives the HLC of every change applied (after commit), so local changes stamped later
    /// sort after everything this replica has seen. When null, neither happens.
    shared::HlcClock* clock = nullptr;
    /// Durable commits (PRAGMA synchronous=FULL): an acknowledged batch survives power loss,
    /// which exactly-once needs on the server. false = NORMAL (survives crashes, not power loss).
    bool durable = true;
    /// SQLite page cache size per connection, KiB.
    int cacheKiB = 64 * 1024;
    /// Bytes of the database file SQLite may memory-map for reads (0 disables mmap).
    std::int64_t mmapBytes = 256LL * 1024 * 1024;
    /// WAL pages after which a commit checkpoints the WAL into the database file.
    int walAutocheckpointPages = 4000;
    /// Milliseconds a writer waits for another connection's write lock before failing with
    /// ErrorCode::StorageUnavailable.
    int busyTimeoutMs = 5000;
    /// Fault-injection seam for tests: called at each FaultPoint of apply(); if it throws, the
    /// batch is rolled back and the exception propagates. Leave empty in production.
    std::function<void(FaultPoint point, std::size_t index)> faultInjector;
    /// Called once with the new connection (borrowed: valid only during the call, closed by the
    /// store), right after it is opened and its busy timeout set, before any statement runs:
    /// before the page size, WAL and other pragmas and before migrations. It may run statements
    /// on it. This is the seam where a build linked against an encrypting SQLite runs
    /// `PRAGMA key` (which must precede every other access to the file). Whatever it throws
    /// propagates from the Store constructor, with the connection closed. Empty by default.
    std::function<void(sqlite3* connection)> onOpen;
    /// A connection for reads only: after opening (and migrating, which a writer normally did
    /// first) it sets PRAGMA query_only, so anything that tries to write through it throws
    /// shared::Error instead of taking the file's write lock behind the writer's back.
    bool readOnly = false;
};

/// The SQLite store both the server and the device SDK run: the append-only change log with
/// server sequence numbers (pull cursors), the materialized records (visible value, version and
/// merge state of every field), per-device high-water marks, open conflicts and the quarantine.
///
/// Applying a batch is one `BEGIN IMMEDIATE` transaction: all of it or none. A change already
/// applied (same device and device sequence) is a no-op, so a batch can be resent safely.
/// Merging uses only the pure functions of Merge.hpp, so every replica that applied the same set
/// of changes, in any order, batching or duplication, has the same canonicalDump().
///
/// Ownership: owns its SQLite connection and a copy of the schema. Thread-safety: none; use one
/// Store per thread (several Stores may open the same file; SQLite's WAL and locks serialise
/// writers). Errors: SQLite failures throw shared::Error (StorageUnavailable when transient);
/// invalid changes are results, not exceptions.
class Store {
public:
    /// Opens (creating if needed) the store at `path` (":memory:" for a private in-memory store),
    /// enables WAL, and migrates its schema to the latest version. Throws shared::Error
    /// (UnsupportedStoreVersion for a database from a newer build, StorageUnavailable if it
    /// cannot be opened).
    Store(const std::string& path, shared::Schema schema, StoreOptions options = {});
    /// A store over `backend` (see StoreBackend.hpp), e.g. a server database's; the backend's
    /// layout is already current. `options` gives the engine's clock and fault injector.
    Store(std::unique_ptr<StoreBackend> backend, shared::Schema schema, StoreOptions options = {});
    /// Closes the connection (finalising cached statements); committed data stays on disk.
    ~Store();
    /// Moves the connection; the moved-from store may only be destroyed or assigned to.
    Store(Store&&) noexcept;
    /// Closes this store's connection and takes over `other`'s.
    Store& operator=(Store&&) noexcept;
    /// Not copyable: a store owns its connection.
    Store(const Store&) = delete;
    /// Not copyable.
    Store& operator=(const Store&) = delete;

    /// Applies a batch in one transaction and returns one result per change. Invalid changes are
    /// refused and quarantined; clock-skewed ones are refused only (the device re-stamps and
    /// resends them). Throws shared::Error on storage failure, or whatever the fault injector
    /// throws; then nothing of the batch remains.
    ApplyResult apply(std::span<const shared::Change> batch);

    /// As apply(batch), for a replica that judges what it receives (the server): a change whose
    /// (device, sequence) was received before, logged or quarantined, is Duplicate, checked
    /// before schema validation, the clock-skew check and the gate, so a change refused once
    /// stays refused when it is sent again (its result then carries the refusal's code). Then
    /// `gate` is asked about each change that passed schema validation and the clock-skew check,
    /// in batch order, before anything of it is merged or logged. A refused change is
    /// quarantined, not logged, and leaves no record behind; the batch stays all-or-nothing. An
    /// empty gate admits all and counts only logged changes as received, as apply(batch) does (a
    /// device re-validates a pulled change it refused before: a newer schema may accept it).
    /// Whatever the gate throws propagates after the batch is rolled back.
    ApplyResult apply(std::span<const shared::Change> batch, const ChangeGate& gate);

    /// What a replica derives from a batch it just applied (a score snapshot of an audit the
    /// batch submitted): called inside apply's transaction, after the batch is merged, with the
    /// store (read it freely; do not apply); the changes it returns are applied in the same
    /// transaction, ungated, so the batch and what follows from it commit together or not at all.
    using FollowUp = std::function<std::vector<shared::Change>(const Store& store)>;

    /// As apply(batch, gate), then `followUp`'s changes in the same transaction. The result lists
    /// the batch's changes only; a follow-up change that is refused throws (after rollback):
    /// follow-ups are the replica's own, and must be valid.
    ApplyResult apply(std::span<const shared::Change> batch, const ChangeGate& gate,
                      const FollowUp& followUp);

    /// The record, or nullopt if no change for it was ever applied.
    std::optional<Record> record(std::string_view collection, const shared::RecordId& id) const;

    /// The version of one field (what a writer sends as base), or nullopt if never written.
    std::optional<shared::Hlc> fieldVersion(std::string_view collection, const shared::RecordId& id,
                                            std::string_view field) const;

    /// Every open conflict, ordered by collection, record and field.
    std::vector<Conflict> openConflicts() const;

    /// The full history of one field (who, when, device, HLC, base, outcome) in HLC order.
    std::vector<LoggedChange> fieldHistory(std::string_view collection, const shared::RecordId& id,
                                           std::string_view field) const;

    /// Up to `limit` logged changes with serverSeq > `after`, in serverSeq order (a pull page).
    std::vector<LoggedChange> changesSince(std::uint64_t after, std::size_t limit) const;

    /// Up to `limit` logged changes of the records in any of `scopeKeys` (a scoped pull page),
    /// ordered by their position in the scopes' feed, which is what `serverSeq` holds in this
    /// result: the change's log position, or, for a change logged before its record joined the
    /// scope (fields written before the parent field arrived), the log position of the change
    /// that made it join. Positions only grow, so a caller pages with `after` = the last
    /// serverSeq received; a group of changes sharing one position is never split across pages
    /// (a page may then exceed `limit` by the rest of that group). Without late joiners the
    /// positions are exactly the log positions.
    ///
    /// A device that newly gains a scope gets it as a snapshot by paging from `after` = 0: merges
    /// are idempotent, commutative and associative, so replaying a scope's log rebuilds its state
    /// (changes it already holds are duplicates). Cost: index lookups per scope key (scope ->
    /// records -> their changes after `after`), then a sort of the matching changes; never a scan
    /// of the whole log. Duplicate keys are ignored; an empty list gives an empty page.
    std::vector<LoggedChange> changesSince(std::uint64_t after, std::size_t limit,
                                           const std::vector<std::string>& scopeKeys) const;

    /// Up to `limit` logged changes made by `device` with deviceSeq > `afterSeq`, in deviceSeq
    /// order; empty for a device this store never logged a change of. A device reads its outbox
    /// with this (its own changes after the highest sequence the server acknowledged). Changes
    /// refused before being logged (invalid, refused by a gate, clock-skewed) are not included;
    /// a logged second write of an immutable field (outcome Refused) is. Cost: one range of the
    /// (device, sequence) index.
    std::vector<LoggedChange> deviceChanges(const shared::DeviceId& device, std::uint64_t afterSeq,
                                            std::size_t limit) const;

    /// Rewrites the logged changes of `device` with deviceSeq > `afterSeq`, in one transaction
    /// (all of it or nothing). `rewrite` is called once per such change, in deviceSeq order, and
    /// returns: nullopt to remove the change from this replica; the change unchanged to leave it
    /// as is; or a replacement, which must keep the change's deviceId and deviceSeq and may differ
    /// in anything else (HLC, base version, value, even record). A replacement that changes
    /// deviceId or deviceSeq throws shared::Error(ErrorCode::InvalidChange); one that fails
    /// schema validation throws shared::Error with the validation's code. Either way, and when
    /// `rewrite` throws (the exception propagates), nothing changes. `rewrite` must not use this
    /// Store (the transaction is open on it).
    ///
    /// Every record that had a change replaced or removed (and the record a replacement moves a
    /// change to) is then rebuilt from its remaining logged changes, of all devices, replacements
    /// substituted, merged in their original log order through the same path as apply(): field
    /// states, conflicts, tombstones, refusals of a second immutable write (quarantined again if
    /// refused, which is idempotent) and scope keys. The result is the state of a store that
    /// applied the resulting set of changes, so canonicalDump() equals that of a fresh store given
    /// them (a logged change the current schema no longer accepts is quarantined, as apply() would
    /// do). Unlike apply(), no clock-skew check is made (the changes are already this replica's)
    /// and the fault injector is not called; the clock, if any, receives the newest HLC merged,
    /// as after apply(). Removed changes leave the log (not the quarantine); the device's
    /// high-water mark stays, so its sequence numbers are never reused.
    ///
    /// Meant for a device replica, whose log positions are nobody's pull cursor: the rebuilt
    /// records' changes are logged again at new, higher serverSeq positions (the highest position
    /// never goes down; a placeholder keeps it as purgeScope() does). Never run it on a server
    /// store that devices pull from. Uses: re-stamping unsent changes with a corrected clock after
    /// the server refused them as clock-skewed (so they stop winning tie-breaks; their base
    /// versions are remapped by the caller), and removing from the local view a change the
    /// server refused and quarantined. Returns the number of changes replaced or removed. Throws
    /// shared::Error on storage failure (then nothing changes).
    std::size_t rewriteDeviceChanges(
        const shared::DeviceId& device, std::uint64_t afterSeq,
        const std::function<std::optional<shared::Change>(const shared::Change&)>& rewrite);

    /// The ids of the records of `collection`, ascending, without tombstoned ones unless
    /// `includeDeleted`; empty for an unknown collection. Cost: one range of the
    /// (collection, id) index.
    std::vector<shared::RecordId> recordIds(std::string_view collection,
                                            bool includeDeleted = false) const;

    /// Every record whose scope key is `scopeKey` (see scopeOf()), tombstoned ones included,
    /// ordered by collection, then id: for an Own-scoped collection the record
    /// "<collection>/<id>" itself, and the records of Parent-scoped collections that name it.
    /// Records whose scope is not known yet are in no scope. Empty for an unknown scope.
    std::vector<RecordRef> recordsInScope(const std::string& scopeKey) const;

    /// The scope key of a record ("<collection>/<uuid>", see shared::ScopeRule), or nullopt if the
    /// record is unknown or its scope is not known yet (a Parent-scoped record whose parent field
    /// has not arrived).
    std::optional<std::string> scopeOf(std::string_view collection,
                                       const shared::RecordId& id) const;

    /// The checksum of the records of `scopeKey` (64 lower-case hex digits): the sum of a
    /// SHA-256 digest per stored row of replicated state (each record's tombstone, each field's
    /// merge state), so equal on converged replicas that hold the scope, whatever other scopes
    /// they hold. Kept up to date by every write, in its transaction: one lookup, whatever the
    /// scope's size. An empty or unknown scope has 64 zeros.
    std::string scopeChecksum(const std::string& scopeKey) const;

    /// The highest position of `scopeKey`'s feed (see changesSince() with scope keys): a
    /// cursor at or beyond it has nothing to pull. 0 for an empty or unknown scope. One lookup.
    std::uint64_t scopeFeedEnd(const std::string& scopeKey) const;

    /// The checksums recomputed from the stored rows, keyed by scope, with "" for the records
    /// whose scope is not known yet and "*" for the whole store (what checksum() is): a test
    /// oracle and a repair's check. Cost: reads every record and field.
    std::map<std::string, std::string> recomputedChecksums() const;

    /// The scopes whose kept checksum differs from one recomputed from their rows: a replica
    /// damaged under the store (rows edited or lost). Cost: reads every record and field.
    std::vector<std::string> damagedScopes() const;

    /// Recomputes every kept checksum from the stored rows, in one transaction.
    void rebuildChecksums();

    /// The records of `collection` that are not deleted and whose visible value of `field`
    /// equals `value` (for a string-set field: whose visible elements contain `value`, a
    /// string), ordered by record id. Reads every stored row of that field in the collection
    /// (one index range, decoding each value): fine for thousands of records, not meant for a
    /// hot path over millions. A record that never wrote the field matches nothing, not even a
    /// null `value`.
    std::vector<shared::RecordId> findRecords(std::string_view collection, std::string_view field,
                                              const shared::Value& value) const;

    /// Removes every record of `scopeKey` from this replica in one transaction: its materialized
    /// state, field states and conflicts, and its logged changes. Quarantine rows and high-water
    /// marks stay. Returns the number of records removed. Used by a device whose scope was taken
    /// away (its unsynced local edits must be pushed first: they are removed too). Pulling the
    /// scope again from 0 rebuilds an identical state. The log's highest server sequence is kept
    /// (by a placeholder row no query returns), so local sequence numbers are never reused.
    std::size_t purgeScope(const std::string& scopeKey);

    /// The highest server sequence assigned (0 for an empty log).
    std::uint64_t lastServerSeq() const;

    /// The highest device sequence applied (or quarantined) from `device`; 0 if none.
    std::uint64_t highWaterMark(const shared::DeviceId& device) const;

    /// Every quarantined change, decided or not, ordered by device and sequence.
    std::vector<QuarantinedChange> quarantine() const;

    /// Up to `limit` quarantined changes after `after`, in the order of quarantine(); only those
    /// of `device` when given (then `after.device` must be that device or nil). Cost: one range
    /// of the quarantine's primary key, so it follows the page, not the quarantine's size.
    std::vector<QuarantinedChange> quarantinePage(
        const QuarantinePosition& after, std::size_t limit,
        const std::optional<shared::DeviceId>& device = std::nullopt) const;

    /// The quarantined change `deviceSeq` of `device`, or nullopt.
    std::optional<QuarantinedChange> quarantined(const shared::DeviceId& device,
                                                 std::uint64_t deviceSeq) const;

    /// Records HQ's decision on a quarantined change (the caller applies an accepted change
    /// itself, in its own batch). Throws Error(NotFound) when there is no such entry and
    /// Error(InvalidTransition) when it was decided already.
    void decideQuarantined(const shared::DeviceId& device, std::uint64_t deviceSeq,
                           QuarantineDecision decision, const std::string& decidedBy,
                           std::int64_t decidedAtMs);

    /// As decideQuarantined(), and in the same transaction applies `writes` (ungated: the
    /// changes that carry out an accepted decision, numbered under the caller's own device),
    /// then `followUp`'s changes, as apply() does. The decision is recorded if and only if they
    /// are applied, so an accepted change is applied exactly once, also when two deciders race
    /// or the process dies half-way. Returns the results of `writes`. Throws as
    /// decideQuarantined(); Error(ValueTooLarge) when accepting an entry that was `truncated`
    /// (the server holds only part of it; the device still has it whole); and Error with the
    /// store's code when a write is refused. Whenever it throws, nothing changes.
    ApplyResult decideQuarantined(const shared::DeviceId& device, std::uint64_t deviceSeq,
                                  QuarantineDecision decision, const std::string& decidedBy,
                                  std::int64_t decidedAtMs, std::span<const shared::Change> writes,
                                  const FollowUp& followUp = {});

    /// A canonical, human-readable dump of the replicated state (records, tombstones, every
    /// field's value, version and merge state, conflicts); byte-identical on converged replicas.
    /// Excludes replica-local data: server sequences, high-water marks, quarantine.
    std::string canonicalDump() const;

    /// The checksum of every record of the store, as scopeChecksum() is of one scope's.
    std::string checksum() const;

    /// While held, commits do not checkpoint the WAL (a bulk load, such as a device's pull, then
    /// writes each page of the database once instead of at every automatic checkpoint); released,
    /// automatic checkpoints resume and one checkpoint runs now, truncating the WAL file.
    void holdCheckpoints(bool held);

    /// The schema version (PRAGMA user_version) of the open database.
    int schemaVersion() const;

    /// The schema version this build creates and migrates to.
    static int latestSchemaVersion() noexcept;

    /// The names of the migration steps in order (step i brings the database to version i+1).
    static std::vector<std::string_view> migrationNames();

    /// The schema this store validates against.
    const shared::Schema& schema() const noexcept;

    /// One read transaction on a store: every read made through the store while it lives sees
    /// the same committed state (in WAL mode, the state as of its start), whatever other
    /// connections commit meanwhile, and never waits for them. Without it each read is its own
    /// transaction, and a request that reads twice may see two states. Ends (nothing to commit)
    /// on destruction. Do not write through the store, or nest snapshots, while one is open.
    /// Not thread-safe (as the store). Throws shared::Error if the transaction cannot begin.
    class ReadSnapshot {
    public:
        /// Begins a read transaction on `store`, which must outlive the snapshot.
        explicit ReadSnapshot(const Store& store);
        /// Ends the read transaction.
        ~ReadSnapshot();
        /// Not copyable: it ends one transaction.
        ReadSnapshot(const ReadSnapshot&) = delete;
        /// Not copyable.
        ReadSnapshot& operator=(const ReadSnapshot&) = delete;

    private:
        const Store& _store;
    };

    // --- Reads that follow what they return (device lists) -------------------------------------

    /// How many records of `collection` that are not deleted each scope holds, by scope key
    /// (e.g. the answers of each audit); records whose scope is not known yet are in none.
    /// Cost: one pass over the scope index, reading each entry's record row for its collection
    /// and tombstone, never its fields: counting a collection by scope loads no record.
    std::map<std::string, std::size_t> recordsPerScope(std::string_view collection) const;

    /// Every logged change of one record, of all devices, in log (serverSeq) order; empty for a
    /// record this store does not hold. Cost: one range of the changes-by-record index, so it
    /// follows the record's history, not the log's size (a device asks whether a record has
    /// changes in its outbox with it).
    std::vector<LoggedChange> recordChanges(std::string_view collection,
                                            const shared::RecordId& id) const;

private:
    class Impl;
    std::unique_ptr<Impl> _impl;
};

}  // namespace verdant::sync
