#pragma once

#include "verdant/shared/HlcClock.hpp"
#include "verdant/shared/Schema.hpp"
#include "verdant/sync/Store.hpp"

#include <map>
#include <memory>
#include <mutex>
#include <string>

namespace verdant::server {

/// One sync store per tenant, each in its own database file (data/tenants/<tenant id>/sync.db):
/// tenant isolation holds by construction, since no query can reach another tenant's file.
///
/// A tenant's store is used by one request at a time (SQLite has one writer anyway); stores of
/// different tenants work in parallel. Thread-safe.
class TenantStores {
public:
    /// `schema` and `clock` must outlive this object. Stores open lazily.
    TenantStores(std::string dataDir, const shared::Schema& schema, shared::HlcClock& clock);
    ~TenantStores();
    TenantStores(const TenantStores&) = delete;
    TenantStores& operator=(const TenantStores&) = delete;

    /// Runs `work(store)` with exclusive use of the tenant's store and returns its result.
    /// Throws shared::Error(InvalidParameter) for a tenant id that is not a UUID, and whatever
    /// opening the store or `work` throws.
    template <class Work>
    decltype(auto) with(const std::string& tenantId, Work&& work) {
        auto& tenant = entry(tenantId);
        std::lock_guard lock(tenant.mutex);
        return work(*tenant.store);
    }

    /// Closes every open store (at shutdown).
    void closeAll();

private:
    struct Entry {
        std::mutex mutex;
        std::unique_ptr<sync::Store> store;
    };
    Entry& entry(const std::string& tenantId);

    std::string _dataDir;
    const shared::Schema& _schema;
    shared::HlcClock& _clock;
    std::mutex _mutex;
    std::map<std::string, std::unique_ptr<Entry>> _entries;
};

}  // namespace verdant::server
