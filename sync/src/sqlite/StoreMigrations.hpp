#pragma once

#include "verdant/shared/Schema.hpp"
#include "verdant/sync/Sqlite.hpp"

#include <span>
#include <string_view>

namespace verdant::sync {

class SqliteBackend;

/// One step of the store's schema history: applied in order, each in its own transaction,
/// recorded in PRAGMA user_version. Steps are append-only: a shipped step is never edited.
struct Migration {
    int version;            ///< user_version after this step (1, 2, 3...).
    std::string_view name;  ///< What the step does, for logs and tests.
    std::string_view sql;   ///< The DDL/DML of the step.
    /// Data the SQL alone cannot derive (it needs the schema), filled in after `sql` in the same
    /// transaction; nullptr for none.
    void (*fill)(SqliteBackend& backend, const shared::Schema& schema) = nullptr;
};

/// The version whose step (compact_storage) rewrites every field row in place.
inline constexpr int kCompactStorageVersion = 8;

/// Every step, in order.
std::span<const Migration> storeMigrations() noexcept;

/// Brings the backend's database up to the latest version; returns the version it found. `schema`
/// is what steps with a `fill` read (e.g. scope rules). Throws Error(UnsupportedStoreVersion) for a
/// database newer than this code.
int migrateStore(SqliteBackend& backend, const shared::Schema& schema);

}  // namespace verdant::sync
