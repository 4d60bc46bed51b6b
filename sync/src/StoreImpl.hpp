#pragma once

// The engine behind Store (private to sync): Store::Impl, implemented by job in StoreApply.cpp
// (the apply pipeline: log, merge, write back, checksums), StoreReads.cpp (reads and the
// canonical dump), StoreRewrite.cpp (purges and a device's rewrite of its own changes),
// StoreQuarantine.cpp (what is kept of refused changes and HQ's decisions) and Store.cpp (the
// public API). It keeps the replica through a StoreBackend only.

#include "StateCodec.hpp"
#include "StoreDigest.hpp"
#include "StoredState.hpp"

#include "verdant/sync/Merge.hpp"
#include "verdant/sync/Store.hpp"
#include "verdant/sync/StoreBackend.hpp"

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace verdant::sync {

using shared::Change;
using shared::DeviceId;
using shared::Error;
using shared::ErrorCode;
using shared::FieldSpec;
using shared::Hlc;
using shared::MergeKind;
using shared::Operation;
using shared::RecordId;
using shared::ValidationError;

/// What rewriteDeviceChanges() calls per change.
using ChangeRewrite = std::function<std::optional<Change>(const Change&)>;

/// `message`, cut to a bounded length (marked with an ellipsis) if longer: a gate or a schema
/// check that quotes a client's text must not echo megabytes.
std::string boundedMessage(std::string message);

/// A Refused result with `code` and the bounded `message`.
ChangeResult refusedResult(ErrorCode code, std::string message);

/// What the quarantine keeps of a refused change (see StoreQuarantine.cpp).
QuarantinedChange boundedForQuarantine(const Change& change);

/// Throws the first refusal among `applied`'s results (the caller's transaction rolls back).
void throwIfRefused(const ApplyResult& applied, const std::string& context);

/// A write transaction on the backend: begun on construction, rolled back on destruction
/// unless commit() ran.
class WriteScope {
public:
    explicit WriteScope(StoreBackend& backend) : _backend(backend) { _backend.beginWrite(); }
    ~WriteScope() {
        if (!_done) {
            _backend.rollback();
        }
    }
    WriteScope(const WriteScope&) = delete;
    WriteScope& operator=(const WriteScope&) = delete;
    /// Commits; if the commit throws, the destructor rolls back.
    void commit() {
        _backend.commit();
        _done = true;
    }

private:
    StoreBackend& _backend;
    bool _done = false;
};

class Store::Impl {
public:
    Impl(std::unique_ptr<StoreBackend> backend, shared::Schema schema, StoreOptions options)
        : _backend(std::move(backend)),
          _schema(std::move(schema)),
          _options(std::move(options)),
          _states(*_backend) {
        _schema.finalize();
    }

    void beginRead() { _backend->beginRead(); }
    void endRead() noexcept { _backend->endRead(); }

    ApplyResult apply(std::span<const Change> batch, const ChangeGate& gate,
                      const std::function<std::vector<Change>()>& followUp = {});
    std::optional<Record> record(std::string_view collection, const RecordId& id);
    std::optional<Hlc> fieldVersion(std::string_view collection, const RecordId& id,
                                    std::string_view field);
    std::vector<Conflict> openConflicts();
    std::vector<LoggedChange> fieldHistory(std::string_view collection, const RecordId& id,
                                           std::string_view field);
    std::vector<LoggedChange> changesSince(std::uint64_t after, std::size_t limit);
    std::vector<LoggedChange> changesSince(std::uint64_t after, std::size_t limit,
                                           const std::vector<std::string>& scopeKeys);
    std::optional<std::string> scopeOf(std::string_view collection, const RecordId& id);
    std::vector<RecordId> findRecords(std::string_view collection, std::string_view field,
                                      const shared::Value& value);
    std::size_t purgeScope(const std::string& scopeKey);
    std::vector<LoggedChange> deviceChanges(const DeviceId& device, std::uint64_t afterSeq,
                                            std::size_t limit);
    std::size_t rewriteDeviceChanges(const DeviceId& device, std::uint64_t afterSeq,
                                     const ChangeRewrite& rewrite);
    std::vector<RecordId> recordIds(std::string_view collection, bool includeDeleted);
    std::vector<RecordRef> recordsInScope(const std::string& scopeKey);
    std::uint64_t lastServerSeq() { return _backend->lastServerSeq(); }
    std::uint64_t highWaterMark(const DeviceId& device);
    std::vector<QuarantinedChange> quarantine();
    std::vector<QuarantinedChange> quarantinePage(const QuarantinePosition& after,
                                                  std::size_t limit,
                                                  const std::optional<DeviceId>& device);
    std::optional<QuarantinedChange> quarantined(const DeviceId& device, std::uint64_t deviceSeq);
    void decideQuarantined(const DeviceId& device, std::uint64_t deviceSeq,
                           QuarantineDecision decision, const std::string& decidedBy,
                           std::int64_t decidedAtMs);
    ApplyResult decideAndApply(const DeviceId& device, std::uint64_t deviceSeq,
                               QuarantineDecision decision, const std::string& decidedBy,
                               std::int64_t decidedAtMs, std::span<const Change> writes,
                               const std::function<std::vector<Change>()>& followUp);
    std::string canonicalDump();
    ScopeDigestRow digestRow(std::string_view key) { return storedScopeDigest(*_backend, key); }
    std::map<std::string, Digest> recomputedDigests() { return recomputeScopeDigests(*_backend); }
    std::map<std::string, Digest> storedDigests() { return storedScopeDigests(*_backend); }
    void rebuildDigests() {
        WriteScope transaction(*_backend);
        rebuildScopeDigests(*_backend);
        transaction.commit();
    }
    int schemaVersion() { return _backend->schemaVersion(); }
    void holdCheckpoints(bool held) { _backend->holdCheckpoints(held); }
    const shared::Schema& schema() const noexcept { return _schema; }
    std::map<std::string, std::size_t> recordsPerScope(std::string_view collection);
    std::vector<LoggedChange> recordChanges(std::string_view collection, const RecordId& id);

private:
    struct RecordEntry {
        std::int64_t ref = 0;
        std::string collection;
        RecordId id;
        RecordState state;
        std::optional<std::string> scopeKey;  // records.scope_key
        std::int64_t scopeSeq = 0;            // records.scope_seq
        bool dirty = false;
        bool inserted = false;  // inserted by this batch
        // The checksum bookkeeping (see StoreDigest.hpp): whether the record's rows are in the
        // scope sums, under which scope, with which tombstone digest; what its fields added in
        // this batch; the highest log position the batch gave it.
        bool counted = false;
        std::optional<std::string> countedScope;
        Digest countedTombstone;
        Digest fieldDelta;
        std::uint64_t lastSeq = 0;
        bool touched = false;
    };
    struct FieldEntry {
        RecordEntry* record = nullptr;
        const FieldSpec* spec = nullptr;
        FieldState state;
        Digest storedDigest;  // the digest of the stored row (zero when none)
        bool stored = false;  // a row exists (UPDATE rather than INSERT on write-back)
        bool dirty = false;
    };
    struct KeyHash {
        std::size_t operator()(const std::pair<std::string, RecordId>& key) const noexcept {
            return std::hash<std::string>{}(key.first) ^ key.second.low64();
        }
        std::size_t operator()(
            const std::pair<std::int64_t, const FieldSpec*>& key) const noexcept {
            return std::hash<const FieldSpec*>{}(key.second) ^
                   (static_cast<std::size_t>(key.first) * 0x9e3779b97f4a7c15ULL);
        }
    };
    /// The rows one batch reads and merges into, each read once and written back once. Emptied
    /// at the start of every batch, so it never outlives the transaction that read it: another
    /// connection's writes or a rolled-back batch cannot leave stale state behind. (Keeping it
    /// across batches, validated with PRAGMA data_version, measured no faster.)
    struct Cache {
        std::map<DeviceId, std::int64_t> deviceRefs;
        std::unordered_map<std::string, std::int64_t> nameRefs;
        std::unordered_map<std::pair<std::string, RecordId>, RecordEntry, KeyHash> records;
        // Keyed by the schema's spec (one per field name; the schema outlives the cache).
        std::unordered_map<std::pair<std::int64_t, const FieldSpec*>, FieldEntry, KeyHash> fields;
    };
    /// Bookkeeping of one batch.
    struct Batch {
        std::map<std::int64_t, std::uint64_t> highWater;
        std::vector<FieldEntry*> dirtyFields;
        std::vector<RecordEntry*> dirtyRecords;
        std::vector<RecordEntry*> touchedRecords;  // every record a change of the batch reached
        std::optional<Hlc> maxApplied;
    };

    void inject(FaultPoint point, std::size_t index) {
        if (_options.faultInjector) {
            _options.faultInjector(point, index);
        }
    }

    /// How applyBatch() treats a change: as received (apply()), or as a change already on this
    /// replica merged again by rewriteDeviceChanges() (no clock-skew check, no fault injection).
    enum class Arrival : std::uint8_t { Received, Rebuilt };

    /// `first`, when set, runs at the start of the transaction (it may throw to roll back).
    /// When `strict`, a refused change of `batch` throws (and rolls back) as a follow-up does.
    ApplyResult applyInTransaction(std::span<const Change> batch, const ChangeGate& gate,
                                   const std::function<std::vector<Change>()>& followUp,
                                   const std::function<void()>& first = {}, bool strict = false);
    /// Validates, logs and merges `batch` into the cache, inside the caller's transaction; the
    /// caller writes `state` back and commits.
    ApplyResult applyBatch(std::span<const Change> batch, const ChangeGate& gate, Arrival arrival,
                           Batch& state);
    std::size_t rewriteInTransaction(const DeviceId& device, std::uint64_t afterSeq,
                                     const ChangeRewrite& rewrite);
    std::int64_t deviceRef(const DeviceId& device);
    std::int64_t nameRef(const std::string& name);
    /// The stored form of `state` (StoredState.hpp) into _scratch.
    void encodeStored(const FieldState& state);
    /// The canonical form of `state` into _scratch.
    void encodeCanonical(const FieldState& state);
    std::optional<std::int64_t> findRecordRef(std::string_view collection, const RecordId& id);
    RecordEntry* existingRecordEntry(const Change& change);
    RecordEntry& recordEntry(const Change& change);
    /// A Duplicate result when (device, seq) of `change` was logged or quarantined before
    /// (with the refusal's code when it was refused), else nullopt.
    std::optional<ChangeResult> receivedBefore(const Change& change);
    std::optional<ValidationError> askGate(const Change& change, const ChangeGate& gate);
    void followParent(const Change& change, const FieldSpec& spec, const FieldState& state,
                      RecordEntry& record, std::uint64_t serverSeq, Batch& batch);
    void dumpField(std::string& dump, const StateRow& row);
    FieldEntry& fieldEntry(RecordEntry& record, const FieldSpec& spec);
    void writeDigests(Batch& batch);
    void quarantineChange(const Change& change, ErrorCode code, const std::string& message);
    void setOutcome(std::uint64_t serverSeq, ChangeOutcome outcome);
    /// Logs `change` (its log position), or nullopt if (device, sequence) is logged already.
    std::optional<std::uint64_t> logChange(const Change& change, std::int64_t device,
                                           std::int64_t record);
    void writeBack(Batch& batch);
    void mergeField(const Change& change, RecordEntry& record, std::uint64_t serverSeq,
                    ChangeResult& out, Batch& state);

    std::unique_ptr<StoreBackend> _backend;
    shared::Schema _schema;
    StoreOptions _options;
    StoredStateReader _states;
    codec::ByteWriter _scratch;
    Cache _cache;
};

}  // namespace verdant::sync
