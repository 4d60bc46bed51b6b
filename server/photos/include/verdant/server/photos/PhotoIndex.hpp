#pragma once

#include "verdant/server/photos/BlobStore.hpp"

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace verdant::sync::sqlite {
class Database;
}

namespace verdant::server {

/// One tus upload as the index keeps it.
struct UploadRecord {
    std::string id;        ///< Random and unguessable (32 hexadecimal characters).
    std::string userId;    ///< Its creator: the only user who may see it.
    std::string deviceId;  ///< The creator's device, when the token names one.
    std::int64_t length = 0;
    std::int64_t offset = 0;  ///< Bytes received and kept.
    std::string sha256;       ///< The whole blob's SHA-256, as the creator named it.
    std::string photoId;      ///< The `photos` record the bytes belong to.
    std::string metadata;     ///< The Upload-Metadata header as sent (kept, never trusted).
    std::string mediaType;    ///< Judged from the first bytes; empty until they arrived.
    std::string proofNonce;   ///< 32 random bytes for the possession proof.
    bool proofTried = false;  ///< The one possession attempt was made.
    bool completed = false;   ///< The blob is stored (or proven) and claimed.
    std::int64_t createdAtMs = 0;
    std::int64_t expiresAtMs = 0;  ///< Unfinished uploads are swept after this.
};

/// One tenant's photo index, a SQLite database (WAL) beside its blobs: the blobs it holds, the
/// claims on them and the open uploads. Thread-safe (one connection behind a mutex). Throws
/// shared::Error(StorageUnavailable) when the database fails.
class PhotoIndex {
public:
    /// Opens (creating and migrating) the index at `path`.
    explicit PhotoIndex(const std::string& path);
    ~PhotoIndex();
    PhotoIndex(const PhotoIndex&) = delete;
    PhotoIndex& operator=(const PhotoIndex&) = delete;

    /// The blob, or nullopt.
    std::optional<StoredBlob> blob(const std::string& sha256);
    /// Records a stored blob (nothing when it is there).
    void addBlob(const StoredBlob& blob);
    /// Records a claim (nothing when it is there).
    void addClaim(const BlobClaim& claim);
    /// The distinct photo ids claiming `sha256`.
    std::vector<std::string> photosClaiming(const std::string& sha256);

    /// Bytes counted against the quota: stored blobs plus the bytes unfinished uploads hold
    /// (their offsets, not their declared lengths). A running total the index keeps in the
    /// transactions that change it: reading it costs the same however much the tenant stores.
    std::int64_t usedBytes();

    /// Sets `bytes` aside for a chunk being written, unless usedBytes(), the bytes set aside for
    /// other chunks and `bytes` would pass `quotaBytes`; returns whether it did. Each granted
    /// reservation is given back with release() once the chunk is saved or refused.
    bool reserve(std::int64_t bytes, std::int64_t quotaBytes);
    /// Gives back bytes reserve() set aside.
    void release(std::int64_t bytes);

    /// Records a new upload (holding no bytes yet) unless its declared length, with
    /// usedBytes() and the reserved bytes, would pass `quotaBytes` (checked and written under
    /// the index's lock); returns whether it was recorded.
    bool createUpload(const UploadRecord& upload, std::int64_t quotaBytes);
    /// The upload, or nullopt.
    std::optional<UploadRecord> upload(const std::string& id);
    /// Stores an unfinished upload's new offset, media type and expiry.
    void saveProgress(const std::string& id, std::int64_t offset, const std::string& mediaType,
                      std::int64_t expiresAtMs);
    /// Marks the one possession attempt as made; false when it had been made already.
    bool markProofTried(const std::string& id);
    /// Marks the upload complete at its length and records `claim`, in one transaction. A
    /// completed upload no longer counts against the quota; its row stays until `expiresAtMs` so
    /// that a client asking HEAD after a lost answer learns it is done.
    void completeUpload(const std::string& id, const BlobClaim& claim, std::int64_t expiresAtMs);
    /// Forgets the upload.
    void removeUpload(const std::string& id);
    /// Uploads whose expiry is at or before `nowMs`, finished ones included.
    std::vector<UploadRecord> expiredUploads(std::int64_t nowMs);

private:
    std::mutex _mutex;
    std::unique_ptr<sync::sqlite::Database> _db;
    std::int64_t _reservedBytes = 0;  ///< Set aside for chunks being written.
};

/// The tenants' photo indexes under one root folder (`<data-dir>/blobs`), each in
/// `<root>/<tenant>/index.db`, opened on first use and kept open. Thread-safe.
class PhotoIndexes {
public:
    /// Indexes under `root` (created when needed).
    explicit PhotoIndexes(std::string root);
    ~PhotoIndexes();

    /// The tenant's index. Throws shared::Error(InternalError) for a tenant id that cannot name
    /// a folder.
    PhotoIndex& of(const std::string& tenantId);

    /// `<root>/<tenant>`: the tenant's blobs, uploads and index.
    std::string tenantDirectory(const std::string& tenantId) const;

    /// The tenants that have a folder under the root.
    std::vector<std::string> tenants() const;

private:
    std::string _root;
    std::mutex _mutex;
    std::map<std::string, std::unique_ptr<PhotoIndex>> _indexes;
};

}  // namespace verdant::server
