#pragma once

#include "verdant/sync/StoreBackend.hpp"

#include <memory>
#include <string>

namespace verdant::server {

/// Where the server keeps its tenants' stores: the one place that knows the database. The
/// sync engine runs over what it opens (sync::StoreBackend), TenantStores asks it for each
/// tenant's writer and readers, and `/v1/health` asks whether it answers. SQLite (one file per
/// tenant, SqliteStoreBackends) is the embedded default; a server database implements the same
/// interface without touching the engine, the handlers or the SDK.
///
/// Implementations must be safe to call from all worker threads at once.
class StoreBackends {
public:
    virtual ~StoreBackends() = default;
    /// A short name of the database, e.g. "sqlite", reported by `/v1/health`.
    virtual std::string name() const = 0;
    /// A writing connection to a tenant's store, created and brought up to date on first use.
    /// `tenantId` is a checked tenant id. Throws shared::Error (StorageUnavailable, …).
    virtual std::unique_ptr<sync::StoreBackend> openWriter(const std::string& tenantId) = 0;
    /// A read-only connection to a tenant's store, which openWriter() has opened before.
    virtual std::unique_ptr<sync::StoreBackend> openReader(const std::string& tenantId) = 0;
    /// Whether the database answers a trivial query right now. Never throws.
    virtual bool isHealthy() noexcept = 0;
    /// Releases what the backends hold (at shutdown); isHealthy() is false afterwards.
    virtual void close() noexcept = 0;
};

}  // namespace verdant::server
