// Store::Impl: reads of the replica and its canonical dump.

#include "StoreImpl.hpp"

#include <algorithm>

namespace verdant::sync {

namespace {

/// The value of a field the schema no longer names: its last write (what every register kind
/// shows when the field has no conflict).
shared::Value shownValue(const FieldState& state) {
    return state.writes.empty() ? shared::Value::null() : state.writes.back().value;
}

/// The reviewed-register spec used to read a conflict whose field left the schema.
const FieldSpec& reviewedFallback() {
    static const FieldSpec kSpec{"",
                                 shared::FieldType::String,
                                 MergeKind::ReviewedRegister,
                                 {},
                                 shared::kDefaultMaxValueBytes};
    return kSpec;
}

}  // namespace

std::optional<Record> Store::Impl::record(std::string_view collection, const RecordId& id) {
    const auto row = _backend->findRecord(collection, id);
    if (!row) {
        return std::nullopt;
    }
    Record record;
    record.deleted = row->deleted;
    record.collection = std::string(collection);
    record.id = id;
    const auto* spec = _schema.collection(collection);
    _backend->forEachField(row->ref, [&](const FieldRow& stored) {
        FieldValue value;
        const FieldState state = _states.state(stored.state);
        value.inConflict = stored.inConflict;
        value.version = state.version;
        value.elements = visibleElements(state);
        if (const FieldSpec* field = spec ? spec->field(stored.field) : nullptr) {
            value.value = visibleValue(*field, state);
            value.writtenBy = visibleWrite(*field, state);
        } else {
            value.value = shownValue(state);
        }
        record.fields.emplace(std::string(stored.field), std::move(value));
    });
    return record;
}

std::optional<Hlc> Store::Impl::fieldVersion(std::string_view collection, const RecordId& id,
                                             std::string_view field) {
    const auto ref = findRecordRef(collection, id);
    if (!ref) {
        return std::nullopt;
    }
    const auto stored = _backend->fieldState(*ref, field);
    return stored ? _states.state(*stored).version : std::nullopt;
}

std::vector<Conflict> Store::Impl::openConflicts() {
    std::vector<Conflict> conflicts;
    _backend->forEachConflict([&](const StateRow& row) {
        const std::string collection(row.collection);
        const std::string name(row.field->field);
        const FieldState state = _states.state(row.field->state);
        const FieldSpec* spec =
            _schema.collection(collection) ? _schema.collection(collection)->field(name) : nullptr;
        FieldSpec fallback = reviewedFallback();
        fallback.name = name;
        if (auto conflict = conflictOf(spec ? *spec : fallback, state, collection, row.id)) {
            conflicts.push_back(std::move(*conflict));
        }
    });
    return conflicts;
}

std::vector<LoggedChange> Store::Impl::fieldHistory(std::string_view collection, const RecordId& id,
                                                    std::string_view field) {
    const auto ref = findRecordRef(collection, id);
    return ref ? _backend->fieldHistory(*ref, field) : std::vector<LoggedChange>{};
}

std::vector<LoggedChange> Store::Impl::changesSince(std::uint64_t after, std::size_t limit) {
    return _backend->changesSince(after, limit);
}

std::vector<LoggedChange> Store::Impl::changesSince(std::uint64_t after, std::size_t limit,
                                                    const std::vector<std::string>& scopeKeys) {
    if (scopeKeys.empty() || limit == 0) {
        return {};
    }
    return _backend->scopedChanges(after, limit, scopeKeys);
}

std::optional<std::string> Store::Impl::scopeOf(std::string_view collection, const RecordId& id) {
    auto row = _backend->findRecord(collection, id);
    return row ? std::move(row->scopeKey) : std::nullopt;
}

std::vector<RecordId> Store::Impl::findRecords(std::string_view collection, std::string_view field,
                                               const shared::Value& value) {
    std::vector<RecordId> found;
    const auto* spec = _schema.collection(collection);
    const FieldSpec* fieldSpec = spec != nullptr ? spec->field(field) : nullptr;
    const bool isSet = fieldSpec != nullptr && fieldSpec->type == shared::FieldType::StringSet;
    if (isSet && value.kind() != shared::ValueKind::String) {
        return found;
    }
    _backend->forEachFieldOf(collection, field, [&](const RecordId& id, const FieldRow& stored) {
        const FieldState state = _states.state(stored.state);
        bool matches = false;
        if (isSet) {
            const auto elements = visibleElements(state);
            matches = std::binary_search(elements.begin(), elements.end(), value.as<std::string>());
        } else {
            matches = (fieldSpec != nullptr ? visibleValue(*fieldSpec, state)
                                            : shownValue(state)) == value;
        }
        if (matches) {
            found.push_back(id);
        }
    });
    return found;
}

std::vector<RecordId> Store::Impl::recordIds(std::string_view collection, bool includeDeleted) {
    return _backend->recordIds(collection, includeDeleted);
}

std::vector<RecordRef> Store::Impl::recordsInScope(const std::string& scopeKey) {
    return _backend->recordsInScope(scopeKey);
}

std::uint64_t Store::Impl::highWaterMark(const DeviceId& device) {
    return _backend->highWater(device);
}

std::string Store::Impl::canonicalDump() {
    std::string dump;
    _backend->forEachStateRow([&](const StateRow& row) {
        if (!row.field) {
            dump += "record ";
            dump += row.collection;
            dump += ' ';
            dump += row.id.toString();
            if (row.deleted) {
                dump += " deleted";
            }
            dump += " tombstone=";
            dump += codec::toHex(row.tombstone);
            dump += '\n';
            return;
        }
        dumpField(dump, row);
    });
    return dump;
}

/// One field's line of the canonical dump: name, visible value (or set), version, conflict flag
/// and canonical state.
void Store::Impl::dumpField(std::string& dump, const StateRow& row) {
    const FieldRow& stored = *row.field;
    const FieldState state = _states.state(stored.state);
    const auto* spec = _schema.collection(row.collection);
    const FieldSpec* field = spec != nullptr ? spec->field(stored.field) : nullptr;
    std::string shown =
        (field != nullptr ? visibleValue(*field, state) : shownValue(state)).toDisplayString();
    if (!state.elements.empty()) {
        shown = "{";
        for (const auto& element : visibleElements(state)) {
            shown += (shown.size() > 1 ? "," : "") + element;
        }
        shown += "}";
    }
    dump += "  ";
    dump += stored.field;
    dump += " = ";
    dump += shown;
    dump += " version=";
    dump += state.version ? state.version->toString() : "-";
    if (stored.inConflict) {
        dump += " CONFLICT";
    }
    encodeCanonical(state);
    dump += " state=";
    dump += codec::toHex(_scratch.bytes());
    dump += '\n';
}

// ---- Reads that follow what they return (device lists) -------------------------------------

std::map<std::string, std::size_t> Store::Impl::recordsPerScope(std::string_view collection) {
    return _backend->recordsPerScope(collection);
}

std::vector<LoggedChange> Store::Impl::recordChanges(std::string_view collection,
                                                     const RecordId& id) {
    const auto ref = findRecordRef(collection, id);
    return ref ? _backend->recordChanges(*ref) : std::vector<LoggedChange>{};
}

}  // namespace verdant::sync
