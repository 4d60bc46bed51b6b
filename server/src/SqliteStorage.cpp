#include "verdant/server/SqliteStorage.hpp"

#include "verdant/shared/ErrorCode.hpp"
#include "verdant/sync/Sqlite.hpp"

namespace verdant::server {

using shared::Error;
using shared::ErrorCode;

SqliteStorage::SqliteStorage(const std::string& path) {
    try {
        _db = std::make_unique<sync::sqlite::Database>(path);
        // journal_mode also reads the file header, so a file that is not a database fails here.
        _db->exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;");
    } catch (const Error&) {
        throw Error(ErrorCode::StorageUnavailable,
                    "'" + path + "' cannot be opened as a SQLite database");
    }
}

SqliteStorage::~SqliteStorage() = default;

bool SqliteStorage::isHealthy() noexcept {
    std::lock_guard lock(_mutex);
    if (!_db) {
        return false;
    }
    try {
        _db->queryInteger("SELECT count(*) FROM sqlite_schema");
        return true;
    } catch (const std::exception&) {
        return false;
    }
}

void SqliteStorage::close() noexcept {
    std::lock_guard lock(_mutex);
    _db.reset();
}

}  // namespace verdant::server
