#include "verdant/server/TenantStores.hpp"

#include <Poco/File.h>
#include <Poco/Path.h>

#include <utility>
#include <vector>

namespace verdant::server {

using shared::Error;
using shared::ErrorCode;

TenantStores::TenantStores(std::string dataDir, const shared::Schema& schema,
                           shared::HlcClock& clock, ReaderOptions readers)
    : _dataDir(std::move(dataDir)), _schema(schema), _clock(clock), _readerOptions(readers) {}

TenantStores::~TenantStores() {
    closeAll();
}

std::shared_ptr<TenantStores::Entry> TenantStores::entry(const std::string& tenantId) {
    // Tenant ids come from our own accounts database, but they also become a path: check.
    if (tenantId.empty() || tenantId.size() > 64 ||
        tenantId.find_first_not_of("0123456789abcdef-") != std::string::npos) {
        throw Error(ErrorCode::InvalidParameter, "not a tenant id");
    }
    std::lock_guard lock(_mutex);
    auto& slot = _entries[tenantId];
    if (!slot) {
        auto fresh = std::make_shared<Entry>();
        const auto directory = Poco::Path(_dataDir).append("tenants").append(tenantId);
        Poco::File(directory.toString()).createDirectories();
        const auto path = Poco::Path(directory).append("sync.db").toString();
        sync::StoreOptions options;
        options.clock = &_clock;  // refuses changes dated beyond the drift bound
        options.durable = true;   // an acknowledged push survives power loss
        // A bounded page cache and no memory map (mapped pages of the file count in resident
        // memory and grow with the store): the server's memory must not follow store size.
        options.cacheKiB = 16 * 1024;
        options.mmapBytes = 0;
        // The writer first: it creates and migrates the file the readers then open.
        fresh->writer = std::make_unique<sync::Store>(path, _schema, options);
        sync::StoreOptions reader;
        reader.cacheKiB = _readerOptions.cacheKiB;
        // No memory map: mapped pages of the file would count in the process's resident memory
        // once per reader and grow with the store; reads go through the bounded page cache.
        reader.mmapBytes = 0;
        fresh->readers = std::make_unique<ReaderPool>(path, _schema, std::move(reader),
                                                      _readerOptions.perTenant);
        slot = std::move(fresh);
    }
    return slot;
}

Error TenantStores::closedError() {
    return Error(ErrorCode::StorageUnavailable, "The server is shutting down; try again.");
}

void TenantStores::closeAll() {
    std::map<std::string, std::shared_ptr<Entry>> entries;
    {
        std::lock_guard lock(_mutex);
        entries.swap(_entries);
    }
    for (auto& [tenant, entry] : entries) {
        entry->readers->close();
        std::lock_guard storeLock(entry->mutex);
        entry->writer.reset();
    }
}

}  // namespace verdant::server
