#include "verdant/server/training/TrainingModule.hpp"

#include "verdant/server/sync/ScopeResolver.hpp"
#include "verdant/training/Collections.hpp"

namespace verdant::server {

namespace c = training::collections;

void TrainingModule::addCollections(shared::Schema& schema) const {
    training::addCollections(schema);
}

void TrainingModule::addReadableScopes(const Principal& principal, const sync::Store& store,
                                       std::set<std::string>& scopes) const {
    if (principal.role != shared::Role::TrainingCoordinator) {
        return;
    }
    for (const auto& id : store.findRecords(c::kTrainingSessions, "coordinator_id",
                                            shared::Value::string(principal.userId))) {
        scopes.insert(shared::scopeKey(c::kTrainingSessions, id));
    }
}

void TrainingModule::addWritableScopes(const Principal& principal,
                                       const std::set<std::string>& candidates, PushBatch& batch,
                                       std::set<std::string>& writable) const {
    if (principal.role != shared::Role::TrainingCoordinator) {
        return;
    }
    for (const auto& scope : candidates) {
        const auto session = scopeRoot(scope, c::kTrainingSessions);
        if (session && recordNames(batch.stored(c::kTrainingSessions, *session), "coordinator_id",
                                   principal.userId)) {
            writable.insert(scope);
        }
    }
}

}  // namespace verdant::server
