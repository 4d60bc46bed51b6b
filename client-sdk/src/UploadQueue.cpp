#include "UploadQueue.hpp"

#include "SideConnection.hpp"

namespace verdant::client {

namespace {

constexpr std::string_view kAdd =
    "INSERT OR IGNORE INTO client_photo_uploads "
    "(photo_id, audit_id, sha256, size_bytes, media_type, state) "
    "VALUES (?1, ?2, ?3, ?4, ?5, 0)";
constexpr std::string_view kSetRecordSeq =
    "UPDATE client_photo_uploads SET record_seq = ?2 WHERE photo_id = ?1";
constexpr std::string_view kRemove = "DELETE FROM client_photo_uploads WHERE photo_id = ?1";
constexpr std::string_view kSave =
    "UPDATE client_photo_uploads SET state = ?2, upload_path = ?3, nonce = ?4, "
    "possession_tried = ?5, upload_offset = ?6, bytes_sent = ?7, deduplicated = ?8, "
    "error_code = ?9, error_message = ?10 WHERE photo_id = ?1";
constexpr std::string_view kAll =
    "SELECT position, photo_id, audit_id, sha256, size_bytes, media_type, record_seq, state, "
    "upload_path, nonce, possession_tried, upload_offset, bytes_sent, deduplicated, error_code, "
    "error_message FROM client_photo_uploads ORDER BY position";
constexpr std::string_view kFind =
    "SELECT position, photo_id, audit_id, sha256, size_bytes, media_type, record_seq, state, "
    "upload_path, nonce, possession_tried, upload_offset, bytes_sent, deduplicated, error_code, "
    "error_message FROM client_photo_uploads WHERE photo_id = ?1";

QueuedPhoto rowOf(sync::sqlite::Statement& row) {
    QueuedPhoto photo;
    photo.position = row.integer(0);
    photo.photoId = shared::RecordId::parse(std::string(row.text(1))).value_or(shared::RecordId());
    photo.auditId = shared::RecordId::parse(std::string(row.text(2))).value_or(shared::RecordId());
    photo.sha256 = std::string(row.text(3));
    photo.sizeBytes = static_cast<std::uint64_t>(row.integer(4));
    photo.mediaType = std::string(row.text(5));
    if (!row.isNull(6)) {
        photo.recordSeq = static_cast<std::uint64_t>(row.integer(6));
    }
    const auto state = row.integer(7);
    photo.state =
        state >= 0 && state <= 3 ? static_cast<PhotoUploadState>(state) : PhotoUploadState::Pending;
    photo.uploadPath = std::string(row.text(8));
    photo.nonce = std::string(row.text(9));
    photo.possessionTried = row.integer(10) != 0;
    photo.offset = static_cast<std::uint64_t>(row.integer(11));
    photo.bytesSent = static_cast<std::uint64_t>(row.integer(12));
    photo.deduplicated = row.integer(13) != 0;
    if (!row.isNull(14)) {
        photo.error = shared::errorCodeFromNumber(static_cast<std::uint16_t>(row.integer(14)));
    }
    photo.message = std::string(row.text(15));
    return photo;
}

}  // namespace

UploadQueue::UploadQueue(const std::string& path, const std::function<void(sqlite3*)>& onOpen)
    : _db(path) {
    prepareSideConnection(_db, onOpen);
    _db.exec(R"sql(
        -- Photos whose bytes this device uploads, and how far each tus upload got.
        CREATE TABLE IF NOT EXISTS client_photo_uploads (
            position         INTEGER PRIMARY KEY,
            photo_id         TEXT NOT NULL UNIQUE,
            audit_id         TEXT NOT NULL,
            sha256           TEXT NOT NULL,
            size_bytes       INTEGER NOT NULL,
            media_type       TEXT NOT NULL,
            record_seq       INTEGER,
            state            INTEGER NOT NULL,
            upload_path      TEXT NOT NULL DEFAULT '',
            nonce            TEXT NOT NULL DEFAULT '',
            possession_tried INTEGER NOT NULL DEFAULT 0,
            upload_offset    INTEGER NOT NULL DEFAULT 0,
            bytes_sent       INTEGER NOT NULL DEFAULT 0,
            deduplicated     INTEGER NOT NULL DEFAULT 0,
            error_code       INTEGER,
            error_message    TEXT NOT NULL DEFAULT ''
        );
    )sql");
}

void UploadQueue::add(const QueuedPhoto& photo) {
    std::lock_guard lock(_mutex);
    auto insert = _db.cached(kAdd);
    insert->bind(1, photo.photoId.toString());
    insert->bind(2, photo.auditId.toString());
    insert->bind(3, photo.sha256);
    insert->bind(4, static_cast<std::int64_t>(photo.sizeBytes));
    insert->bind(5, photo.mediaType);
    insert->run();
}

void UploadQueue::setRecordSeq(const shared::RecordId& photoId, std::uint64_t seq) {
    std::lock_guard lock(_mutex);
    auto update = _db.cached(kSetRecordSeq);
    update->bind(1, photoId.toString());
    update->bind(2, static_cast<std::int64_t>(seq));
    update->run();
}

void UploadQueue::remove(const shared::RecordId& photoId) {
    std::lock_guard lock(_mutex);
    auto erase = _db.cached(kRemove);
    erase->bind(1, photoId.toString());
    erase->run();
}

void UploadQueue::save(const QueuedPhoto& photo) {
    std::lock_guard lock(_mutex);
    auto update = _db.cached(kSave);
    update->bind(1, photo.photoId.toString());
    update->bind(2, static_cast<std::int64_t>(photo.state));
    update->bind(3, photo.uploadPath);
    update->bind(4, photo.nonce);
    update->bind(5, std::int64_t{photo.possessionTried ? 1 : 0});
    update->bind(6, static_cast<std::int64_t>(photo.offset));
    update->bind(7, static_cast<std::int64_t>(photo.bytesSent));
    update->bind(8, std::int64_t{photo.deduplicated ? 1 : 0});
    if (photo.error) {
        update->bind(9, static_cast<std::int64_t>(*photo.error));
    } else {
        update->bindNull(9);
    }
    update->bind(10, photo.message);
    update->run();
}

std::vector<QueuedPhoto> UploadQueue::all() {
    std::lock_guard lock(_mutex);
    std::vector<QueuedPhoto> photos;
    auto select = _db.cached(kAll);
    while (select->step()) {
        photos.push_back(rowOf(*select));
    }
    return photos;
}

std::optional<QueuedPhoto> UploadQueue::find(const shared::RecordId& photoId) {
    std::lock_guard lock(_mutex);
    auto select = _db.cached(kFind);
    select->bind(1, photoId.toString());
    if (!select->step()) {
        return std::nullopt;
    }
    return rowOf(*select);
}

}  // namespace verdant::client
