#include "SideConnection.hpp"

namespace verdant::client {

void prepareSideConnection(sync::sqlite::Database& db,
                           const std::function<void(sqlite3*)>& onOpen) {
    if (onOpen) {
        onOpen(db.handle());
    }
    db.exec(R"sql(
        PRAGMA busy_timeout = 5000;
        PRAGMA journal_mode = WAL;
        PRAGMA synchronous = NORMAL;
        PRAGMA wal_autocheckpoint = 0;
    )sql");
}

}  // namespace verdant::client
