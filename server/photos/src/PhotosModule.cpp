#include "verdant/server/photos/PhotosModule.hpp"

#include "StoreBlobFiles.hpp"
#include "UploadEndpoint.hpp"
#include "UploadSweeper.hpp"

#include "verdant/server/photos/AuditPhotosEndpoint.hpp"
#include "verdant/server/photos/BlobDownloadEndpoint.hpp"
#include "verdant/server/photos/FileBlobStore.hpp"
#include "verdant/server/photos/PhotoIndex.hpp"

#include <Poco/Path.h>

#include <stdexcept>

namespace verdant::server {

namespace {

/// How often the sweeper looks for expired uploads. Expiry is a day; a swept upload only frees
/// quota and disk, so ten minutes late costs nothing.
constexpr std::chrono::minutes kSweepInterval{10};

}  // namespace

PhotosModule::PhotosModule() = default;

PhotosModule::~PhotosModule() {
    _sweeper.reset();  // first: it uses the endpoint and the indexes
}

void PhotosModule::addCollections(shared::Schema& /*schema*/) const {}

void PhotosModule::mountRoutes(Router& router, const ModuleServices& services) {
    _indexes =
        std::make_unique<PhotoIndexes>(Poco::Path(services.dataDir).append("blobs").toString());
    _blobs = std::make_unique<FileBlobStore>(*_indexes, services.clock);
    _uploads = std::make_unique<UploadEndpoint>(services, *_indexes, *_blobs);
    _uploads->registerRoutes(router);
    _blobFiles = std::make_unique<StoreBlobFiles>(*_blobs, *_indexes);
    _downloads = std::make_unique<BlobDownloadEndpoint>(services, *_blobFiles);
    _downloads->registerRoutes(router);
    _auditPhotos = std::make_unique<AuditPhotosEndpoint>(services, *_blobFiles);
    _auditPhotos->registerRoutes(router);
    _uploads->sweepExpired();
    _sweeper =
        std::make_unique<UploadSweeper>([this] { _uploads->sweepExpired(); }, kSweepInterval);
}

BlobStore& PhotosModule::blobs() {
    if (!_blobs) {
        throw std::logic_error("the photos module is not mounted");
    }
    return *_blobs;
}

void PhotosModule::sweepExpiredUploads() {
    if (_uploads) {
        _uploads->sweepExpired();
    }
}

}  // namespace verdant::server
