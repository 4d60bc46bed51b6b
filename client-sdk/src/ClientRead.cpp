#include "ClientImpl.hpp"

#include "verdant/domain/DomainSchema.hpp"

#include <algorithm>
#include <limits>

namespace verdant::client {

using shared::Change;
using shared::RecordId;

namespace {

constexpr std::size_t kWholeOutbox = std::numeric_limits<std::size_t>::max();

}  // namespace

std::optional<sync::Record> Client::Impl::record(std::string_view collection, const RecordId& id) {
    std::lock_guard lock(_storeMutex);
    return _store->record(collection, id);
}

std::vector<sync::Record> Client::Impl::records(std::string_view collection) {
    std::lock_guard lock(_storeMutex);
    return recordsOf(collection, _store->recordIds(collection));
}

std::vector<sync::Record> Client::Impl::query(std::string_view collection, std::string_view field,
                                              const shared::Value& value) {
    std::lock_guard lock(_storeMutex);
    const auto* spec = domain::domainSchema().collection(collection);
    if (spec == nullptr || spec->scope().kind != shared::ScopeRule::Kind::Parent ||
        spec->scope().parentField != field || value.kind() != shared::ValueKind::Id) {
        return recordsOf(collection, _store->findRecords(collection, field, value));
    }
    // The records naming a parent are in its scope (a record's scope follows the visible
    // value of its parent field): read that scope's records through its index instead of
    // every row of the field, then keep those that name it, as findRecords() would.
    std::vector<sync::Record> result;
    const auto key = shared::scopeKey(spec->scope().parentCollection, value.as<RecordId>());
    for (const auto& ref : _store->recordsInScope(key)) {
        if (ref.collection != collection) {
            continue;
        }
        auto found = _store->record(collection, ref.id);
        if (!found || found->deleted) {
            continue;
        }
        const auto named = found->fields.find(std::string(field));
        if (named != found->fields.end() && named->second.value == value) {
            result.push_back(std::move(*found));
        }
    }
    return result;
}

std::map<std::string, std::size_t> Client::Impl::recordsPerScope(std::string_view collection) {
    std::lock_guard lock(_storeMutex);
    return _store->recordsPerScope(collection);
}

std::vector<sync::Record> Client::Impl::scopeRecords(const char* rootCollection,
                                                     const RecordId& root) {
    std::lock_guard lock(_storeMutex);
    std::vector<sync::Record> result;
    if (auto rootRecord = _store->record(rootCollection, root)) {
        result.push_back(std::move(*rootRecord));
    } else {
        return result;
    }
    for (const auto& ref : _store->recordsInScope(shared::scopeKey(rootCollection, root))) {
        if (ref.collection == rootCollection && ref.id == root) {
            continue;
        }
        if (auto found = _store->record(ref.collection, ref.id); found && !found->deleted) {
            result.push_back(std::move(*found));
        }
    }
    return result;
}

RecordSyncState Client::Impl::syncState(std::string_view collection, const RecordId& id) {
    std::lock_guard lock(_storeMutex);
    if (_state.isQuarantined(collection, id)) {
        return RecordSyncState::Quarantined;
    }
    // Only this record's own log: the cost follows its history, not the outbox's size.
    Pending pending;
    for (const auto& logged : _store->recordChanges(collection, id)) {
        if (logged.change.deviceId == _deviceId && logged.change.deviceSeq > _ackedSeq) {
            pending.add(logged.change, _sentSeq);
        }
    }
    return stateOf(_store->record(collection, id), pending);
}

std::map<RecordId, RecordSyncState> Client::Impl::syncStates(std::string_view collection) {
    std::lock_guard lock(_storeMutex);
    std::map<RecordId, RecordSyncState> states;
    for (const auto& id : _state.quarantinedRecords(collection)) {
        states.emplace(id, RecordSyncState::Quarantined);
    }
    // Only a record that is in conflict or has changes in the outbox can be anything but
    // Synced: each is judged as syncState() judges it, reading the outbox once.
    std::map<RecordId, Pending> candidates;
    for (const auto& conflict : _store->openConflicts()) {
        if (conflict.collection == collection) {
            candidates.try_emplace(conflict.recordId);
        }
    }
    for (const auto& logged : outbox()) {
        if (logged.change.collection == collection) {
            candidates[logged.change.recordId].add(logged.change, _sentSeq);
        }
    }
    for (const auto& [id, pending] : candidates) {
        if (states.contains(id)) {
            continue;  // quarantined comes first
        }
        const auto state = stateOf(_store->record(collection, id), pending);
        if (state != RecordSyncState::Synced) {
            states.emplace(id, state);
        }
    }
    return states;
}

std::vector<sync::Conflict> Client::Impl::conflicts() {
    std::lock_guard lock(_storeMutex);
    return _store->openConflicts();
}

std::vector<QuarantineEntry> Client::Impl::quarantine() {
    std::lock_guard lock(_storeMutex);
    return _state.quarantined();
}

std::vector<Change> Client::Impl::pendingChanges() {
    std::lock_guard lock(_storeMutex);
    std::vector<Change> result;
    for (auto& logged : outbox()) {
        result.push_back(std::move(logged.change));
    }
    return result;
}

std::vector<sync::Record> Client::Impl::recordsOf(std::string_view collection,
                                                  const std::vector<RecordId>& ids) {
    std::vector<sync::Record> result;
    result.reserve(ids.size());
    for (const auto& id : ids) {
        if (auto found = _store->record(collection, id); found && !found->deleted) {
            result.push_back(std::move(*found));
        }
    }
    return result;
}

std::vector<sync::LoggedChange> Client::Impl::outbox() {
    return _store->deviceChanges(_deviceId, _ackedSeq, kWholeOutbox);
}

RecordSyncState Client::Impl::stateOf(const std::optional<sync::Record>& found,
                                      const Pending& pending) {
    if (!found) {
        return RecordSyncState::Synced;
    }
    for (const auto& [name, field] : found->fields) {
        if (field.inConflict) {
            return RecordSyncState::Conflict;
        }
    }
    if (!pending.any) {
        return RecordSyncState::Synced;
    }
    // Local: every field's visible write is this device's and unacknowledged (new here).
    const bool onlyLocalWrites =
        std::none_of(found->fields.begin(), found->fields.end(), [&](const auto& entry) {
            const auto& written = entry.second.writtenBy;
            return written &&
                   (written->key.device != _deviceId || written->key.deviceSeq <= _ackedSeq);
        });
    if (onlyLocalWrites) {
        return RecordSyncState::Local;
    }
    return pending.unsent ? RecordSyncState::Queued : RecordSyncState::Sent;
}

}  // namespace verdant::client
