#include "verdant/sync/Store.hpp"

#include "StateCodec.hpp"
#include "StoreMigrations.hpp"

#include "verdant/shared/ChangeCodec.hpp"
#include "verdant/sync/Merge.hpp"
#include "verdant/sync/Sqlite.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <cstring>
#include <unordered_map>
#include <utility>

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

std::string_view wireName(ChangeOutcome outcome) noexcept {
    switch (outcome) {
        case ChangeOutcome::Applied:
            return "applied";
        case ChangeOutcome::Duplicate:
            return "duplicate";
        case ChangeOutcome::ConflictRaised:
            return "conflict_raised";
        case ChangeOutcome::Refused:
            return "refused";
    }
    return "applied";
}

std::size_t ApplyResult::count(ChangeOutcome outcome) const noexcept {
    return static_cast<std::size_t>(
        std::count_if(results.begin(), results.end(),
                      [outcome](const ChangeResult& result) { return result.outcome == outcome; }));
}

namespace {

// ---- SQL (every statement is prepared once per connection and cached) ----------------------

constexpr std::string_view kSelectDevice = "SELECT device_ref FROM devices WHERE device_id = ?1";
constexpr std::string_view kInsertDevice = "INSERT INTO devices (device_id) VALUES (?1)";
constexpr std::string_view kRaiseHighWater =
    "UPDATE devices SET high_water = max(high_water, ?2) WHERE device_ref = ?1";
constexpr std::string_view kSelectHighWater = "SELECT high_water FROM devices WHERE device_id = ?1";
constexpr std::string_view kSelectRecord =
    "SELECT record_ref, deleted, tombstone FROM records WHERE collection = ?1 AND record_id = ?2";
constexpr std::string_view kInsertRecord =
    "INSERT INTO records (collection, record_id, deleted, tombstone) VALUES (?1, ?2, 0, ?3)";
constexpr std::string_view kUpdateRecord =
    "UPDATE records SET deleted = ?2, tombstone = ?3 WHERE record_ref = ?1";
constexpr std::string_view kSelectFieldState =
    "SELECT state FROM fields WHERE record_ref = ?1 AND field = ?2";
constexpr std::string_view kSelectFieldVersion =
    "SELECT f.version FROM fields f JOIN records r ON r.record_ref = f.record_ref "
    "WHERE r.collection = ?1 AND r.record_id = ?2 AND f.field = ?3";
constexpr std::string_view kInsertField =
    "INSERT INTO fields (record_ref, field, value, version, state, in_conflict) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6)";
constexpr std::string_view kUpdateField =
    "UPDATE fields SET value = ?3, version = ?4, state = ?5, in_conflict = ?6 "
    "WHERE record_ref = ?1 AND field = ?2";
constexpr std::string_view kSelectRecordFields =
    "SELECT field, value, state, in_conflict FROM fields WHERE record_ref = ?1 ORDER BY field";
constexpr std::string_view kInsertChange =
    "INSERT OR IGNORE INTO changes (device_ref, device_seq, record_ref, field, op, value, hlc, "
    "base, author, outcome) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)";
constexpr std::string_view kSetOutcome = "UPDATE changes SET outcome = ?2 WHERE server_seq = ?1";
constexpr std::string_view kSetOutcomeByDevice =
    "UPDATE changes SET outcome = ?3 WHERE device_seq = ?2 AND device_ref = "
    "(SELECT device_ref FROM devices WHERE device_id = ?1)";
constexpr std::string_view kInsertQuarantine =
    "INSERT OR IGNORE INTO quarantine (device_id, device_seq, change, code, message) "
    "VALUES (?1, ?2, ?3, ?4, ?5)";
constexpr std::string_view kSelectQuarantine =
    "SELECT change, code, message FROM quarantine ORDER BY device_id, device_seq";
constexpr std::string_view kLoggedColumns =
    "SELECT c.server_seq, d.device_id, c.device_seq, r.collection, r.record_id, c.field, c.op, "
    "c.value, c.hlc, c.base, c.author, c.outcome FROM changes c "
    "JOIN devices d ON d.device_ref = c.device_ref JOIN records r ON r.record_ref = c.record_ref ";
constexpr std::string_view kConflicts =
    "SELECT r.collection, r.record_id, f.field, f.state FROM fields f "
    "JOIN records r ON r.record_ref = f.record_ref WHERE f.in_conflict = 1 "
    "ORDER BY r.collection, r.record_id, f.field";
constexpr std::string_view kDump =
    "SELECT r.collection, r.record_id, r.deleted, r.tombstone, f.field, f.value, f.version, "
    "f.in_conflict, f.state FROM records r LEFT JOIN fields f ON f.record_ref = r.record_ref "
    "ORDER BY r.collection, r.record_id, f.field";

template <std::size_t N>
std::span<const std::uint8_t> bytesOf(const std::array<std::uint8_t, N>& bytes) {
    return {bytes.data(), bytes.size()};
}

template <class Tag>
shared::Id<Tag> idFromColumn(std::span<const std::uint8_t> blob) {
    typename shared::Id<Tag>::Bytes bytes{};
    if (blob.size() != bytes.size()) {
        throw Error(ErrorCode::InternalError, "The store holds a corrupt id.");
    }
    std::memcpy(bytes.data(), blob.data(), bytes.size());
    return shared::Id<Tag>(bytes);
}

Hlc hlcFromColumn(std::span<const std::uint8_t> blob) {
    if (auto hlc = Hlc::fromBinary(blob)) {
        return *hlc;
    }
    throw Error(ErrorCode::InternalError, "The store holds a corrupt timestamp.");
}

/// Reads one row selected with kLoggedColumns.
LoggedChange loggedChangeFromRow(const sqlite::Statement& row) {
    LoggedChange logged;
    logged.serverSeq = static_cast<std::uint64_t>(row.integer(0));
    Change& change = logged.change;
    change.deviceId = idFromColumn<shared::DeviceIdTag>(row.blob(1));
    change.deviceSeq = static_cast<std::uint64_t>(row.integer(2));
    change.collection = std::string(row.text(3));
    change.recordId = idFromColumn<shared::RecordIdTag>(row.blob(4));
    change.field = std::string(row.text(5));
    change.operation = static_cast<Operation>(row.integer(6));
    change.value = codec::decodeValue(row.blob(7));
    change.hlc = hlcFromColumn(row.blob(8));
    if (!row.isNull(9)) {
        change.baseVersion = hlcFromColumn(row.blob(9));
    }
    change.author = std::string(row.text(10));
    logged.outcome = static_cast<ChangeOutcome>(row.integer(11));
    return logged;
}

/// The reviewed-register spec used to read a conflict whose field left the schema.
const FieldSpec& reviewedFallback() {
    static const FieldSpec kSpec{"",
                                 shared::FieldType::String,
                                 MergeKind::ReviewedRegister,
                                 {},
                                 shared::kDefaultMaxValueBytes};
    return kSpec;
}

ChangeResult refusedResult(ErrorCode code, std::string message) {
    ChangeResult result;
    result.outcome = ChangeOutcome::Refused;
    result.error = code;
    result.message = std::move(message);
    return result;
}

}  // namespace

