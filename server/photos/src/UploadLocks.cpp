#include "UploadLocks.hpp"

namespace verdant::server {

UploadLocks::Guard::Guard(UploadLocks& locks, std::string id)
    : _locks(locks), _id(std::move(id)), _held(locks.tryLock(_id)) {}

UploadLocks::Guard::~Guard() {
    if (_held) {
        _locks.unlock(_id);
    }
}

bool UploadLocks::locked(const std::string& id) const {
    std::lock_guard lock(_mutex);
    return _held.count(id) != 0;
}

bool UploadLocks::tryLock(const std::string& id) {
    std::lock_guard lock(_mutex);
    return _held.insert(id).second;
}

void UploadLocks::unlock(const std::string& id) {
    std::lock_guard lock(_mutex);
    _held.erase(id);
}

}  // namespace verdant::server
