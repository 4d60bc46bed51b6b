#include "PhotoReadAccess.hpp"

#include "verdant/audit/Collections.hpp"
#include "verdant/server/sync/DomainModule.hpp"
#include "verdant/shared/Role.hpp"

namespace verdant::server {

PhotoReadAccess::PhotoReadAccess(const DomainModules& modules) : _modules(modules) {}

bool PhotoReadAccess::mayRead(const Principal& principal, const sync::Store& store,
                              const std::optional<std::string>& scopeKey) {
    if (shared::isHq(principal.role)) {
        return true;
    }
    const auto readable = _scopes.get(principal, store.lastServerSeq(),
                                      [&] { return _modules.readableScopes(principal, store); });
    if (!*readable) {
        return true;  // the modules gave this user the whole tenant
    }
    return scopeKey && (*readable)->count(*scopeKey) != 0;
}

std::optional<std::string> photoText(const sync::Record& record, std::string_view field) {
    const auto found = record.fields.find(std::string(field));
    if (found == record.fields.end() || found->second.value.kind() != shared::ValueKind::String) {
        return std::nullopt;
    }
    return found->second.value.as<std::string>();
}

std::optional<sync::Record> photoNaming(const sync::Store& store, const shared::RecordId& id,
                                        const std::string& sha256) {
    auto record = store.record(audit::collections::kPhotos, id);
    if (!record || record->deleted || photoText(*record, "sha256") != sha256) {
        return std::nullopt;
    }
    return record;
}

bool isBlobName(std::string_view text) {
    constexpr std::size_t kSha256HexLength = 64;
    if (text.size() != kSha256HexLength) {
        return false;
    }
    for (const char ch : text) {
        if (!((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f'))) {
            return false;
        }
    }
    return true;
}

}  // namespace verdant::server
