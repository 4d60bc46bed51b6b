#include "SpoolFile.hpp"

#include <cerrno>
#include <cstdlib>
#include <dirent.h>
#include <fcntl.h>
#include <stdexcept>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

namespace verdant::server {

std::unique_ptr<SpoolFile> SpoolFile::create(const std::string& directory) {
    std::string name = directory + "/" + std::string(kPrefix) + "XXXXXX";
    std::vector<char> pattern(name.begin(), name.end());
    pattern.push_back('\0');
    const int fd = ::mkostemp(pattern.data(), O_CLOEXEC);
    if (fd < 0) {
        throw std::runtime_error("cannot create a spool file for a request body");
    }
    return std::unique_ptr<SpoolFile>(new SpoolFile(std::string(pattern.data()), fd));
}

void SpoolFile::prepareDirectory(const std::string& directory) {
    if (::mkdir(directory.c_str(), 0700) != 0 && errno != EEXIST) {
        throw std::runtime_error("cannot create the spool directory '" + directory + "'");
    }
    DIR* listing = ::opendir(directory.c_str());
    if (listing == nullptr) {
        throw std::runtime_error("cannot read the spool directory '" + directory + "'");
    }
    std::vector<std::string> leftovers;
    while (const dirent* entry = ::readdir(listing)) {
        const std::string_view name(entry->d_name);
        if (name.substr(0, kPrefix.size()) == kPrefix) {
            leftovers.emplace_back(directory + "/" + std::string(name));
        }
    }
    ::closedir(listing);
    for (const auto& path : leftovers) {
        ::unlink(path.c_str());
    }
}

namespace {

std::atomic<std::int64_t> spooledBytes{0};

}  // namespace

std::int64_t SpoolFile::bytesHeld() noexcept {
    return spooledBytes.load();
}

SpoolFile::~SpoolFile() {
    spooledBytes.fetch_sub(_size);
    if (_fd >= 0) {
        ::close(_fd);
    }
    if (_owned) {
        ::unlink(_path.c_str());
    }
}

bool SpoolFile::append(std::string_view bytes) {
    while (!bytes.empty()) {
        const auto written = ::write(_fd, bytes.data(), bytes.size());
        if (written < 0) {
            if (errno == EINTR) {
                continue;
            }
            return false;
        }
        bytes.remove_prefix(static_cast<std::size_t>(written));
        _size += written;
        spooledBytes.fetch_add(written);
    }
    return true;
}

void SpoolFile::finish(bool complete) {
    if (_fd >= 0) {
        ::close(_fd);
        _fd = -1;
    }
    _complete = complete;
}

std::string SpoolFile::release() {
    _owned = false;
    return _path;
}

}  // namespace verdant::server
