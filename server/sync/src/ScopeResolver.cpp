#include "verdant/server/sync/ScopeResolver.hpp"

#include "verdant/shared/Schema.hpp"

#include <algorithm>

namespace verdant::server {

std::optional<shared::RecordId> scopeRoot(const std::string& scope, std::string_view collection) {
    const std::string prefix = std::string(collection) + "/";
    if (scope.rfind(prefix, 0) != 0) {
        return std::nullopt;
    }
    const auto id = shared::RecordId::parse(scope.substr(prefix.size()));
    return id && shared::scopeKey(collection, *id) == scope ? id : std::nullopt;
}

bool recordNames(const sync::Record* record, const std::string& field, const std::string& userId) {
    if (record == nullptr || record->deleted) {
        return false;
    }
    const auto found = record->fields.find(field);
    if (found == record->fields.end()) {
        return false;
    }
    const auto& elements = found->second.elements;
    return found->second.value == shared::Value::string(userId) ||
           std::find(elements.begin(), elements.end(), userId) != elements.end();
}

}  // namespace verdant::server
