#include "TrainingKeyStore.hpp"

#include "verdant/shared/ErrorCode.hpp"
#include "verdant/training/CheckInToken.hpp"

#include <Poco/File.h>
#include <Poco/Path.h>

#include <cerrno>
#include <fcntl.h>
#include <fstream>
#include <sys/stat.h>
#include <unistd.h>
#include <utility>

namespace verdant::server {

using shared::Error;
using shared::ErrorCode;

namespace {

/// Writes `text` to a new file at `path` readable by its owner only, and syncs it to disk.
void writeSecret(const std::string& path, const std::string& text) {
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) {
        throw Error(ErrorCode::StorageUnavailable, "cannot write a training signing key");
    }
    ::fchmod(fd, 0600);  // an older file of that name keeps its mode otherwise
    const auto written = ::write(fd, text.data(), text.size());
    const bool ok = written == static_cast<ssize_t>(text.size()) && ::fsync(fd) == 0;
    ::close(fd);
    if (!ok) {
        throw Error(ErrorCode::StorageUnavailable, "cannot write a training signing key");
    }
}

}  // namespace

TrainingKeyStore::TrainingKeyStore(std::string dataDir)
    : _folder(Poco::Path(dataDir).append("training-keys").toString()) {}

training::SigningKey TrainingKeyStore::keyOf(const std::string& tenantId) {
    const auto parsed = training::TenantId::parse(tenantId);
    if (!parsed) {
        throw Error(ErrorCode::InvalidParameter, "a tenant id is a UUID");
    }
    const auto canonical = parsed->toString();  // one file per tenant, however it is spelled
    std::lock_guard lock(_mutex);
    if (const auto found = _keys.find(canonical); found != _keys.end()) {
        return found->second;
    }
    auto key = loadOrCreate(canonical);
    _keys.emplace(canonical, key);
    return key;
}

training::SigningKey TrainingKeyStore::loadOrCreate(const std::string& tenantId) {
    const auto path = Poco::Path(_folder).append(tenantId + ".key").toString();
    if (Poco::File(path).exists()) {
        std::ifstream in(path);
        std::string text;
        in >> text;
        if (auto key = training::SigningKey::fromBase64Url(text)) {
            return *key;
        }
        throw Error(ErrorCode::InternalError, "a training signing key file is damaged");
    }
    if (::mkdir(_folder.c_str(), 0700) != 0 && errno != EEXIST) {
        throw Error(ErrorCode::StorageUnavailable, "cannot create the training keys folder");
    }
    auto key = training::SigningKey::generate();
    const auto temporary = path + ".tmp";
    writeSecret(temporary, key.privateToBase64Url() + "\n");
    Poco::File(temporary).renameTo(path);  // whole or absent, never half written
    // The rename itself must outlive a power cut: the public key is published in a durable
    // store right after, and a key lost then would leave every later badge unverifiable.
    if (const int folder = ::open(_folder.c_str(), O_RDONLY | O_DIRECTORY); folder >= 0) {
        ::fsync(folder);
        ::close(folder);
    }
    return key;
}

}  // namespace verdant::server
