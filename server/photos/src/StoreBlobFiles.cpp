#include "StoreBlobFiles.hpp"

#include <Poco/Path.h>

namespace verdant::server {

std::optional<BlobFile> StoreBlobFiles::find(const std::string& tenantId,
                                             const std::string& sha256) const {
    const auto blob = _store.find(tenantId, sha256);
    const auto path = blob ? _store.localPath(tenantId, sha256) : std::nullopt;
    if (!path) {
        return std::nullopt;
    }
    return BlobFile{*path, blob->size, blob->mediaType};
}

std::vector<std::string> StoreBlobFiles::claimedPhotoIds(const std::string& tenantId,
                                                         const std::string& sha256) const {
    return _store.claimsFor(tenantId, sha256);
}

std::string StoreBlobFiles::thumbnailDirectory(const std::string& tenantId) const {
    return Poco::Path(_indexes.tenantDirectory(tenantId)).append("thumbnails").toString();
}

}  // namespace verdant::server
