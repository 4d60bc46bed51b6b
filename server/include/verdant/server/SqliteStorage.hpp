#pragma once

#include "verdant/server/Storage.hpp"

#include <memory>
#include <mutex>
#include <string>

namespace verdant::sync::sqlite {
class Database;
}

namespace verdant::server {

/// The embedded default backend: one SQLite database file in the data directory, in WAL mode.
class SqliteStorage final : public Storage {
public:
    /// Opens (creating if needed) the database at `path`. Throws shared::Error(StorageUnavailable)
    /// with a message naming the file if it cannot be opened or is not a database.
    explicit SqliteStorage(const std::string& path);
    ~SqliteStorage() override;
    SqliteStorage(const SqliteStorage&) = delete;
    SqliteStorage& operator=(const SqliteStorage&) = delete;

    std::string backendName() const override { return "sqlite"; }
    bool isHealthy() noexcept override;
    void close() noexcept override;

private:
    std::mutex _mutex;
    std::unique_ptr<sync::sqlite::Database> _db;
};

}  // namespace verdant::server
