#include "verdant/server/photos/PhotoIndex.hpp"

#include "verdant/shared/ErrorCode.hpp"
#include "verdant/sync/Sqlite.hpp"

#include <Poco/DirectoryIterator.h>
#include <Poco/File.h>
#include <Poco/Path.h>

#include <algorithm>
#include <array>

namespace verdant::server {

using shared::Error;
using shared::ErrorCode;
using sync::sqlite::Statement;
using sync::sqlite::Transaction;

namespace {

/// Ordered, named migration steps; step i brings the index to user_version i + 1.
constexpr std::array<std::pair<std::string_view, std::string_view>, 2> kMigrations = {{
    {"create photo index",
     R"sql(
CREATE TABLE blobs (
    sha256 TEXT PRIMARY KEY,
    size INTEGER NOT NULL,
    media_type TEXT NOT NULL,
    stored_at_ms INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE claims (
    sha256 TEXT NOT NULL,
    photo_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    at_ms INTEGER NOT NULL,
    PRIMARY KEY (sha256, photo_id, user_id)
) WITHOUT ROWID;
CREATE TABLE uploads (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL,
    device_id TEXT,
    length INTEGER NOT NULL,
    upload_offset INTEGER NOT NULL,
    sha256 TEXT NOT NULL,
    photo_id TEXT NOT NULL,
    metadata TEXT NOT NULL,
    media_type TEXT NOT NULL DEFAULT '',
    proof_nonce BLOB NOT NULL,
    proof_tried INTEGER NOT NULL DEFAULT 0,
    completed INTEGER NOT NULL DEFAULT 0,
    created_at_ms INTEGER NOT NULL,
    expires_at_ms INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX uploads_by_expiry ON uploads (expires_at_ms);
)sql"},
    // The quota's running total: stored blobs plus the bytes unfinished uploads hold, kept by
    // triggers in the transaction of every change, so no request sums the store.
    {"keep the bytes used",
     R"sql(
CREATE TABLE usage (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    bytes INTEGER NOT NULL
);
INSERT INTO usage (id, bytes) SELECT 1,
    (SELECT COALESCE(SUM(size), 0) FROM blobs) +
    (SELECT COALESCE(SUM(upload_offset), 0) FROM uploads WHERE completed = 0);
CREATE TRIGGER usage_blob_added AFTER INSERT ON blobs BEGIN
    UPDATE usage SET bytes = bytes + NEW.size WHERE id = 1;
END;
CREATE TRIGGER usage_blob_removed AFTER DELETE ON blobs BEGIN
    UPDATE usage SET bytes = bytes - OLD.size WHERE id = 1;
END;
CREATE TRIGGER usage_upload_added AFTER INSERT ON uploads WHEN NEW.completed = 0 BEGIN
    UPDATE usage SET bytes = bytes + NEW.upload_offset WHERE id = 1;
END;
CREATE TRIGGER usage_upload_changed AFTER UPDATE OF upload_offset, completed ON uploads BEGIN
    UPDATE usage SET bytes = bytes
        + (CASE WHEN NEW.completed = 0 THEN NEW.upload_offset ELSE 0 END)
        - (CASE WHEN OLD.completed = 0 THEN OLD.upload_offset ELSE 0 END) WHERE id = 1;
END;
CREATE TRIGGER usage_upload_removed AFTER DELETE ON uploads WHEN OLD.completed = 0 BEGIN
    UPDATE usage SET bytes = bytes - OLD.upload_offset WHERE id = 1;
END;
)sql"},
}};

constexpr const char* kUploadColumns =
    "SELECT id, user_id, device_id, length, upload_offset, sha256, photo_id, metadata, "
    "media_type, proof_nonce, proof_tried, completed, created_at_ms, expires_at_ms FROM uploads ";

UploadRecord readUpload(const Statement& row) {
    UploadRecord upload;
    upload.id = row.text(0);
    upload.userId = row.text(1);
    upload.deviceId = row.isNull(2) ? std::string() : std::string(row.text(2));
    upload.length = row.integer(3);
    upload.offset = row.integer(4);
    upload.sha256 = row.text(5);
    upload.photoId = row.text(6);
    upload.metadata = row.text(7);
    upload.mediaType = row.text(8);
    const auto nonce = row.blob(9);
    upload.proofNonce.assign(reinterpret_cast<const char*>(nonce.data()), nonce.size());
    upload.proofTried = row.integer(10) != 0;
    upload.completed = row.integer(11) != 0;
    upload.createdAtMs = row.integer(12);
    upload.expiresAtMs = row.integer(13);
    return upload;
}

std::int64_t usedBytesOf(sync::sqlite::Database& db) {
    auto used = db.cached("SELECT bytes FROM usage WHERE id = 1");
    used->step();
    return used->integer(0);
}

bool isFolderName(const std::string& tenantId) {
    return !tenantId.empty() && tenantId.size() <= 64 &&
           std::all_of(tenantId.begin(), tenantId.end(), [](char c) {
               return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '-' || c == '_';
           });
}

}  // namespace

PhotoIndex::PhotoIndex(const std::string& path)
    : _db(std::make_unique<sync::sqlite::Database>(path)) {
    _db->exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA busy_timeout=5000;");
    const auto version = _db->queryInteger("PRAGMA user_version");
    if (version > static_cast<std::int64_t>(kMigrations.size())) {
        throw Error(ErrorCode::UnsupportedStoreVersion,
                    "a photo index was written by a newer Verdant");
    }
    for (auto step = static_cast<std::size_t>(version); step < kMigrations.size(); ++step) {
        Transaction transaction(*_db);
        _db->exec(std::string(kMigrations[step].second));
        _db->exec("PRAGMA user_version = " + std::to_string(step + 1));
        transaction.commit();
    }
}

PhotoIndex::~PhotoIndex() = default;

std::optional<StoredBlob> PhotoIndex::blob(const std::string& sha256) {
    std::lock_guard lock(_mutex);
    auto row = _db->cached("SELECT size, media_type, stored_at_ms FROM blobs WHERE sha256 = ?1");
    row->bind(1, sha256);
    if (!row->step()) {
        return std::nullopt;
    }
    return StoredBlob{sha256, row->integer(0), std::string(row->text(1)), row->integer(2)};
}

void PhotoIndex::addBlob(const StoredBlob& blob) {
    std::lock_guard lock(_mutex);
    auto insert = _db->cached(
        "INSERT OR IGNORE INTO blobs (sha256, size, media_type, stored_at_ms) "
        "VALUES (?1, ?2, ?3, ?4)");
    insert->bind(1, blob.sha256);
    insert->bind(2, blob.size);
    insert->bind(3, blob.mediaType);
    insert->bind(4, blob.storedAtMs);
    insert->run();
}

namespace {

void insertClaim(sync::sqlite::Database& db, const BlobClaim& claim) {
    auto insert = db.cached(
        "INSERT OR IGNORE INTO claims (sha256, photo_id, user_id, at_ms) VALUES (?1, ?2, ?3, ?4)");
    insert->bind(1, claim.sha256);
    insert->bind(2, claim.photoId);
    insert->bind(3, claim.userId);
    insert->bind(4, claim.atMs);
    insert->run();
}

}  // namespace

void PhotoIndex::addClaim(const BlobClaim& claim) {
    std::lock_guard lock(_mutex);
    insertClaim(*_db, claim);
}

std::vector<std::string> PhotoIndex::photosClaiming(const std::string& sha256) {
    std::lock_guard lock(_mutex);
    auto rows = _db->cached("SELECT DISTINCT photo_id FROM claims WHERE sha256 = ?1");
    rows->bind(1, sha256);
    std::vector<std::string> photos;
    while (rows->step()) {
        photos.emplace_back(rows->text(0));
    }
    return photos;
}

std::int64_t PhotoIndex::usedBytes() {
    std::lock_guard lock(_mutex);
    return usedBytesOf(*_db);
}

bool PhotoIndex::reserve(std::int64_t bytes, std::int64_t quotaBytes) {
    std::lock_guard lock(_mutex);
    if (usedBytesOf(*_db) + _reservedBytes + bytes > quotaBytes) {
        return false;
    }
    _reservedBytes += bytes;
    return true;
}

void PhotoIndex::release(std::int64_t bytes) {
    std::lock_guard lock(_mutex);
    _reservedBytes -= bytes;
}

bool PhotoIndex::createUpload(const UploadRecord& upload, std::int64_t quotaBytes) {
    std::lock_guard lock(_mutex);
    Transaction transaction(*_db);
    if (usedBytesOf(*_db) + _reservedBytes + upload.length > quotaBytes) {
        return false;
    }
    {
        auto insert = _db->cached(
            "INSERT INTO uploads (id, user_id, device_id, length, upload_offset, sha256, "
            "photo_id, metadata, media_type, proof_nonce, created_at_ms, expires_at_ms) "
            "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)");
        insert->bind(1, upload.id);
        insert->bind(2, upload.userId);
        if (upload.deviceId.empty()) {
            insert->bindNull(3);
        } else {
            insert->bind(3, upload.deviceId);
        }
        insert->bind(4, upload.length);
        insert->bind(5, upload.offset);
        insert->bind(6, upload.sha256);
        insert->bind(7, upload.photoId);
        insert->bind(8, upload.metadata);
        insert->bind(9, upload.mediaType);
        insert->bind(10, std::span(reinterpret_cast<const std::uint8_t*>(upload.proofNonce.data()),
                                   upload.proofNonce.size()));
        insert->bind(11, upload.createdAtMs);
        insert->bind(12, upload.expiresAtMs);
        insert->run();
    }
    transaction.commit();
    return true;
}

std::optional<UploadRecord> PhotoIndex::upload(const std::string& id) {
    std::lock_guard lock(_mutex);
    static const std::string kSql = std::string(kUploadColumns) + "WHERE id = ?1";
    auto row = _db->cached(kSql);
    row->bind(1, id);
    if (!row->step()) {
        return std::nullopt;
    }
    return readUpload(*row);
}

void PhotoIndex::saveProgress(const std::string& id, std::int64_t offset,
                              const std::string& mediaType, std::int64_t expiresAtMs) {
    std::lock_guard lock(_mutex);
    auto update = _db->cached(
        "UPDATE uploads SET upload_offset = ?2, media_type = ?3, expires_at_ms = ?4 "
        "WHERE id = ?1");
    update->bind(1, id);
    update->bind(2, offset);
    update->bind(3, mediaType);
    update->bind(4, expiresAtMs);
    update->run();
}

bool PhotoIndex::markProofTried(const std::string& id) {
    std::lock_guard lock(_mutex);
    auto update =
        _db->cached("UPDATE uploads SET proof_tried = 1 WHERE id = ?1 AND proof_tried = 0");
    update->bind(1, id);
    update->run();
    return _db->changes() == 1;
}

void PhotoIndex::completeUpload(const std::string& id, const BlobClaim& claim,
                                std::int64_t expiresAtMs) {
    std::lock_guard lock(_mutex);
    Transaction transaction(*_db);
    insertClaim(*_db, claim);
    {
        auto update = _db->cached(
            "UPDATE uploads SET completed = 1, upload_offset = length, expires_at_ms = ?2 "
            "WHERE id = ?1");
        update->bind(1, id);
        update->bind(2, expiresAtMs);
        update->run();
    }
    transaction.commit();
}

void PhotoIndex::removeUpload(const std::string& id) {
    std::lock_guard lock(_mutex);
    auto remove = _db->cached("DELETE FROM uploads WHERE id = ?1");
    remove->bind(1, id);
    remove->run();
}

std::vector<UploadRecord> PhotoIndex::expiredUploads(std::int64_t nowMs) {
    std::lock_guard lock(_mutex);
    static const std::string kSql = std::string(kUploadColumns) + "WHERE expires_at_ms <= ?1";
    auto rows = _db->cached(kSql);
    rows->bind(1, nowMs);
    std::vector<UploadRecord> expired;
    while (rows->step()) {
        expired.push_back(readUpload(*rows));
    }
    return expired;
}

PhotoIndexes::PhotoIndexes(std::string root) : _root(std::move(root)) {}

PhotoIndexes::~PhotoIndexes() = default;

std::string PhotoIndexes::tenantDirectory(const std::string& tenantId) const {
    if (!isFolderName(tenantId)) {
        throw Error(ErrorCode::InternalError, "a tenant id cannot name a blob folder");
    }
    return Poco::Path(_root).append(tenantId).toString();
}

PhotoIndex& PhotoIndexes::of(const std::string& tenantId) {
    const auto directory = tenantDirectory(tenantId);
    std::lock_guard lock(_mutex);
    auto& index = _indexes[tenantId];
    if (!index) {
        Poco::File(directory).createDirectories();
        index = std::make_unique<PhotoIndex>(Poco::Path(directory).append("index.db").toString());
    }
    return *index;
}

std::vector<std::string> PhotoIndexes::tenants() const {
    std::vector<std::string> tenants;
    if (!Poco::File(_root).exists()) {
        return tenants;
    }
    for (Poco::DirectoryIterator it(_root), end; it != end; ++it) {
        if (it->isDirectory() && isFolderName(it.name())) {
            tenants.push_back(it.name());
        }
    }
    return tenants;
}

}  // namespace verdant::server
