// Taking photos and reading the upload queue: the bytes into the blob folder, the `photos`
// record through the write path, the upload queued; each photo's state as the app shows it.

#include "BlobDigest.hpp"
#include "ClientImpl.hpp"

#include "verdant/audit/Collections.hpp"
#include "verdant/shared/IdGenerator.hpp"

namespace verdant::client {

using shared::ErrorCode;
using shared::RecordId;
using shared::Value;

std::string_view wireName(PhotoUploadState state) noexcept {
    switch (state) {
        case PhotoUploadState::Pending:
            return "pending";
        case PhotoUploadState::Uploading:
            return "uploading";
        case PhotoUploadState::Uploaded:
            return "uploaded";
        case PhotoUploadState::Failed:
            return "failed";
    }
    return "pending";
}

int PhotoStatus::percent() const noexcept {
    if (state == PhotoUploadState::Uploaded) {
        return 100;
    }
    if (sizeBytes == 0) {
        return 0;
    }
    return static_cast<int>(std::min<std::uint64_t>(bytesConfirmed, sizeBytes) * 100 / sizeBytes);
}

WriteResult Client::Impl::addPhoto(const PhotoDraft& draft) {
    if (draft.sourcePath.empty() && draft.bytes.empty()) {
        throw shared::Error(ErrorCode::InvalidParameter, "A photo needs a file or its bytes.");
    }
    // Flushed to disk under its name before any record names it.
    const auto stored =
        draft.sourcePath.empty() ? _blobs.store(draft.bytes) : _blobs.storeFile(draft.sourcePath);
    static thread_local shared::IdGenerator generator(shared::SystemClock::instance());
    QueuedPhoto queued;
    queued.photoId = generator.nextRecordId();
    queued.auditId = draft.auditId;
    queued.sha256 = stored.sha256;
    queued.sizeBytes = stored.size;
    queued.mediaType =
        draft.mediaType.empty() ? BlobFolder::mediaTypeOf(stored.head) : draft.mediaType;

    std::vector<FieldWrite> fields = {
        FieldWrite::set("audit_id", Value::id(draft.auditId)),
        FieldWrite::set("sha256", Value::string(stored.sha256)),
        FieldWrite::set("size_bytes", Value::integer(static_cast<std::int64_t>(stored.size))),
        FieldWrite::set("captured_at",
                        Value::timestamp(draft.capturedAtMs.value_or(_wallClock.nowMs()))),
        FieldWrite::set("author_id", Value::string(userId())),
    };
    if (!draft.caption.empty()) {
        fields.push_back(FieldWrite::set("caption", Value::string(draft.caption)));
    }
    if (draft.answerId) {
        fields.push_back(FieldWrite::set("answer_id", Value::id(*draft.answerId)));
    }
    if (draft.findingId) {
        fields.push_back(FieldWrite::set("finding_id", Value::id(*draft.findingId)));
    }
    if (!draft.gps.empty()) {
        fields.push_back(FieldWrite::set("gps", Value::string(draft.gps)));
    }
    // Queued first: a crash before the record is written leaves a row without a record, which
    // the next run forgets (settleRecordSeq); never a record whose bytes nobody uploads.
    std::lock_guard adding(_addPhotoMutex);
    _uploads->add(queued);
    auto result = write(audit::collections::kPhotos, queued.photoId, fields, false);
    if (!result.ok || result.changes.empty()) {
        _uploads->remove(queued.photoId);
        return result;
    }
    _uploads->setRecordSeq(queued.photoId, result.changes.back().deviceSeq);
    return result;
}

bool Client::Impl::settleRecordSeq(QueuedPhoto& photo) {
    std::lock_guard adding(_addPhotoMutex);  // not while addPhoto() writes this very record
    std::optional<std::uint64_t> seq;
    {
        std::lock_guard lock(_storeMutex);
        for (const auto& logged :
             _store->recordChanges(audit::collections::kPhotos, photo.photoId)) {
            if (logged.change.deviceId == _deviceId) {
                seq = std::max(seq.value_or(0), logged.change.deviceSeq);
            }
        }
    }
    if (!seq) {
        _uploads->remove(photo.photoId);
        return false;
    }
    photo.recordSeq = seq;
    _uploads->setRecordSeq(photo.photoId, *seq);
    return true;
}

std::string Client::Impl::waitingFor(const QueuedPhoto& photo, std::uint64_t ackedSeq,
                                     NetworkKind network, const UploadSettings& settings) {
    if (!photo.recordSeq || *photo.recordSeq > ackedSeq) {
        return "waiting for its record to reach the server";
    }
    if (network == NetworkKind::None) {
        return "waiting for a network";
    }
    if (settings.wifiOnly && network != NetworkKind::Wifi) {
        return "waiting for Wi-Fi";
    }
    return {};
}

PhotoStatus Client::Impl::statusOf(const QueuedPhoto& photo, std::uint64_t ackedSeq,
                                   NetworkKind network, const UploadSettings& settings) {
    PhotoStatus status;
    status.photoId = photo.photoId;
    status.auditId = photo.auditId;
    status.sha256 = photo.sha256;
    status.sizeBytes = photo.sizeBytes;
    status.bytesConfirmed = photo.offset;
    status.bytesSent = photo.bytesSent;
    status.deduplicated = photo.deduplicated;
    status.error = photo.error;
    status.message = photo.message;
    status.state = photo.state;
    if (photo.state == PhotoUploadState::Uploaded || photo.state == PhotoUploadState::Failed) {
        return status;
    }
    if (auto reason = waitingFor(photo, ackedSeq, network, settings); !reason.empty()) {
        status.state = PhotoUploadState::Pending;
        status.message = std::move(reason);
    } else if (photo.uploadPath.empty()) {
        status.state = PhotoUploadState::Pending;
        if (status.message.empty()) {
            status.message = "waiting to upload";
        }
    } else {
        status.state = PhotoUploadState::Uploading;
    }
    return status;
}

std::vector<PhotoStatus> Client::Impl::photoUploads(const std::optional<RecordId>& auditId) {
    std::uint64_t acked = 0;
    {
        std::lock_guard lock(_storeMutex);
        acked = _ackedSeq;
    }
    const auto settings = uploadSettings();
    std::vector<PhotoStatus> statuses;
    for (const auto& photo : _uploads->all()) {
        if (!auditId || photo.auditId == *auditId) {
            statuses.push_back(statusOf(photo, acked, _network, settings));
        }
    }
    return statuses;
}

std::optional<PhotoStatus> Client::Impl::photoUpload(const RecordId& photoId) {
    const auto photo = _uploads->find(photoId);
    if (!photo) {
        return std::nullopt;
    }
    std::uint64_t acked = 0;
    {
        std::lock_guard lock(_storeMutex);
        acked = _ackedSeq;
    }
    return statusOf(*photo, acked, _network, uploadSettings());
}

bool Client::Impl::retryPhoto(const RecordId& photoId) {
    std::lock_guard run(_uploadMutex);
    auto photo = _uploads->find(photoId);
    if (!photo || photo->state != PhotoUploadState::Failed) {
        return false;
    }
    photo->state = PhotoUploadState::Pending;
    photo->uploadPath.clear();
    photo->nonce.clear();
    photo->possessionTried = false;
    photo->offset = 0;
    photo->error.reset();
    photo->message.clear();
    _uploads->save(*photo);
    wakeUploads();
    return true;
}

std::string Client::Impl::photoPath(const RecordId& photoId) {
    std::string sha;
    if (const auto photo = _uploads->find(photoId)) {
        sha = photo->sha256;
    } else if (const auto found = record(audit::collections::kPhotos, photoId)) {
        const auto field = found->fields.find("sha256");
        if (field != found->fields.end() &&
            field->second.value.kind() == shared::ValueKind::String) {
            sha = field->second.value.as<std::string>();
        }
    }
    if (sha.empty() || !digest::isSha256Hex(sha) || !_blobs.holds(sha)) {
        return {};
    }
    return _blobs.pathOf(sha).string();
}

void Client::Impl::setUploadSettings(const UploadSettings& settings) {
    {
        std::lock_guard lock(_uploadSettingsMutex);
        _uploadSettings = settings;
        _uploadSettings.chunkBytes = std::max<std::uint32_t>(1, settings.chunkBytes);
    }
    wakeUploads();
}

UploadSettings Client::Impl::uploadSettings() {
    std::lock_guard lock(_uploadSettingsMutex);
    return _uploadSettings;
}

void Client::Impl::setNetwork(NetworkKind network) {
    _network = network;
    wakeUploads();
}

}  // namespace verdant::client
