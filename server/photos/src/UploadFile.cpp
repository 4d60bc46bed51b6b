#include "UploadFile.hpp"

#include "Digest.hpp"

#include "verdant/shared/ErrorCode.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace verdant::server {

using shared::Error;
using shared::ErrorCode;

namespace {

constexpr std::size_t kPieceBytes = 64 * 1024;

[[noreturn]] void diskFailed(const char* what) {
    throw Error(ErrorCode::StorageUnavailable, std::string("an upload's bytes cannot be ") + what);
}

/// An open file descriptor, closed on scope exit.
class Descriptor {
public:
    Descriptor(const std::string& path, int flags) : _fd(::open(path.c_str(), flags, 0600)) {}
    ~Descriptor() {
        if (_fd >= 0) {
            ::close(_fd);
        }
    }
    Descriptor(const Descriptor&) = delete;
    Descriptor& operator=(const Descriptor&) = delete;
    int get() const { return _fd; }
    bool valid() const { return _fd >= 0; }

private:
    int _fd;
};

void writeAll(int fd, const char* data, std::size_t size) {
    while (size > 0) {
        const auto written = ::write(fd, data, size);
        if (written < 0 && errno == EINTR) {
            continue;
        }
        if (written <= 0) {
            diskFailed("written");
        }
        data += written;
        size -= static_cast<std::size_t>(written);
    }
}

}  // namespace

UploadFile::UploadFile(std::string path) : _path(std::move(path)) {}

std::int64_t UploadFile::size() const {
    struct stat info {};
    return ::stat(_path.c_str(), &info) == 0 ? static_cast<std::int64_t>(info.st_size) : 0;
}

std::int64_t UploadFile::append(std::int64_t offset, std::istream& in, std::int64_t count,
                                Digest* digest) {
    Descriptor file(_path, O_WRONLY | O_CREAT | O_CLOEXEC);
    if (!file.valid() || ::ftruncate(file.get(), offset) != 0 ||
        ::lseek(file.get(), offset, SEEK_SET) != offset) {
        diskFailed("written");
    }
    std::array<char, kPieceBytes> piece{};
    std::int64_t appended = 0;
    while (appended < count && in) {
        const auto wanted = static_cast<std::streamsize>(
            std::min<std::int64_t>(static_cast<std::int64_t>(piece.size()), count - appended));
        in.read(piece.data(), wanted);
        const auto got = in.gcount();
        if (got <= 0) {
            break;
        }
        writeAll(file.get(), piece.data(), static_cast<std::size_t>(got));
        if (digest != nullptr) {
            digest->update(piece.data(), static_cast<std::size_t>(got));
        }
        appended += got;
    }
    if (::fsync(file.get()) != 0) {
        diskFailed("flushed");
    }
    return appended;
}

bool UploadFile::adoptFirstChunk(const std::string& received) {
    if (size() > 0 || ::rename(received.c_str(), _path.c_str()) != 0) {
        return false;
    }
    sync();
    return true;
}

void UploadFile::truncate(std::int64_t size) {
    if (::truncate(_path.c_str(), size) != 0 && errno != ENOENT) {
        diskFailed("cut");
    }
}

std::string UploadFile::head(std::size_t count) const {
    Descriptor file(_path, O_RDONLY | O_CLOEXEC);
    std::string bytes(count, '\0');
    std::size_t got = 0;
    while (file.valid() && got < count) {
        const auto read = ::read(file.get(), bytes.data() + got, count - got);
        if (read < 0 && errno == EINTR) {
            continue;
        }
        if (read <= 0) {
            break;
        }
        got += static_cast<std::size_t>(read);
    }
    bytes.resize(got);
    return bytes;
}

void UploadFile::feed(Digest& digest) const {
    Descriptor file(_path, O_RDONLY | O_CLOEXEC);
    if (!file.valid()) {
        diskFailed("read");
    }
    std::array<char, kPieceBytes> piece{};
    while (true) {
        const auto read = ::read(file.get(), piece.data(), piece.size());
        if (read < 0 && errno == EINTR) {
            continue;
        }
        if (read < 0) {
            diskFailed("read");
        }
        if (read == 0) {
            return;
        }
        digest.update(piece.data(), static_cast<std::size_t>(read));
    }
}

std::string UploadFile::sha256() const {
    Digest digest("sha256");
    feed(digest);
    return digest.finish();
}

void UploadFile::sync() const {
    Descriptor file(_path, O_RDONLY | O_CLOEXEC);
    if (!file.valid() || ::fsync(file.get()) != 0) {
        diskFailed("flushed");
    }
}

void UploadFile::remove() noexcept {
    ::unlink(_path.c_str());
}

void UploadFile::syncFolder(const std::string& folder) noexcept {
    Descriptor directory(folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (directory.valid()) {
        ::fsync(directory.get());
    }
}

}  // namespace verdant::server
