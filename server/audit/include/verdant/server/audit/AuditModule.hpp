#pragma once

#include "verdant/server/sync/DomainModule.hpp"

#include <memory>

namespace verdant::server {

class ReviewEndpoint;

/// The audit domain as the server runs it:
///  - collections: verdant/audit/Collections.hpp (suppliers, facilities, templates, audits and
///    what belongs to an audit);
///  - push rules: an answer fits its audit's template version (AnswerValidator), a role writes
///    only its own fields (audit::ownershipRefusal), workflow steps (WorkflowGate);
///  - follow-ups: an audit's score snapshot and submission time when it is submitted;
///  - scopes: a field expert holds the audits they lead or are on the team of, and reads the
///    supplier, facility and template version those audits reference;
///  - routes: the HQ review API (ReviewEndpoint);
///  - demo data: a supplier, template version 1 and three audits for the demo expert.
class AuditModule final : public DomainModule {
public:
    AuditModule();
    ~AuditModule() override;

    std::string_view name() const override { return "audit"; }
    void addCollections(shared::Schema& schema) const override;
    std::unique_ptr<BatchRules> batchRules(PushBatch& batch,
                                           const Principal& principal) const override;
    std::vector<ServerWrite> acceptedFollowUps(const sync::Store& after,
                                               const shared::Change& accepted,
                                               std::int64_t nowMs) const override;
    void addReadableScopes(const Principal& principal, const sync::Store& store,
                           std::set<std::string>& scopes) const override;
    void addWritableScopes(const Principal& principal, const std::set<std::string>& candidates,
                           PushBatch& batch, std::set<std::string>& writable) const override;
    void mountRoutes(Router& router, const ModuleServices& services) override;
    void seedDemo(const DemoTenant& tenant, std::ostream& out) const override;

private:
    std::unique_ptr<ReviewEndpoint> _review;
};

}  // namespace verdant::server
