// The upload queue: each photo's bytes to the server with tus (docs/protocol.md › "Photos"),
// independently of the others and of record sync, resuming from the server's offset.

#include "BlobDigest.hpp"
#include "ClientImpl.hpp"

#include <algorithm>
#include <fstream>

namespace verdant::client {

using shared::Error;
using shared::ErrorCode;

namespace {

/// Refusals that no retry changes: the photo fails and the queue moves on. (quota_exceeded is
/// not one: the tenant's storage can grow or free up, so the photo waits for it.)
bool refusesPhoto(ErrorCode code) {
    return code == ErrorCode::MediaTypeNotAllowed || code == ErrorCode::BlobTooLarge ||
           code == ErrorCode::InvalidParameter || code == ErrorCode::UnsupportedMediaType ||
           code == ErrorCode::TusVersionNotSupported || code == ErrorCode::PayloadTooLarge;
}

/// Failures that say no photo can upload now (a server without photo uploads, a network gone):
/// the run stops and every photo waits.
bool stopsRun(ErrorCode code) {
    return code == ErrorCode::ServerUnreachable || code == ErrorCode::TlsUntrusted ||
           code == ErrorCode::RouteNotFound || code == ErrorCode::MethodNotAllowed ||
           isAuthFailure(code);
}

/// Bytes [offset, offset + size) of the file at `path`; throws NotFound when unreadable.
std::string readChunk(const std::filesystem::path& path, std::uint64_t offset, std::size_t size) {
    std::ifstream in(path, std::ios::binary);
    std::string chunk(size, '\0');
    if (in) {
        in.seekg(static_cast<std::streamoff>(offset));
        in.read(chunk.data(), static_cast<std::streamsize>(size));
    }
    if (!in || static_cast<std::size_t>(in.gcount()) != size) {
        throw Error(ErrorCode::NotFound, "The photo's file on this device cannot be read.");
    }
    return chunk;
}

constexpr std::string_view kWaitingForStorage =
    "waiting for storage on the server: the organisation's photo quota is full";

void forgetUpload(QueuedPhoto& photo) {
    photo.uploadPath.clear();
    photo.nonce.clear();
    photo.possessionTried = false;
    photo.offset = 0;
}

}  // namespace

std::chrono::milliseconds Client::Impl::UploadPacer::delayBefore(std::size_t next) {
    if (_cap == 0) {
        return std::chrono::milliseconds(0);
    }
    // The bytes sent so far must have taken at least sent / cap seconds.
    const auto due = std::chrono::milliseconds(static_cast<std::int64_t>(_sent * 1000 / _cap));
    const auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - _start);
    _sent += next;
    return due > elapsed ? due - elapsed : std::chrono::milliseconds(0);
}

UploadReport Client::Impl::uploadPhotos(const std::function<void(const PhotoStatus&)>& progress) {
    std::lock_guard running(_uploadMutex);
    const auto settings = uploadSettings();
    UploadRun run{settings, UploadPacer(settings.maxBytesPerSecond), {}, &progress};
    const NetworkKind network = _network;
    std::uint64_t acked = 0;
    {
        std::lock_guard lock(_storeMutex);
        acked = _ackedSeq;
    }
    const bool signedIn = hasTokens();
    // A background round does not ask again for storage the server just refused; an explicit
    // run (the user asking to upload now) does.
    const bool storageDue = std::this_thread::get_id() != _uploadThreadId ||
                            std::chrono::steady_clock::now() >= _storageRetryAt;
    bool stopped = false;
    for (auto& photo : _uploads->all()) {
        if (photo.state == PhotoUploadState::Uploaded || photo.state == PhotoUploadState::Failed) {
            continue;
        }
        if (!photo.recordSeq && !settleRecordSeq(photo)) {
            continue;
        }
        const bool heldForStorage = photo.error == ErrorCode::QuotaExceeded && !storageDue;
        if (stopped || !signedIn || heldForStorage ||
            !waitingFor(photo, acked, network, settings).empty()) {
            ++run.report.pending;
            continue;
        }
        try {
            uploadOne(photo, run);
        } catch (const Error& error) {
            run.report.errors.emplace_back(error.code(), error.what());
            stopped = true;
        }
        if (photo.state != PhotoUploadState::Uploaded && photo.state != PhotoUploadState::Failed) {
            ++run.report.pending;
        }
    }
    if (!signedIn && run.report.pending > 0) {
        run.report.errors.emplace_back(ErrorCode::NotSignedIn,
                                       std::string(shared::defaultMessage(ErrorCode::NotSignedIn)));
    }
    scheduleStorageRetry(run.report);
    return run.report;
}

