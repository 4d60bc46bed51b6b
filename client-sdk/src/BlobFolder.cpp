#include "BlobFolder.hpp"

#include "BlobDigest.hpp"

#include "verdant/shared/ErrorCode.hpp"

#include <openssl/evp.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <memory>
#include <random>
#include <unistd.h>
#include <utility>
#include <vector>

namespace verdant::client {

using shared::Error;
using shared::ErrorCode;

namespace {

constexpr std::size_t kHeadBytes = 32;
constexpr std::size_t kCopyPiece = 1024 * 1024;

/// A file descriptor closed on scope exit.
class FileHandle {
public:
    explicit FileHandle(int fd) : _fd(fd) {}
    ~FileHandle() {
        if (_fd >= 0) {
            ::close(_fd);
        }
    }
    FileHandle(const FileHandle&) = delete;
    FileHandle& operator=(const FileHandle&) = delete;
    int get() const { return _fd; }
    /// Closes now, reporting whether the close succeeded.
    bool close() {
        const int fd = std::exchange(_fd, -1);
        return fd < 0 || ::close(fd) == 0;
    }

private:
    int _fd;
};

[[noreturn]] void diskRefused(const std::string& what) {
    throw Error(ErrorCode::StorageUnavailable, "Cannot store the photo on this device (" + what +
                                                   ": " + std::strerror(errno) + ").");
}

void writeAll(int fd, const char* data, std::size_t size) {
    while (size > 0) {
        const auto written = ::write(fd, data, size);
        if (written < 0) {
            if (errno == EINTR) {
                continue;
            }
            diskRefused("write");
        }
        data += written;
        size -= static_cast<std::size_t>(written);
    }
}

/// Makes a rename in `folder` durable (best effort: some file systems refuse a directory fsync).
void syncFolder(const std::filesystem::path& folder) {
    const int fd = ::open(folder.c_str(), O_RDONLY | O_DIRECTORY);
    if (fd >= 0) {
        ::fsync(fd);
        ::close(fd);
    }
}

/// Writes pieces to a new temporary file while hashing them; finish() flushes it to disk.
class HashingWriter {
public:
    explicit HashingWriter(const std::filesystem::path& path)
        : _file(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)),
          _context(EVP_MD_CTX_new(), EVP_MD_CTX_free) {
        if (_file.get() < 0) {
            diskRefused("create");
        }
        EVP_DigestInit_ex(_context.get(), EVP_sha256(), nullptr);
    }

    void add(const char* data, std::size_t size) {
        if (_stored.head.size() < kHeadBytes) {
            _stored.head.append(data, std::min(size, kHeadBytes - _stored.head.size()));
        }
        EVP_DigestUpdate(_context.get(), data, size);
        writeAll(_file.get(), data, size);
        _stored.size += size;
    }

    BlobFolder::Stored finish() {
        if (::fsync(_file.get()) != 0 || !_file.close()) {
            diskRefused("flush");
        }
        std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
        unsigned int size = 0;
        EVP_DigestFinal_ex(_context.get(), digest.data(), &size);
        _stored.sha256 = digest::hex(digest.data(), size);
        return _stored;
    }

private:
    FileHandle _file;
    std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> _context;
    BlobFolder::Stored _stored;
};

/// Removes a temporary file on scope exit unless it was renamed.
struct TemporaryFile {
    std::filesystem::path path;
    ~TemporaryFile() {
        std::error_code ignored;
        std::filesystem::remove(path, ignored);
    }
};

}  // namespace

BlobFolder::BlobFolder(std::filesystem::path root) : _root(std::move(root)) {}

std::filesystem::path BlobFolder::pathOf(std::string_view sha256) const {
    const std::string name(sha256);
    if (name.size() < 4) {
        return _root / name;
    }
    return _root / name.substr(0, 2) / name.substr(2, 2) / name;
}

bool BlobFolder::holds(std::string_view sha256) const {
    std::error_code error;
    return std::filesystem::is_regular_file(pathOf(sha256), error);
}

std::filesystem::path BlobFolder::temporaryPath() const {
    static std::atomic<std::uint64_t> counter{0};
    thread_local std::mt19937_64 random{std::random_device{}()};
    std::error_code error;
    std::filesystem::create_directories(_root / "tmp", error);
    if (error) {
        errno = error.value();
        diskRefused("create folder");
    }
    return _root / "tmp" /
           (std::to_string(::getpid()) + "-" + std::to_string(++counter) + "-" +
            std::to_string(random()) + ".part");
}

BlobFolder::Stored BlobFolder::store(std::string_view bytes) {
    TemporaryFile temporary{temporaryPath()};
    HashingWriter writer(temporary.path);
    writer.add(bytes.data(), bytes.size());
    return place(temporary.path, writer.finish());
}

BlobFolder::Stored BlobFolder::storeFile(const std::filesystem::path& source) {
    FileHandle in(::open(source.c_str(), O_RDONLY | O_CLOEXEC));
    if (in.get() < 0) {
        throw Error(ErrorCode::NotFound, "The photo file cannot be read.");
    }
    TemporaryFile temporary{temporaryPath()};
    HashingWriter writer(temporary.path);
    std::vector<char> piece(kCopyPiece);
    for (;;) {
        const auto got = ::read(in.get(), piece.data(), piece.size());
        if (got < 0) {
            if (errno == EINTR) {
                continue;
            }
            throw Error(ErrorCode::NotFound, "The photo file cannot be read.");
        }
        if (got == 0) {
            break;
        }
        writer.add(piece.data(), static_cast<std::size_t>(got));
    }
    return place(temporary.path, writer.finish());
}

BlobFolder::Stored BlobFolder::place(const std::filesystem::path& temporary, Stored stored) {
    const auto target = pathOf(stored.sha256);
    if (holds(stored.sha256)) {
        return stored;  // the same bytes are kept already; the temporary copy goes
    }
    std::error_code error;
    std::filesystem::create_directories(target.parent_path(), error);
    if (error) {
        errno = error.value();
        diskRefused("create folder");
    }
    if (::rename(temporary.c_str(), target.c_str()) != 0) {
        diskRefused("rename");
    }
    syncFolder(target.parent_path());
    return stored;
}

std::string BlobFolder::mediaTypeOf(std::string_view head) {
    if (head.size() >= 3 && head.substr(0, 3) == "\xFF\xD8\xFF") {
        return "image/jpeg";
    }
    if (head.size() >= 8 && head.substr(0, 8) == "\x89PNG\r\n\x1A\n") {
        return "image/png";
    }
    if (head.size() >= 5 && head.substr(0, 5) == "%PDF-") {
        return "application/pdf";
    }
    if (head.size() >= 12 && head.substr(4, 4) == "ftyp") {
        const auto brand = head.substr(8, 4);
        for (const std::string_view heif :
             {"heic", "heix", "hevc", "heim", "heis", "mif1", "msf1"}) {
            if (brand == heif) {
                return "image/heic";
            }
        }
    }
    return "application/octet-stream";
}

}  // namespace verdant::client