// ---- Impl -----------------------------------------------------------------------------------

class Store::Impl {
public:
    Impl(const std::string& path, shared::Schema schema, StoreOptions options)
        : _db(path), _schema(std::move(schema)), _options(std::move(options)) {
        sqlite3_busy_timeout(_db.handle(), _options.busyTimeoutMs);
        _db.exec("PRAGMA page_size = 8192");  // only takes effect when the file is created
        _db.exec("PRAGMA journal_mode = WAL");
        _db.exec(_options.durable ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL");
        // Reads of hot pages from the OS page cache via mmap instead of pread copies, and a
        // page cache large enough for the materialized records of a busy tenant.
        _db.exec("PRAGMA mmap_size = " + std::to_string(_options.mmapBytes));
        _db.exec("PRAGMA cache_size = -" + std::to_string(_options.cacheKiB));
        _db.exec("PRAGMA wal_autocheckpoint = " + std::to_string(_options.walAutocheckpointPages));
        migrateStore(_db);
    }

    ApplyResult apply(std::span<const Change> batch);
    std::optional<Record> record(std::string_view collection, const RecordId& id);
    std::optional<Hlc> fieldVersion(std::string_view collection, const RecordId& id,
                                    std::string_view field);
    std::vector<Conflict> openConflicts();
    std::vector<LoggedChange> fieldHistory(std::string_view collection, const RecordId& id,
                                           std::string_view field);
    std::vector<LoggedChange> changesSince(std::uint64_t after, std::size_t limit);
    std::uint64_t lastServerSeq() {
        return static_cast<std::uint64_t>(_db.queryInteger("SELECT max(server_seq) FROM changes"));
    }
    std::uint64_t highWaterMark(const DeviceId& device);
    std::vector<QuarantinedChange> quarantine();
    std::string canonicalDump();
    int schemaVersion() { return static_cast<int>(_db.queryInteger("PRAGMA user_version")); }
    const shared::Schema& schema() const noexcept { return _schema; }

private:
    struct RecordEntry {
        std::int64_t ref = 0;
        RecordState state;
        bool dirty = false;
    };
    struct FieldEntry {
        std::int64_t recordRef = 0;
        const FieldSpec* spec = nullptr;
        FieldState state;
        bool stored = false;  // a row exists (UPDATE rather than INSERT on write-back)
        bool dirty = false;
    };
    struct KeyHash {
        std::size_t operator()(const std::pair<std::string, RecordId>& key) const noexcept {
            return std::hash<std::string>{}(key.first) ^ key.second.low64();
        }
        std::size_t operator()(const std::pair<std::int64_t, std::string>& key) const noexcept {
            return std::hash<std::string>{}(key.second) ^
                   (static_cast<std::size_t>(key.first) * 0x9e3779b97f4a7c15ULL);
        }
    };
    /// The rows one batch reads and merges into, each read once and written back once. Emptied
    /// at the start of every batch, so it never outlives the transaction that read it: another
    /// connection's writes or a rolled-back batch cannot leave stale state behind. (Keeping it
    /// across batches, validated with PRAGMA data_version, measured no faster.)
    struct Cache {
        std::map<DeviceId, std::int64_t> deviceRefs;
        std::unordered_map<std::pair<std::string, RecordId>, RecordEntry, KeyHash> records;
        std::unordered_map<std::pair<std::int64_t, std::string>, FieldEntry, KeyHash> fields;
    };
    /// Bookkeeping of one batch.
    struct Batch {
        std::map<std::int64_t, std::uint64_t> highWater;
        std::vector<FieldEntry*> dirtyFields;
        std::vector<RecordEntry*> dirtyRecords;
        std::optional<Hlc> maxApplied;
    };

    void inject(FaultPoint point, std::size_t index) {
        if (_options.faultInjector) {
            _options.faultInjector(point, index);
        }
    }

    ApplyResult applyInTransaction(std::span<const Change> batch);
    std::int64_t deviceRef(const DeviceId& device);
    std::optional<std::int64_t> findRecordRef(std::string_view collection, const RecordId& id);
    RecordEntry& recordEntry(const Change& change);
    FieldEntry& fieldEntry(std::int64_t recordRef, const FieldSpec& spec);
    void quarantineChange(const Change& change, ErrorCode code, const std::string& message);
    void setOutcome(std::uint64_t serverSeq, ChangeOutcome outcome);
    void writeBack(Batch& batch);

    sqlite::Database _db;
    shared::Schema _schema;
    StoreOptions _options;
    codec::ByteWriter _scratch;
    Cache _cache;
};

std::int64_t Store::Impl::deviceRef(const DeviceId& device) {
    if (const auto found = _cache.deviceRefs.find(device); found != _cache.deviceRefs.end()) {
        return found->second;
    }
    std::int64_t ref = 0;
    {
        auto select = _db.cached(kSelectDevice);
        select->bind(1, bytesOf(device.bytes()));
        if (select->step()) {
            ref = select->integer(0);
        }
    }
    if (ref == 0) {
        auto insert = _db.cached(kInsertDevice);
        insert->bind(1, bytesOf(device.bytes()));
        insert->run();
        ref = _db.lastInsertRowid();
    }
    _cache.deviceRefs.emplace(device, ref);
    return ref;
}

std::optional<std::int64_t> Store::Impl::findRecordRef(std::string_view collection,
                                                       const RecordId& id) {
    auto select = _db.cached(kSelectRecord);
    select->bind(1, collection);
    select->bind(2, bytesOf(id.bytes()));
    if (select->step()) {
        return select->integer(0);
    }
    return std::nullopt;
}

Store::Impl::RecordEntry& Store::Impl::recordEntry(const Change& change) {
    auto key = std::make_pair(change.collection, change.recordId);
    if (const auto found = _cache.records.find(key); found != _cache.records.end()) {
        return found->second;
    }
    RecordEntry entry;
    bool exists = false;
    {
        auto select = _db.cached(kSelectRecord);
        select->bind(1, change.collection);
        select->bind(2, bytesOf(change.recordId.bytes()));
        if (select->step()) {
            exists = true;
            entry.ref = select->integer(0);
            entry.state = codec::decodeRecordState(select->blob(2));
        }
    }
    if (!exists) {
        _scratch.clear();
        codec::writeRecordState(_scratch, entry.state);
        auto insert = _db.cached(kInsertRecord);
        insert->bind(1, change.collection);
        insert->bind(2, bytesOf(change.recordId.bytes()));
        insert->bind(3, _scratch.bytes());
        insert->run();
        entry.ref = _db.lastInsertRowid();
    }
    return _cache.records.emplace(std::move(key), std::move(entry)).first->second;
}

Store::Impl::FieldEntry& Store::Impl::fieldEntry(std::int64_t recordRef, const FieldSpec& spec) {
    auto key = std::make_pair(recordRef, spec.name);
    if (const auto found = _cache.fields.find(key); found != _cache.fields.end()) {
        return found->second;
    }
    FieldEntry entry;
    entry.recordRef = recordRef;
    entry.spec = &spec;
    {
        auto select = _db.cached(kSelectFieldState);
        select->bind(1, recordRef);
        select->bind(2, spec.name);
        if (select->step()) {
            entry.state = codec::decodeFieldState(select->blob(0));
            entry.stored = true;
        }
    }
    return _cache.fields.emplace(std::move(key), std::move(entry)).first->second;
}

void Store::Impl::quarantineChange(const Change& change, ErrorCode code,
                                   const std::string& message) {
    const std::string encoded = shared::ChangeCodec::toBinary({change});
    auto insert = _db.cached(kInsertQuarantine);
    insert->bind(1, bytesOf(change.deviceId.bytes()));
    insert->bind(2, static_cast<std::int64_t>(change.deviceSeq));
    insert->bind(3,
                 std::span(reinterpret_cast<const std::uint8_t*>(encoded.data()), encoded.size()));
    insert->bind(4, static_cast<std::int64_t>(code));
    insert->bind(5, message);
    insert->run();
}

void Store::Impl::setOutcome(std::uint64_t serverSeq, ChangeOutcome outcome) {
    auto update = _db.cached(kSetOutcome);
    update->bind(1, static_cast<std::int64_t>(serverSeq));
    update->bind(2, static_cast<std::int64_t>(outcome));
    update->run();
}

ApplyResult Store::Impl::apply(std::span<const Change> batch) {
    if (batch.empty()) {
        return ApplyResult{};
    }
    try {
        return applyInTransaction(batch);
    } catch (...) {
        _cache = Cache{};  // it holds merges that were rolled back
        throw;
    }
}

ApplyResult Store::Impl::applyInTransaction(std::span<const Change> batch) {
    ApplyResult result;
    result.results.resize(batch.size());
    Batch state;
    sqlite::Transaction transaction(_db);
    _cache = Cache{};
    for (std::size_t i = 0; i < batch.size(); ++i) {
        inject(FaultPoint::BeforeChange, i);
        const Change& change = batch[i];
        ChangeResult& out = result.results[i];

        if (auto invalid = _schema.validate(change)) {
            out = refusedResult(invalid->code, invalid->message);
            if (!change.deviceId.isNil() && change.deviceSeq > 0) {
                quarantineChange(change, invalid->code, invalid->message);
                auto& mark = state.highWater[deviceRef(change.deviceId)];
                mark = std::max(mark, change.deviceSeq);
            }
            continue;
        }
        if (_options.clock != nullptr && _options.clock->isTooFarAhead(change.hlc)) {
            // Not logged, not quarantined, high-water mark untouched: the device re-stamps the
            // change with a sane clock and sends it again under the same sequence number.
            out = refusedResult(ErrorCode::ClockSkew,
                                "The change is dated " + change.hlc.toString() +
                                    ", too far ahead of this replica's clock; re-stamp and retry.");
            continue;
        }

        const std::int64_t device = deviceRef(change.deviceId);
        RecordEntry& record = recordEntry(change);
        {
            _scratch.clear();
            codec::writeValue(_scratch, change.value);
            auto insert = _db.cached(kInsertChange);
            insert->bind(1, device);
            insert->bind(2, static_cast<std::int64_t>(change.deviceSeq));
            insert->bind(3, record.ref);
            insert->bind(4, change.field);
            insert->bind(5, static_cast<std::int64_t>(change.operation));
            insert->bind(6, _scratch.bytes());
            insert->bind(7, bytesOf(change.hlc.toBinary()));
            if (change.baseVersion) {
                insert->bind(8, bytesOf(change.baseVersion->toBinary()));
            }
            insert->bind(9, change.author);
            insert->bind(10, static_cast<std::int64_t>(ChangeOutcome::Applied));
            insert->run();
        }
        if (_db.changes() == 0) {
            out.outcome = ChangeOutcome::Duplicate;  // (device, sequence) already logged
            continue;
        }
        const auto serverSeq = static_cast<std::uint64_t>(_db.lastInsertRowid());
        out.serverSeq = serverSeq;
        auto& mark = state.highWater[device];
        mark = std::max(mark, change.deviceSeq);
        if (!state.maxApplied || *state.maxApplied < change.hlc) {
            state.maxApplied = change.hlc;
        }

        if (change.operation == Operation::Delete || change.operation == Operation::Restore) {
            mergeTombstone(record.state, recordStateOf(change));
            if (!record.dirty) {
                record.dirty = true;
                state.dirtyRecords.push_back(&record);
            }
            continue;
        }

        const FieldSpec& spec = *_schema.fieldOf(change);
        FieldEntry& field = fieldEntry(record.ref, spec);
        if (!field.dirty) {
            field.dirty = true;
            state.dirtyFields.push_back(&field);
        }
        const auto key = shared::keyOf(change);
        if (spec.merge == MergeKind::Immutable && !field.state.writes.empty() &&
            field.state.writes.front().value != change.value) {
            const Write& first = field.state.writes.front();
            if (first.key < key) {
                const std::string message = "Field '" + change.collection + "." + change.field +
                                            "' was already written and cannot change.";
                out = refusedResult(ErrorCode::ImmutableField, message);
                out.serverSeq = serverSeq;
                setOutcome(serverSeq, ChangeOutcome::Refused);
                quarantineChange(change, ErrorCode::ImmutableField, message);
                // Still merged: the first write stays the winner, but the field version must be
                // the same on replicas that saw the writes in the other order.
                mergeInto(spec, field.state, stateOf(spec, change));
                continue;
            }
            // This write predates the one applied so far: it is the first write and stands on
            // every replica; the other is marked refused in the log.
            auto update = _db.cached(kSetOutcomeByDevice);
            update->bind(1, bytesOf(first.key.device.bytes()));
            update->bind(2, static_cast<std::int64_t>(first.key.deviceSeq));
            update->bind(3, static_cast<std::int64_t>(ChangeOutcome::Refused));
            update->run();
        }
        mergeInto(spec, field.state, stateOf(spec, change));
        if (hasConflict(spec, field.state) &&
            std::any_of(field.state.writes.begin(), field.state.writes.end(),
                        [&key](const Write& write) { return write.key == key; })) {
            out.outcome = ChangeOutcome::ConflictRaised;
            setOutcome(serverSeq, ChangeOutcome::ConflictRaised);
        }
    }

    inject(FaultPoint::BeforeWriteBack, batch.size());
    writeBack(state);
    inject(FaultPoint::BeforeCommit, batch.size());
    transaction.commit();

    if (_options.clock != nullptr && state.maxApplied) {
        _options.clock->tryReceive(*state.maxApplied);
    }
    return result;
}

void Store::Impl::writeBack(Batch& batch) {
    for (FieldEntry* entry : batch.dirtyFields) {
        FieldEntry& field = *entry;
        const FieldSpec& spec = *field.spec;
        auto upsert = _db.cached(field.stored ? kUpdateField : kInsertField);
        upsert->bind(1, field.recordRef);
        upsert->bind(2, spec.name);
        _scratch.clear();
        codec::writeValue(_scratch, visibleValue(spec, field.state));
        upsert->bind(3, _scratch.bytes());
        if (field.state.version) {
            upsert->bind(4, bytesOf(field.state.version->toBinary()));
        }
        _scratch.clear();
        codec::writeFieldState(_scratch, field.state);
        upsert->bind(5, _scratch.bytes());
        upsert->bind(6, std::int64_t{hasConflict(spec, field.state) ? 1 : 0});
        upsert->run();
        field.stored = true;
        field.dirty = false;
    }
    for (RecordEntry* entry : batch.dirtyRecords) {
        RecordEntry& record = *entry;
        record.dirty = false;
        _scratch.clear();
        codec::writeRecordState(_scratch, record.state);
        auto update = _db.cached(kUpdateRecord);
        update->bind(1, record.ref);
        update->bind(2, std::int64_t{record.state.deleted() ? 1 : 0});
        update->bind(3, _scratch.bytes());
        update->run();
    }
    for (const auto& [device, mark] : batch.highWater) {
        auto update = _db.cached(kRaiseHighWater);
        update->bind(1, device);
        update->bind(2, static_cast<std::int64_t>(mark));
        update->run();
    }
}

std::optional<Record> Store::Impl::record(std::string_view collection, const RecordId& id) {
    Record record;
    std::int64_t ref = 0;
    {
        auto select = _db.cached(kSelectRecord);
        select->bind(1, collection);
        select->bind(2, bytesOf(id.bytes()));
        if (!select->step()) {
            return std::nullopt;
        }
        ref = select->integer(0);
        record.deleted = select->integer(1) != 0;
    }
    record.collection = std::string(collection);
    record.id = id;
    const auto* spec = _schema.collection(collection);
    auto select = _db.cached(kSelectRecordFields);
    select->bind(1, ref);
    while (select->step()) {
        std::string name(select->text(0));
        FieldValue value;
        value.value = codec::decodeValue(select->blob(1));
        const FieldState state = codec::decodeFieldState(select->blob(2));
        value.inConflict = select->integer(3) != 0;
        value.version = state.version;
        value.elements = visibleElements(state);
        if (const FieldSpec* field = spec ? spec->field(name) : nullptr) {
            value.writtenBy = visibleWrite(*field, state);
        }
        record.fields.emplace(std::move(name), std::move(value));
    }
    return record;
}

std::optional<Hlc> Store::Impl::fieldVersion(std::string_view collection, const RecordId& id,
                                             std::string_view field) {
    auto select = _db.cached(kSelectFieldVersion);
    select->bind(1, collection);
    select->bind(2, bytesOf(id.bytes()));
    select->bind(3, field);
    if (select->step() && !select->isNull(0)) {
        return hlcFromColumn(select->blob(0));
    }
    return std::nullopt;
}

std::vector<Conflict> Store::Impl::openConflicts() {
    std::vector<Conflict> conflicts;
    auto select = _db.cached(kConflicts);
    while (select->step()) {
        const std::string collection(select->text(0));
        const auto id = idFromColumn<shared::RecordIdTag>(select->blob(1));
        const std::string name(select->text(2));
        const FieldState state = codec::decodeFieldState(select->blob(3));
        const FieldSpec* spec =
            _schema.collection(collection) ? _schema.collection(collection)->field(name) : nullptr;
        FieldSpec fallback = reviewedFallback();
        fallback.name = name;
        if (auto conflict = conflictOf(spec ? *spec : fallback, state, collection, id)) {
            conflicts.push_back(std::move(*conflict));
        }
    }
    return conflicts;
}

std::vector<LoggedChange> Store::Impl::fieldHistory(std::string_view collection, const RecordId& id,
                                                    std::string_view field) {
    std::vector<LoggedChange> history;
    const auto ref = findRecordRef(collection, id);
    if (!ref) {
        return history;
    }
    static const std::string kSql = std::string(kLoggedColumns) +
                                    "WHERE c.record_ref = ?1 AND c.field = ?2 "
                                    "ORDER BY c.hlc, d.device_id, c.device_seq";
    auto select = _db.cached(kSql);
    select->bind(1, *ref);
    select->bind(2, field);
    while (select->step()) {
        history.push_back(loggedChangeFromRow(*select));
    }
    return history;
}

std::vector<LoggedChange> Store::Impl::changesSince(std::uint64_t after, std::size_t limit) {
    std::vector<LoggedChange> changes;
    static const std::string kSql =
        std::string(kLoggedColumns) + "WHERE c.server_seq > ?1 ORDER BY c.server_seq LIMIT ?2";
    auto select = _db.cached(kSql);
    select->bind(1, static_cast<std::int64_t>(after));
    select->bind(2, static_cast<std::int64_t>(std::min<std::size_t>(limit, INT64_MAX)));
    while (select->step()) {
        changes.push_back(loggedChangeFromRow(*select));
    }
    return changes;
}

std::uint64_t Store::Impl::highWaterMark(const DeviceId& device) {
    auto select = _db.cached(kSelectHighWater);
    select->bind(1, bytesOf(device.bytes()));
    return select->step() ? static_cast<std::uint64_t>(select->integer(0)) : 0;
}

std::vector<QuarantinedChange> Store::Impl::quarantine() {
    std::vector<QuarantinedChange> result;
    auto select = _db.cached(kSelectQuarantine);
    while (select->step()) {
        const auto blob = select->blob(0);
        auto changes = shared::ChangeCodec::fromBinary(
            std::string_view(reinterpret_cast<const char*>(blob.data()), blob.size()));
        if (changes.size() != 1) {
            throw Error(ErrorCode::InternalError, "The store holds a corrupt quarantine entry.");
        }
        result.push_back(QuarantinedChange{std::move(changes.front()),
                                           static_cast<ErrorCode>(select->integer(1)),
                                           std::string(select->text(2))});
    }
    return result;
}

std::string Store::Impl::canonicalDump() {
    std::string dump;
    std::optional<std::int64_t> previousRecord;
    std::string previousKey;
    auto select = _db.cached(kDump);
    while (select->step()) {
        const std::string collection(select->text(0));
        const auto id = idFromColumn<shared::RecordIdTag>(select->blob(1));
        std::string recordKey = collection + " " + id.toString();
        if (recordKey != previousKey) {
            dump += "record " + recordKey + (select->integer(2) != 0 ? " deleted" : "") +
                    " tombstone=" + codec::toHex(select->blob(3)) + "\n";
            previousKey = std::move(recordKey);
        }
        if (select->isNull(4)) {
            continue;  // a record with no field written (only deleted/restored)
        }
        const FieldState state = codec::decodeFieldState(select->blob(8));
        std::string shown = codec::decodeValue(select->blob(5)).toDisplayString();
        if (!state.elements.empty()) {
            shown = "{";
            for (const auto& element : visibleElements(state)) {
                shown += (shown.size() > 1 ? "," : "") + element;
            }
            shown += "}";
        }
        dump += "  " + std::string(select->text(4)) + " = " + shown +
                " version=" + (state.version ? state.version->toString() : "-") +
                (select->integer(7) != 0 ? " CONFLICT" : "") +
                " state=" + codec::toHex(select->blob(8)) + "\n";
    }
    return dump;
}

// ---- Store ----------------------------------------------------------------------------------

Store::Store(const std::string& path, shared::Schema schema, StoreOptions options)
    : _impl(std::make_unique<Impl>(path, std::move(schema), std::move(options))) {}

Store::~Store() = default;
Store::Store(Store&&) noexcept = default;
Store& Store::operator=(Store&&) noexcept = default;

ApplyResult Store::apply(std::span<const Change> batch) {
    return _impl->apply(batch);
}

std::optional<Record> Store::record(std::string_view collection, const RecordId& id) const {
    return _impl->record(collection, id);
}

std::optional<Hlc> Store::fieldVersion(std::string_view collection, const RecordId& id,
                                       std::string_view field) const {
    return _impl->fieldVersion(collection, id, field);
}

std::vector<Conflict> Store::openConflicts() const {
    return _impl->openConflicts();
}

std::vector<LoggedChange> Store::fieldHistory(std::string_view collection, const RecordId& id,
                                              std::string_view field) const {
    return _impl->fieldHistory(collection, id, field);
}

std::vector<LoggedChange> Store::changesSince(std::uint64_t after, std::size_t limit) const {
    return _impl->changesSince(after, limit);
}

std::uint64_t Store::lastServerSeq() const {
    return _impl->lastServerSeq();
}

std::uint64_t Store::highWaterMark(const DeviceId& device) const {
    return _impl->highWaterMark(device);
}

std::vector<QuarantinedChange> Store::quarantine() const {
    return _impl->quarantine();
}

std::string Store::canonicalDump() const {
    return _impl->canonicalDump();
}

std::string Store::checksum() const {
    const std::string dump = _impl->canonicalDump();
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int size = 0;
    if (EVP_Digest(dump.data(), dump.size(), digest, &size, EVP_sha256(), nullptr) != 1) {
        throw Error(ErrorCode::InternalError, "Could not compute the store checksum.");
    }
    return codec::toHex(std::span<const std::uint8_t>(digest, size));
}

int Store::schemaVersion() const {
    return _impl->schemaVersion();
}

int Store::latestSchemaVersion() noexcept {
    return storeMigrations().back().version;
}

std::vector<std::string_view> Store::migrationNames() {
    std::vector<std::string_view> names;
    for (const auto& step : storeMigrations()) {
        names.push_back(step.name);
    }
    return names;
}

const shared::Schema& Store::schema() const noexcept {
    return _impl->schema();
}

}  // namespace verdant::sync
