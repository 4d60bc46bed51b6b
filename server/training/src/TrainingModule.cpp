#include "verdant/server/training/TrainingModule.hpp"

#include "CheckInEndpoint.hpp"
#include "SessionRoster.hpp"
#include "TrainingBatchRules.hpp"
#include "TrainingDemo.hpp"
#include "TrainingOfficeEndpoint.hpp"

#include "verdant/server/sync/ScopeResolver.hpp"
#include "verdant/training/Collections.hpp"

namespace verdant::server {

namespace c = training::collections;

namespace {

/// Every record of `collection` as a scope (roots every user of a role reads: courses, keys).
void addEvery(const sync::Store& store, const char* collection, std::set<std::string>& scopes) {
    for (const auto& id : store.recordIds(collection)) {
        scopes.insert(shared::scopeKey(collection, id));
    }
}

/// The roots of `collection` whose `field` names the user.
void addNamed(const Principal& principal, const sync::Store& store, const char* collection,
              const char* field, std::set<std::string>& scopes) {
    for (const auto& id :
         store.findRecords(collection, field, shared::Value::string(principal.userId))) {
        scopes.insert(shared::scopeKey(collection, id));
    }
}

/// Whether the root `collection`/`id` names the user in `field`: as stored, or, for a record the
/// store does not hold yet, as the batch creates it (a coordinator creating their own session).
bool rootNames(PushBatch& batch, const char* collection, const shared::RecordId& id,
               const char* field, const std::string& userId) {
    const auto* stored = batch.stored(collection, id);
    if (stored != nullptr) {
        return recordNames(stored, field, userId);
    }
    const auto* created = batch.firstSet(collection, id, field);
    return created != nullptr && *created == shared::Value::string(userId);
}

}  // namespace

TrainingModule::TrainingModule() = default;
TrainingModule::~TrainingModule() = default;

void TrainingModule::addCollections(shared::Schema& schema) const {
    training::addCollections(schema);
}

std::unique_ptr<BatchRules> TrainingModule::batchRules(PushBatch& batch,
                                                       const Principal& principal) const {
    return std::make_unique<TrainingBatchRules>(batch, principal);
}

std::vector<ServerWrite> TrainingModule::acceptedFollowUps(const sync::Store& after,
                                                           const shared::Change& accepted,
                                                           std::int64_t) const {
    const auto session = rosterSessionOf(after, accepted);
    return session ? rosterFollowUps(readRoster(after, *session)) : std::vector<ServerWrite>{};
}

void TrainingModule::addReadableScopes(const Principal& principal, const sync::Store& store,
                                       std::set<std::string>& scopes) const {
    // Everyone who checks tokens or certificates offline needs the tenant's public key.
    addEvery(store, c::kTrainingKeys, scopes);
    if (principal.role == shared::Role::TrainingCoordinator) {
        addEvery(store, c::kCourses, scopes);
        addNamed(principal, store, c::kTrainingSessions, "coordinator_id", scopes);
    } else if (principal.role == shared::Role::FieldExpert) {
        addNamed(principal, store, c::kCoachingVisits, "expert_id", scopes);
    }
}

void TrainingModule::addWritableScopes(const Principal& principal,
                                       const std::set<std::string>& candidates, PushBatch& batch,
                                       std::set<std::string>& writable) const {
    for (const auto& scope : candidates) {
        if (principal.role == shared::Role::TrainingCoordinator) {
            const auto session = scopeRoot(scope, c::kTrainingSessions);
            if (scopeRoot(scope, c::kCourses) ||
                (session && rootNames(batch, c::kTrainingSessions, *session, "coordinator_id",
                                      principal.userId))) {
                writable.insert(scope);
            }
        } else if (principal.role == shared::Role::FieldExpert) {
            const auto visit = scopeRoot(scope, c::kCoachingVisits);
            if (visit &&
                rootNames(batch, c::kCoachingVisits, *visit, "expert_id", principal.userId)) {
                writable.insert(scope);
            }
        }
    }
}

void TrainingModule::seedDemo(const DemoTenant& tenant, std::ostream& out) const {
    seedTrainingDemo(tenant, out);
}

void TrainingModule::mountRoutes(Router& router, const ModuleServices& services) {
    _office = std::make_unique<TrainingOfficeEndpoint>(services.auth, services.stores, services.hlc,
                                                       services.clock, services.serverDevice);
    _office->registerRoutes(router);
    _checkIn = std::make_unique<CheckInEndpoint>(services);
    _checkIn->registerRoutes(router);
}

}  // namespace verdant::server
