#include "verdant/server/sync/ReadableScopeCache.hpp"

namespace verdant::server {

std::shared_ptr<const ReadableScopeCache::Scopes> ReadableScopeCache::get(
    const Principal& principal, std::uint64_t lastServerSeq,
    const std::function<Scopes()>& resolve) {
    const std::string key = principal.tenantId + '/' + principal.userId + '/' +
                            std::to_string(static_cast<int>(principal.role));
    {
        std::lock_guard lock(_mutex);
        if (const auto found = _entries.find(key);
            found != _entries.end() && found->second.lastServerSeq == lastServerSeq) {
            return found->second.scopes;
        }
    }
    auto scopes = std::make_shared<const Scopes>(resolve());  // outside the lock: it reads a store
    std::lock_guard lock(_mutex);
    if (_entries.size() >= kMaxEntries) {
        _entries.clear();
    }
    _entries[key] = Entry{lastServerSeq, scopes};
    return scopes;
}

}  // namespace verdant::server
