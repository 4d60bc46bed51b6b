#include "verdant/server/storage/SqliteStoreBackends.hpp"

#include "verdant/shared/ErrorCode.hpp"
#include "verdant/sync/Sqlite.hpp"

#include <Poco/File.h>
#include <Poco/Path.h>

namespace verdant::server {

using shared::Error;
using shared::ErrorCode;

SqliteStoreBackends::SqliteStoreBackends(std::string dataDir, const std::string& healthPath,
                                         const shared::Schema& schema, Options options)
    : _dataDir(std::move(dataDir)), _schema(schema), _options(options) {
    _schema.finalize();
    try {
        _health = std::make_unique<sync::sqlite::Database>(healthPath);
        // journal_mode also reads the file header, so a file that is not a database fails here.
        _health->exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;");
    } catch (const Error&) {
        throw Error(ErrorCode::StorageUnavailable,
                    "'" + healthPath + "' cannot be opened as a SQLite database");
    }
}

SqliteStoreBackends::~SqliteStoreBackends() = default;

std::string SqliteStoreBackends::tenantFile(const std::string& tenantId) const {
    const auto directory = Poco::Path(_dataDir).append("tenants").append(tenantId);
    Poco::File(directory.toString()).createDirectories();
    return Poco::Path(directory).append("sync.db").toString();
}

std::unique_ptr<sync::StoreBackend> SqliteStoreBackends::openWriter(const std::string& tenantId) {
    sync::StoreOptions options;
    options.durable = true;  // an acknowledged push survives power loss
    options.cacheKiB = _options.writerCacheKiB;
    options.mmapBytes = 0;  // mapped pages count in resident memory and grow with the store
    return sync::openSqliteBackend(tenantFile(tenantId), _schema, options);
}

std::unique_ptr<sync::StoreBackend> SqliteStoreBackends::openReader(const std::string& tenantId) {
    sync::StoreOptions options;
    options.readOnly = true;
    options.cacheKiB = _options.readerCacheKiB;
    options.mmapBytes = 0;  // once per reader, mapped pages would grow with the store
    return sync::openSqliteBackend(tenantFile(tenantId), _schema, options);
}

bool SqliteStoreBackends::isHealthy() noexcept {
    std::lock_guard lock(_mutex);
    if (!_health) {
        return false;
    }
    try {
        _health->queryInteger("SELECT count(*) FROM sqlite_schema");
        return true;
    } catch (const std::exception&) {
        return false;
    }
}

void SqliteStoreBackends::close() noexcept {
    std::lock_guard lock(_mutex);
    _health.reset();
}

}  // namespace verdant::server
