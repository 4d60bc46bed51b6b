#include "StoreMigrations.hpp"

#include "verdant/shared/ErrorCode.hpp"

#include <array>
#include <string>

namespace verdant::sync {

namespace {

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
};
// clang-format on

}  // namespace

std::span<const Migration> storeMigrations() noexcept {
    return kMigrations;
}

int migrateStore(sqlite::Database& db) {
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
        db.exec("PRAGMA user_version = " + std::to_string(step.version));
        transaction.commit();
    }
    return found;
}

}  // namespace verdant::sync
