#pragma once

#include "verdant/server/photos/BlobStore.hpp"
#include "verdant/server/sync/DomainModule.hpp"

#include <memory>

namespace verdant::server {

class AuditPhotosEndpoint;
class BlobDownloadEndpoint;
class FileBlobStore;
class PhotoIndexes;
class StoreBlobFiles;
class UploadEndpoint;
class UploadSweeper;

/// The photos' bytes as the server runs them (the `photos` records themselves are the audit
/// module's collection):
///  - the tenant's blob store (FileBlobStore under `<data-dir>/blobs/<tenant>/`) and its index of
///    blobs, claims and open uploads (PhotoIndex);
///  - routes: tus 1.0.0 uploads at /v1/uploads with possession-proven deduplication
///    (UploadEndpoint), downloads and thumbnails at /v1/blobs (BlobDownloadEndpoint), an audit's
///    photos expected and received (AuditPhotosEndpoint); docs/protocol.md › Photos;
///  - a sweeper thread that removes expired unfinished uploads and their bytes: at start, then
///    every ten minutes until the module is destroyed (with the server).
/// Thread-safe once mounted.
class PhotosModule final : public DomainModule {
public:
    PhotosModule();
    ~PhotosModule() override;
    std::string_view name() const override { return "photos"; }
    /// Adds nothing: the `photos` collection is the audit module's.
    void addCollections(shared::Schema& schema) const override;
    /// Opens the blob store under services.dataDir, registers the upload routes and starts the
    /// sweeper (after a first sweep).
    void mountRoutes(Router& router, const ModuleServices& services) override;

    /// The tenants' blobs, for the download routes. Valid after mountRoutes; throws
    /// std::logic_error before.
    BlobStore& blobs();

    /// Removes every tenant's expired uploads and their bytes now (the sweeper's work).
    void sweepExpiredUploads();

private:
    std::unique_ptr<PhotoIndexes> _indexes;
    std::unique_ptr<FileBlobStore> _blobs;
    std::unique_ptr<UploadEndpoint> _uploads;
    std::unique_ptr<StoreBlobFiles> _blobFiles;
    std::unique_ptr<BlobDownloadEndpoint> _downloads;
    std::unique_ptr<AuditPhotosEndpoint> _auditPhotos;
    std::unique_ptr<UploadSweeper> _sweeper;
};

}  // namespace verdant::server
