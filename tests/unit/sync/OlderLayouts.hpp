#pragma once

// Rebuilds the layouts of older store versions from a current store file, so migration tests
// can open them with the current Store. White-box: it uses the store's private codecs.

#include "StateCodec.hpp"
#include "StoredState.hpp"
#include "sqlite/SqliteBackend.hpp"

#include "verdant/shared/Schema.hpp"
#include "verdant/sync/Merge.hpp"
#include "verdant/sync/Sqlite.hpp"

#include <span>
#include <string>

namespace verdant::testing {

/// Takes back step 8 (compact storage): authors as text in the log again, field rows with their
/// visible value, version and canonical state. Leaves the file at version 7.
inline void takeBackCompactStorage(const std::string& path, const shared::Schema& schema) {
    using namespace sync;
    shared::Schema finalized = schema;
    finalized.finalize();
    SqliteBackend backend(path, finalized, StoreOptions{});
    sqlite::Database& db = backend.database();
    db.exec(R"sql(
        BEGIN;
        CREATE TABLE old_fields (
            record_ref  INTEGER NOT NULL,
            field       TEXT NOT NULL,
            value       BLOB NOT NULL,
            version     BLOB,
            state       BLOB NOT NULL,
            in_conflict INTEGER NOT NULL DEFAULT 0,
            PRIMARY KEY (record_ref, field)
        ) WITHOUT ROWID;
    )sql");
    {
        StoredStateReader states(backend);
        sqlite::Statement select(db.handle(),
                                 "SELECT f.record_ref, r.collection, f.field, f.state, "
                                 "f.in_conflict FROM fields f JOIN records r USING (record_ref)");
        sqlite::Statement insert(db.handle(),
                                 "INSERT INTO old_fields VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
        while (select.step()) {
            const FieldState state = states.state(select.blob(3));
            const auto* spec = schema.collection(select.text(1))->field(select.text(2));
            insert.bind(1, select.integer(0));
            insert.bind(2, select.text(2));
            insert.bind(3, codec::encodeValue(visibleValue(*spec, state)));
            if (state.version) {
                const auto version = state.version->toBinary();
                insert.bind(4, std::span<const std::uint8_t>(version));
            }
            codec::ByteWriter canonical;
            codec::writeFieldState(canonical, state);
            insert.bind(5, canonical.bytes());
            insert.bind(6, select.integer(4));
            insert.run();
            insert.reset();
        }
    }
    db.exec(R"sql(
        DROP TABLE fields;
        ALTER TABLE old_fields RENAME TO fields;
        CREATE INDEX fields_in_conflict ON fields (in_conflict) WHERE in_conflict = 1;
        ALTER TABLE changes ADD COLUMN author TEXT NOT NULL DEFAULT '';
        UPDATE changes SET author = coalesce((SELECT name FROM names WHERE name_ref = author_ref), '');
        ALTER TABLE changes DROP COLUMN author_ref;
        DROP TABLE names;
        PRAGMA user_version = 7;
        COMMIT;
    )sql");
}

}  // namespace verdant::testing
