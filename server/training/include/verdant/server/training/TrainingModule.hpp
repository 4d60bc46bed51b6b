#pragma once

#include "verdant/server/sync/DomainModule.hpp"

#include <memory>

namespace verdant::server {

class TrainingOfficeEndpoint;
class CheckInEndpoint;

/// The training domain as the server runs it:
///  - collections: verdant/training/Collections.hpp (courses, sessions, invitations,
///    registrations, certificates, coaching visits, the tenant's training keys);
///  - push rules: verdant/training/TrainingRules.hpp (who writes what, values, schedules, no
///    joining a cancelled session) and a session's course must exist (TrainingBatchRules);
///  - follow-ups: the waitlist, the session's full/open status and the outcome at the end, decided
///    by the server after each push or accepted change (SessionRoster);
///  - scopes: a training coordinator holds the sessions they coordinate (and creates new ones
///    in their own name) and every course; a field expert holds their coaching visits; everyone
///    reads the tenant's training keys. HQ holds the whole tenant;
///  - routes: invitations by rule and course effectiveness (TrainingOfficeEndpoint), the
///    tenant's public key and the sessions' check-in tokens (CheckInEndpoint);
///  - demo data: a course, a workshop for the demo coordinator and three registrations.
class TrainingModule final : public DomainModule {
public:
    TrainingModule();
    ~TrainingModule() override;
    std::string_view name() const override { return "training"; }
    void addCollections(shared::Schema& schema) const override;
    std::unique_ptr<BatchRules> batchRules(PushBatch& batch,
                                           const Principal& principal) const override;
    /// The seats and outcomes of the session an accepted registration or session change
    /// touches, decided as after a push (SessionRoster).
    std::vector<ServerWrite> acceptedFollowUps(const sync::Store& after,
                                               const shared::Change& accepted,
                                               std::int64_t nowMs) const override;
    void addReadableScopes(const Principal& principal, const sync::Store& store,
                           std::set<std::string>& scopes) const override;
    void addWritableScopes(const Principal& principal, const std::set<std::string>& candidates,
                           PushBatch& batch, std::set<std::string>& writable) const override;
    void seedDemo(const DemoTenant& tenant, std::ostream& out) const override;
    void mountRoutes(Router& router, const ModuleServices& services) override;

private:
    std::unique_ptr<TrainingOfficeEndpoint> _office;
    std::unique_ptr<CheckInEndpoint> _checkIn;
};

}  // namespace verdant::server
