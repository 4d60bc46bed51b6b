#include "StoreMigrations.hpp"

#include "SqliteBackend.hpp"
#include "SqliteRows.hpp"
#include "StateCodec.hpp"
#include "StoreDigest.hpp"
#include "StoredState.hpp"

#include "verdant/shared/ErrorCode.hpp"

#include <array>
#include <cstring>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace verdant::sync {

namespace {

/// Step 4's data: the scope key of every record written before scopes existed, from the
/// schema's scope rules (Own: the record itself; Parent: the visible value of its parent field).
/// scope_seq stays 0: those records count as in their scope from their first change.
void fillScopeKeys(SqliteBackend& backend, const shared::Schema& schema) {
    sqlite::Database& db = backend.database();
    for (const auto* collection : schema.collections()) {
        const auto& rule = collection->scope();
        std::vector<std::pair<std::int64_t, std::string>> keys;
        if (rule.kind == shared::ScopeRule::Kind::Own) {
            sqlite::Statement select(
                db.handle(), "SELECT record_ref, record_id FROM records WHERE collection = ?1");
            select.bind(1, collection->name());
            while (select.step()) {
                keys.emplace_back(select.integer(0),
                                  shared::scopeKey(collection->name(),
                                                   sqlite_rows::idFromColumn<shared::RecordIdTag>(
                                                       select.blob(1))));
            }
        } else {
            sqlite::Statement select(db.handle(),
                                     "SELECT r.record_ref, f.value FROM records r JOIN fields f "
                                     "ON f.record_ref = r.record_ref "
                                     "WHERE r.collection = ?1 AND f.field = ?2");
            select.bind(1, collection->name());
            select.bind(2, rule.parentField);
            while (select.step()) {
                const auto value = codec::decodeValue(select.blob(1));
                if (value.kind() == shared::ValueKind::Id) {
                    keys.emplace_back(
                        select.integer(0),
                        shared::scopeKey(rule.parentCollection, value.as<shared::RecordId>()));
                }
            }
        }
        sqlite::Statement update(db.handle(),
                                 "UPDATE records SET scope_key = ?2 WHERE record_ref = ?1");
        for (const auto& [ref, key] : keys) {
            update.bind(1, ref);
            update.bind(2, key);
            update.run();
            update.reset();
        }
    }
}

/// The devices table as a map from id to device_ref.
std::map<shared::DeviceId, std::int64_t> deviceRefs(sqlite::Database& db) {
    std::map<shared::DeviceId, std::int64_t> refs;
    sqlite::Statement select(db.handle(), "SELECT device_id, device_ref FROM devices");
    while (select.step()) {
        shared::DeviceId::Bytes bytes{};
        const auto blob = select.blob(0);
        if (blob.size() == bytes.size()) {
            std::memcpy(bytes.data(), blob.data(), bytes.size());
            refs.emplace(shared::DeviceId(bytes), select.integer(1));
        }
    }
    return refs;
}

[[noreturn]] void unmigratable() {
    throw shared::Error(shared::ErrorCode::InternalError,
                        "The store holds a merge state whose change is missing from its log; "
                        "it cannot be migrated.");
}

/// Step 8's field rows: each state rewritten in its stored form (StoredState.hpp) into
/// compact_fields, checked to read back to the same canonical bytes.
void compactFieldRows(SqliteBackend& backend) {
    sqlite::Database& db = backend.database();
    const auto devices = deviceRefs(db);
    const auto refOf = [&devices](const shared::DeviceId& device) {
        const auto found = devices.find(device);
        if (found == devices.end()) {
            unmigratable();
        }
        return found->second;
    };
    StoredStateReader states(backend);
    sqlite::Statement select(db.handle(),
                             "SELECT record_ref, field, state, in_conflict FROM fields");
    sqlite::Statement insert(db.handle(),
                             "INSERT INTO compact_fields (record_ref, field, state, in_conflict) "
                             "VALUES (?1, ?2, ?3, ?4)");
    codec::ByteWriter stored;
    while (select.step()) {
        const auto canonical = select.blob(2);
        stored.clear();
        writeStoredFieldState(stored, codec::decodeFieldState(canonical), refOf);
        const auto readBack = states.canonical(stored.bytes());
        if (!std::equal(readBack.begin(), readBack.end(), canonical.begin(), canonical.end())) {
            unmigratable();
        }
        insert.bind(1, select.integer(0));
        insert.bind(2, select.text(1));
        insert.bind(3, stored.bytes());
        insert.bind(4, select.integer(3));
        insert.run();
        insert.reset();
    }
}

/// Step 8's data: authors of changes kept once in `names`; field rows without the value and
/// version they repeated, their states in the stored form; the scope sums (over the canonical
/// form, so unchanged in value) rebuilt, which also fills step 7's table for older stores.
void compactStorage(SqliteBackend& backend, const shared::Schema& /*schema*/) {
    sqlite::Database& db = backend.database();
    db.exec(R"sql(
        INSERT INTO names (name) SELECT DISTINCT author FROM changes;
        ALTER TABLE changes ADD COLUMN author_ref INTEGER NOT NULL DEFAULT 0;
        UPDATE changes SET author_ref = (SELECT name_ref FROM names WHERE name = changes.author);
        ALTER TABLE changes DROP COLUMN author;
    )sql");
    compactFieldRows(backend);
    db.exec(R"sql(
        DROP TABLE fields;
        ALTER TABLE compact_fields RENAME TO fields;
        CREATE INDEX fields_in_conflict ON fields (in_conflict) WHERE in_conflict = 1;
    )sql");
    rebuildScopeDigests(backend);
}

// clang-format off
constexpr std::array kMigrations = {
    Migration{1, "create_change_log_and_materialized_records", R"sql(
        -- Devices seen, with the highest device sequence applied (exactly-once bookkeeping).
        CREATE TABLE devices (
            device_ref INTEGER PRIMARY KEY,
            device_id  BLOB NOT NULL UNIQUE,
            high_water INTEGER NOT NULL DEFAULT 0
        );
        -- One row per record: its tombstone state.
        CREATE TABLE records (
            record_ref INTEGER PRIMARY KEY,
            collection TEXT NOT NULL,
            record_id  BLOB NOT NULL,
            deleted    INTEGER NOT NULL DEFAULT 0,
            tombstone  BLOB NOT NULL,
            UNIQUE (collection, record_id)
        );
        -- Materialized fields: visible value, version, merge state.
        CREATE TABLE fields (
            record_ref  INTEGER NOT NULL,
            field       TEXT NOT NULL,
            value       BLOB NOT NULL,
            version     BLOB,
            state       BLOB NOT NULL,
            in_conflict INTEGER NOT NULL DEFAULT 0,
            PRIMARY KEY (record_ref, field)
        ) WITHOUT ROWID;
        CREATE INDEX fields_in_conflict ON fields (in_conflict) WHERE in_conflict = 1;
        -- Append-only change log; server_seq is the pull cursor. Never delete the last row
        -- (INTEGER PRIMARY KEY without AUTOINCREMENT would then reuse its number).
        CREATE TABLE changes (
            server_seq INTEGER PRIMARY KEY,
            device_ref INTEGER NOT NULL,
            device_seq INTEGER NOT NULL,
            record_ref INTEGER NOT NULL,
            field      TEXT NOT NULL,
            op         INTEGER NOT NULL,
            value      BLOB NOT NULL,
            hlc        BLOB NOT NULL,
            base       BLOB,
            author     TEXT NOT NULL,
            outcome    INTEGER NOT NULL,
            UNIQUE (device_ref, device_seq)
        );
    )sql"},
    Migration{2, "index_field_history", R"sql(
        CREATE INDEX changes_by_record ON changes (record_ref);
    )sql"},
    Migration{3, "add_quarantine", R"sql(
        -- Refused changes, kept with their reason (never dropped silently).
        CREATE TABLE quarantine (
            device_id  BLOB NOT NULL,
            device_seq INTEGER NOT NULL,
            change     BLOB NOT NULL,
            code       INTEGER NOT NULL,
            message    TEXT NOT NULL,
            PRIMARY KEY (device_id, device_seq)
        ) WITHOUT ROWID;
    )sql"},
    Migration{4, "add_record_scopes", R"sql(
        -- The sync scope of each record ("<collection>/<uuid>", NULL until known) and the log
        -- position at which it joined that scope (0: from its first change), so a scoped pull
        -- also delivers the changes a record received before it joined (see Store.hpp).
        ALTER TABLE records ADD COLUMN scope_key TEXT;
        ALTER TABLE records ADD COLUMN scope_seq INTEGER NOT NULL DEFAULT 0;
        CREATE INDEX records_by_scope ON records (scope_key, scope_seq);
    )sql", &fillScopeKeys},
    Migration{5, "add_quarantine_decisions", R"sql(
        -- What HQ decided about a refused change: NULL while it waits, else 'accepted' (applied
        -- on HQ's authority) or 'discarded'; by whom and when (ms since the epoch).
        ALTER TABLE quarantine ADD COLUMN decision TEXT;
        ALTER TABLE quarantine ADD COLUMN decided_by TEXT;
        ALTER TABLE quarantine ADD COLUMN decided_at INTEGER;
    )sql"},
    Migration{6, "bound_quarantined_payloads", R"sql(
        -- A refused change whose value or names were too large to keep is stored with a bounded
        -- prefix of them (truncated = 1), and the byte size and SHA-256 (lower-case hex) of its
        -- full value, so HQ can tell what it was and match it with the device's copy.
        ALTER TABLE quarantine ADD COLUMN truncated INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE quarantine ADD COLUMN value_bytes INTEGER;
        ALTER TABLE quarantine ADD COLUMN value_sha256 TEXT;
    )sql"},
    Migration{7, "add_scope_digests", R"sql(
        -- Per scope, the sum of the digests of its records' rows (see StoreDigest.hpp), kept up
        -- to date by every write, so a scope's checksum is one lookup; and the highest position
        -- of its feed, so a pull skips a caught-up scope without querying its records. Key ''
        -- sums the records whose scope is not known yet; key '*' sums every record.
        CREATE TABLE scope_digests (
            scope_key TEXT PRIMARY KEY,
            digest    BLOB NOT NULL,
            last_seq  INTEGER NOT NULL DEFAULT 0
        ) WITHOUT ROWID;
        -- Filled by step 8, which rewrites the rows these sums are over.
    )sql"},
    Migration{8, "compact_storage", R"sql(
        -- Names kept once, referred to by number: the authors of changes (changes.author_ref).
        CREATE TABLE names (
            name_ref INTEGER PRIMARY KEY,
            name     TEXT NOT NULL UNIQUE
        );
        -- Materialized fields: the merge state in its stored form (StoredState.hpp), whose
        -- writes are references to their log rows; the visible value and version derive from it.
        CREATE TABLE compact_fields (
            record_ref  INTEGER NOT NULL,
            field       TEXT NOT NULL,
            state       BLOB NOT NULL,
            in_conflict INTEGER NOT NULL DEFAULT 0,
            PRIMARY KEY (record_ref, field)
        ) WITHOUT ROWID;
    )sql", &compactStorage},
};
// clang-format on

}  // namespace

std::span<const Migration> storeMigrations() noexcept {
    return kMigrations;
}

int migrateStore(SqliteBackend& backend, const shared::Schema& schema) {
    sqlite::Database& db = backend.database();
    const auto found = static_cast<int>(db.queryInteger("PRAGMA user_version"));
    const int latest = kMigrations.back().version;
    if (found > latest) {
        throw shared::Error(shared::ErrorCode::UnsupportedStoreVersion,
                            "The database has schema version " + std::to_string(found) +
                                "; this build reads up to " + std::to_string(latest) + ".");
    }
    for (const auto& step : kMigrations) {
        if (step.version <= found) {
            continue;
        }
        sqlite::Transaction transaction(db);
        // Another connection may have run the step while this one waited for the write lock.
        if (db.queryInteger("PRAGMA user_version") >= step.version) {
            transaction.commit();
            continue;
        }
        db.exec(std::string(step.sql));
        if (step.fill != nullptr) {
            step.fill(backend, schema);
        }
        db.exec("PRAGMA user_version = " + std::to_string(step.version));
        transaction.commit();
    }
    return found;
}

}  // namespace verdant::sync
