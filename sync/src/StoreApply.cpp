// Store::Impl: the apply pipeline (validate, log, merge, write back, keep the checksums).

#include "StoreImpl.hpp"

#include <algorithm>

namespace verdant::sync {

std::int64_t Store::Impl::nameRef(const std::string& name) {
    if (const auto found = _cache.nameRefs.find(name); found != _cache.nameRefs.end()) {
        return found->second;
    }
    const auto found = _backend->findName(name);
    const std::int64_t ref = found ? *found : _backend->addName(name);
    _cache.nameRefs.emplace(name, ref);
    return ref;
}

void Store::Impl::encodeStored(const FieldState& state) {
    _scratch.clear();
    writeStoredFieldState(_scratch, state,
                          [this](const DeviceId& device) { return deviceRef(device); });
}

void Store::Impl::encodeCanonical(const FieldState& state) {
    _scratch.clear();
    codec::writeFieldState(_scratch, state);
}

std::int64_t Store::Impl::deviceRef(const DeviceId& device) {
    if (const auto found = _cache.deviceRefs.find(device); found != _cache.deviceRefs.end()) {
        return found->second;
    }
    const auto found = _backend->findDevice(device);
    const std::int64_t ref = found ? *found : _backend->addDevice(device);
    _cache.deviceRefs.emplace(device, ref);
    return ref;
}

std::optional<std::int64_t> Store::Impl::findRecordRef(std::string_view collection,
                                                       const RecordId& id) {
    const auto row = _backend->findRecord(collection, id);
    return row ? std::optional<std::int64_t>(row->ref) : std::nullopt;
}

Store::Impl::RecordEntry* Store::Impl::existingRecordEntry(const Change& change) {
    auto key = std::make_pair(change.collection, change.recordId);
    if (const auto found = _cache.records.find(key); found != _cache.records.end()) {
        return &found->second;
    }
    auto row = _backend->findRecord(change.collection, change.recordId);
    if (!row) {
        return nullptr;
    }
    RecordEntry entry;
    entry.ref = row->ref;
    entry.collection = change.collection;
    entry.id = change.recordId;
    entry.state = codec::decodeRecordState(row->tombstone);
    entry.scopeKey = std::move(row->scopeKey);
    entry.scopeSeq = row->scopeSeq;
    entry.counted = true;
    entry.countedScope = entry.scopeKey;
    entry.countedTombstone = recordRowDigest(change.collection, change.recordId, row->tombstone);
    return &_cache.records.emplace(std::move(key), std::move(entry)).first->second;
}

Store::Impl::RecordEntry& Store::Impl::recordEntry(const Change& change) {
    if (RecordEntry* existing = existingRecordEntry(change)) {
        return *existing;
    }
    // A new record: in its scope from its first change if that change tells the scope (an Own
    // collection, or the parent field), so scope_seq stays 0.
    RecordEntry entry;
    entry.collection = change.collection;
    entry.id = change.recordId;
    entry.scopeKey = _schema.scopeKeyOf(change);
    _scratch.clear();
    codec::writeRecordState(_scratch, entry.state);
    entry.ref =
        _backend->addRecord(change.collection, change.recordId, _scratch.bytes(), entry.scopeKey);
    entry.inserted = true;
    auto key = std::make_pair(change.collection, change.recordId);
    return _cache.records.emplace(std::move(key), std::move(entry)).first->second;
}

std::optional<ChangeResult> Store::Impl::receivedBefore(const Change& change) {
    if (change.deviceId.isNil() || change.deviceSeq == 0) {
        return std::nullopt;  // not a numbered change: validation refuses it
    }
    const auto received = _backend->receivedBefore(change.deviceId, change.deviceSeq);
    if (!received) {
        return std::nullopt;
    }
    ChangeResult duplicate;
    duplicate.outcome = ChangeOutcome::Duplicate;
    if (received->refusal) {
        // Refused and quarantined earlier: still refused. The code tells the device so, in case
        // the answer that refused it was lost.
        duplicate.error = *received->refusal;
        duplicate.message =
            boundedMessage("Received before and refused; it stays in the quarantine: " +
                           received->message);  // entries of older builds kept longer messages
    }
    return duplicate;
}

std::optional<ValidationError> Store::Impl::askGate(const Change& change, const ChangeGate& gate) {
    // Looked up without creating the record, so a refused change leaves no row behind.
    const RecordEntry* known = existingRecordEntry(change);
    const std::optional<std::string> scope =
        known != nullptr && known->scopeKey ? known->scopeKey : _schema.scopeKeyOf(change);
    return gate(change, scope);
}

void Store::Impl::followParent(const Change& change, const FieldSpec& spec, const FieldState& state,
                               RecordEntry& record, std::uint64_t serverSeq, Batch& batch) {
    const auto& rule = _schema.collection(change.collection)->scope();
    if (rule.kind != shared::ScopeRule::Kind::Parent || rule.parentField != spec.name) {
        return;
    }
    // The scope follows the visible (first-written) parent, so it is a function of the merged
    // state and converges; it changes only if an earlier-keyed write displaces the first one.
    const shared::Value parent = visibleValue(spec, state);
    if (parent.kind() != shared::ValueKind::Id) {
        return;
    }
    std::string key = shared::scopeKey(rule.parentCollection, parent.as<RecordId>());
    if (record.scopeKey == key) {
        return;
    }
    record.scopeKey = std::move(key);
    record.scopeSeq = static_cast<std::int64_t>(serverSeq);
    if (!record.dirty) {
        record.dirty = true;
        batch.dirtyRecords.push_back(&record);
    }
}

Store::Impl::FieldEntry& Store::Impl::fieldEntry(RecordEntry& record, const FieldSpec& spec) {
    const auto key = std::make_pair(record.ref, &spec);
    if (const auto found = _cache.fields.find(key); found != _cache.fields.end()) {
        return found->second;
    }
    FieldEntry entry;
    entry.record = &record;
    entry.spec = &spec;
    if (!record.inserted) {  // a record this batch inserted has no field rows to read
        if (const auto stored = _backend->fieldState(record.ref, spec.name)) {
            entry.state = _states.state(*stored);
            entry.stored = true;
        }
    }
    if (entry.stored) {
        encodeCanonical(entry.state);
        entry.storedDigest =
            fieldRowDigest(record.collection, record.id, spec.name, _scratch.bytes());
    }
    return _cache.fields.emplace(key, std::move(entry)).first->second;
}

void Store::Impl::quarantineChange(const Change& change, ErrorCode code,
                                   const std::string& message) {
    QuarantinedChange kept = boundedForQuarantine(change);
    kept.code = code;
    kept.message = boundedMessage(message);
    _backend->addQuarantined(kept);
}

void Store::Impl::setOutcome(std::uint64_t serverSeq, ChangeOutcome outcome) {
    _backend->setOutcome(serverSeq, outcome);
}

ApplyResult Store::Impl::apply(std::span<const Change> batch, const ChangeGate& gate,
                               const std::function<std::vector<Change>()>& followUp) {
    if (batch.empty()) {
        return ApplyResult{};
    }
    try {
        return applyInTransaction(batch, gate, followUp);
    } catch (...) {
        _cache = Cache{};  // it holds merges that were rolled back
        throw;
    }
}

ApplyResult Store::Impl::applyInTransaction(std::span<const Change> batch, const ChangeGate& gate,
                                            const std::function<std::vector<Change>()>& followUp,
                                            const std::function<void()>& first, bool strict) {
    Batch state;
    WriteScope transaction(*_backend);
    _cache = Cache{};
    if (first) {
        first();
    }
    ApplyResult result = applyBatch(batch, gate, Arrival::Received, state);
    if (strict) {
        throwIfRefused(result, "A change was refused: ");
    }

    inject(FaultPoint::BeforeWriteBack, batch.size());
    writeBack(state);
    if (followUp) {
        // The batch is merged and written: the follow-up reads the state it made.
        const auto more = followUp();
        if (!more.empty()) {
            Batch derived;
            _cache = Cache{};
            throwIfRefused(applyBatch(more, ChangeGate{}, Arrival::Received, derived),
                           "A follow-up change was refused: ");
            writeBack(derived);
            if (derived.maxApplied &&
                (!state.maxApplied || *state.maxApplied < *derived.maxApplied)) {
                state.maxApplied = derived.maxApplied;
            }
        }
    }
    inject(FaultPoint::BeforeCommit, batch.size());
    transaction.commit();

    if (_options.clock != nullptr && state.maxApplied) {
        _options.clock->tryReceive(*state.maxApplied);
    }
    return result;
}

std::optional<std::uint64_t> Store::Impl::logChange(const Change& change, std::int64_t device,
                                                    std::int64_t record) {
    _scratch.clear();
    codec::writeValue(_scratch, change.value);
    ChangeRow row;
    row.deviceRef = device;
    row.deviceSeq = change.deviceSeq;
    row.recordRef = record;
    row.field = change.field;
    row.operation = change.operation;
    row.value = _scratch.bytes();
    row.hlc = change.hlc;
    row.base = change.baseVersion;
    row.authorRef = nameRef(change.author);
    row.outcome = ChangeOutcome::Applied;
    return _backend->appendChange(row);
}

ApplyResult Store::Impl::applyBatch(std::span<const Change> batch, const ChangeGate& gate,
                                    Arrival arrival, Batch& state) {
    ApplyResult result;
    result.results.resize(batch.size());
    for (std::size_t i = 0; i < batch.size(); ++i) {
        if (arrival == Arrival::Received) {
            inject(FaultPoint::BeforeChange, i);
        }
        const Change& change = batch[i];
        ChangeResult& out = result.results[i];

        // Exactly once, refusals included: a replica that judges what it receives (a gate) counts
        // a refused change as received, so a resend is a duplicate before anything re-judges it.
        // An ungated replica (a device applying what it pulled) re-validates a change it refused
        // before: the server accepted it, and a newer schema may accept it here too.
        if (gate) {
            if (auto duplicate = receivedBefore(change)) {
                out = std::move(*duplicate);
                continue;
            }
        }
        if (auto invalid = _schema.validate(change)) {
            out = refusedResult(invalid->code, invalid->message);
            if (!change.deviceId.isNil() && change.deviceSeq > 0) {
                quarantineChange(change, invalid->code, invalid->message);
                auto& mark = state.highWater[deviceRef(change.deviceId)];
                mark = std::max(mark, change.deviceSeq);
            }
            continue;
        }
        if (arrival == Arrival::Received && _options.clock != nullptr &&
            _options.clock->isTooFarAhead(change.hlc)) {
            // Not logged, not quarantined, high-water mark untouched: the device re-stamps the
            // change with a sane clock and sends it again under the same sequence number.
            out = refusedResult(ErrorCode::ClockSkew,
                                "The change is dated " + change.hlc.toString() +
                                    ", too far ahead of this replica's clock; re-stamp and retry.");
            continue;
        }

        const std::int64_t device = deviceRef(change.deviceId);
        if (gate) {
            if (auto refusal = askGate(change, gate)) {
                out = refusedResult(refusal->code, refusal->message);
                quarantineChange(change, refusal->code, refusal->message);
                auto& mark = state.highWater[device];
                mark = std::max(mark, change.deviceSeq);
                continue;
            }
        }
        RecordEntry& record = recordEntry(change);
        if (!record.touched) {
            record.touched = true;
            state.touchedRecords.push_back(&record);
        }
        const auto logged = logChange(change, device, record.ref);
        if (!logged) {
            out.outcome = ChangeOutcome::Duplicate;  // (device, sequence) already logged
            continue;
        }
        const std::uint64_t serverSeq = *logged;
        out.serverSeq = serverSeq;
        record.lastSeq = std::max(record.lastSeq, serverSeq);
        auto& mark = state.highWater[device];
        mark = std::max(mark, change.deviceSeq);
        if (!state.maxApplied || *state.maxApplied < change.hlc) {
            state.maxApplied = change.hlc;
        }

        if (change.operation == Operation::Delete || change.operation == Operation::Restore) {
            mergeTombstone(record.state, recordStateOf(change));
            if (!record.dirty) {
                record.dirty = true;
                state.dirtyRecords.push_back(&record);
            }
            continue;
        }

        mergeField(change, record, serverSeq, out, state);
    }
    return result;
}

/// Merges a logged field change into its field's state; refuses (and quarantines) a second
/// value of an immutable field, and marks a change that raised a conflict.
void Store::Impl::mergeField(const Change& change, RecordEntry& record, std::uint64_t serverSeq,
                             ChangeResult& out, Batch& state) {
    const FieldSpec& spec = *_schema.fieldOf(change);
    FieldEntry& field = fieldEntry(record, spec);
    if (!field.dirty) {
        field.dirty = true;
        state.dirtyFields.push_back(&field);
    }
    const auto key = shared::keyOf(change);
    if (spec.merge == MergeKind::Immutable && !field.state.writes.empty() &&
        field.state.writes.front().value != change.value) {
        const Write& first = field.state.writes.front();
        if (first.key < key) {
            const std::string message = "Field '" + change.collection + "." + change.field +
                                        "' was already written and cannot change.";
            out = refusedResult(ErrorCode::ImmutableField, message);
            out.serverSeq = serverSeq;
            setOutcome(serverSeq, ChangeOutcome::Refused);
            quarantineChange(change, ErrorCode::ImmutableField, message);
            // Still merged: the first write stays the winner, but the field version must be
            // the same on replicas that saw the writes in the other order.
            mergeInto(spec, field.state, stateOf(spec, change));
            return;
        }
        // This write predates the one applied so far: it is the first write and stands on
        // every replica; the other is marked refused in the log.
        _backend->setOutcomeOf(first.key.device, first.key.deviceSeq, ChangeOutcome::Refused);
    }
    mergeInto(spec, field.state, stateOf(spec, change));
    if (spec.merge == MergeKind::Immutable && spec.type == shared::FieldType::IdRef) {
        followParent(change, spec, field.state, record, serverSeq, state);
    }
    if (hasConflict(spec, field.state) &&
        std::any_of(field.state.writes.begin(), field.state.writes.end(),
                    [&key](const Write& write) { return write.key == key; })) {
        out.outcome = ChangeOutcome::ConflictRaised;
        setOutcome(serverSeq, ChangeOutcome::ConflictRaised);
    }
}

void Store::Impl::writeBack(Batch& batch) {
    // A record that moves to another scope takes its rows' digests along: summed from its rows
    // as they were before this batch (nothing of the batch is written yet).
    DigestDelta delta;
    for (RecordEntry* record : batch.touchedRecords) {
        if (record->counted && record->countedScope != record->scopeKey) {
            delta.move(record->countedScope, record->scopeKey,
                       recomputeRecordDigest(*_backend, record->ref));
            record->countedScope = record->scopeKey;
        }
    }
    delta.writeTo(*_backend);
    for (FieldEntry* entry : batch.dirtyFields) {
        FieldEntry& field = *entry;
        const FieldSpec& spec = *field.spec;
        encodeCanonical(field.state);
        const Digest written =
            fieldRowDigest(field.record->collection, field.record->id, spec.name, _scratch.bytes());
        field.record->fieldDelta += written;
        field.record->fieldDelta -= field.storedDigest;
        field.storedDigest = written;
        encodeStored(field.state);
        _backend->putField(field.record->ref,
                           FieldRow{spec.name, _scratch.bytes(), hasConflict(spec, field.state)},
                           field.stored);
        field.stored = true;
        field.dirty = false;
    }
    for (RecordEntry* entry : batch.dirtyRecords) {
        RecordEntry& record = *entry;
        record.dirty = false;
        RecordRow row;
        row.ref = record.ref;
        row.deleted = record.state.deleted();
        _scratch.clear();
        codec::writeRecordState(_scratch, record.state);
        row.tombstone = _scratch.bytes();
        row.scopeKey = record.scopeKey;
        row.scopeSeq = record.scopeSeq;
        _backend->updateRecord(row);
    }
    for (const auto& [device, mark] : batch.highWater) {
        _backend->raiseHighWater(device, mark);
    }
    writeDigests(batch);
}

/// Adds what the batch changed in its records' rows to their scopes' sums (one read and write
/// of scope_digests per scope touched), and their feed positions.
void Store::Impl::writeDigests(Batch& batch) {
    DigestDelta delta;
    for (RecordEntry* entry : batch.touchedRecords) {
        RecordEntry& record = *entry;
        _scratch.clear();
        codec::writeRecordState(_scratch, record.state);
        const Digest tombstone = recordRowDigest(record.collection, record.id, _scratch.bytes());
        Digest change = record.fieldDelta;
        change += tombstone;
        if (record.counted) {
            change -= record.countedTombstone;
        }
        delta.add(record.scopeKey, change);
        delta.reach(record.scopeKey, record.lastSeq);
        record.counted = true;
        record.countedScope = record.scopeKey;
        record.countedTombstone = tombstone;
        record.fieldDelta = Digest{};
        record.lastSeq = 0;
        record.touched = false;
    }
    batch.touchedRecords.clear();
    delta.writeTo(*_backend);
}

}  // namespace verdant::sync
