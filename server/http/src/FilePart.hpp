#pragma once

#include <cstdint>
#include <memory>
#include <string>

namespace verdant::server {

/// A part of a file that a response sends as its body (a download), read in pieces as the
/// client's socket drains so that a large file is never held in memory.
///
/// The file is opened when the part is made, so a missing or short file fails in the handler
/// (which can still answer an error), and the bytes sent are those of that file even if it is
/// renamed or removed meanwhile. Not thread-safe: made by a worker, then read by the event loop.
class FilePart {
public:
    /// Opens `path` for `length` bytes from `offset`. Throws std::runtime_error when the file
    /// cannot be opened or is shorter than offset + length.
    FilePart(const std::string& path, std::int64_t offset, std::int64_t length);
    ~FilePart();
    FilePart(const FilePart&) = delete;
    FilePart& operator=(const FilePart&) = delete;

    /// The bytes not sent yet.
    std::int64_t remaining() const { return _remaining; }

    /// Appends the next piece (at most `maxBytes`) to `out`; false when the file could not be
    /// read (it was truncated meanwhile): the answer cannot be completed.
    bool readNext(std::string& out, std::size_t maxBytes);

private:
    int _fd = -1;
    std::int64_t _next;
    std::int64_t _remaining;
};

}  // namespace verdant::server
