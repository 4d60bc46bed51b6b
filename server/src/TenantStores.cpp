#include "verdant/server/TenantStores.hpp"

#include "verdant/shared/ErrorCode.hpp"

#include <Poco/File.h>
#include <Poco/Path.h>

namespace verdant::server {

using shared::Error;
using shared::ErrorCode;

TenantStores::TenantStores(std::string dataDir, const shared::Schema& schema,
                           shared::HlcClock& clock)
    : _dataDir(std::move(dataDir)), _schema(schema), _clock(clock) {}

TenantStores::~TenantStores() = default;

TenantStores::Entry& TenantStores::entry(const std::string& tenantId) {
    // Tenant ids come from our own accounts database, but they also become a path: check.
    if (tenantId.empty() || tenantId.size() > 64 ||
        tenantId.find_first_not_of("0123456789abcdef-") != std::string::npos) {
        throw Error(ErrorCode::InvalidParameter, "not a tenant id");
    }
    std::lock_guard lock(_mutex);
    auto& slot = _entries[tenantId];
    if (!slot) {
        auto fresh = std::make_unique<Entry>();
        const auto directory = Poco::Path(_dataDir).append("tenants").append(tenantId);
        Poco::File(directory.toString()).createDirectories();
        sync::StoreOptions options;
        options.clock = &_clock;  // refuses changes dated beyond the drift bound
        options.durable = true;   // an acknowledged push survives power loss
        fresh->store = std::make_unique<sync::Store>(
            Poco::Path(directory).append("sync.db").toString(), _schema, options);
        slot = std::move(fresh);
    }
    return *slot;
}

void TenantStores::closeAll() {
    std::lock_guard lock(_mutex);
    for (auto& [tenant, entry] : _entries) {
        std::lock_guard storeLock(entry->mutex);
        entry->store.reset();
    }
    _entries.clear();
}

}  // namespace verdant::server
