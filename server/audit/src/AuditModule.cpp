#include "verdant/server/audit/AuditModule.hpp"

#include "DemoData.hpp"

#include "verdant/audit/Collections.hpp"
#include "verdant/audit/FieldOwnership.hpp"
#include "verdant/server/audit/AnswerValidator.hpp"
#include "verdant/server/audit/AuditWorkflow.hpp"
#include "verdant/server/audit/ReviewEndpoint.hpp"
#include "verdant/server/sync/ScopeResolver.hpp"

namespace verdant::server {

namespace c = audit::collections;

namespace {

/// The audit rules over one push batch.
class AuditBatchRules final : public BatchRules {
public:
    AuditBatchRules(PushBatch& batch, const Principal& principal)
        : _role(principal.role), _answers(batch), _workflow(batch, shared::isHq(principal.role)) {}

    std::optional<shared::ValidationError> checkContent(const shared::Change& change) override {
        // Everyone's answers, HQ's too, must fit the audit's template version (checked first,
        // so every field of an answer to an unknown question gets that one reason).
        if (auto refusal = _answers.check(change)) {
            return refusal;
        }
        return audit::ownershipRefusal(_role, change);
    }

    std::optional<std::string> scopeOf(const shared::Change& change) const override {
        // A record whose audit_id was refused by the workflow (a locked audit) has no scope in
        // the store; the audit it named is still the one it is checked against.
        if (const auto audit = _workflow.auditOf(change.recordId)) {
            return shared::scopeKey(c::kAudits, *audit);
        }
        return std::nullopt;
    }

    std::optional<shared::ValidationError> checkStep(const shared::Change& change) override {
        return _workflow.check(change);
    }

    std::vector<ServerWrite> followUps(const sync::Store& after, std::int64_t nowMs) override {
        // A submission and its score snapshot commit together.
        return submissionWrites(after, _workflow.submissions(), nowMs);
    }

private:
    shared::Role _role;
    AnswerValidator _answers;
    WorkflowGate _workflow;
};

/// Audits the expert leads or is on the team of.
std::set<shared::RecordId> assignedAudits(const Principal& principal, const sync::Store& store) {
    std::set<shared::RecordId> audits;
    for (const char* field : {"assignee_id", "team"}) {
        for (const auto& id :
             store.findRecords(c::kAudits, field, shared::Value::string(principal.userId))) {
            audits.insert(id);
        }
    }
    return audits;
}

}  // namespace

AuditModule::AuditModule() = default;
AuditModule::~AuditModule() = default;

void AuditModule::addCollections(shared::Schema& schema) const {
    audit::addCollections(schema);
}

std::unique_ptr<BatchRules> AuditModule::batchRules(PushBatch& batch,
                                                    const Principal& principal) const {
    return std::make_unique<AuditBatchRules>(batch, principal);
}

std::vector<ServerWrite> AuditModule::acceptedFollowUps(const sync::Store& after,
                                                        const shared::Change& accepted,
                                                        std::int64_t nowMs) const {
    // A submission, however late, is scored like one that arrived by push.
    const bool submission = accepted.collection == c::kAudits && accepted.field == "state" &&
                            accepted.value == shared::Value::string("submitted");
    return submission ? submissionWrites(after, {accepted.recordId}, nowMs)
                      : std::vector<ServerWrite>{};
}

void AuditModule::addReadableScopes(const Principal& principal, const sync::Store& store,
                                    std::set<std::string>& scopes) const {
    if (principal.role != shared::Role::FieldExpert) {
        return;
    }
    for (const auto& audit : assignedAudits(principal, store)) {
        scopes.insert(shared::scopeKey(c::kAudits, audit));
        const auto record = store.record(c::kAudits, audit);
        if (!record) {
            continue;
        }
        // Suppliers, facilities and templates reach an expert to read, not to change.
        const std::pair<const char*, const char*> references[] = {
            {"supplier_id", c::kSuppliers},
            {"facility_id", c::kFacilities},
            {"template_version_id", c::kTemplateVersions}};
        for (const auto& [field, collection] : references) {
            const auto found = record->fields.find(field);
            if (found != record->fields.end() &&
                found->second.value.kind() == shared::ValueKind::Id) {
                scopes.insert(
                    shared::scopeKey(collection, found->second.value.as<shared::RecordId>()));
            }
        }
    }
}

void AuditModule::addWritableScopes(const Principal& principal,
                                    const std::set<std::string>& candidates, PushBatch& batch,
                                    std::set<std::string>& writable) const {
    if (principal.role != shared::Role::FieldExpert) {
        return;
    }
    // Field experts write only in their audits, led or on the team.
    for (const auto& scope : candidates) {
        const auto audit = scopeRoot(scope, c::kAudits);
        const auto* record = audit ? batch.stored(c::kAudits, *audit) : nullptr;
        if (recordNames(record, "assignee_id", principal.userId) ||
            recordNames(record, "team", principal.userId)) {
            writable.insert(scope);
        }
    }
}

void AuditModule::mountRoutes(Router& router, const ModuleServices& services) {
    _review = std::make_unique<ReviewEndpoint>(services.auth, services.stores, services.hlc,
                                               services.clock, services.serverDevice);
    _review->registerRoutes(router);
}

void AuditModule::seedDemo(const DemoTenant& tenant, std::ostream& out) const {
    const auto expert = tenant.userIds.find("expert");
    const auto reviewer = tenant.userIds.find("reviewer");
    if (expert != tenant.userIds.end() && reviewer != tenant.userIds.end()) {
        seedDemoRecords(tenant, expert->second, reviewer->second, out);
    }
}

}  // namespace verdant::server
