#include "verdant/server/PushGate.hpp"

#include "verdant/audit/FieldOwnership.hpp"
#include "verdant/server/ScopeResolver.hpp"
#include "verdant/shared/DomainSchema.hpp"

#include <map>

namespace verdant::server {

using shared::ErrorCode;

namespace {

/// Every scope check() can ask about for `batch`: the scope each change names (its own, or the
/// one its parent field points to), and for each record the batch names that is stored, its
/// scope in the store and the scope of its stored parent (WorkflowGate::auditOf's audit).
/// Store::apply hands the gate one of these: a record's stored scope, one a change of the batch
/// moved it to, or the one the change names.
std::set<std::string> scopesTouched(PushBatch& batch) {
    const auto& schema = batch.store().schema();
    std::set<std::string> scopes;
    std::set<std::pair<std::string_view, shared::RecordId>> records;
    for (const auto& change : batch.changes()) {
        if (auto scope = schema.scopeKeyOf(change)) {
            scopes.insert(std::move(*scope));
        }
        if (!records.emplace(change.collection, change.recordId).second ||
            batch.stored(change.collection, change.recordId) == nullptr) {
            continue;
        }
        if (auto scope = batch.store().scopeOf(change.collection, change.recordId)) {
            scopes.insert(std::move(*scope));
        }
        const auto* spec = schema.collection(change.collection);
        if (spec != nullptr && spec->scope().kind == shared::ScopeRule::Kind::Parent) {
            const auto& rule = spec->scope();
            const auto* record = batch.stored(change.collection, change.recordId);
            const auto parent = record->fields.find(rule.parentField);
            if (parent != record->fields.end() &&
                parent->second.value.kind() == shared::ValueKind::Id) {
                scopes.insert(shared::scopeKey(rule.parentCollection,
                                               parent->second.value.as<shared::RecordId>()));
            }
        }
    }
    return scopes;
}

}  // namespace

PushGate::PushGate(const sync::Store& store, std::span<const shared::Change> batch,
                   const Principal& principal)
    : PushGate(PushBatch(store, batch), principal) {}

PushGate::PushGate(PushBatch&& batch, const Principal& principal)
    : _schema(batch.store().schema()),
      _role(principal.role),
      _writable(shared::isHq(principal.role)
                    ? std::nullopt
                    : ScopeResolver::writableScopesAmong(principal, scopesTouched(batch), batch)),
      _answers(batch),
      _workflow(batch, shared::isHq(principal.role)) {}

std::optional<shared::ValidationError> PushGate::check(const shared::Change& change,
                                                       const std::optional<std::string>& scope) {
    // Everyone's answers, HQ's too, must fit the audit's template version (checked first, so
    // every field of an answer to an unknown question gets that one reason).
    if (auto refusal = _answers.check(change)) {
        return refusal;
    }
    if (_writable) {
        if (auto refusal = audit::ownershipRefusal(_role, change)) {
            return refusal;
        }
        // A record whose audit_id was refused by the workflow (a locked audit) has no scope in
        // the store; the audit it named is still the one it is checked against.
        auto known = scope;
        if (!known) {
            if (const auto audit = _workflow.auditOf(change.recordId)) {
                known = shared::scopeKey(shared::collections::kAudits, *audit);
            }
        }
        // A write of a record's parent field names the scope it would move the record into: that
        // scope must be writable too (else a record could be moved into another expert's audit
        // with an early-dated parent write).
        const auto target = _schema.scopeKeyOf(change);
        const bool targetOk = !target || _writable->count(*target) != 0;
        if (!known || _writable->count(*known) == 0 || !targetOk) {
            return shared::ValidationError{
                ErrorCode::NotInScope,
                "The " + change.collection +
                    " record is not among those assigned to you (any more); HQ can accept or "
                    "discard the change."};
        }
    }
    // Last: the workflow gate moves its view of a record on when it lets a change through.
    return _workflow.check(change);
}

}  // namespace verdant::server
