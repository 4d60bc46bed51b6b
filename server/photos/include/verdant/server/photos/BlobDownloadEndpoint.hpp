#pragma once

#include "verdant/server/photos/StoredBlobs.hpp"
#include "verdant/server/sync/DomainModule.hpp"

#include <memory>
#include <string>

namespace verdant::server {

class HttpExchange;
class PhotoReadAccess;
class Thumbnailer;

/// The blob downloads of docs/protocol.md › Photos › Downloads:
///  - `GET` and `HEAD /v1/blobs/{sha256}`: the bytes, with `ETag: "<sha256>"`, one `Range` (206,
///    416 outside the blob) and `If-None-Match` (304);
///  - `GET /v1/blobs/{sha256}/thumbnail?width=160|320|640`: a JPEG no wider than that, made with
///    libvips on first request and kept in the store's thumbnail directory.
/// A user gets a blob only when a `photos` record they may read names it and its bytes were
/// uploaded or proven for that record (a claim); every other request, a blob the tenant does not
/// hold included, is 404 not_found, so nobody learns from a download what the tenant holds.
/// Thread-safe: serves any number of requests at once.
class BlobDownloadEndpoint {
public:
    /// What `services` names and `blobs` must outlive the endpoint. Starts libvips (throws
    /// std::runtime_error when it cannot).
    BlobDownloadEndpoint(const ModuleServices& services, const StoredBlobs& blobs);
    ~BlobDownloadEndpoint();

    /// Registers the three routes; the endpoint must outlive `router`'s use of them.
    void registerRoutes(Router& router);

private:
    void download(HttpExchange& exchange);
    void thumbnail(HttpExchange& exchange);

    /// The blob of `sha256` when `principal` may download it; throws not_found otherwise.
    BlobFile allowedBlob(const Principal& principal, const std::string& sha256);

    /// The thumbnail of `blob` at `width`, made and kept when it is not yet: its file's path.
    std::string keptThumbnail(const std::string& tenantId, const std::string& sha256,
                              const BlobFile& blob, int width) const;

    ModuleServices _services;
    const StoredBlobs& _blobs;
    std::unique_ptr<PhotoReadAccess> _access;
    std::unique_ptr<Thumbnailer> _thumbnailer;
};

}  // namespace verdant::server
