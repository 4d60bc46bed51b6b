#pragma once

#include "verdant/server/storage/ReaderPool.hpp"
#include "verdant/server/storage/StoreBackends.hpp"
#include "verdant/shared/ErrorCode.hpp"
#include "verdant/shared/HlcClock.hpp"
#include "verdant/shared/Schema.hpp"
#include "verdant/sync/Store.hpp"

#include <cstddef>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>

namespace verdant::server {

/// One sync store per tenant, opened through the server's StoreBackends (which know the
/// database; with SQLite, one file per tenant).
///
/// Per tenant there is one writer connection, used by one request at a time (with()), and a pool
/// of read-only connections (read()): reads see the last committed state and never wait for a
/// write in progress. Stores of different tenants work in parallel. Thread-safe.
class TenantStores {
public:
    /// `backends`, `schema` and `clock` must outlive this object. Stores open lazily; a tenant
    /// has at most `readersPerTenant` readers (the worker thread count: no read ever waits for
    /// one).
    TenantStores(StoreBackends& backends, const shared::Schema& schema, shared::HlcClock& clock,
                 std::size_t readersPerTenant = 4);
    /// Closes every store (closeAll()).
    ~TenantStores();
    TenantStores(const TenantStores&) = delete;
    TenantStores& operator=(const TenantStores&) = delete;

    /// Runs `work(store)` with exclusive use of the tenant's writer and returns its result: for
    /// every request that writes. Throws shared::Error(InvalidParameter) for a tenant id that is
    /// not a UUID, shared::Error(StorageUnavailable) once closeAll() has closed the store, and
    /// whatever opening the store or `work` throws.
    template <class Work>
    decltype(auto) with(const std::string& tenantId, Work&& work) {
        const auto tenant = entry(tenantId);
        std::lock_guard lock(tenant->mutex);
        if (!tenant->writer) {
            throw closedError();
        }
        return work(*tenant->writer);
    }

    /// Runs `work(store)` on one of the tenant's readers, inside one read transaction (so it sees
    /// one committed state, and never waits for a write in progress), and returns its result:
    /// for requests that only read. Throws as with().
    template <class Work>
    decltype(auto) read(const std::string& tenantId, Work&& work) {
        const auto tenant = entry(tenantId);
        const auto lease = tenant->readers->borrow();
        return work(lease.store());
    }

    /// Closes every open store (at shutdown): waits for the write and the reads in progress, then
    /// closes the tenant's connections; a request that still holds a tenant afterwards gets
    /// StorageUnavailable. A later request opens the stores again.
    void closeAll();

private:
    struct Entry {
        std::mutex mutex;                     // guards writer
        std::unique_ptr<sync::Store> writer;  // null once closed
        std::unique_ptr<ReaderPool> readers;  // opened after the writer migrated the file
    };
    std::shared_ptr<Entry> entry(const std::string& tenantId);
    static shared::Error closedError();

    StoreBackends& _backends;
    const shared::Schema& _schema;
    shared::HlcClock& _clock;
    std::size_t _readersPerTenant;
    std::mutex _mutex;
    std::map<std::string, std::shared_ptr<Entry>> _entries;
};

}  // namespace verdant::server
