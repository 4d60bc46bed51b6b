#include "verdant/server/photos/FileBlobStore.hpp"

#include "Digest.hpp"
#include "UploadFile.hpp"

#include "verdant/shared/ErrorCode.hpp"

#include <Poco/Exception.h>
#include <Poco/File.h>
#include <Poco/Path.h>

#include <cstdio>
#include <fstream>

namespace verdant::server {

using shared::Error;
using shared::ErrorCode;

FileBlobStore::FileBlobStore(PhotoIndexes& indexes, const shared::Clock& clock)
    : _indexes(indexes), _clock(clock) {}

std::string FileBlobStore::pathOf(const std::string& tenantId, const std::string& sha256) const {
    return Poco::Path(_indexes.tenantDirectory(tenantId))
        .append(sha256.substr(0, 2))
        .append(sha256.substr(2, 2))
        .append(sha256)
        .toString();
}

bool FileBlobStore::contains(const std::string& tenantId, const std::string& sha256) {
    return find(tenantId, sha256).has_value();
}

std::optional<StoredBlob> FileBlobStore::find(const std::string& tenantId,
                                              const std::string& sha256) {
    if (!isSha256Hex(sha256)) {
        return std::nullopt;
    }
    return _indexes.of(tenantId).blob(sha256);
}

std::optional<std::string> FileBlobStore::localPath(const std::string& tenantId,
                                                    const std::string& sha256) {
    if (!contains(tenantId, sha256)) {
        return std::nullopt;
    }
    return pathOf(tenantId, sha256);
}

std::unique_ptr<std::istream> FileBlobStore::open(const std::string& tenantId,
                                                  const std::string& sha256) {
    const auto path = localPath(tenantId, sha256);
    if (!path) {
        return nullptr;
    }
    auto file = std::make_unique<std::ifstream>(*path, std::ios::binary);
    if (!*file) {
        throw Error(ErrorCode::StorageUnavailable, "a stored blob cannot be read");
    }
    return file;
}

StoredBlob FileBlobStore::put(const std::string& tenantId, const std::string& sha256,
                              const std::string& mediaType, const std::string& stagedFile) {
    UploadFile staged(stagedFile);
    // Verified first, whether or not the tenant holds the blob: a claim is granted for bytes
    // that are the hash, never for a name alone.
    const auto size = staged.size();
    const bool verified = isSha256Hex(sha256) && toHex(staged.sha256()) == sha256;
    if (!verified) {
        staged.remove();
        throw Error(ErrorCode::BlobHashMismatch);
    }
    auto& index = _indexes.of(tenantId);
    if (auto existing = index.blob(sha256)) {
        staged.remove();
        return *existing;
    }
    const auto target = pathOf(tenantId, sha256);
    const Poco::Path folder = Poco::Path(target).parent();
    try {
        Poco::File(folder).createDirectories();
    } catch (const Poco::Exception&) {
        staged.remove();
        throw Error(ErrorCode::StorageUnavailable, "the blob store cannot make a folder");
    }
    staged.sync();
    if (std::rename(stagedFile.c_str(), target.c_str()) != 0) {
        staged.remove();
        throw Error(ErrorCode::StorageUnavailable, "the blob store cannot place a blob");
    }
    UploadFile::syncFolder(folder.toString());
    StoredBlob blob{sha256, size, mediaType, _clock.nowMs()};
    index.addBlob(blob);
    return blob;
}

void FileBlobStore::addClaim(const std::string& tenantId, const BlobClaim& claim) {
    _indexes.of(tenantId).addClaim(claim);
}

std::vector<std::string> FileBlobStore::claimsFor(const std::string& tenantId,
                                                  const std::string& sha256) {
    if (!isSha256Hex(sha256)) {
        return {};
    }
    return _indexes.of(tenantId).photosClaiming(sha256);
}

}  // namespace verdant::server
