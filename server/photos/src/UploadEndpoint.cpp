#include "UploadEndpoint.hpp"

#include "Digest.hpp"
#include "PhotoReadAccess.hpp"
#include "UploadFile.hpp"

#include "verdant/audit/Collections.hpp"
#include "verdant/server/auth/AuthService.hpp"
#include "verdant/server/http/HttpExchange.hpp"
#include "verdant/server/http/Router.hpp"
#include "verdant/server/photos/MediaType.hpp"
#include "verdant/server/photos/TusHeaders.hpp"
#include "verdant/server/storage/TenantStores.hpp"
#include "verdant/shared/ErrorCode.hpp"
#include "verdant/shared/Id.hpp"
#include "verdant/shared/PossessionProof.hpp"

#include <Poco/File.h>
#include <Poco/JSON/Object.h>
#include <Poco/Path.h>

#include <algorithm>
#include <array>
#include <filesystem>
#include <optional>
#include <stdexcept>

namespace verdant::server {

using shared::Error;
using shared::ErrorCode;
using Status = Poco::Net::HTTPResponse::HTTPStatus;

namespace {

constexpr const char* kTusVersion = "1.0.0";
constexpr const char* kChunkType = "application/offset+octet-stream";
constexpr std::size_t kMaxMetadataBytes = 4096;
constexpr std::size_t kNonceBytes = 32;
constexpr std::size_t kUploadIdBytes = 16;

/// Every tus answer names the protocol version; a request naming another is refused (412).
void requireTus(HttpExchange& exchange) {
    exchange.setHeader("Tus-Resumable", kTusVersion);
    if (exchange.header("Tus-Resumable") != kTusVersion) {
        exchange.setHeader("Tus-Version", kTusVersion);
        throw Error(ErrorCode::TusVersionNotSupported);
    }
}

void requireChunkType(const HttpExchange& exchange) {
    if (exchange.request().getContentType() != kChunkType) {
        throw Error(ErrorCode::UnsupportedMediaType,
                    "Chunks are sent as application/offset+octet-stream.");
    }
}

bool isUploadId(const std::string& id) {
    return id.size() == 2 * kUploadIdBytes && std::all_of(id.begin(), id.end(), [](char c) {
               return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
           });
}

/// The upload's offset and expiry, as PATCH, HEAD and creation answer them.
void setProgress(HttpExchange& exchange, const UploadRecord& upload) {
    exchange.setHeader("Upload-Offset", std::to_string(upload.offset));
    exchange.setHeader("Upload-Expires", httpDate(upload.expiresAtMs));
}

/// The creation's Upload-Metadata: the sha256 and photo_id it must name, checked.
struct CreationMetadata {
    std::string text;
    std::string sha256;
    std::string photoId;
};

CreationMetadata creationMetadata(const HttpExchange& exchange) {
    CreationMetadata metadata{exchange.header("Upload-Metadata"), {}, {}};
    const auto pairs = metadata.text.size() <= kMaxMetadataBytes
                           ? parseUploadMetadata(metadata.text)
                           : std::nullopt;
    if (!pairs) {
        throw Error(ErrorCode::InvalidParameter, "Upload-Metadata is not valid tus metadata.");
    }
    const auto sha = pairs->find("sha256");
    if (sha == pairs->end() || !isSha256Hex(sha->second)) {
        throw Error(ErrorCode::InvalidParameter,
                    "Upload-Metadata must name sha256: 64 lower-case hexadecimal characters.");
    }
    const auto photo = pairs->find("photo_id");
    if (photo == pairs->end() || !shared::RecordId::parse(photo->second)) {
        throw Error(ErrorCode::InvalidParameter,
                    "Upload-Metadata must name photo_id: the id of the photos record.");
    }
    metadata.sha256 = sha->second;
    metadata.photoId = photo->second;
    return metadata;
}

/// Bytes of the tenant's quota set aside while a chunk is written, given back when it is saved
/// or refused (the saved bytes then count as the upload's offset).
class ChunkReservation {
public:
    ChunkReservation(PhotoIndex& index, std::int64_t bytes, std::int64_t quotaBytes)
        : _index(index), _bytes(bytes) {
        if (!_index.reserve(_bytes, quotaBytes)) {
            throw Error(ErrorCode::QuotaExceeded);
        }
    }
    ~ChunkReservation() { _index.release(_bytes); }
    ChunkReservation(const ChunkReservation&) = delete;
    ChunkReservation& operator=(const ChunkReservation&) = delete;

private:
    PhotoIndex& _index;
    std::int64_t _bytes;
};

/// Whether `record` declares a size other than `length` (a record without one declares none).
bool declaresOtherSize(const sync::Record& record, std::int64_t length) {
    const auto size = record.fields.find("size_bytes");
    return size != record.fields.end() && size->second.value.kind() == shared::ValueKind::Int &&
           size->second.value.as<std::int64_t>() != length;
}

}  // namespace

UploadEndpoint::UploadEndpoint(const ModuleServices& services, PhotoIndexes& indexes,
                               BlobStore& blobs)
    : _auth(services.auth),
      _stores(services.stores),
      _clock(services.clock),
      _access(std::make_unique<PhotoReadAccess>(services.modules)),
      _indexes(indexes),
      _blobs(blobs),
      _limits(services.uploads) {}

UploadEndpoint::~UploadEndpoint() = default;

void UploadEndpoint::registerRoutes(Router& router) {
    // tus: every answer under /v1/uploads names the protocol, the listener's refusals included.
    router.addAnswerHeader("/v1/uploads", "Tus-Resumable", "1.0.0");
    router.add("OPTIONS", "/v1/uploads", [this](HttpExchange& e) { describe(e); });
    router.addStreamed("POST", "/v1/uploads", [this](HttpExchange& e) { create(e); });
    router.add("HEAD", "/v1/uploads/{id}", [this](HttpExchange& e) { report(e); });
    router.addStreamed("PATCH", "/v1/uploads/{id}", [this](HttpExchange& e) { append(e); });
    router.add("DELETE", "/v1/uploads/{id}", [this](HttpExchange& e) { terminate(e); });
    // tus: a client that cannot send PATCH or DELETE sends POST with X-HTTP-Method-Override.
    router.addStreamed("POST", "/v1/uploads/{id}", [this](HttpExchange& e) { overridden(e); });
    router.add("POST", "/v1/uploads/{id}/possession",
               [this](HttpExchange& e) { provePossession(e); });
}

std::string UploadEndpoint::stagedPath(const std::string& tenantId, const std::string& id) const {
    return Poco::Path(_indexes.tenantDirectory(tenantId))
        .append("uploads")
        .append(id + ".part")
        .toString();
}

void UploadEndpoint::describe(HttpExchange& exchange) {
    exchange.setHeader("Tus-Resumable", kTusVersion);
    exchange.setHeader("Tus-Version", kTusVersion);
    exchange.setHeader("Tus-Extension",
                       "creation,creation-with-upload,checksum,termination,expiration");
    exchange.setHeader("Tus-Max-Size", std::to_string(_limits.maxBlobBytes));
    exchange.setHeader("Tus-Checksum-Algorithm", "sha1,sha256,md5");
    exchange.send(Status::HTTP_NO_CONTENT, "", "");
}

void UploadEndpoint::create(HttpExchange& exchange) {
    requireTus(exchange);
    const auto principal = _auth.authenticate(exchange.header("Authorization"));
    if (!exchange.header("Upload-Defer-Length").empty()) {
        throw Error(ErrorCode::InvalidParameter,
                    "Upload-Defer-Length is not supported; send Upload-Length.");
    }
    const auto length = parseTusNumber(exchange.header("Upload-Length"));
    if (!length) {
        throw Error(ErrorCode::InvalidParameter, "Upload-Length must be a number of bytes.");
    }
    if (*length > _limits.maxBlobBytes) {
        throw Error(ErrorCode::BlobTooLarge, "The file is larger than the server accepts (" +
                                                 std::to_string(_limits.maxBlobBytes) + " bytes).");
    }
    if (*length == 0) {
        throw Error(ErrorCode::MediaTypeNotAllowed);  // no JPEG, PNG, HEIC or PDF is empty
    }
    const auto metadata = creationMetadata(exchange);
    requireReadablePhoto(principal, metadata.photoId, metadata.sha256, *length);
    const bool withChunk = exchange.bodySize() > 0;
    if (withChunk) {
        requireChunkType(exchange);
    }

    const auto nowMs = _clock.nowMs();
    UploadRecord upload;
    upload.id = toHex(randomBytes(kUploadIdBytes));
    upload.userId = principal.userId;
    upload.deviceId = principal.deviceId;
    upload.length = *length;
    upload.sha256 = metadata.sha256;
    upload.photoId = metadata.photoId;
    upload.metadata = metadata.text;
    upload.proofNonce = randomBytes(kNonceBytes);
    upload.createdAtMs = nowMs;
    upload.expiresAtMs = nowMs + _limits.expiryHours * 3'600'000LL;
    auto& index = _indexes.of(principal.tenantId);
    Poco::File(Poco::Path(stagedPath(principal.tenantId, upload.id)).parent()).createDirectories();
    if (!index.createUpload(upload, _limits.quotaBytes)) {
        throw Error(ErrorCode::QuotaExceeded);
    }
    if (withChunk) {
        // The client learns the upload's address only from this answer: a refused or cut-short
        // first chunk leaves no upload behind (it would hold quota nobody can resume).
        try {
            upload = writeChunk(exchange, principal, upload, false);
        } catch (...) {
            discard(principal.tenantId, upload);
            throw;
        }
    }
    exchange.setHeader("Location", "/v1/uploads/" + upload.id);
    exchange.setHeader("Verdant-Proof-Nonce", toBase64Url(upload.proofNonce));
    setProgress(exchange, upload);
    exchange.send(Status::HTTP_CREATED, "", "");
}

void UploadEndpoint::requireReadablePhoto(const Principal& principal, const std::string& photoId,
                                          const std::string& sha256, std::int64_t length) {
    const auto id = shared::RecordId::parse(photoId);
    bool readable = false;
    _stores.read(principal.tenantId, [&](const sync::Store& store) {
        const auto record = id ? photoNaming(store, *id, sha256) : std::nullopt;
        readable =
            record && !declaresOtherSize(*record, length) &&
            _access->mayRead(principal, store, store.scopeOf(audit::collections::kPhotos, *id));
    });
    if (!readable) {
        throw Error(ErrorCode::InvalidParameter,
                    "photo_id must name a photos record you may read that names this sha256; "
                    "sync the record first.");
    }
}

UploadRecord UploadEndpoint::ownUpload(HttpExchange& exchange, const Principal& principal) {
    const auto& parameters = exchange.pathParameters();
    const auto id = parameters.count("id") != 0 ? parameters.at("id") : std::string();
    auto upload =
        isUploadId(id) ? _indexes.of(principal.tenantId).upload(id) : std::optional<UploadRecord>();
    if (!upload || upload->userId != principal.userId) {
        throw Error(ErrorCode::UploadNotFound);
    }
    if (!upload->completed && upload->expiresAtMs <= _clock.nowMs()) {
        throw Error(ErrorCode::UploadExpired);
    }
    return *upload;
}

void UploadEndpoint::report(HttpExchange& exchange) {
    requireTus(exchange);
    const auto principal = _auth.authenticate(exchange.header("Authorization"));
    const auto upload = ownUpload(exchange, principal);
    setProgress(exchange, upload);
    exchange.setHeader("Upload-Length", std::to_string(upload.length));
    if (!upload.metadata.empty()) {
        exchange.setHeader("Upload-Metadata", upload.metadata);  // as given at creation
    }
    exchange.send(Status::HTTP_OK, "", "");  // Cache-Control: no-store, as every answer
}

void UploadEndpoint::append(HttpExchange& exchange) {
    requireTus(exchange);
    const auto principal = _auth.authenticate(exchange.header("Authorization"));
    auto upload = ownUpload(exchange, principal);
    requireChunkType(exchange);
    const auto offset = parseTusNumber(exchange.header("Upload-Offset"));
    if (!offset) {
        throw Error(ErrorCode::InvalidParameter, "Upload-Offset must be a number of bytes.");
    }
    UploadLocks::Guard lock(_locks, upload.id);
    if (!lock.held()) {
        throw Error(ErrorCode::UploadLocked);
    }
    upload = ownUpload(exchange, principal);  // as the previous writer left it
    if (*offset != upload.offset) {
        throw Error(ErrorCode::UploadOffsetMismatch);
    }
    if (upload.completed) {
        if (exchange.bodySize() > 0) {
            throw Error(ErrorCode::InvalidParameter, "The upload is complete.");
        }
    } else {
        upload = writeChunk(exchange, principal, upload, true);
    }
    setProgress(exchange, upload);
    exchange.send(Status::HTTP_NO_CONTENT, "", "");
}

UploadRecord UploadEndpoint::writeChunk(HttpExchange& exchange, const Principal& principal,
                                        UploadRecord upload, bool keepCutShort) {
    const auto chunk = exchange.bodySize();
    if (chunk > upload.length - upload.offset) {
        throw Error(ErrorCode::InvalidParameter, "The chunk would pass Upload-Length.");
    }
    // Checked before a byte is read: a chunk past the quota leaves nothing.
    const ChunkReservation reservation(_indexes.of(principal.tenantId), chunk, _limits.quotaBytes);
    std::optional<UploadChecksum> checksum;
    std::optional<Digest> digest;
    if (const auto header = exchange.header("Upload-Checksum"); !header.empty()) {
        checksum = parseUploadChecksum(header);
        if (!checksum || !Digest::supported(checksum->algorithm)) {
            throw Error(ErrorCode::InvalidParameter,
                        "Upload-Checksum must be sha1, sha256 or md5 with a base64 digest.");
        }
        digest.emplace(checksum->algorithm);
    }
    UploadFile staged(stagedPath(principal.tenantId, upload.id));
    // A whole first chunk without a checksum (often the whole photo) is renamed into place from
    // the listener's spool instead of copied: the bytes are written once, not twice.
    std::optional<std::string> spooled;
    if (upload.offset == 0 && !checksum && exchange.bodyComplete() && chunk > 0) {
        spooled = exchange.takeBodyFile();
    }
    const bool adopted = spooled && staged.adoptFirstChunk(*spooled);
    const auto written = adopted ? chunk
                                 : staged.append(upload.offset, exchange.bodyStream(), chunk,
                                                 digest ? &*digest : nullptr);
    if (spooled && !adopted) {
        std::error_code ignored;
        std::filesystem::remove(*spooled, ignored);  // taken from the listener: ours to remove
    }
    const bool whole = exchange.bodyComplete() && written == chunk;
    if (checksum && (!whole || !equalInConstantTime(digest->finish(), checksum->digest))) {
        staged.truncate(upload.offset);
        throw Error(ErrorCode::UploadChecksumMismatch);
    }
    if (!whole && !keepCutShort) {
        staged.truncate(upload.offset);
        throw Error(ErrorCode::InvalidRequest, "The chunk was cut short.");
    }
    upload.offset += written;
    const auto sniffable = std::min<std::int64_t>(kSniffBytes, upload.length);
    if (upload.mediaType.empty() && upload.offset >= sniffable) {
        const auto type = sniffMediaType(staged.head(kSniffBytes));
        if (!type) {
            discard(principal.tenantId, upload);
            throw Error(ErrorCode::MediaTypeNotAllowed);
        }
        upload.mediaType = *type;
    }
    upload.expiresAtMs = _clock.nowMs() + _limits.expiryHours * 3'600'000LL;
    if (upload.offset == upload.length) {
        complete(principal, upload);
    } else {
        _indexes.of(principal.tenantId)
            .saveProgress(upload.id, upload.offset, upload.mediaType, upload.expiresAtMs);
    }
    return upload;
}

void UploadEndpoint::complete(const Principal& principal, UploadRecord& upload) {
    auto& index = _indexes.of(principal.tenantId);
    try {
        _blobs.put(principal.tenantId, upload.sha256, upload.mediaType,
                   stagedPath(principal.tenantId, upload.id));
    } catch (const Error& refused) {
        if (refused.code() == ErrorCode::BlobHashMismatch) {
            index.removeUpload(upload.id);  // the store dropped the bytes
        }
        throw;
    }
    index.completeUpload(upload.id, {upload.sha256, upload.photoId, upload.userId, _clock.nowMs()},
                         upload.expiresAtMs);
    upload.completed = true;
}

void UploadEndpoint::discard(const std::string& tenantId, const UploadRecord& upload) {
    UploadFile(stagedPath(tenantId, upload.id)).remove();
    _indexes.of(tenantId).removeUpload(upload.id);
}

void UploadEndpoint::overridden(HttpExchange& exchange) {
    const auto method = exchange.header("X-HTTP-Method-Override");
    if (method == "PATCH") {
        append(exchange);
    } else if (method == "DELETE") {
        terminate(exchange);
    } else {
        exchange.setHeader("Allow", "HEAD, PATCH, DELETE");
        throw Error(ErrorCode::MethodNotAllowed,
                    "An upload takes PATCH or DELETE (or POST with X-HTTP-Method-Override: PATCH "
                    "or DELETE).");
    }
}

void UploadEndpoint::terminate(HttpExchange& exchange) {
    requireTus(exchange);
    const auto principal = _auth.authenticate(exchange.header("Authorization"));
    const auto upload = ownUpload(exchange, principal);
    UploadLocks::Guard lock(_locks, upload.id);
    if (!lock.held()) {
        throw Error(ErrorCode::UploadLocked);
    }
    discard(principal.tenantId, upload);  // a finished upload's blob and claim stay
    exchange.send(Status::HTTP_NO_CONTENT, "", "");
}

std::string UploadEndpoint::possessionMac(const std::string& tenantId, const UploadRecord& upload) {
    const auto blob = _blobs.find(tenantId, upload.sha256);
    const auto in =
        blob && blob->size == upload.length ? _blobs.open(tenantId, upload.sha256) : nullptr;
    if (!in) {
        // As much hashing as a held blob costs (at most 64 KiB), so that absent and wrong take
        // about the same time.
        shared::proofOf(upload.proofNonce, upload.length, [](std::int64_t, std::int64_t length) {
            return std::string(static_cast<std::size_t>(length), '\0');
        });
        return {};  // matches no proof
    }
    try {
        return shared::proofOf(upload.proofNonce, upload.length,
                               [&in](std::int64_t offset, std::int64_t length) {
                                   std::string bytes(static_cast<std::size_t>(length), '\0');
                                   in->clear();
                                   in->seekg(offset);
                                   in->read(bytes.data(), length);
                                   bytes.resize(static_cast<std::size_t>(in->gcount()));
                                   return bytes;
                               });
    } catch (const std::runtime_error&) {
        return {};  // a blob that cannot be read back proves nothing
    }
}

void UploadEndpoint::provePossession(HttpExchange& exchange) {
    exchange.setHeader("Tus-Resumable", kTusVersion);
    if (const auto version = exchange.header("Tus-Resumable");
        !version.empty() && version != kTusVersion) {
        exchange.setHeader("Tus-Version", kTusVersion);
        throw Error(ErrorCode::TusVersionNotSupported);
    }
    const auto principal = _auth.authenticate(exchange.header("Authorization"));
    auto upload = ownUpload(exchange, principal);
    const auto body = exchange.readJsonObject(HttpExchange::kSmallJsonBytes);
    const auto given = fromHex(body->optValue<std::string>("hmac", ""));
    if (given.size() != 32) {
        throw Error(ErrorCode::InvalidParameter,
                    "hmac must be the hexadecimal HMAC-SHA256 proof of the blob (64 characters).");
    }
    UploadLocks::Guard lock(_locks, upload.id);
    if (!lock.held()) {
        throw Error(ErrorCode::UploadLocked);
    }
    upload = ownUpload(exchange, principal);
    auto& index = _indexes.of(principal.tenantId);
    bool proven = false;
    if (!upload.completed && index.markProofTried(upload.id)) {
        const auto expected = possessionMac(principal.tenantId, upload);
        proven = !expected.empty() && equalInConstantTime(expected, toHex(given));
    }
    if (proven) {
        UploadFile(stagedPath(principal.tenantId, upload.id)).remove();
        const auto nowMs = _clock.nowMs();
        index.completeUpload(upload.id, {upload.sha256, upload.photoId, upload.userId, nowMs},
                             nowMs + _limits.expiryHours * 3'600'000LL);
        upload.offset = upload.length;
    }
    Poco::JSON::Object answer(true);
    answer.set("deduplicated", proven);
    answer.set("upload_offset", upload.offset);
    exchange.sendJson(Status::HTTP_OK, answer);
}

void UploadEndpoint::sweepExpired() {
    for (const auto& tenantId : _indexes.tenants()) {
        sweepTenant(tenantId);
    }
}

void UploadEndpoint::sweepTenant(const std::string& tenantId) {
    auto& index = _indexes.of(tenantId);
    for (const auto& expired : index.expiredUploads(_clock.nowMs())) {
        UploadLocks::Guard lock(_locks, expired.id);
        if (!lock.held()) {
            continue;  // a request is writing it: not expired after all
        }
        const auto upload = index.upload(expired.id);
        if (upload && upload->expiresAtMs <= _clock.nowMs()) {
            discard(tenantId, *upload);
        }
    }
}

}  // namespace verdant::server
