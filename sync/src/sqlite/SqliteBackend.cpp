#include "SqliteBackend.hpp"

#include "SqliteRows.hpp"
#include "StoreMigrations.hpp"

#include <sqlite3.h>

namespace verdant::sync {

using namespace sqlite_rows;
using shared::DeviceId;
using shared::RecordId;

namespace {

// ---- SQL of the replicated state (every statement is prepared once per connection) ----------

constexpr std::string_view kSelectDevice = "SELECT device_ref FROM devices WHERE device_id = ?1";
constexpr std::string_view kInsertDevice = "INSERT INTO devices (device_id) VALUES (?1)";
constexpr std::string_view kRaiseHighWater =
    "UPDATE devices SET high_water = max(high_water, ?2) WHERE device_ref = ?1";
constexpr std::string_view kSelectHighWater = "SELECT high_water FROM devices WHERE device_id = ?1";
// Authors of changes, each kept once (changes.author_ref).
constexpr std::string_view kSelectName = "SELECT name_ref FROM names WHERE name = ?1";
constexpr std::string_view kInsertName = "INSERT INTO names (name) VALUES (?1)";
constexpr std::string_view kSelectRecord =
    "SELECT record_ref, deleted, tombstone, scope_key, scope_seq FROM records "
    "WHERE collection = ?1 AND record_id = ?2";
constexpr std::string_view kInsertRecord =
    "INSERT INTO records (collection, record_id, deleted, tombstone, scope_key) "
    "VALUES (?1, ?2, 0, ?3, ?4)";
constexpr std::string_view kUpdateRecord =
    "UPDATE records SET deleted = ?2, tombstone = ?3, scope_key = ?4, scope_seq = ?5 "
    "WHERE record_ref = ?1";
// ?2 = 1 includes tombstoned records. The (collection, record_id) index gives the order.
constexpr std::string_view kSelectRecordIds =
    "SELECT record_id FROM records WHERE collection = ?1 AND (?2 = 1 OR deleted = 0) "
    "ORDER BY record_id";
constexpr std::string_view kSelectScopeRecords =
    "SELECT collection, record_id FROM records WHERE scope_key = ?1 "
    "ORDER BY collection, record_id";
// The scope index in its order, so the groups need no sort; each entry's row is read for its
// collection and tombstone only (unforced, the planner prefers the collection range, then
// sorts: several times slower on a device of 100,000 answers).
constexpr std::string_view kRecordsPerScope =
    "SELECT scope_key, count(*) FROM records INDEXED BY records_by_scope "
    "WHERE scope_key IS NOT NULL AND collection = ?1 AND deleted = 0 GROUP BY scope_key";
constexpr std::string_view kSelectFieldState =
    "SELECT state FROM fields WHERE record_ref = ?1 AND field = ?2";
constexpr std::string_view kInsertField =
    "INSERT INTO fields (record_ref, field, state, in_conflict) VALUES (?1, ?2, ?3, ?4)";
constexpr std::string_view kUpdateField =
    "UPDATE fields SET state = ?3, in_conflict = ?4 WHERE record_ref = ?1 AND field = ?2";
constexpr std::string_view kSelectRecordFields =
    "SELECT field, state, in_conflict FROM fields WHERE record_ref = ?1 ORDER BY field";
constexpr std::string_view kFieldOfRecords =
    "SELECT r.record_id, f.state, f.in_conflict FROM records r "
    "JOIN fields f ON f.record_ref = r.record_ref AND f.field = ?2 "
    "WHERE r.collection = ?1 AND r.deleted = 0 ORDER BY r.record_id";
// Every state row query selects these columns, in this order (forEachRowOf() reads them).
constexpr std::string_view kConflictRows =
    "SELECT r.record_ref, r.collection, r.record_id, r.deleted, r.tombstone, r.scope_key, "
    "f.field, f.state, f.in_conflict FROM fields f "
    "JOIN records r ON r.record_ref = f.record_ref WHERE f.in_conflict = 1 "
    "ORDER BY r.collection, r.record_id, f.field";
constexpr std::string_view kAllRows =
    "SELECT r.record_ref, r.collection, r.record_id, r.deleted, r.tombstone, r.scope_key, "
    "f.field, f.state, f.in_conflict FROM records r "
    "LEFT JOIN fields f ON f.record_ref = r.record_ref "
    "ORDER BY r.collection, r.record_id, f.field";
constexpr std::string_view kRowsOfRecord =
    "SELECT r.record_ref, r.collection, r.record_id, r.deleted, r.tombstone, r.scope_key, "
    "f.field, f.state, f.in_conflict FROM records r "
    "LEFT JOIN fields f ON f.record_ref = r.record_ref WHERE r.record_ref = ?1 ORDER BY f.field";
constexpr std::string_view kSelectScopeSum =
    "SELECT digest, last_seq FROM scope_digests WHERE scope_key = ?1";
constexpr std::string_view kWriteScopeSum =
    "INSERT OR REPLACE INTO scope_digests (scope_key, digest, last_seq) VALUES (?1, ?2, ?3)";
constexpr std::string_view kDeleteScopeSum = "DELETE FROM scope_digests WHERE scope_key = ?1";
constexpr std::string_view kSelectScopeSums = "SELECT scope_key, digest FROM scope_digests";
// Each scope's feed end from the rows: its records' last changes and the positions at which
// records joined it.
constexpr std::string_view kFeedEnds =
    "SELECT coalesce(r.scope_key, ''), max(c.server_seq) FROM changes c "
    "JOIN records r ON r.record_ref = c.record_ref GROUP BY 1 "
    "UNION ALL SELECT coalesce(scope_key, ''), max(scope_seq) FROM records GROUP BY 1 "
    "UNION ALL SELECT '*', max(server_seq) FROM changes";
constexpr std::string_view kPurgeChanges =
    "DELETE FROM changes WHERE record_ref IN (SELECT record_ref FROM records WHERE scope_key = ?1)";
constexpr std::string_view kPurgeFields =
    "DELETE FROM fields WHERE record_ref IN (SELECT record_ref FROM records WHERE scope_key = ?1)";
constexpr std::string_view kPurgeRecords = "DELETE FROM records WHERE scope_key = ?1";
constexpr std::string_view kDeleteRecordChanges = "DELETE FROM changes WHERE record_ref = ?1";
constexpr std::string_view kDeleteRecordFields = "DELETE FROM fields WHERE record_ref = ?1";
constexpr std::string_view kDeleteRecord = "DELETE FROM records WHERE record_ref = ?1";
// Keeps the log's highest server sequence after a removal took its row (rowids would otherwise
// be reused): record_ref 0 and device_ref 0 exist nowhere, so every log query (they join both)
// skips it. Earlier placeholders are dropped.
constexpr std::string_view kInsertPlaceholder =
    "INSERT INTO changes (server_seq, device_ref, device_seq, record_ref, field, op, value, hlc, "
    "base, author_ref, outcome) VALUES (?1, 0, ?1, 0, '', 0, x'', x'', NULL, 0, 0)";
constexpr std::string_view kDeleteOldPlaceholders =
    "DELETE FROM changes WHERE record_ref = 0 AND server_seq < ?1";

std::optional<std::int64_t> singleInteger(sqlite::Database& db, std::string_view sql,
                                          const std::function<void(sqlite::Statement&)>& bind) {
    auto select = db.cached(sql);
    bind(*select);
    if (select->step()) {
        return select->integer(0);
    }
    return std::nullopt;
}

}  // namespace

SqliteBackend::SqliteBackend(const std::string& path, const shared::Schema& schema,
                             const StoreOptions& options)
    : _db(path), _options(options) {
    sqlite3_busy_timeout(_db.handle(), _options.busyTimeoutMs);
    if (_options.onOpen) {
        _options.onOpen(_db.handle());  // e.g. PRAGMA key: before anything reads the file
    }
    _db.exec("PRAGMA page_size = 8192");  // only takes effect when the file is created
    _db.exec("PRAGMA journal_mode = WAL");
    _db.exec(_options.durable ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL");
    // Reads of hot pages from the OS page cache via mmap instead of pread copies, and a page
    // cache large enough for the materialized records of a busy tenant.
    _db.exec("PRAGMA mmap_size = " + std::to_string(_options.mmapBytes));
    _db.exec("PRAGMA cache_size = -" + std::to_string(_options.cacheKiB));
    _db.exec("PRAGMA wal_autocheckpoint = " + std::to_string(_options.walAutocheckpointPages));
    const int found = migrateStore(*this, schema);
    if (found > 0 && found < kCompactStorageVersion && !_options.readOnly) {
        // The rows compact_storage rewrote left free pages: give them back to the disk, best
        // effort (it needs no other connection reading; if one is, the space is reused).
        sqlite3_exec(_db.handle(), "VACUUM", nullptr, nullptr, nullptr);
    }
    if (_options.readOnly) {
        _db.exec("PRAGMA query_only = 1");
    }
}

std::unique_ptr<StoreBackend> openSqliteBackend(const std::string& path,
                                                const shared::Schema& schema,
                                                const StoreOptions& options) {
    return std::make_unique<SqliteBackend>(path, schema, options);
}

// ---- Transactions ----------------------------------------------------------------------------

void SqliteBackend::beginWrite() {
    _db.exec("BEGIN IMMEDIATE");
}

void SqliteBackend::commit() {
    _db.exec("COMMIT");
}

void SqliteBackend::rollback() noexcept {
    // Rolling back cannot usefully fail; if it does, SQLite has already rolled back.
    sqlite3_exec(_db.handle(), "ROLLBACK", nullptr, nullptr, nullptr);
}

void SqliteBackend::beginRead() {
    // A deferred BEGIN takes its snapshot at the first read: read once to pin it now.
    _db.exec("BEGIN");
    try {
        _db.queryInteger("SELECT count(*) FROM sqlite_schema");
    } catch (...) {
        endRead();
        throw;
    }
}

void SqliteBackend::endRead() noexcept {
    // A read has nothing to commit; should COMMIT fail, ROLLBACK still ends the transaction.
    if (sqlite3_exec(_db.handle(), "COMMIT", nullptr, nullptr, nullptr) != SQLITE_OK) {
        sqlite3_exec(_db.handle(), "ROLLBACK", nullptr, nullptr, nullptr);
    }
}

void SqliteBackend::holdCheckpoints(bool held) {
    if (held) {
        _db.exec("PRAGMA wal_autocheckpoint = 0");
        return;
    }
    _db.exec("PRAGMA wal_autocheckpoint = " + std::to_string(_options.walAutocheckpointPages));
    _db.exec("PRAGMA wal_checkpoint(TRUNCATE)");
}

int SqliteBackend::schemaVersion() {
    return static_cast<int>(_db.queryInteger("PRAGMA user_version"));
}

// ---- Devices and names -------------------------------------------------------------------------

std::optional<std::int64_t> SqliteBackend::findDevice(const DeviceId& device) {
    return singleInteger(_db, kSelectDevice,
                         [&](sqlite::Statement& s) { s.bind(1, bytesOf(device.bytes())); });
}

std::int64_t SqliteBackend::addDevice(const DeviceId& device) {
    auto insert = _db.cached(kInsertDevice);
    insert->bind(1, bytesOf(device.bytes()));
    insert->run();
    return _db.lastInsertRowid();
}

void SqliteBackend::raiseHighWater(std::int64_t deviceRef, std::uint64_t mark) {
    auto update = _db.cached(kRaiseHighWater);
    update->bind(1, deviceRef);
    update->bind(2, sqlInteger(mark));
    update->run();
}

std::uint64_t SqliteBackend::highWater(const DeviceId& device) {
    const auto mark = singleInteger(
        _db, kSelectHighWater, [&](sqlite::Statement& s) { s.bind(1, bytesOf(device.bytes())); });
    return static_cast<std::uint64_t>(mark.value_or(0));
}

std::optional<std::int64_t> SqliteBackend::findName(std::string_view name) {
    return singleInteger(_db, kSelectName, [&](sqlite::Statement& s) { s.bind(1, name); });
}

std::int64_t SqliteBackend::addName(std::string_view name) {
    auto insert = _db.cached(kInsertName);
    insert->bind(1, name);
    insert->run();
    return _db.lastInsertRowid();
}

// ---- Records -----------------------------------------------------------------------------------

std::optional<RecordRow> SqliteBackend::findRecord(std::string_view collection,
                                                   const RecordId& id) {
    auto select = _db.cached(kSelectRecord);
    select->bind(1, collection);
    select->bind(2, bytesOf(id.bytes()));
    if (!select->step()) {
        return std::nullopt;
    }
    RecordRow row;
    row.ref = select->integer(0);
    row.deleted = select->integer(1) != 0;
    const auto tombstone = select->blob(2);
    row.tombstone.assign(tombstone.begin(), tombstone.end());
    if (!select->isNull(3)) {
        row.scopeKey = std::string(select->text(3));
    }
    row.scopeSeq = select->integer(4);
    return row;
}

std::int64_t SqliteBackend::addRecord(std::string_view collection, const RecordId& id,
                                      std::span<const std::uint8_t> tombstone,
                                      const std::optional<std::string>& scopeKey) {
    auto insert = _db.cached(kInsertRecord);
    insert->bind(1, collection);
    insert->bind(2, bytesOf(id.bytes()));
    insert->bind(3, tombstone);
    if (scopeKey) {
        insert->bind(4, *scopeKey);
    }
    insert->run();
    return _db.lastInsertRowid();
}

void SqliteBackend::updateRecord(const RecordRow& row) {
    auto update = _db.cached(kUpdateRecord);
    update->bind(1, row.ref);
    update->bind(2, std::int64_t{row.deleted ? 1 : 0});
    update->bind(3, row.tombstone);
    if (row.scopeKey) {
        update->bind(4, *row.scopeKey);
    }
    update->bind(5, row.scopeSeq);
    update->run();
}

std::vector<RecordId> SqliteBackend::recordIds(std::string_view collection, bool includeDeleted) {
    std::vector<RecordId> ids;
    auto select = _db.cached(kSelectRecordIds);
    select->bind(1, collection);
    select->bind(2, std::int64_t{includeDeleted ? 1 : 0});
    while (select->step()) {
        ids.push_back(idFromColumn<shared::RecordIdTag>(select->blob(0)));
    }
    return ids;
}

std::vector<RecordRef> SqliteBackend::recordsInScope(const std::string& scopeKey) {
    std::vector<RecordRef> records;
    auto select = _db.cached(kSelectScopeRecords);
    select->bind(1, scopeKey);
    while (select->step()) {
        records.push_back(RecordRef{std::string(select->text(0)),
                                    idFromColumn<shared::RecordIdTag>(select->blob(1))});
    }
    return records;
}

std::map<std::string, std::size_t> SqliteBackend::recordsPerScope(std::string_view collection) {
    std::map<std::string, std::size_t> counts;
    auto select = _db.cached(kRecordsPerScope);
    select->bind(1, collection);
    while (select->step()) {
        counts.emplace_hint(counts.end(), std::string(select->text(0)),
                            static_cast<std::size_t>(select->integer(1)));
    }
    return counts;
}

// ---- Fields ------------------------------------------------------------------------------------

std::optional<std::vector<std::uint8_t>> SqliteBackend::fieldState(std::int64_t recordRef,
                                                                   std::string_view field) {
    auto select = _db.cached(kSelectFieldState);
    select->bind(1, recordRef);
    select->bind(2, field);
    if (!select->step()) {
        return std::nullopt;
    }
    const auto state = select->blob(0);
    return std::vector<std::uint8_t>(state.begin(), state.end());
}

void SqliteBackend::putField(std::int64_t recordRef, const FieldRow& row, bool exists) {
    auto upsert = _db.cached(exists ? kUpdateField : kInsertField);
    upsert->bind(1, recordRef);
    upsert->bind(2, row.field);
    upsert->bind(3, row.state);
    upsert->bind(4, std::int64_t{row.inConflict ? 1 : 0});
    upsert->run();
}

void SqliteBackend::forEachField(std::int64_t recordRef,
                                 const std::function<void(const FieldRow&)>& visit) {
    auto select = _db.cached(kSelectRecordFields);
    select->bind(1, recordRef);
    while (select->step()) {
        visit(FieldRow{select->text(0), select->blob(1), select->integer(2) != 0});
    }
}

void SqliteBackend::forEachFieldOf(
    std::string_view collection, std::string_view field,
    const std::function<void(const RecordId&, const FieldRow&)>& visit) {
    auto select = _db.cached(kFieldOfRecords);
    select->bind(1, collection);
    select->bind(2, field);
    while (select->step()) {
        visit(idFromColumn<shared::RecordIdTag>(select->blob(0)),
              FieldRow{field, select->blob(1), select->integer(2) != 0});
    }
}

void SqliteBackend::forEachRowOf(std::string_view sql, std::optional<std::int64_t> recordRef,
                                 const std::function<void(const StateRow&)>& visit) {
    auto select = _db.cached(sql);
    if (recordRef) {
        select->bind(1, *recordRef);
    }
    std::int64_t previous = 0;
    const bool fieldsOnly = sql == kConflictRows;
    while (select->step()) {
        StateRow row;
        row.recordRef = select->integer(0);
        row.collection = select->text(1);
        row.id = idFromColumn<shared::RecordIdTag>(select->blob(2));
        row.deleted = select->integer(3) != 0;
        row.tombstone = select->blob(4);
        if (!select->isNull(5)) {
            row.scopeKey = select->text(5);
        }
        if (!fieldsOnly && row.recordRef != previous) {
            previous = row.recordRef;
            visit(row);  // the record's own row first
        }
        if (!select->isNull(6)) {
            row.field = FieldRow{select->text(6), select->blob(7), select->integer(8) != 0};
            visit(row);
        }
    }
}

void SqliteBackend::forEachConflict(const std::function<void(const StateRow&)>& visit) {
    forEachRowOf(kConflictRows, std::nullopt, visit);
}

void SqliteBackend::forEachStateRow(const std::function<void(const StateRow&)>& visit) {
    forEachRowOf(kAllRows, std::nullopt, visit);
}

void SqliteBackend::forEachStateRowOf(std::int64_t recordRef,
                                      const std::function<void(const StateRow&)>& visit) {
    forEachRowOf(kRowsOfRecord, recordRef, visit);
}

// ---- Removal -----------------------------------------------------------------------------------

std::size_t SqliteBackend::purgeScope(const std::string& scopeKey) {
    const std::uint64_t lastBefore = lastServerSeq();
    for (const auto sql : {kPurgeChanges, kPurgeFields}) {
        auto purge = _db.cached(sql);
        purge->bind(1, scopeKey);
        purge->run();
    }
    std::size_t removed = 0;
    {
        auto purge = _db.cached(kPurgeRecords);
        purge->bind(1, scopeKey);
        purge->run();
        removed = static_cast<std::size_t>(_db.changes());
    }
    keepLastServerSeq(lastBefore);
    return removed;
}

void SqliteBackend::removeRecords(std::span<const std::int64_t> recordRefs) {
    const std::uint64_t lastBefore = lastServerSeq();
    for (const std::int64_t ref : recordRefs) {
        for (const auto sql : {kDeleteRecordChanges, kDeleteRecordFields, kDeleteRecord}) {
            auto remove = _db.cached(sql);
            remove->bind(1, ref);
            remove->run();
        }
    }
    keepLastServerSeq(lastBefore);
}

/// If rows were deleted from the top of the log, logs a placeholder at `lastBefore` (and drops
/// older ones), so the next change gets a higher server sequence than any before.
void SqliteBackend::keepLastServerSeq(std::uint64_t lastBefore) {
    auto drop = _db.cached(kDeleteOldPlaceholders);
    if (lastServerSeq() >= lastBefore) {
        drop->bind(1, sqlInteger(lastServerSeq()));  // a later change made them redundant
        drop->run();
        return;
    }
    auto insert = _db.cached(kInsertPlaceholder);
    insert->bind(1, sqlInteger(lastBefore));
    insert->run();
    drop->bind(1, sqlInteger(lastBefore));
    drop->run();
}

// ---- Scope sums --------------------------------------------------------------------------------

ScopeSumRow SqliteBackend::scopeSum(std::string_view scopeKey) {
    ScopeSumRow row;
    auto select = _db.cached(kSelectScopeSum);
    select->bind(1, scopeKey);
    if (select->step()) {
        const auto sum = select->blob(0);
        row.sum.assign(sum.begin(), sum.end());
        row.lastSeq = static_cast<std::uint64_t>(select->integer(1));
    }
    return row;
}

void SqliteBackend::putScopeSum(std::string_view scopeKey, std::span<const std::uint8_t> sum,
                                std::uint64_t lastSeq) {
    auto write = _db.cached(kWriteScopeSum);
    write->bind(1, scopeKey);
    write->bind(2, sum);
    write->bind(3, sqlInteger(lastSeq));
    write->run();
}

void SqliteBackend::removeScopeSum(std::string_view scopeKey) {
    auto remove = _db.cached(kDeleteScopeSum);
    remove->bind(1, scopeKey);
    remove->run();
}

std::map<std::string, std::vector<std::uint8_t>> SqliteBackend::scopeSums() {
    std::map<std::string, std::vector<std::uint8_t>> sums;
    auto select = _db.cached(kSelectScopeSums);
    while (select->step()) {
        const auto sum = select->blob(1);
        sums.emplace(std::string(select->text(0)),
                     std::vector<std::uint8_t>(sum.begin(), sum.end()));
    }
    return sums;
}

void SqliteBackend::clearScopeSums() {
    _db.exec("DELETE FROM scope_digests");
}

std::map<std::string, std::uint64_t> SqliteBackend::feedEnds() {
    std::map<std::string, std::uint64_t> ends;
    auto select = _db.cached(kFeedEnds);
    while (select->step()) {
        if (!select->isNull(1)) {
            auto& end = ends[std::string(select->text(0))];
            end = std::max(end, static_cast<std::uint64_t>(select->integer(1)));
        }
    }
    return ends;
}

}  // namespace verdant::sync
