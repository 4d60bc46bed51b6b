#pragma once

#include "verdant/server/storage/StoreBackends.hpp"
#include "verdant/shared/Schema.hpp"

#include <memory>
#include <mutex>
#include <string>

namespace verdant::sync::sqlite {
class Database;
}

namespace verdant::server {

/// The embedded default: one SQLite file per tenant (data/tenants/<tenant id>/sync.db), so
/// tenant isolation holds by construction, since no query can reach another tenant's file.
/// Writers are durable (an acknowledged push survives power loss); every connection has a
/// bounded page cache and no memory map, so the server's memory does not follow store size.
/// Health is a query on the data directory's accounts database.
class SqliteStoreBackends final : public StoreBackends {
public:
    /// Page caches, KiB.
    struct Options {
        int writerCacheKiB = 16 * 1024;  ///< The tenant's writer: a push's working set.
        /// Each reader: small, since the OS page cache holds the file and every reader's cache
        /// counts towards the process's memory.
        int readerCacheKiB = 8 * 1024;
    };
    /// Stores under `dataDir`; `healthPath` is the SQLite file the health check queries (opened
    /// now: throws shared::Error(StorageUnavailable) naming it if it is no database).
    SqliteStoreBackends(std::string dataDir, const std::string& healthPath,
                        const shared::Schema& schema, Options options);
    /// As above, with the default Options.
    SqliteStoreBackends(std::string dataDir, const std::string& healthPath,
                        const shared::Schema& schema)
        : SqliteStoreBackends(std::move(dataDir), healthPath, schema, Options{}) {}
    ~SqliteStoreBackends() override;
    SqliteStoreBackends(const SqliteStoreBackends&) = delete;
    SqliteStoreBackends& operator=(const SqliteStoreBackends&) = delete;

    std::string name() const override { return "sqlite"; }
    std::unique_ptr<sync::StoreBackend> openWriter(const std::string& tenantId) override;
    std::unique_ptr<sync::StoreBackend> openReader(const std::string& tenantId) override;
    bool isHealthy() noexcept override;
    void close() noexcept override;

private:
    std::string tenantFile(const std::string& tenantId) const;

    std::string _dataDir;
    shared::Schema _schema;  // finalized copy: what migrations read
    Options _options;
    std::mutex _mutex;  // guards _health
    std::unique_ptr<sync::sqlite::Database> _health;
};

}  // namespace verdant::server
