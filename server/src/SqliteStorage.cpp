#include "verdant/server/SqliteStorage.hpp"

#include "verdant/shared/ErrorCode.hpp"

#include <sqlite3.h>

namespace verdant::server {

using shared::Error;
using shared::ErrorCode;

SqliteStorage::SqliteStorage(const std::string& path) {
    const int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX;
    if (sqlite3_open_v2(path.c_str(), &_db, flags, nullptr) != SQLITE_OK) {
        close();
        throw Error(ErrorCode::StorageUnavailable, "cannot open the database '" + path + "'");
    }
    sqlite3_busy_timeout(_db, 5000);
    // journal_mode also reads the file header, so a file that is not a database fails here.
    if (sqlite3_exec(_db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;", nullptr, nullptr,
                     nullptr) != SQLITE_OK) {
        close();
        throw Error(ErrorCode::StorageUnavailable,
                    "'" + path + "' is not a usable SQLite database");
    }
}

SqliteStorage::~SqliteStorage() {
    close();
}

bool SqliteStorage::isHealthy() noexcept {
    std::lock_guard lock(_mutex);
    if (_db == nullptr) {
        return false;
    }
    return sqlite3_exec(_db, "SELECT count(*) FROM sqlite_schema", nullptr, nullptr, nullptr) ==
           SQLITE_OK;
}

void SqliteStorage::close() noexcept {
    std::lock_guard lock(_mutex);
    if (_db != nullptr) {
        sqlite3_close_v2(_db);
        _db = nullptr;
    }
}

}  // namespace verdant::server
