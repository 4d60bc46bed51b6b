#pragma once

#include "verdant/server/photos/BlobStore.hpp"
#include "verdant/server/photos/PhotoIndex.hpp"
#include "verdant/server/photos/StoredBlobs.hpp"

namespace verdant::server {

/// The download routes' view (StoredBlobs) of the room's blob store: a verified blob's local
/// file, its claims, and a thumbnail folder beside the tenant's blobs
/// (`<data-dir>/blobs/<tenant>/thumbnails`, apart from the two-letter shards). Thread-safe as
/// the store is.
class StoreBlobFiles final : public StoredBlobs {
public:
    StoreBlobFiles(BlobStore& store, const PhotoIndexes& indexes)
        : _store(store), _indexes(indexes) {}

    std::optional<BlobFile> find(const std::string& tenantId,
                                 const std::string& sha256) const override;
    std::vector<std::string> claimedPhotoIds(const std::string& tenantId,
                                             const std::string& sha256) const override;
    std::string thumbnailDirectory(const std::string& tenantId) const override;

private:
    BlobStore& _store;
    const PhotoIndexes& _indexes;
};

}  // namespace verdant::server
