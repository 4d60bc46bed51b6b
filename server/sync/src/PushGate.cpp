#include "verdant/server/sync/PushGate.hpp"

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

PushGate::PushGate(const DomainModules& modules, const sync::Store& store,
                   std::span<const shared::Change> batch, const Principal& principal)
    : PushGate(modules, PushBatch(store, batch), principal) {}

PushGate::PushGate(const DomainModules& modules, PushBatch&& batch, const Principal& principal)
    : _schema(batch.store().schema()),
      _writable(modules.writableScopesAmong(principal, scopesTouched(batch), batch)),
      _rules(modules.batchRules(batch, principal)) {}

std::optional<shared::ValidationError> PushGate::check(const shared::Change& change,
                                                       const std::optional<std::string>& scope) {
    for (const auto& rules : _rules) {
        if (auto refusal = rules->checkContent(change)) {
            return refusal;
        }
    }
    if (_writable && !inWritableScope(change, scope)) {
        return shared::ValidationError{
            ErrorCode::NotInScope,
            "The " + change.collection +
                " record is not among those assigned to you (any more); HQ can accept or "
                "discard the change."};
    }
    // Last: step rules move their view of a record on when they let a change through.
    for (const auto& rules : _rules) {
        if (auto refusal = rules->checkStep(change)) {
            return refusal;
        }
    }
    return std::nullopt;
}

bool PushGate::inWritableScope(const shared::Change& change,
                               const std::optional<std::string>& scope) const {
    // A record whose placing write was refused (e.g. its audit is locked) has no scope in the
    // store; a module still knows the scope it is checked against.
    auto known = scope;
    for (const auto& rules : _rules) {
        if (known) {
            break;
        }
        known = rules->scopeOf(change);
    }
    // A write of a record's parent field names the scope it would move the record into: that
    // scope must be writable too (else a record could be moved into another user's scope with
    // an early-dated parent write).
    const auto target = _schema.scopeKeyOf(change);
    const bool targetOk = !target || _writable->count(*target) != 0;
    return known && _writable->count(*known) != 0 && targetOk;
}

std::vector<ServerWrite> PushGate::followUps(const sync::Store& after, std::int64_t nowMs) {
    std::vector<ServerWrite> writes;
    for (const auto& rules : _rules) {
        auto more = rules->followUps(after, nowMs);
        writes.insert(writes.end(), more.begin(), more.end());
    }
    return writes;
}

}  // namespace verdant::server
