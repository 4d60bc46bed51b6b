#pragma once

#include "verdant/server/photos/BlobStore.hpp"
#include "verdant/server/photos/PhotoIndex.hpp"
#include "verdant/shared/Clock.hpp"

namespace verdant::server {

/// The blob store in the data directory: a tenant's blob `abcd…` is the file
/// `<root>/<tenant>/ab/cd/abcd…` (sharded so that no folder grows past 65 536 entries), listed in
/// the tenant's PhotoIndex. put() hashes the staged file, fsyncs it, renames it into place and
/// fsyncs the folder before the index lists it: a blob is never visible before it is verified,
/// and a crash leaves either the old state or the whole blob. Thread-safe.
class FileBlobStore final : public BlobStore {
public:
    /// Blobs of the tenants whose indexes `indexes` keeps (and whose root it names); `clock`
    /// stamps storing times. Both must outlive the store.
    FileBlobStore(PhotoIndexes& indexes, const shared::Clock& clock);

    bool contains(const std::string& tenantId, const std::string& sha256) override;
    std::optional<StoredBlob> find(const std::string& tenantId, const std::string& sha256) override;
    std::optional<std::string> localPath(const std::string& tenantId,
                                         const std::string& sha256) override;
    std::unique_ptr<std::istream> open(const std::string& tenantId,
                                       const std::string& sha256) override;
    StoredBlob put(const std::string& tenantId, const std::string& sha256,
                   const std::string& mediaType, const std::string& stagedFile) override;
    void addClaim(const std::string& tenantId, const BlobClaim& claim) override;
    std::vector<std::string> claimsFor(const std::string& tenantId,
                                       const std::string& sha256) override;

    /// Where the blob's file is (or would be): `<root>/<tenant>/ab/cd/<sha256>`.
    std::string pathOf(const std::string& tenantId, const std::string& sha256) const;

private:
    PhotoIndexes& _indexes;
    const shared::Clock& _clock;
};

}  // namespace verdant::server
