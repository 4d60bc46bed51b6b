#include "AuditRulesAtWrite.hpp"
#include "ClientImpl.hpp"
#include "TrainingRulesAtWrite.hpp"

#include "verdant/domain/DomainSchema.hpp"

#include <algorithm>

namespace verdant::client {

using shared::Change;
using shared::ErrorCode;
using shared::Hlc;
using shared::Operation;
using shared::RecordId;

WriteResult Client::Impl::write(std::string_view collection, const RecordId& id,
                                const std::vector<FieldWrite>& fields, bool tombstone) {
    WriteResult result;
    result.recordId = id;
    {
        std::lock_guard lock(_storeMutex);
        if (_userId.empty()) {
            result.error = ErrorCode::NotSignedIn;
            result.message = std::string(shared::defaultMessage(ErrorCode::NotSignedIn));
            return result;
        }
        // Another connection (a pull bringing this device's own changes back, a second
        // Client on the file) may have used sequence numbers: never reuse one.
        _nextSeq = std::max(_nextSeq, _store->highWaterMark(_deviceId) + 1);
        if (!tombstone && fields.empty()) {
            result.error = ErrorCode::InvalidChange;
            result.message = "Nothing to write: name at least one field.";
            return result;
        }
        auto changes = stampWrite(collection, id, fields, tombstone);
        if (refuseWrite(collection, id, changes, result)) {
            return result;
        }
        const auto applied = _store->apply(changes);
        for (std::size_t i = 0; i < applied.results.size(); ++i) {
            if (applied.results[i].outcome == sync::ChangeOutcome::Refused) {
                // Validation above makes this unreachable; the store kept it in its
                // quarantine, and the outbox sends it so the server's quarantine has it too.
                result.error = applied.results[i].error.value_or(ErrorCode::InvalidChange);
                result.message = applied.results[i].message;
                result.field = changes[i].field;
            }
        }
        _nextSeq += changes.size();
        result.ok = !result.error;
        result.changes = std::move(changes);
    }
    notify({RecordEvent{std::string(collection), id, RecordEvent::Origin::Local, false}});
    wakeBackground();
    return result;
}

std::vector<Change> Client::Impl::stampWrite(std::string_view collection, const RecordId& id,
                                             const std::vector<FieldWrite>& fields,
                                             bool tombstone) {
    std::vector<Change> changes;
    auto stamp = [&](Change change) {
        change.collection = std::string(collection);
        change.recordId = id;
        change.hlc = _hlc->now();
        change.deviceId = _deviceId;
        change.deviceSeq = _nextSeq + changes.size();
        change.author = _userId;
        changes.push_back(std::move(change));
    };
    if (tombstone) {
        Change change;
        change.operation = Operation::Delete;
        stamp(std::move(change));
    }
    // The field naming a child record's parent goes first: the server places the
    // record in its parent's scope from it, before judging the other fields.
    std::vector<const FieldWrite*> ordered;
    for (const auto& write : fields) {
        ordered.push_back(&write);
    }
    if (const auto* spec = domain::domainSchema().collection(collection);
        spec != nullptr && spec->scope().kind == shared::ScopeRule::Kind::Parent) {
        std::stable_partition(ordered.begin(), ordered.end(), [&](const FieldWrite* w) {
            return w->field == spec->scope().parentField;
        });
    }
    for (const auto* pointer : ordered) {
        const auto& write = *pointer;
        Change change;
        change.field = write.field;
        change.operation = write.operation;
        change.value = write.value;
        change.baseVersion = _store->fieldVersion(collection, id, write.field);
        stamp(std::move(change));
    }
    return changes;
}

bool Client::Impl::refuseWrite(std::string_view collection, const RecordId& id,
                               const std::vector<Change>& changes, WriteResult& result) {
    const auto& schema = domain::domainSchema();
    std::set<std::string> named;
    for (const auto& change : changes) {
        // Two values for one field in one action: which one the user meant is unknown
        // (adding several elements to a set is fine).
        if (change.operation == Operation::Set && !named.insert(change.field).second) {
            result.error = ErrorCode::InvalidChange;
            result.message = "Field '" + change.field + "' is set twice in one action.";
            result.field = change.field;
            return true;
        }
        if (auto invalid = schema.validate(change)) {
            result.error = invalid->code;
            result.message = invalid->message;
            result.field = change.field;
            return true;
        }
        if (changesImmutableField(collection, id, change)) {
            result.error = ErrorCode::ImmutableField;
            result.message = "Field '" + change.collection + "." + change.field +
                             "' was already written and cannot change.";
            result.field = change.field;
            return true;
        }
    }
    // The rules the server would refuse the action for that this device can judge.
    for (const auto& rules : {auditRulesRefusal, trainingRulesRefusal}) {
        if (auto refusal = rules(*_store, _role, changes)) {
            result.error = refusal->code;
            result.message = refusal->message;
            return true;
        }
    }
    return false;
}

bool Client::Impl::changesImmutableField(std::string_view collection, const RecordId& id,
                                         const Change& change) {
    const auto* spec = domain::domainSchema().fieldOf(change);
    if (spec == nullptr || spec->merge != shared::MergeKind::Immutable || !change.baseVersion) {
        return false;
    }
    const auto current = _store->record(collection, id);
    const auto field = current->fields.find(change.field);
    return field != current->fields.end() && field->second.value != change.value;
}

void Client::Impl::restampUnsent(SyncReport& report) {
    TouchedRecords touched;
    const auto restampedBefore = report.restamped;
    {
        std::lock_guard lock(_storeMutex);
        // Not below anything the server accepted: others' changes and this device's own.
        auto floor = _maxRemoteHlc;
        const auto own = _store->deviceChanges(_deviceId, _ackedSeq > 0 ? _ackedSeq - 1 : 0, 1);
        if (!own.empty() && own.front().change.deviceSeq <= _ackedSeq &&
            floor < own.front().change.hlc) {
            floor = own.front().change.hlc;
        }
        _hlc->rewind(floor);
        _sentSeq = _ackedSeq;  // re-dated changes were never sent in this form
        _state.set(kSentSeq, std::to_string(_sentSeq));
        std::map<Hlc, Hlc> redated;
        report.restamped += _store->rewriteDeviceChanges(
            _deviceId, _ackedSeq, [&](const Change& change) -> std::optional<Change> {
                Change restamped = change;
                restamped.hlc = _hlc->now();
                if (restamped.baseVersion) {
                    const auto base = redated.find(*restamped.baseVersion);
                    if (base != redated.end()) {
                        restamped.baseVersion = base->second;
                    }
                }
                redated.emplace(change.hlc, restamped.hlc);
                touched.add(change.collection, change.recordId);
                return restamped;
            });
    }
    defer(touched.take());
    if (_log.enabled()) {
        LogEntry entry;
        entry.level = LogLevel::Warning;
        entry.event = "clock.restamped";
        entry.changes = report.restamped - restampedBefore;
        entry.message = "The server found changes dated too far ahead: re-dated " +
                        std::to_string(entry.changes) + " unsent changes with its clock.";
        _log.emit(entry);
    }
}

}  // namespace verdant::client
