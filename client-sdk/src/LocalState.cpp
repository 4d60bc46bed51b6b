#include "LocalState.hpp"

#include "SideConnection.hpp"

#include "verdant/shared/ChangeCodec.hpp"

namespace verdant::client {

namespace {

constexpr std::string_view kGet = "SELECT value FROM client_settings WHERE key = ?1";
constexpr std::string_view kSet =
    "INSERT INTO client_settings (key, value) VALUES (?1, ?2) "
    "ON CONFLICT (key) DO UPDATE SET value = excluded.value";
constexpr std::string_view kErase = "DELETE FROM client_settings WHERE key = ?1";
constexpr std::string_view kCursors = "SELECT scope, cursor FROM client_cursors";
constexpr std::string_view kSetCursor =
    "INSERT INTO client_cursors (scope, cursor) VALUES (?1, ?2) "
    "ON CONFLICT (scope) DO UPDATE SET cursor = excluded.cursor";
constexpr std::string_view kEraseCursor = "DELETE FROM client_cursors WHERE scope = ?1";
constexpr std::string_view kQuarantine =
    "INSERT OR IGNORE INTO client_quarantine "
    "(device_seq, collection, record_id, change, code, message, refused_at) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)";
constexpr std::string_view kQuarantined =
    "SELECT change, code, message, refused_at, decision FROM client_quarantine "
    "ORDER BY device_seq";
// Counted, and marking records, only while HQ has not decided.
constexpr std::string_view kQuarantinedCount =
    "SELECT count(*) FROM client_quarantine WHERE decision IS NULL";
constexpr std::string_view kIsQuarantined =
    "SELECT 1 FROM client_quarantine WHERE collection = ?1 AND record_id = ?2 "
    "AND decision IS NULL LIMIT 1";
constexpr std::string_view kQuarantinedRecords =
    "SELECT DISTINCT record_id FROM client_quarantine WHERE collection = ?1 "
    "AND decision IS NULL";
constexpr std::string_view kDecide =
    "UPDATE client_quarantine SET decision = ?2 WHERE device_seq = ?1 AND decision IS NULL";

}  // namespace

LocalState::LocalState(const std::string& path, const std::function<void(sqlite3*)>& onOpen)
    : _db(path) {
    // The device's state shares the file with its store; its commits are small and must not
    // checkpoint the store's WAL (that is the store connection's job, held during a pull).
    prepareSideConnection(_db, onOpen);
    _db.exec(R"sql(
        CREATE TABLE IF NOT EXISTS client_settings (
            key   TEXT PRIMARY KEY,
            value TEXT NOT NULL
        ) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS client_cursors (
            scope  TEXT PRIMARY KEY,
            cursor INTEGER NOT NULL
        ) WITHOUT ROWID;
        -- Changes the server refused: kept with the reason, never dropped.
        CREATE TABLE IF NOT EXISTS client_quarantine (
            device_seq INTEGER PRIMARY KEY,
            collection TEXT NOT NULL,
            record_id  TEXT NOT NULL,
            change     BLOB NOT NULL,
            code       INTEGER NOT NULL,
            message    TEXT NOT NULL,
            refused_at INTEGER NOT NULL
        );
        CREATE INDEX IF NOT EXISTS client_quarantine_by_record
            ON client_quarantine (collection, record_id);
    )sql");
    // HQ's decision on a refused change ("accepted", "discarded"), learned from the server; a
    // column added after the first release of the table.
    if (_db.queryInteger("SELECT count(*) FROM pragma_table_info('client_quarantine') "
                         "WHERE name = 'decision'") == 0) {
        _db.exec("ALTER TABLE client_quarantine ADD COLUMN decision TEXT");
    }
}

std::optional<std::string> LocalState::get(const std::string& key) {
    auto select = _db.cached(kGet);
    select->bind(1, key);
    if (!select->step()) {
        return std::nullopt;
    }
    return std::string(select->text(0));
}

std::int64_t LocalState::getInteger(const std::string& key, std::int64_t fallback) {
    const auto value = get(key);
    if (!value) {
        return fallback;
    }
    try {
        return std::stoll(*value);
    } catch (const std::exception&) {
        return fallback;
    }
}

void LocalState::set(const std::string& key, const std::string& value) {
    auto update = _db.cached(kSet);
    update->bind(1, key);
    update->bind(2, value);
    update->run();
}

void LocalState::set(const std::map<std::string, std::string>& values) {
    sync::sqlite::Transaction transaction(_db);
    for (const auto& [key, value] : values) {
        set(key, value);
    }
    transaction.commit();
}

void LocalState::erase(const std::string& key) {
    auto erase = _db.cached(kErase);
    erase->bind(1, key);
    erase->run();
}

void LocalState::flushToDisk() {
    _db.exec("PRAGMA wal_checkpoint(FULL)");
}

void LocalState::clearCursors() {
    _db.exec("DELETE FROM client_cursors");
}

std::map<std::string, std::uint64_t> LocalState::cursors() {
    std::map<std::string, std::uint64_t> result;
    auto select = _db.cached(kCursors);
    while (select->step()) {
        result.emplace(std::string(select->text(0)),
                       static_cast<std::uint64_t>(select->integer(1)));
    }
    return result;
}

void LocalState::setCursor(const std::string& scope, std::uint64_t cursor) {
    auto update = _db.cached(kSetCursor);
    update->bind(1, scope);
    update->bind(2, static_cast<std::int64_t>(cursor));
    update->run();
}

void LocalState::saveRound(const std::map<std::string, std::uint64_t>& cursors,
                           const std::map<std::string, std::string>& settings) {
    sync::sqlite::Transaction transaction(_db);
    for (const auto& [scope, cursor] : cursors) {
        setCursor(scope, cursor);
    }
    for (const auto& [key, value] : settings) {
        set(key, value);
    }
    transaction.commit();
}

void LocalState::eraseCursor(const std::string& scope) {
    auto erase = _db.cached(kEraseCursor);
    erase->bind(1, scope);
    erase->run();
}

void LocalState::addQuarantined(const QuarantineEntry& entry) {
    const auto bytes = shared::ChangeCodec::toBinary(std::vector<shared::Change>{entry.change});
    auto insert = _db.cached(kQuarantine);
    insert->bind(1, static_cast<std::int64_t>(entry.change.deviceSeq));
    insert->bind(2, entry.change.collection);
    insert->bind(3, entry.change.recordId.toString());
    insert->bind(4, std::span<const std::uint8_t>(
                        reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()));
    insert->bind(5, static_cast<std::int64_t>(entry.code));
    insert->bind(6, entry.message);
    insert->bind(7, entry.refusedAtMs);
    insert->run();
}

std::vector<QuarantineEntry> LocalState::quarantined() {
    std::vector<QuarantineEntry> result;
    auto select = _db.cached(kQuarantined);
    while (select->step()) {
        const auto blob = select->blob(0);
        auto changes = shared::ChangeCodec::fromBinary(
            std::string_view(reinterpret_cast<const char*>(blob.data()), blob.size()));
        QuarantineEntry entry;
        if (!changes.empty()) {
            entry.change = std::move(changes.front());
        }
        entry.code = shared::errorCodeFromNumber(static_cast<std::uint16_t>(select->integer(1)))
                         .value_or(shared::ErrorCode::InternalError);
        entry.message = std::string(select->text(2));
        entry.refusedAtMs = select->integer(3);
        if (!select->isNull(4)) {
            entry.decision = std::string(select->text(4));
        }
        result.push_back(std::move(entry));
    }
    return result;
}

std::size_t LocalState::quarantinedCount() {
    auto select = _db.cached(kQuarantinedCount);
    return select->step() ? static_cast<std::size_t>(select->integer(0)) : 0;
}

bool LocalState::decideQuarantined(std::uint64_t deviceSeq, const std::string& decision) {
    auto update = _db.cached(kDecide);
    update->bind(1, static_cast<std::int64_t>(deviceSeq));
    update->bind(2, decision);
    update->run();
    return _db.changes() > 0;
}

bool LocalState::isQuarantined(std::string_view collection, const shared::RecordId& id) {
    auto select = _db.cached(kIsQuarantined);
    select->bind(1, collection);
    select->bind(2, id.toString());
    return select->step();
}

std::vector<shared::RecordId> LocalState::quarantinedRecords(std::string_view collection) {
    std::vector<shared::RecordId> ids;
    auto select = _db.cached(kQuarantinedRecords);
    select->bind(1, collection);
    while (select->step()) {
        if (const auto id = shared::RecordId::parse(std::string(select->text(0)))) {
            ids.push_back(*id);
        }
    }
    return ids;
}

}  // namespace verdant::client
