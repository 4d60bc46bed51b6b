#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace verdant::client {

/// The device's content-addressed photo store: one file per blob, named by its SHA-256 and
/// sharded as `ab/cd/<sha256>` under a folder beside the user's local database. A blob is
/// written to a temporary file, flushed to disk (fsync), then renamed into place, so a crash
/// leaves either the whole blob under its name or nothing (a stray temporary file at worst,
/// removed by the next store). Storing bytes already held is a no-op: the same photo taken twice
/// is kept once.
///
/// Thread-safe: files are only ever created whole by rename, never changed.
class BlobFolder {
public:
    /// What store() kept.
    struct Stored {
        std::string sha256;      ///< The blob's name.
        std::uint64_t size = 0;  ///< Its length.
        std::string head;        ///< Its first bytes (up to 32), to judge its media type.
    };

    /// A folder at `root` (created on the first store()).
    explicit BlobFolder(std::filesystem::path root);

    /// Where the blob named `sha256` is (or would be).
    std::filesystem::path pathOf(std::string_view sha256) const;

    /// Whether the blob named `sha256` is here.
    bool holds(std::string_view sha256) const;

    /// Stores `bytes`. Throws shared::Error(StorageUnavailable) when the disk refuses.
    Stored store(std::string_view bytes);

    /// Stores a copy of the file at `source`, hashed while copied. Throws shared::Error:
    /// NotFound when it cannot be read, StorageUnavailable when the disk refuses.
    Stored storeFile(const std::filesystem::path& source);

    /// The media type the first bytes `head` say: image/jpeg, image/png, image/heic,
    /// application/pdf, else application/octet-stream.
    static std::string mediaTypeOf(std::string_view head);

private:
    Stored place(const std::filesystem::path& temporary, Stored stored);
    std::filesystem::path temporaryPath() const;

    std::filesystem::path _root;
};

}  // namespace verdant::client
