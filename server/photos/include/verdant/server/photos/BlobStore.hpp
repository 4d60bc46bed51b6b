#pragma once

#include <cstdint>
#include <istream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace verdant::server {

/// One blob the tenant holds: verified bytes named by their SHA-256.
struct StoredBlob {
    std::string sha256;     ///< 64 lower-case hexadecimal characters.
    std::int64_t size = 0;  ///< Bytes.
    std::string mediaType;  ///< Judged from the bytes (MediaType.hpp), e.g. "image/jpeg".
    std::int64_t storedAtMs = 0;
};

/// Who uploaded (or proved possession of) a blob for which `photos` record. Downloads are
/// authorised by claims: a user may read a blob when a record they may read claims it.
struct BlobClaim {
    std::string sha256;
    std::string photoId;  ///< The `photos` record the bytes belong to.
    std::string userId;   ///< Who sent the bytes or proved possession.
    std::int64_t atMs = 0;
};

/// The tenants' blobs, content-addressed by SHA-256: one interface, so that an S3-compatible
/// store can stand beside FileBlobStore. A blob is visible (contains, find, open) only once its
/// bytes were verified against its name; it is stored once per tenant however many uploads bring
/// it. Implementations are thread-safe. Tenant ids are the accounts' ids; a sha256 is 64
/// lower-case hexadecimal characters (anything else is simply not held).
class BlobStore {
public:
    virtual ~BlobStore() = default;

    /// Whether the tenant holds the blob.
    virtual bool contains(const std::string& tenantId, const std::string& sha256) = 0;

    /// The blob's size, media type and time of storing, or nullopt when the tenant lacks it.
    virtual std::optional<StoredBlob> find(const std::string& tenantId,
                                           const std::string& sha256) = 0;

    /// A local file holding the blob's bytes (for HttpExchange::sendFile), or nullopt when the
    /// tenant lacks it or the store keeps bytes elsewhere (then use open()). The file never
    /// changes while it exists.
    virtual std::optional<std::string> localPath(const std::string& tenantId,
                                                 const std::string& sha256) = 0;

    /// The blob's bytes for reading, or null when the tenant lacks it.
    virtual std::unique_ptr<std::istream> open(const std::string& tenantId,
                                               const std::string& sha256) = 0;

    /// Takes the bytes of `stagedFile` (a file the store may move; for FileBlobStore, inside the
    /// tenant's folder) as the blob `sha256`: hashes them, and only when they are that hash makes
    /// them visible (renamed into place after fsync); when the tenant already holds the blob the
    /// staged bytes are dropped. The staged file is gone afterwards in every case. Throws
    /// shared::Error(BlobHashMismatch) when the bytes are not `sha256` (nothing is kept), and
    /// StorageUnavailable when the disk fails.
    virtual StoredBlob put(const std::string& tenantId, const std::string& sha256,
                           const std::string& mediaType, const std::string& stagedFile) = 0;

    /// Records that `claim.userId` brought the blob for the record `claim.photoId` (idempotent).
    virtual void addClaim(const std::string& tenantId, const BlobClaim& claim) = 0;

    /// The ids of the `photos` records that claim the blob (each once, in no particular order);
    /// empty when none does. Costs the claims of that hash, not the size of the store.
    virtual std::vector<std::string> claimsFor(const std::string& tenantId,
                                               const std::string& sha256) = 0;
};

/// Whether `text` is a SHA-256 as the store names blobs: 64 lower-case hexadecimal characters.
bool isSha256Hex(const std::string& text) noexcept;

}  // namespace verdant::server