void Client::Impl::scheduleStorageRetry(const UploadReport& report) {
    const bool refused =
        std::any_of(report.errors.begin(), report.errors.end(),
                    [](const auto& error) { return error.first == ErrorCode::QuotaExceeded; });
    if (refused) {
        _storageRetryAt = std::chrono::steady_clock::now() + _storageBackoff.nextDelay();
    } else if (report.uploaded > 0) {
        _storageBackoff.reset();
        _storageRetryAt = {};
    }
}

void Client::Impl::uploadOne(QueuedPhoto& photo, UploadRun& run) {
    Backoff backoff(_options.retry);
    int failures = 0;
    // A photo with an upload under way asks the server where it stands: after a crash or a
    // broken connection, the bytes that arrived are kept and never sent again.
    bool ask = !photo.uploadPath.empty();
    for (;;) {
        const auto before = photo.offset;
        try {
            const bool done = uploadStep(photo, ask, run);
            if (*run.progress) {
                (*run.progress)(
                    statusOf(photo, photo.recordSeq.value_or(0), NetworkKind::Wifi, run.settings));
            }
            if (done) {
                return;
            }
            if (photo.offset > before) {
                backoff.reset();
                failures = 0;
            }
        } catch (const Error& error) {
            _uploads->save(photo);  // the bytes it sent count, whatever became of them
            if (!recoverUpload(photo, error, ask, failures, backoff, run)) {
                return;
            }
        }
    }
}

bool Client::Impl::uploadStep(QueuedPhoto& photo, bool& ask, UploadRun& run) {
    const auto file = _blobs.pathOf(photo.sha256);
    if (!_blobs.holds(photo.sha256)) {
        throw Error(ErrorCode::NotFound, "The photo's file is missing on this device.");
    }
    if (photo.uploadPath.empty()) {
        const auto created = withToken([&](const std::string& token) {
            return _tus->create(token, photo.sha256, photo.photoId.toString(), photo.sizeBytes,
                                photo.mediaType);
        });
        photo.uploadPath = created.path;
        photo.nonce = created.nonce;
        photo.offset = created.offset;
        photo.possessionTried = false;
        ask = false;
        _uploads->save(photo);
        return false;
    }
    if (!photo.possessionTried && !photo.nonce.empty() && photo.offset == 0) {
        // One proof per upload: noted before it is sent, so a lost answer is not a second try.
        photo.possessionTried = true;
        _uploads->save(photo);
        const auto key = digest::fromBase64(photo.nonce);
        const auto proof = key ? digest::possessionProofOfFile(
                                     file, *key, static_cast<std::int64_t>(photo.sizeBytes))
                               : std::nullopt;
        if (!proof) {
            return false;  // an unreadable nonce: upload the bytes instead
        }
        const auto answer = withToken([&](const std::string& token) {
            return _tus->provePossession(token, photo.uploadPath, *proof);
        });
        if (answer.deduplicated) {
            photo.deduplicated = true;
            photo.offset = photo.sizeBytes;
            photo.state = PhotoUploadState::Uploaded;
            photo.error.reset();
            photo.message.clear();
            _uploads->save(photo);
            ++run.report.uploaded;
            ++run.report.deduplicated;
            return true;
        }
        photo.offset = answer.offset;
        _uploads->save(photo);
        return false;
    }
    if (ask || photo.offset >= photo.sizeBytes) {
        photo.offset = withToken(
            [&](const std::string& token) { return _tus->offset(token, photo.uploadPath); });
        ask = false;
    } else {
        const auto size = static_cast<std::size_t>(std::min<std::uint64_t>(
            std::max<std::uint32_t>(1, run.settings.chunkBytes), photo.sizeBytes - photo.offset));
        const auto chunk = readChunk(file, photo.offset, size);
        if (const auto delay = run.pacer.delayBefore(size);
            delay.count() > 0 && !uploadSleep(delay)) {
            throw Error(ErrorCode::ShuttingDown, "The uploads were asked to stop.");
        }
        photo.bytesSent += size;  // counted as handed over: a broken request costs them too
        run.report.bytesSent += size;
        photo.offset = withToken([&](const std::string& token) {
            return _tus->patch(token, photo.uploadPath, photo.offset, chunk);
        });
    }
    photo.state = PhotoUploadState::Uploading;
    photo.error.reset();
    photo.message.clear();
    if (photo.offset >= photo.sizeBytes) {
        // The server verified the whole blob's hash before it confirmed the last byte.
        photo.state = PhotoUploadState::Uploaded;
        ++run.report.uploaded;
    }
    _uploads->save(photo);
    return photo.state == PhotoUploadState::Uploaded;
}

