#pragma once

#include <cstdint>
#include <istream>
#include <string>

namespace verdant::server {

class Digest;

/// The bytes of one unfinished upload on disk (the staged file FileBlobStore later verifies and
/// renames into place). Throws shared::Error(StorageUnavailable) when the disk fails. Not
/// thread-safe: an upload is written by one request at a time (UploadLocks).
class UploadFile {
public:
    /// The file at `path` (it need not exist yet).
    explicit UploadFile(std::string path);

    const std::string& path() const { return _path; }

    /// Its size in bytes; 0 when it does not exist.
    std::int64_t size() const;

    /// Cuts the file to `offset` bytes (creating it), then appends up to `count` bytes read from
    /// `in` in pieces (never all at once), each also fed to `digest` when given, and fsyncs.
    /// Returns the bytes appended: fewer than `count` when `in` ends early.
    std::int64_t append(std::int64_t offset, std::istream& in, std::int64_t count, Digest* digest);

    /// Takes `received` (a whole chunk the listener spooled to a file on the same disk) as the
    /// upload's first bytes by renaming it into place, when the upload holds no byte yet:
    /// no copy. Fsyncs it. Returns false, leaving `received` alone, when the upload already has
    /// bytes or the rename fails (then append() copies).
    bool adoptFirstChunk(const std::string& received);

    /// Cuts the file to `size` bytes (nothing when it does not exist).
    void truncate(std::int64_t size);

    /// Up to `count` first bytes.
    std::string head(std::size_t count) const;

    /// Feeds the whole file to `digest`.
    void feed(Digest& digest) const;

    /// The raw SHA-256 of the whole file.
    std::string sha256() const;

    /// Flushes the file to the disk (fsync).
    void sync() const;

    /// Deletes the file; nothing when it does not exist.
    void remove() noexcept;

    /// Flushes a folder's entries (after a rename into it). Best effort.
    static void syncFolder(const std::string& folder) noexcept;

private:
    std::string _path;
};

}  // namespace verdant::server
