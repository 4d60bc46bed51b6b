#pragma once

#include "verdant/server/photos/StoredBlobs.hpp"
#include "verdant/server/sync/DomainModule.hpp"

#include <memory>

namespace verdant::server {

class HttpExchange;
class PhotoReadAccess;

/// `GET /v1/audits/{id}/photos` (docs/protocol.md › Photos › Photos expected and received): the
/// audit's photos expected (its `photos` records, not deleted) and received (of those, the ones
/// whose bytes the store holds, verified, and were uploaded or proven for that record), each
/// with its hash, size and caption. For anyone who may read the audit (as the pull decides);
/// 404 not_found for everyone else. Thread-safe.
class AuditPhotosEndpoint {
public:
    /// What `services` names and `blobs` must outlive the endpoint.
    AuditPhotosEndpoint(const ModuleServices& services, const StoredBlobs& blobs);
    ~AuditPhotosEndpoint();

    /// Registers the route; the endpoint must outlive `router`'s use of it.
    void registerRoutes(Router& router);

private:
    void listPhotos(HttpExchange& exchange);

    ModuleServices _services;
    const StoredBlobs& _blobs;
    std::unique_ptr<PhotoReadAccess> _access;
};

}  // namespace verdant::server