bool Client::Impl::recoverUpload(QueuedPhoto& photo, const Error& error, bool& ask, int& failures,
                                 Backoff& backoff, UploadRun& run) {
    const auto code = error.code();
    if (code == ErrorCode::NotFound) {
        failPhoto(photo, code, error.what(), run);  // the local file is gone
        return false;
    }
    if (refusesPhoto(code)) {
        failPhoto(photo, code, error.what(), run);
        return false;
    }
    if (code == ErrorCode::QuotaExceeded) {
        waitForStorage(photo, run);
        return false;
    }
    if (code == ErrorCode::BlobHashMismatch) {
        // The server removed the upload. Bytes spoiled on the way: upload again. A local file
        // that no longer has its name's hash (a bad disk): no upload can ever succeed.
        if (digest::sha256OfFile(_blobs.pathOf(photo.sha256)) != photo.sha256) {
            failPhoto(photo, code, "The photo's file on this device is damaged.", run);
            return false;
        }
        forgetUpload(photo);
    } else if (code == ErrorCode::UploadNotFound || code == ErrorCode::UploadExpired) {
        forgetUpload(photo);  // expired and swept, or never ours: start a new upload
    } else if (stopsRun(code)) {
        if (code != ErrorCode::ServerUnreachable || ++failures >= _options.retry.maxAttempts) {
            photo.error = code;
            photo.message = error.what();
            _uploads->save(photo);
            throw error;
        }
    } else if (code == ErrorCode::ShuttingDown && std::this_thread::get_id() == _uploadThreadId) {
        throw error;
    } else if (!isTransient(code) && code != ErrorCode::UploadOffsetMismatch) {
        failPhoto(photo, code, error.what(), run);
        return false;
    }
    if (code != ErrorCode::ServerUnreachable && ++failures >= _options.retry.maxAttempts) {
        photo.error = code;
        photo.message = error.what();
        _uploads->save(photo);
        run.report.errors.emplace_back(code, error.what());
        return false;  // pending: the next run tries again; the queue goes on
    }
    _uploads->save(photo);
    ask = !photo.uploadPath.empty();
    ++run.report.attempts;
    if (!uploadSleep(backoff.nextDelay())) {
        throw Error(ErrorCode::ShuttingDown, "The uploads were asked to stop.");
    }
    return true;
}

void Client::Impl::waitForStorage(QueuedPhoto& photo, UploadRun& run) {
    forgetUpload(photo);  // refused at creation: the server holds no upload of it
    photo.state = PhotoUploadState::Pending;
    photo.error = ErrorCode::QuotaExceeded;
    photo.message = std::string(kWaitingForStorage);
    _uploads->save(photo);
    run.report.errors.emplace_back(ErrorCode::QuotaExceeded, photo.message);
}

void Client::Impl::failPhoto(QueuedPhoto& photo, ErrorCode code, const std::string& message,
                             UploadRun& run) {
    photo.state = PhotoUploadState::Failed;
    photo.error = code;
    photo.message = message;
    _uploads->save(photo);
    ++run.report.failed;
    run.report.errors.emplace_back(code, message);
}

}  // namespace verdant::client
