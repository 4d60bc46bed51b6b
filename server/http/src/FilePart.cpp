#include "FilePart.hpp"

#include <algorithm>
#include <cerrno>
#include <fcntl.h>
#include <stdexcept>
#include <sys/stat.h>
#include <unistd.h>

namespace verdant::server {

FilePart::FilePart(const std::string& path, std::int64_t offset, std::int64_t length)
    : _next(offset), _remaining(length) {
    if (offset < 0 || length < 0) {
        throw std::invalid_argument("a file part needs a non-negative offset and length");
    }
    _fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    struct stat status {};
    if (_fd < 0 || ::fstat(_fd, &status) != 0 || status.st_size < offset + length) {
        if (_fd >= 0) {
            ::close(_fd);
        }
        throw std::runtime_error("a file to send cannot be opened or is shorter than its part");
    }
}

FilePart::~FilePart() {
    if (_fd >= 0) {
        ::close(_fd);
    }
}

bool FilePart::readNext(std::string& out, std::size_t maxBytes) {
    const auto wanted = static_cast<std::size_t>(
        std::min<std::int64_t>(_remaining, static_cast<std::int64_t>(maxBytes)));
    const auto start = out.size();
    out.resize(start + wanted);
    std::size_t filled = 0;
    while (filled < wanted) {
        const auto count =
            ::pread(_fd, out.data() + start + filled, wanted - filled, static_cast<off_t>(_next));
        if (count < 0 && errno == EINTR) {
            continue;
        }
        if (count <= 0) {
            out.resize(start + filled);
            return false;
        }
        filled += static_cast<std::size_t>(count);
        _next += count;
        _remaining -= count;
    }
    return true;
}

}  // namespace verdant::server
