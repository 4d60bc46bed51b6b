#pragma once

#include "UploadLocks.hpp"

#include "verdant/server/auth/TokenService.hpp"
#include "verdant/server/photos/BlobStore.hpp"
#include "verdant/server/photos/PhotoIndex.hpp"
#include "verdant/server/sync/DomainModule.hpp"
#include "verdant/shared/Clock.hpp"

#include <memory>
#include <string>

namespace verdant::server {

class AuthService;
class PhotoReadAccess;
class TenantStores;
class HttpExchange;
class Router;

/// The tus 1.0.0 upload routes (docs/protocol.md › Photos), with the extensions creation,
/// creation-with-upload, checksum, termination and expiration, and Verdant's possession proof:
///  - OPTIONS /v1/uploads: what the server supports (no authentication);
///  - POST /v1/uploads: a new upload (its first chunk in the body, optionally);
///  - HEAD /v1/uploads/{id}: its offset, length and metadata;
///  - PATCH /v1/uploads/{id}: a chunk at its offset;
///  - DELETE /v1/uploads/{id}: termination;
///  - POST /v1/uploads/{id}/possession: the proof that the device holds a blob the tenant holds.
/// An upload is its creator's: anyone else gets 404. Chunks go to the upload's staged file as they
/// are read from the body stream; the finished blob is verified and handed to the BlobStore. Every
/// answer carries Tus-Resumable. Thread-safe.
class UploadEndpoint {
public:
    /// Keeps references to what serves the routes (all outlive the endpoint).
    UploadEndpoint(const ModuleServices& services, PhotoIndexes& indexes, BlobStore& blobs);
    ~UploadEndpoint();

    /// Registers the routes (the chunk-carrying ones streamed).
    void registerRoutes(Router& router);

    /// Removes every tenant's expired uploads: an unfinished one with its bytes, a finished
    /// one's row. Skips an upload a request is writing.
    void sweepExpired();

private:
    void describe(HttpExchange& exchange);
    void create(HttpExchange& exchange);
    void report(HttpExchange& exchange);
    void append(HttpExchange& exchange);
    /// POST with X-HTTP-Method-Override: PATCH or DELETE, for clients that cannot send those.
    void overridden(HttpExchange& exchange);
    void terminate(HttpExchange& exchange);
    void provePossession(HttpExchange& exchange);

    /// Refuses (InvalidParameter) a creation whose photo_id names no live `photos` record of the
    /// tenant that names `sha256` (and, when it has size_bytes, `length`) and that `principal`
    /// may read, by the scopes downloads use: bytes no readable record names are not taken.
    void requireReadablePhoto(const Principal& principal, const std::string& photoId,
                              const std::string& sha256, std::int64_t length);

    /// The route's upload as `principal` may see it. Throws UploadNotFound (unknown, or another
    /// user's) and UploadExpired (unfinished past its expiry).
    UploadRecord ownUpload(HttpExchange& exchange, const Principal& principal);

    /// Writes the exchange's body at the upload's offset and returns the upload as it then
    /// stands, completed when the chunk was its last. `keepCutShort`: whether a body cut short
    /// (and sent without a checksum) keeps what arrived. Throws the tus refusals; an upload
    /// refused for its media type or its hash is removed first.
    UploadRecord writeChunk(HttpExchange& exchange, const Principal& principal, UploadRecord upload,
                            bool keepCutShort);

    /// Hands the finished upload's bytes to the blob store and records the claim.
    void complete(const Principal& principal, UploadRecord& upload);

    /// Removes an upload and its bytes.
    void discard(const std::string& tenantId, const UploadRecord& upload);

    /// Where an upload's bytes wait: `<tenant>/uploads/<id>.part`.
    std::string stagedPath(const std::string& tenantId, const std::string& id) const;

    /// The upload's possession proof (shared::proofOf: HMAC-SHA256 under its nonce of byte ranges
    /// the nonce chooses) of the tenant's blob, in lower-case hex; "" when the tenant lacks a blob
    /// of that hash and length, after proving as many zero bytes (so both take about as long).
    std::string possessionMac(const std::string& tenantId, const UploadRecord& upload);

    void sweepTenant(const std::string& tenantId);

    AuthService& _auth;
    TenantStores& _stores;
    const shared::Clock& _clock;
    std::unique_ptr<PhotoReadAccess> _access;
    PhotoIndexes& _indexes;
    BlobStore& _blobs;
    UploadLimits _limits;
    UploadLocks _locks;
};

}  // namespace verdant::server
