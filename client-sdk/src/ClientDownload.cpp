// Downloading a photo's bytes: from this device's blob folder when it holds them, else from the
// server in ranged chunks into a temporary file that a later call resumes, verified, renamed.

#include "BlobDigest.hpp"
#include "ClientImpl.hpp"

#include "verdant/audit/Collections.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>
#include <utility>

namespace verdant::client {

using shared::Error;
using shared::ErrorCode;

namespace {

[[noreturn]] void diskRefused(const std::string& what) {
    throw Error(ErrorCode::StorageUnavailable,
                "Cannot write the photo (" + what + ": " + std::strerror(errno) + ").");
}

/// Appends to a file, flushed to disk on finish().
class AppendFile {
public:
    explicit AppendFile(const std::filesystem::path& path)
        : _fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600)) {
        if (_fd < 0) {
            diskRefused("create");
        }
    }
    ~AppendFile() {
        if (_fd >= 0) {
            ::close(_fd);
        }
    }
    AppendFile(const AppendFile&) = delete;
    AppendFile& operator=(const AppendFile&) = delete;

    void append(std::string_view bytes) {
        while (!bytes.empty()) {
            const auto written = ::write(_fd, bytes.data(), bytes.size());
            if (written < 0) {
                if (errno == EINTR) {
                    continue;
                }
                diskRefused("write");
            }
            bytes.remove_prefix(static_cast<std::size_t>(written));
        }
    }

    void finish() {
        if (::fsync(_fd) != 0 || ::close(std::exchange(_fd, -1)) != 0) {
            diskRefused("flush");
        }
    }

private:
    int _fd;
};

std::uint64_t sizeOf(const std::filesystem::path& path) {
    std::error_code error;
    const auto size = std::filesystem::file_size(path, error);
    return error ? 0 : size;
}

}  // namespace

PhotoDownload Client::Impl::downloadPhoto(const std::string& photoIdOrSha256,
                                          const std::string& destination) {
    PhotoDownload result;
    if (digest::isSha256Hex(photoIdOrSha256)) {
        result.sha256 = photoIdOrSha256;
    } else if (const auto id = shared::RecordId::parse(photoIdOrSha256)) {
        if (const auto queued = _uploads->find(*id)) {
            result.sha256 = queued->sha256;
        } else if (const auto found = record(audit::collections::kPhotos, *id)) {
            const auto field = found->fields.find("sha256");
            if (field != found->fields.end() &&
                field->second.value.kind() == shared::ValueKind::String) {
                result.sha256 = field->second.value.as<std::string>();
            }
        }
        if (!digest::isSha256Hex(result.sha256)) {
            throw Error(ErrorCode::NotFound, "This device holds no photo with that id.");
        }
    } else {
        throw Error(ErrorCode::InvalidParameter, "Name a photo by its id or its SHA-256.");
    }
    const std::filesystem::path target(destination);
    const std::filesystem::path temporary(destination + ".part");
    if (_blobs.holds(result.sha256)) {
        std::error_code error;
        std::filesystem::copy_file(_blobs.pathOf(result.sha256), temporary,
                                   std::filesystem::copy_options::overwrite_existing, error);
        if (error) {
            errno = error.value();
            diskRefused("copy");
        }
        result.fromLocalCopy = true;
    } else {
        // Downloads use their own connection unless the app injected a transport: then the
        // upload queue's, one run at a time.
        std::unique_lock running(_uploadMutex, std::defer_lock);
        std::unique_ptr<TusApi> own;
        TusApi* api = _tus.get();
        if (!_options.uploadTransport && !_options.transport) {
            own = std::make_unique<TusApi>(std::make_shared<HttpsTransport>(_options.server));
            api = own.get();
        } else {
            running.lock();
        }
        const std::uint64_t chunk = std::max<std::uint32_t>(1, uploadSettings().chunkBytes);
        std::uint64_t offset = sizeOf(temporary);  // what an earlier call received is kept
        std::optional<std::uint64_t> total;
        Backoff backoff(_options.retry);
        int failures = 0;
        AppendFile out(temporary);
        while (!total || offset < *total) {
            try {
                const auto range = withToken([&](const std::string& token) {
                    return api->blobRange(token, result.sha256, offset, offset + chunk - 1);
                });
                total = range.total;
                if (range.bytes.empty() && offset < *total) {
                    throw AnswerLost("The server sent an empty range.");
                }
                out.append(range.bytes);
                offset += range.bytes.size();
                result.bytesReceived += range.bytes.size();
                failures = 0;
                backoff.reset();
            } catch (const Error& error) {
                if (!isTransient(error.code()) || ++failures >= _options.retry.maxAttempts) {
                    throw;
                }
                uploadSleep(backoff.nextDelay());
            }
        }
        out.finish();
    }
    if (digest::sha256OfFile(temporary) != result.sha256) {
        std::error_code ignored;
        std::filesystem::remove(temporary, ignored);
        throw Error(ErrorCode::BlobHashMismatch,
                    "The bytes received are not the photo's (their SHA-256 differs); nothing "
                    "was kept.");
    }
    result.sizeBytes = sizeOf(temporary);
    std::error_code error;
    std::filesystem::rename(temporary, target, error);
    if (error) {
        errno = error.value();
        diskRefused("rename");
    }
    return result;
}

}  // namespace verdant::client
