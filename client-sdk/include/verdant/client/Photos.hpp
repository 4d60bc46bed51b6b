#pragma once

#include "verdant/shared/ErrorCode.hpp"
#include "verdant/shared/Id.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace verdant::client {

/// A photo as the app takes it (Client::addPhoto): its bytes and what the `photos` record says.
struct PhotoDraft {
    shared::RecordId auditId;  ///< The audit it is evidence for (required).
    /// The file to take the bytes from (copied into the SDK's blob folder; the app may delete
    /// it afterwards). Empty: the bytes are `bytes`.
    std::string sourcePath;
    std::string bytes;                          ///< The photo's bytes, when no sourcePath.
    std::string caption;                        ///< Empty = none.
    std::optional<shared::RecordId> answerId;   ///< The checklist answer it illustrates.
    std::optional<shared::RecordId> findingId;  ///< The finding it proves.
    std::optional<std::int64_t> capturedAtMs;   ///< When it was taken; none = now (device clock).
    std::string gps;                            ///< e.g. "31.2304,121.4737"; empty = none.
    /// The media type named to the server (Upload-Metadata filetype, never trusted there);
    /// empty = judged from the first bytes (JPEG, PNG, HEIC, PDF), else
    /// "application/octet-stream".
    std::string mediaType;
};

/// Where a photo's bytes stand between this device and the server.
enum class PhotoUploadState : std::uint8_t {
    Pending = 0,    ///< Waiting: its record not yet pushed, Wi-Fi, the network, or a retry.
    Uploading = 1,  ///< Some bytes are on the server (PhotoStatus::bytesConfirmed).
    Uploaded = 2,   ///< The server holds the bytes, verified (uploaded or proven possessed).
    Failed = 3,     ///< Refused for good (PhotoStatus::error): the queue went on without it.
};

/// The lower-case name of a state: "pending", "uploading", "uploaded" or "failed".
std::string_view wireName(PhotoUploadState state) noexcept;

/// One photo of this device's upload queue, as a list row or a progress bar shows it.
struct PhotoStatus {
    shared::RecordId photoId;  ///< Its `photos` record.
    shared::RecordId auditId;  ///< The audit it belongs to.
    std::string sha256;        ///< The bytes' SHA-256 (64 lower-case hex digits): the blob's name.
    std::uint64_t sizeBytes = 0;  ///< The bytes' length.
    PhotoUploadState state = PhotoUploadState::Pending;
    std::uint64_t bytesConfirmed = 0;  ///< Bytes the server confirmed holding (its offset).
    /// Bytes this device sent in upload bodies for it, all attempts and restarts included
    /// (bytes a broken connection lost count too): the cost of its upload.
    std::uint64_t bytesSent = 0;
    bool deduplicated = false;  ///< Uploaded without sending bytes: possession was proven.
    /// Failed: why (media_type_not_allowed, blob_too_large, not_found for a missing local
    /// file, blob_hash_mismatch for a local file that no longer matches its hash). Pending: the
    /// last transient failure, if any, or quota_exceeded while it waits for storage on the
    /// server.
    std::optional<shared::ErrorCode> error;
    /// For a person: why it failed, or what a pending photo waits for ("waiting for Wi-Fi").
    std::string message;

    /// Progress from 0 to 100 (100 once uploaded).
    int percent() const noexcept;
};

/// How and when photo bytes are uploaded.
struct UploadSettings {
    bool wifiOnly = false;  ///< Upload only while the app says the network is Wi-Fi.
    /// Average upload rate cap in bytes per second, paced chunk by chunk; 0 = no cap.
    std::uint64_t maxBytesPerSecond = 0;
    /// Bytes per PATCH request (at least 1): what a broken connection can cost at worst.
    std::uint32_t chunkBytes = 1024 * 1024;
};

/// The network the device is on, as the app learns it from the platform.
enum class NetworkKind : std::uint8_t {
    Wifi = 0,      ///< Unmetered (Wi-Fi, Ethernet): the default until the app says otherwise.
    Cellular = 1,  ///< Metered: no uploads while UploadSettings::wifiOnly.
    None = 2,      ///< Offline: no uploads.
};

/// What one run of the upload queue did (Client::uploadPhotos).
struct UploadReport {
    std::size_t uploaded = 0;      ///< Photos whose bytes the server now holds (this run).
    std::size_t deduplicated = 0;  ///< Of those, proven possessed: no byte sent.
    std::size_t failed = 0;        ///< Photos refused for good in this run.
    std::size_t pending = 0;       ///< Photos still waiting after the run.
    std::uint64_t bytesSent = 0;   ///< Upload body bytes sent in this run.
    std::size_t attempts = 0;      ///< Requests retried after transient failures.
    /// Problems met: each failed photo's refusal, and the transient failure that stopped the
    /// run or left a photo pending.
    std::vector<std::pair<shared::ErrorCode, std::string>> errors;

    /// Nothing failed and nothing is left to upload.
    bool complete() const noexcept { return failed == 0 && pending == 0; }
};

/// What a download did (Client::downloadPhoto).
struct PhotoDownload {
    std::string sha256;               ///< The blob written.
    std::uint64_t sizeBytes = 0;      ///< Its length.
    std::uint64_t bytesReceived = 0;  ///< Body bytes received from the server (0 when local).
    bool fromLocalCopy = false;       ///< Copied from this device's blob folder, no request.
};

}  // namespace verdant::client
