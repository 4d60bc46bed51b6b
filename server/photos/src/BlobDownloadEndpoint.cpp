#include "verdant/server/photos/BlobDownloadEndpoint.hpp"

#include "BlobRange.hpp"
#include "PhotoReadAccess.hpp"
#include "Thumbnailer.hpp"

#include "verdant/audit/Collections.hpp"
#include "verdant/server/auth/AuthService.hpp"
#include "verdant/server/http/QueryParameters.hpp"
#include "verdant/server/http/Router.hpp"
#include "verdant/server/storage/TenantStores.hpp"

#include <Poco/JSON/Object.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <random>

namespace verdant::server {

using shared::Error;
using shared::ErrorCode;
namespace fs = std::filesystem;

namespace {

/// The widths thumbnails are made at, and the one given when the request names none.
constexpr std::int64_t kThumbnailWidths[] = {160, 320, 640};
constexpr std::int64_t kDefaultThumbnailWidth = 320;

/// A blob never changes under its name: caches may keep it for a year without asking again.
constexpr const char* kImmutable = "private, max-age=31536000, immutable";

Error noSuchBlob() {
    return Error(ErrorCode::NotFound, "There is no blob with that name.");
}

/// The `{sha256}` of the route, which must be a blob name.
std::string blobName(const HttpExchange& exchange) {
    const auto& name = exchange.pathParameters().at("sha256");
    if (!isBlobName(name)) {
        throw noSuchBlob();
    }
    return name;
}

/// `ETag` and `Cache-Control` of an answer about an unchanging thing.
void setImmutable(HttpExchange& exchange, const std::string& etag) {
    exchange.setHeader("ETag", etag);
    exchange.setHeader("Cache-Control", kImmutable);
}

/// 416 with `Content-Range: bytes */<size>` and the invalid_parameter error body.
void sendUnsatisfiable(HttpExchange& exchange, std::int64_t size) {
    exchange.setHeader("Content-Range", "bytes */" + std::to_string(size));
    Poco::JSON::Object error;
    error.set("code", std::string(shared::wireName(ErrorCode::InvalidParameter)));
    error.set("message", "The range starts past the blob's end (" + std::to_string(size) +
                             " bytes); ask within it.");
    Poco::JSON::Object body;
    body.set("error", error);
    exchange.sendJson(Poco::Net::HTTPResponse::HTTP_REQUESTED_RANGE_NOT_SATISFIABLE, body);
}

/// A name for a temporary file beside `path` that no other writer uses.
std::string temporaryBeside(const std::string& path) {
    static std::atomic<std::uint64_t> counter{0};
    thread_local std::mt19937_64 random{std::random_device{}()};
    return path + ".tmp-" + std::to_string(random()) + "-" + std::to_string(++counter);
}

}  // namespace

BlobDownloadEndpoint::BlobDownloadEndpoint(const ModuleServices& services, const StoredBlobs& blobs)
    : _services(services),
      _blobs(blobs),
      _access(std::make_unique<PhotoReadAccess>(services.modules)),
      _thumbnailer(std::make_unique<Thumbnailer>()) {}

BlobDownloadEndpoint::~BlobDownloadEndpoint() = default;

void BlobDownloadEndpoint::registerRoutes(Router& router) {
    router.add("GET", "/v1/blobs/{sha256}", [this](HttpExchange& e) { download(e); });
    router.add("HEAD", "/v1/blobs/{sha256}", [this](HttpExchange& e) { download(e); });
    router.add("GET", "/v1/blobs/{sha256}/thumbnail", [this](HttpExchange& e) { thumbnail(e); });
}

BlobFile BlobDownloadEndpoint::allowedBlob(const Principal& principal, const std::string& sha256) {
    // The claims of this hash, not the store's size, bound the work: each names one record.
    const auto claimed = _blobs.claimedPhotoIds(principal.tenantId, sha256);
    bool allowed = false;
    _services.stores.read(principal.tenantId, [&](const sync::Store& store) {
        for (const auto& idText : claimed) {
            const auto id = shared::RecordId::parse(idText);
            if (id && photoNaming(store, *id, sha256) &&
                _access->mayRead(principal, store,
                                 store.scopeOf(audit::collections::kPhotos, *id))) {
                allowed = true;
                return;
            }
        }
    });
    auto blob = allowed ? _blobs.find(principal.tenantId, sha256) : std::nullopt;
    if (!blob) {
        throw noSuchBlob();
    }
    return *blob;
}

void BlobDownloadEndpoint::download(HttpExchange& exchange) {
    const auto principal = _services.auth.authenticate(exchange.header("Authorization"));
    const QueryParameters query(exchange, {});
    const auto sha256 = blobName(exchange);
    const auto blob = allowedBlob(principal, sha256);
    const auto etag = "\"" + sha256 + "\"";
    setImmutable(exchange, etag);
    exchange.setHeader("Accept-Ranges", "bytes");
    if (etagListMatches(exchange.header("If-None-Match"), etag)) {
        exchange.sendNotModified();
        return;
    }
    // Range is defined for GET only; If-Range asks for the part only while the blob is the same.
    const auto ifRange = exchange.header("If-Range");
    const bool rangeApplies =
        exchange.request().getMethod() == "GET" && (ifRange.empty() || ifRange == etag);
    const auto range = rangeApplies ? blobRange(exchange.header("Range"), blob.size) : BlobRange{};
    switch (range.kind) {
        case BlobRange::Kind::Unsatisfiable:
            sendUnsatisfiable(exchange, blob.size);
            return;
        case BlobRange::Kind::Part:
            exchange.setHeader("Content-Range", "bytes " + std::to_string(range.first) + "-" +
                                                    std::to_string(range.first + range.length - 1) +
                                                    "/" + std::to_string(blob.size));
            exchange.sendFile(Poco::Net::HTTPResponse::HTTP_PARTIAL_CONTENT, blob.mediaType,
                              blob.path, range.first, range.length);
            return;
        case BlobRange::Kind::Whole:
            exchange.sendFile(Poco::Net::HTTPResponse::HTTP_OK, blob.mediaType, blob.path, 0,
                              blob.size);
            return;
    }
}

void BlobDownloadEndpoint::thumbnail(HttpExchange& exchange) {
    const auto principal = _services.auth.authenticate(exchange.header("Authorization"));
    const QueryParameters query(exchange, {"width"});
    const auto width = query.integer("width", 1, 100000).value_or(kDefaultThumbnailWidth);
    if (std::find(std::begin(kThumbnailWidths), std::end(kThumbnailWidths), width) ==
        std::end(kThumbnailWidths)) {
        throw Error(ErrorCode::InvalidParameter, "'width' must be 160, 320 or 640.");
    }
    const auto sha256 = blobName(exchange);
    const auto blob = allowedBlob(principal, sha256);
    const auto etag = "\"" + sha256 + "-w" + std::to_string(width) + "\"";
    if (etagListMatches(exchange.header("If-None-Match"), etag)) {
        setImmutable(exchange, etag);
        exchange.sendNotModified();
        return;
    }
    const auto path = keptThumbnail(principal.tenantId, sha256, blob, static_cast<int>(width));
    setImmutable(exchange, etag);
    exchange.sendFile(Poco::Net::HTTPResponse::HTTP_OK, "image/jpeg", path, 0,
                      static_cast<std::int64_t>(fs::file_size(path)));
}

std::string BlobDownloadEndpoint::keptThumbnail(const std::string& tenantId,
                                                const std::string& sha256, const BlobFile& blob,
                                                int width) const {
    const fs::path directory = _blobs.thumbnailDirectory(tenantId);
    const auto path = (directory / (sha256 + "-w" + std::to_string(width) + ".jpg")).string();
    if (fs::exists(path)) {
        return path;
    }
    const auto jpeg = _thumbnailer->jpeg(blob.path, width);
    if (!jpeg) {
        throw Error(ErrorCode::MediaTypeNotAllowed,
                    "This blob is not an image a thumbnail can be made of; download it whole.");
    }
    // Written beside its place, then renamed: a reader never sees half a thumbnail, and two
    // requests making the same one at once both leave a whole one.
    fs::create_directories(directory);
    const auto temporary = temporaryBeside(path);
    {
        std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
        out.write(jpeg->data(), static_cast<std::streamsize>(jpeg->size()));
        out.close();
        if (!out) {
            std::error_code ignored;
            fs::remove(temporary, ignored);
            throw std::runtime_error("a thumbnail could not be written");
        }
    }
    std::error_code renamed;
    fs::rename(temporary, path, renamed);
    if (renamed) {
        std::error_code ignored;
        fs::remove(temporary, ignored);
        throw std::runtime_error("a thumbnail could not be put in place");
    }
    return path;
}

}  // namespace verdant::server
