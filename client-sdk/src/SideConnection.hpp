#pragma once

#include "verdant/sync/Sqlite.hpp"

#include <functional>

struct sqlite3;

namespace verdant::client {

/// Sets up a second connection to the device's database file, beside its store's, for the
/// device's own tables (settings, cursors, quarantine, the photo upload queue): the app's hook
/// first (an encrypting build's key), then WAL with NORMAL sync and no checkpoints, which stay the
/// store connection's job (it holds them during a pull).
void prepareSideConnection(sync::sqlite::Database& db, const std::function<void(sqlite3*)>& onOpen);

}  // namespace verdant::client
