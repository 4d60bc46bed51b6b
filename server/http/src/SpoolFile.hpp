#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace verdant::server {

/// A request body written to a temporary file as it arrives (a streamed route's upload), so the
/// server holds a few kilobytes of it in memory whatever its size.
///
/// Owns the file: it is removed when the SpoolFile is destroyed, unless a handler took it over
/// (release()). Not thread-safe: the event loop appends, then hands the whole object to one
/// worker.
class SpoolFile {
public:
    /// Names of spool files start with this, so leftovers can be told from anything else.
    static constexpr std::string_view kPrefix = "verdant-body-";

    /// Creates an empty file in `directory`. Throws std::runtime_error when it cannot.
    static std::unique_ptr<SpoolFile> create(const std::string& directory);

    /// Creates `directory` if needed and removes the spool files a previous process left there
    /// (a crash, a kill); other files are left alone. Throws std::runtime_error when the
    /// directory cannot be created.
    static void prepareDirectory(const std::string& directory);

    /// Bytes in every spool file alive in this process: what spooled bodies take on disk now,
    /// for the listener's spool budget. A file leaves this count when its SpoolFile is
    /// destroyed, whether it was removed or handed over (it is then an upload's, counted there).
    static std::int64_t bytesHeld() noexcept;

    ~SpoolFile();
    SpoolFile(const SpoolFile&) = delete;
    SpoolFile& operator=(const SpoolFile&) = delete;

    /// Appends body bytes; false when the disk refused them (full, failing).
    bool append(std::string_view bytes);

    /// Stops writing (closes the file) and records whether the whole body arrived.
    void finish(bool complete);

    const std::string& path() const { return _path; }
    std::int64_t size() const { return _size; }
    bool complete() const { return _complete; }

    /// Gives the file up: it is no longer removed on destruction. Returns its path.
    std::string release();

private:
    SpoolFile(std::string path, int fd) : _path(std::move(path)), _fd(fd) {}

    std::string _path;
    int _fd;
    std::int64_t _size = 0;
    bool _complete = false;
    bool _owned = true;
};

}  // namespace verdant::server
