// SqliteBackend: the change log and the quarantine.

#include "SqliteBackend.hpp"
#include "SqliteRows.hpp"
#include "StateCodec.hpp"

#include "verdant/shared/ChangeCodec.hpp"

namespace verdant::sync {

using namespace sqlite_rows;
using shared::DeviceId;

namespace {

constexpr std::string_view kInsertChange =
    "INSERT OR IGNORE INTO changes (device_ref, device_seq, record_ref, field, op, value, hlc, "
    "base, author_ref, outcome) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)";
constexpr std::string_view kSetOutcome = "UPDATE changes SET outcome = ?2 WHERE server_seq = ?1";
constexpr std::string_view kSetOutcomeByDevice =
    "UPDATE changes SET outcome = ?3 WHERE device_seq = ?2 AND device_ref = "
    "(SELECT device_ref FROM devices WHERE device_id = ?1)";
// Whether (device, seq) was received before: refused and quarantined (its code and message;
// asked first, since an immutable-field refusal is also logged and its resend must still carry
// the refusal), or logged (NULL code). Both halves are primary-key/unique-index look-ups.
constexpr std::string_view kSelectReceived =
    "SELECT code, message FROM quarantine WHERE device_id = ?1 AND device_seq = ?2 "
    "UNION ALL SELECT NULL, '' FROM changes c JOIN devices d ON d.device_ref = c.device_ref "
    "WHERE d.device_id = ?1 AND c.device_seq = ?2 "
    "LIMIT 1";
constexpr std::string_view kSelectLoggedOutcome =
    "SELECT c.outcome FROM changes c JOIN devices d ON d.device_ref = c.device_ref "
    "WHERE d.device_id = ?1 AND c.device_seq = ?2";
// One write's log row, with its device id and author name (a field state's reference).
constexpr std::string_view kSelectWrite =
    "SELECT d.device_id, c.hlc, n.name, c.value FROM changes c "
    "JOIN devices d ON d.device_ref = c.device_ref JOIN names n ON n.name_ref = c.author_ref "
    "WHERE c.device_ref = ?1 AND c.device_seq = ?2";
// Every log read selects these columns, in this order (loggedChangeFromRow() reads them).
constexpr std::string_view kLoggedColumns =
    "SELECT c.server_seq, d.device_id, c.device_seq, r.collection, r.record_id, c.field, c.op, "
    "c.value, c.hlc, c.base, n.name, c.outcome FROM changes c "
    "JOIN devices d ON d.device_ref = c.device_ref JOIN records r ON r.record_ref = c.record_ref "
    "JOIN names n ON n.name_ref = c.author_ref ";
// A scoped pull page. ?1 is a JSON array of scope keys, ?2 the cursor, ?3 the limit. The first
// part is every change after the cursor of a record in the scopes; the second, the changes up to
// the cursor of records that joined a scope after it (their position is the join's). CROSS JOIN
// fixes the order scope -> records (records_by_scope) -> changes (changes_by_record, whose
// implicit rowid column bounds server_seq), so a small scope never scans the log.
constexpr std::string_view kScopedColumns =
    "SELECT c.server_seq AS seq, d.device_id, c.device_seq, r.collection, r.record_id, c.field, "
    "c.op, c.value, c.hlc, c.base, n.name, c.outcome, ";
constexpr std::string_view kScopedAfter =
    "max(c.server_seq, r.scope_seq) AS pos, r.record_ref FROM json_each(?1) k "
    "CROSS JOIN records r ON r.scope_key = k.value "
    "CROSS JOIN changes c ON c.record_ref = r.record_ref AND c.server_seq > ?2 "
    "JOIN devices d ON d.device_ref = c.device_ref JOIN names n ON n.name_ref = c.author_ref "
    "UNION ALL ";
constexpr std::string_view kScopedJoined =
    "r.scope_seq AS pos, r.record_ref FROM json_each(?1) k "
    "CROSS JOIN records r ON r.scope_key = k.value AND r.scope_seq > ?2 "
    "CROSS JOIN changes c ON c.record_ref = r.record_ref AND c.server_seq <= ?2 "
    "JOIN devices d ON d.device_ref = c.device_ref JOIN names n ON n.name_ref = c.author_ref "
    "ORDER BY pos, seq LIMIT ?3";
// One device's changes by sequence (the UNIQUE (device_ref, device_seq) index), a record's in
// log order (changes_by_record).
constexpr std::string_view kDeviceChangesWhere =
    "WHERE c.device_ref = ?1 AND c.device_seq > ?2 ORDER BY c.device_seq LIMIT ?3";
constexpr std::string_view kRecordChangesWhere = "WHERE c.record_ref = ?1 ORDER BY c.server_seq";
constexpr std::string_view kInsertQuarantine =
    "INSERT OR IGNORE INTO quarantine (device_id, device_seq, change, code, message, truncated, "
    "value_bytes, value_sha256) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)";
// Every quarantine read selects the columns quarantineRow() reads, in this order.
constexpr std::string_view kSelectQuarantine =
    "SELECT change, code, message, decision, decided_by, decided_at, truncated, value_bytes, "
    "value_sha256 FROM quarantine "
    "ORDER BY device_id, device_seq";
constexpr std::string_view kSelectQuarantined =
    "SELECT change, code, message, decision, decided_by, decided_at, truncated, value_bytes, "
    "value_sha256 FROM quarantine "
    "WHERE device_id = ?1 AND device_seq = ?2";
// Pages of the quarantine: ranges of its primary key (device_id, device_seq).
constexpr std::string_view kSelectQuarantinePage =
    "SELECT change, code, message, decision, decided_by, decided_at, truncated, value_bytes, "
    "value_sha256 FROM quarantine "
    "WHERE (device_id, device_seq) > (?1, ?2) ORDER BY device_id, device_seq LIMIT ?3";
constexpr std::string_view kSelectDeviceQuarantinePage =
    "SELECT change, code, message, decision, decided_by, decided_at, truncated, value_bytes, "
    "value_sha256 FROM quarantine "
    "WHERE device_id = ?1 AND device_seq > ?2 ORDER BY device_seq LIMIT ?3";
constexpr std::string_view kDecideQuarantined =
    "UPDATE quarantine SET decision = ?3, decided_by = ?4, decided_at = ?5 "
    "WHERE device_id = ?1 AND device_seq = ?2 AND decision IS NULL";

/// Reads one row selected with kLoggedColumns.
LoggedChange loggedChangeFromRow(const sqlite::Statement& row) {
    LoggedChange logged;
    logged.serverSeq = static_cast<std::uint64_t>(row.integer(0));
    shared::Change& change = logged.change;
    change.deviceId = idFromColumn<shared::DeviceIdTag>(row.blob(1));
    change.deviceSeq = static_cast<std::uint64_t>(row.integer(2));
    change.collection = std::string(row.text(3));
    change.recordId = idFromColumn<shared::RecordIdTag>(row.blob(4));
    change.field = std::string(row.text(5));
    change.operation = static_cast<shared::Operation>(row.integer(6));
    change.value = codec::decodeValue(row.blob(7));
    change.hlc = hlcFromColumn(row.blob(8));
    if (!row.isNull(9)) {
        change.baseVersion = hlcFromColumn(row.blob(9));
    }
    change.author = std::string(row.text(10));
    logged.outcome = static_cast<ChangeOutcome>(row.integer(11));
    return logged;
}

/// The quarantine entry in the current row of a kSelectQuarantine-shaped statement.
QuarantinedChange quarantineRow(sqlite::Statement& select) {
    const auto blob = select.blob(0);
    auto changes = shared::ChangeCodec::fromBinary(
        std::string_view(reinterpret_cast<const char*>(blob.data()), blob.size()));
    if (changes.size() != 1) {
        throw shared::Error(shared::ErrorCode::InternalError,
                            "The store holds a corrupt quarantine entry.");
    }
    QuarantinedChange entry;
    entry.change = std::move(changes.front());
    entry.code = static_cast<shared::ErrorCode>(select.integer(1));
    entry.message = std::string(select.text(2));
    if (!select.isNull(3)) {
        entry.decision = select.text(3) == "accepted" ? QuarantineDecision::Accepted
                                                      : QuarantineDecision::Discarded;
        entry.decidedBy = std::string(select.text(4));
        entry.decidedAtMs = select.integer(5);
    }
    entry.truncated = select.integer(6) != 0;
    if (!select.isNull(7)) {
        entry.valueBytes = static_cast<std::uint64_t>(select.integer(7));
        entry.valueSha256 = std::string(select.text(8));
    }
    return entry;
}

/// A JSON array of the distinct `keys` (for json_each).
std::string jsonArrayOf(const std::vector<std::string>& keys) {
    std::vector<const std::string*> sorted;
    sorted.reserve(keys.size());
    for (const auto& key : keys) {
        sorted.push_back(&key);
    }
    std::sort(sorted.begin(), sorted.end(),
              [](const std::string* a, const std::string* b) { return *a < *b; });
    sorted.erase(std::unique(sorted.begin(), sorted.end(),
                             [](const std::string* a, const std::string* b) { return *a == *b; }),
                 sorted.end());
    static constexpr char kHex[] = "0123456789abcdef";
    std::string json = "[";
    for (const std::string* key : sorted) {
        json += json.size() > 1 ? ",\"" : "\"";
        for (const char c : *key) {
            const auto byte = static_cast<unsigned char>(c);
            if (c == '"' || c == '\\') {
                json += '\\';
                json += c;
            } else if (byte < 0x20) {
                json += "\\u00";
                json += kHex[byte >> 4];
                json += kHex[byte & 0xF];
            } else {
                json += c;
            }
        }
        json += '"';
    }
    json += ']';
    return json;
}

std::vector<LoggedChange> loggedChanges(sqlite::ScopedStatement& select) {
    std::vector<LoggedChange> changes;
    while (select->step()) {
        changes.push_back(loggedChangeFromRow(*select));
    }
    return changes;
}

}  // namespace

// ---- The log -----------------------------------------------------------------------------------

std::optional<std::uint64_t> SqliteBackend::appendChange(const ChangeRow& row) {
    auto insert = _db.cached(kInsertChange);
    insert->bind(1, row.deviceRef);
    insert->bind(2, sqlInteger(row.deviceSeq));
    insert->bind(3, row.recordRef);
    insert->bind(4, row.field);
    insert->bind(5, static_cast<std::int64_t>(row.operation));
    insert->bind(6, row.value);
    insert->bind(7, bytesOf(row.hlc.toBinary()));
    if (row.base) {
        insert->bind(8, bytesOf(row.base->toBinary()));
    }
    insert->bind(9, row.authorRef);
    insert->bind(10, static_cast<std::int64_t>(row.outcome));
    insert->run();
    if (_db.changes() == 0) {
        return std::nullopt;  // (device, sequence) already logged
    }
    return static_cast<std::uint64_t>(_db.lastInsertRowid());
}

void SqliteBackend::setOutcome(std::uint64_t serverSeq, ChangeOutcome outcome) {
    auto update = _db.cached(kSetOutcome);
    update->bind(1, sqlInteger(serverSeq));
    update->bind(2, static_cast<std::int64_t>(outcome));
    update->run();
}

void SqliteBackend::setOutcomeOf(const DeviceId& device, std::uint64_t deviceSeq,
                                 ChangeOutcome outcome) {
    auto update = _db.cached(kSetOutcomeByDevice);
    update->bind(1, bytesOf(device.bytes()));
    update->bind(2, sqlInteger(deviceSeq));
    update->bind(3, static_cast<std::int64_t>(outcome));
    update->run();
}

std::optional<ReceivedBefore> SqliteBackend::receivedBefore(const DeviceId& device,
                                                            std::uint64_t deviceSeq) {
    auto select = _db.cached(kSelectReceived);
    select->bind(1, bytesOf(device.bytes()));
    select->bind(2, sqlInteger(deviceSeq));
    if (!select->step()) {
        return std::nullopt;
    }
    ReceivedBefore received;
    if (!select->isNull(0)) {
        received.refusal = static_cast<shared::ErrorCode>(select->integer(0));
        received.message = std::string(select->text(1));
    }
    return received;
}

std::optional<ChangeOutcome> SqliteBackend::loggedOutcome(const DeviceId& device,
                                                          std::uint64_t deviceSeq) {
    auto select = _db.cached(kSelectLoggedOutcome);
    select->bind(1, bytesOf(device.bytes()));
    select->bind(2, sqlInteger(deviceSeq));
    if (!select->step()) {
        return std::nullopt;
    }
    return static_cast<ChangeOutcome>(select->integer(0));
}

std::optional<Write> SqliteBackend::loggedWrite(std::int64_t deviceRef, std::uint64_t deviceSeq) {
    auto select = _db.cached(kSelectWrite);
    select->bind(1, deviceRef);
    select->bind(2, sqlInteger(deviceSeq));
    if (!select->step()) {
        return std::nullopt;
    }
    Write write;
    write.key.device = idFromColumn<shared::DeviceIdTag>(select->blob(0));
    write.key.deviceSeq = deviceSeq;
    write.key.hlc = hlcFromColumn(select->blob(1));
    write.author = std::string(select->text(2));
    write.value = codec::decodeValue(select->blob(3));
    return write;
}

std::uint64_t SqliteBackend::lastServerSeq() {
    return static_cast<std::uint64_t>(_db.queryInteger("SELECT max(server_seq) FROM changes"));
}

std::vector<LoggedChange> SqliteBackend::changesSince(std::uint64_t after, std::size_t limit) {
    static const std::string kSql =
        std::string(kLoggedColumns) + "WHERE c.server_seq > ?1 ORDER BY c.server_seq LIMIT ?2";
    auto select = _db.cached(kSql);
    select->bind(1, sqlInteger(after));
    select->bind(2, sqlInteger(limit));
    return loggedChanges(select);
}

std::vector<LoggedChange> SqliteBackend::scopedChanges(std::uint64_t after, std::size_t limit,
                                                       const std::vector<std::string>& scopeKeys) {
    std::vector<LoggedChange> changes;
    std::uint64_t lastSeq = 0;
    std::int64_t lastRecord = 0;
    {
        static const std::string kSql = std::string(kScopedColumns) + std::string(kScopedAfter) +
                                        std::string(kScopedColumns) + std::string(kScopedJoined);
        auto select = _db.cached(kSql);
        select->bind(1, jsonArrayOf(scopeKeys));
        select->bind(2, sqlInteger(after));
        select->bind(3, sqlInteger(limit));
        while (select->step()) {
            changes.push_back(loggedChangeFromRow(*select));
            lastSeq = changes.back().serverSeq;
            changes.back().serverSeq = static_cast<std::uint64_t>(select->integer(12));
            lastRecord = select->integer(13);
        }
    }
    if (changes.size() < limit || lastSeq >= changes.back().serverSeq) {
        return changes;
    }
    // The page ended inside a late joiner's group (its changes before the join share the join's
    // position): complete the group, or the next page (after that position) would skip the rest.
    const std::uint64_t position = changes.back().serverSeq;
    static const std::string kRest =
        std::string(kLoggedColumns) +
        "WHERE c.record_ref = ?1 AND c.server_seq > ?2 AND c.server_seq <= ?3 "
        "ORDER BY c.server_seq";
    auto select = _db.cached(kRest);
    select->bind(1, lastRecord);
    select->bind(2, sqlInteger(lastSeq));
    select->bind(3, sqlInteger(position));
    while (select->step()) {
        changes.push_back(loggedChangeFromRow(*select));
        changes.back().serverSeq = position;
    }
    return changes;
}

std::vector<LoggedChange> SqliteBackend::fieldHistory(std::int64_t recordRef,
                                                      std::string_view field) {
    static const std::string kSql = std::string(kLoggedColumns) +
                                    "WHERE c.record_ref = ?1 AND c.field = ?2 "
                                    "ORDER BY c.hlc, d.device_id, c.device_seq";
    auto select = _db.cached(kSql);
    select->bind(1, recordRef);
    select->bind(2, field);
    return loggedChanges(select);
}

std::vector<LoggedChange> SqliteBackend::recordChanges(std::int64_t recordRef) {
    static const std::string kSql = std::string(kLoggedColumns) + std::string(kRecordChangesWhere);
    auto select = _db.cached(kSql);
    select->bind(1, recordRef);
    return loggedChanges(select);
}

std::vector<LoggedChange> SqliteBackend::deviceChanges(std::int64_t deviceRef,
                                                       std::uint64_t afterSeq, std::size_t limit) {
    static const std::string kSql = std::string(kLoggedColumns) + std::string(kDeviceChangesWhere);
    auto select = _db.cached(kSql);
    select->bind(1, deviceRef);
    select->bind(2, sqlInteger(afterSeq));
    select->bind(3, sqlInteger(limit));
    return loggedChanges(select);
}

// ---- The quarantine ----------------------------------------------------------------------------

void SqliteBackend::addQuarantined(const QuarantinedChange& entry) {
    const std::string encoded = shared::ChangeCodec::toBinary({entry.change});
    auto insert = _db.cached(kInsertQuarantine);
    insert->bind(1, bytesOf(entry.change.deviceId.bytes()));
    insert->bind(2, sqlInteger(entry.change.deviceSeq));
    insert->bind(3,
                 std::span(reinterpret_cast<const std::uint8_t*>(encoded.data()), encoded.size()));
    insert->bind(4, static_cast<std::int64_t>(entry.code));
    insert->bind(5, entry.message);
    insert->bind(6, std::int64_t{entry.truncated ? 1 : 0});
    if (entry.truncated && !entry.valueSha256.empty()) {
        insert->bind(7, sqlInteger(entry.valueBytes));
        insert->bind(8, entry.valueSha256);
    }
    insert->run();
}

std::vector<QuarantinedChange> SqliteBackend::quarantine() {
    std::vector<QuarantinedChange> result;
    auto select = _db.cached(kSelectQuarantine);
    while (select->step()) {
        result.push_back(quarantineRow(*select));
    }
    return result;
}

std::optional<QuarantinedChange> SqliteBackend::quarantined(const DeviceId& device,
                                                            std::uint64_t deviceSeq) {
    auto select = _db.cached(kSelectQuarantined);
    select->bind(1, bytesOf(device.bytes()));
    select->bind(2, sqlInteger(deviceSeq));
    if (!select->step()) {
        return std::nullopt;
    }
    return quarantineRow(*select);
}

std::vector<QuarantinedChange> SqliteBackend::quarantinePage(
    const QuarantinePosition& after, std::size_t limit, const std::optional<DeviceId>& device) {
    std::vector<QuarantinedChange> page;
    auto select = _db.cached(device ? kSelectDeviceQuarantinePage : kSelectQuarantinePage);
    select->bind(1, bytesOf(device ? device->bytes() : after.device.bytes()));
    select->bind(2, sqlInteger(after.deviceSeq));
    select->bind(3, sqlInteger(limit));
    while (select->step()) {
        page.push_back(quarantineRow(*select));
    }
    return page;
}

void SqliteBackend::decideQuarantined(const DeviceId& device, std::uint64_t deviceSeq,
                                      QuarantineDecision decision, const std::string& decidedBy,
                                      std::int64_t decidedAtMs) {
    auto update = _db.cached(kDecideQuarantined);
    update->bind(1, bytesOf(device.bytes()));
    update->bind(2, sqlInteger(deviceSeq));
    update->bind(3, std::string(wireName(decision)));
    update->bind(4, decidedBy);
    update->bind(5, decidedAtMs);
    update->run();
}

}  // namespace verdant::sync
