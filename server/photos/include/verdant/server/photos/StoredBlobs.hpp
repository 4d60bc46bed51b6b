#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace verdant::server {

/// A verified blob of the store: where its bytes are and what they are.
struct BlobFile {
    std::string path;       ///< The file holding the blob's bytes; never changes once stored.
    std::int64_t size = 0;  ///< Its length in bytes.
    std::string mediaType;  ///< As judged from its bytes at upload, e.g. "image/jpeg".
};

/// What the download routes need of a tenant's blob store: the verified blobs by SHA-256, the
/// `photos` records each blob was uploaded or proven for (its claims), and where thumbnails are
/// kept. A blob the store has not verified yet is not found. Implementations must be safe to call
/// from any number of threads at once.
class StoredBlobs {
public:
    virtual ~StoredBlobs() = default;

    /// The verified blob of `sha256` (64 lower-case hexadecimal characters) of `tenantId`, or
    /// nullopt when the tenant holds none.
    virtual std::optional<BlobFile> find(const std::string& tenantId,
                                         const std::string& sha256) const = 0;

    /// The ids of the `photos` records whose bytes someone uploaded or proved to hold as
    /// `sha256` (in any order, each once); empty when none. Cost follows that number.
    virtual std::vector<std::string> claimedPhotoIds(const std::string& tenantId,
                                                     const std::string& sha256) const = 0;

    /// A directory of `tenantId` the thumbnails of its blobs may be written to (created when
    /// missing by whoever writes there).
    virtual std::string thumbnailDirectory(const std::string& tenantId) const = 0;
};

}  // namespace verdant::server
