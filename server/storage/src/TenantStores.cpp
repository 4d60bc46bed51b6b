#include "verdant/server/storage/TenantStores.hpp"

#include <utility>
#include <vector>

namespace verdant::server {

using shared::Error;
using shared::ErrorCode;

TenantStores::TenantStores(StoreBackends& backends, const shared::Schema& schema,
                           shared::HlcClock& clock, std::size_t readersPerTenant)
    : _backends(backends), _schema(schema), _clock(clock), _readersPerTenant(readersPerTenant) {}

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
        sync::StoreOptions engine;
        engine.clock = &_clock;  // refuses changes dated beyond the drift bound
        // The writer first: it creates and brings up to date the store the readers then open.
        fresh->writer =
            std::make_unique<sync::Store>(_backends.openWriter(tenantId), _schema, engine);
        fresh->readers = std::make_unique<ReaderPool>(
            [this, tenantId] {
                return std::make_unique<sync::Store>(_backends.openReader(tenantId), _schema);
            },
            _readersPerTenant);
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
