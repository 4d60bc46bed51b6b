#pragma once

#include "verdant/sync/Sqlite.hpp"

#include <span>
#include <string_view>

namespace verdant::sync {

/// One step of the store's schema history: applied in order, each in its own transaction,
/// recorded in PRAGMA user_version. Steps are append-only: a shipped step is never edited.
struct Migration {
    int version;            ///< user_version after this step (1, 2, 3...).
    std::string_view name;  ///< What the step does, for logs and tests.
    std::string_view sql;   ///< The DDL/DML of the step.
};

/// Every step, in order.
std::span<const Migration> storeMigrations() noexcept;

/// Brings `db` up to the latest version; returns the version it found. Throws
/// Error(UnsupportedStoreVersion) for a database newer than this code.
int migrateStore(sqlite::Database& db);

}  // namespace verdant::sync
