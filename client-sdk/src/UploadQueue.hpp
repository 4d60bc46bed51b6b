#pragma once

#include "verdant/client/Photos.hpp"
#include "verdant/sync/Sqlite.hpp"

#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace verdant::client {

/// One photo of the upload queue, as the table keeps it: what the photo is, and how far its
/// tus upload got (the upload's address, the server's confirmed offset), so an upload resumes
/// where it stood after a dropped connection or an app restart.
struct QueuedPhoto {
    std::int64_t position = 0;  ///< Queue order (taken order).
    shared::RecordId photoId;
    shared::RecordId auditId;
    std::string sha256;
    std::uint64_t sizeBytes = 0;
    std::string mediaType;
    /// The device sequence of the last change that wrote the record; the bytes go once the
    /// server acknowledged it. None while the record is being written (or the write was lost).
    std::optional<std::uint64_t> recordSeq;
    PhotoUploadState state = PhotoUploadState::Pending;
    std::string uploadPath;        ///< The tus upload (its Location), "" before creation.
    std::string nonce;             ///< Verdant-Proof-Nonce of that upload (base64url).
    bool possessionTried = false;  ///< The one possession proof of that upload was sent.
    std::uint64_t offset = 0;      ///< The server's confirmed offset of that upload.
    std::uint64_t bytesSent = 0;   ///< Upload body bytes sent for this photo, ever.
    bool deduplicated = false;
    std::optional<shared::ErrorCode> error;
    std::string message;
};

/// The persisted upload queue: the `client_photo_uploads` table of the user's local database,
/// on its own connection (uploads run beside syncs). Created if missing when opened, as the
/// other `client_*` tables are.
///
/// Thread-safe (one internal lock).
class UploadQueue {
public:
    /// Opens the table at `path` (creating it if needed), calling `onOpen` first.
    UploadQueue(const std::string& path, const std::function<void(sqlite3*)>& onOpen);

    /// Adds a photo (its recordSeq none); a photo id already queued is left as it is.
    void add(const QueuedPhoto& photo);
    /// Notes the sequence of the change that wrote the photo's record.
    void setRecordSeq(const shared::RecordId& photoId, std::uint64_t seq);
    /// Forgets a photo (its record was never written).
    void remove(const shared::RecordId& photoId);
    /// Saves a photo's progress and state (everything but what the photo is).
    void save(const QueuedPhoto& photo);

    /// Every queued photo, in queue order.
    std::vector<QueuedPhoto> all();
    /// One photo, or nullopt.
    std::optional<QueuedPhoto> find(const shared::RecordId& photoId);

private:
    std::mutex _mutex;
    sync::sqlite::Database _db;
};

}  // namespace verdant::client
