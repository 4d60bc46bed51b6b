#include "verdant/server/ScopeResolver.hpp"

#include "verdant/shared/DomainSchema.hpp"

#include <algorithm>

namespace verdant::server {

namespace c = shared::collections;

namespace {

std::string key(const char* collection, const shared::RecordId& id) {
    return std::string(collection) + "/" + id.toString();
}

/// Audits the expert is assigned to or on the team of.
std::set<shared::RecordId> assignedAudits(const Principal& principal, const sync::Store& store) {
    std::set<shared::RecordId> audits;
    for (const auto& id :
         store.findRecords(c::kAudits, "assignee_id", shared::Value::string(principal.userId))) {
        audits.insert(id);
    }
    for (const auto& id :
         store.findRecords(c::kAudits, "team", shared::Value::string(principal.userId))) {
        audits.insert(id);
    }
    return audits;
}

std::set<std::string> sessionScopes(const Principal& principal, const sync::Store& store) {
    std::set<std::string> scopes;
    for (const auto& id : store.findRecords(c::kTrainingSessions, "coordinator_id",
                                            shared::Value::string(principal.userId))) {
        scopes.insert(key(c::kTrainingSessions, id));
    }
    return scopes;
}

/// The record a scope key of `collection` names ("<collection>/<uuid>", as key() writes it), or
/// nullopt for a key of another collection or of another spelling.
std::optional<shared::RecordId> rootOf(const std::string& scope, const char* collection) {
    const std::string prefix = std::string(collection) + "/";
    if (scope.rfind(prefix, 0) != 0) {
        return std::nullopt;
    }
    const auto id = shared::RecordId::parse(scope.substr(prefix.size()));
    return id && key(collection, *id) == scope ? id : std::nullopt;
}

/// Whether `record` is stored, not deleted, and `field` holds `userId`: its visible value, or
/// for a string set one of its visible elements (as Store::findRecords matches).
bool names(const sync::Record* record, const std::string& field, const std::string& userId) {
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

}  // namespace

std::optional<std::set<std::string>> ScopeResolver::readableScopes(const Principal& principal,
                                                                   const sync::Store& store) {
    if (shared::isHq(principal.role)) {
        return std::nullopt;
    }
    if (principal.role == Role::TrainingCoordinator) {
        return sessionScopes(principal, store);
    }
    std::set<std::string> scopes;
    for (const auto& audit : assignedAudits(principal, store)) {
        scopes.insert(key(c::kAudits, audit));
        const auto record = store.record(c::kAudits, audit);
        if (!record) {
            continue;
        }
        const std::pair<const char*, const char*> references[] = {
            {"supplier_id", c::kSuppliers},
            {"facility_id", c::kFacilities},
            {"template_version_id", c::kTemplateVersions}};
        for (const auto& [field, collection] : references) {
            const auto found = record->fields.find(field);
            if (found != record->fields.end() &&
                found->second.value.kind() == shared::ValueKind::Id) {
                scopes.insert(key(collection, found->second.value.as<shared::RecordId>()));
            }
        }
    }
    return scopes;
}

std::optional<std::set<std::string>> ScopeResolver::writableScopes(const Principal& principal,
                                                                   const sync::Store& store) {
    auto scopes = readableScopes(principal, store);
    if (scopes && principal.role == Role::FieldExpert) {
        // Suppliers, facilities and templates reach an expert to read, not to change.
        const std::string audits = std::string(c::kAudits) + "/";
        std::erase_if(*scopes,
                      [&](const std::string& scope) { return scope.rfind(audits, 0) != 0; });
    }
    return scopes;
}

std::optional<std::set<std::string>> ScopeResolver::writableScopesAmong(
    const Principal& principal, const std::set<std::string>& candidates, PushBatch& batch) {
    if (shared::isHq(principal.role)) {
        return std::nullopt;
    }
    std::set<std::string> scopes;
    for (const auto& scope : candidates) {
        if (principal.role == Role::TrainingCoordinator) {
            const auto session = rootOf(scope, c::kTrainingSessions);
            if (session && names(batch.stored(c::kTrainingSessions, *session), "coordinator_id",
                                 principal.userId)) {
                scopes.insert(scope);
            }
            continue;
        }
        // Field experts write only in their audits (suppliers, facilities and templates are read
        // only); assigned as the lead or on the team.
        const auto audit = rootOf(scope, c::kAudits);
        const auto* record = audit ? batch.stored(c::kAudits, *audit) : nullptr;
        if (names(record, "assignee_id", principal.userId) ||
            names(record, "team", principal.userId)) {
            scopes.insert(scope);
        }
    }
    return scopes;
}

}  // namespace verdant::server
