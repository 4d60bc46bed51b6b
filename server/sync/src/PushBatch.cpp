#include "verdant/server/sync/PushBatch.hpp"

namespace verdant::server {

PushBatch::PushBatch(const sync::Store& store, std::span<const shared::Change> batch)
    : _store(store), _changes(batch) {
    for (const auto& change : batch) {
        if (change.operation == shared::Operation::Set && !change.value.isNull()) {
            // emplace keeps the first: the rules read a field's first value in the batch.
            _firstSets.emplace(FieldKey{change.collection, change.recordId, change.field},
                               &change.value);
        }
    }
}

const sync::Record* PushBatch::stored(std::string_view collection, const shared::RecordId& id) {
    auto key = std::make_pair(std::string(collection), id);
    auto found = _records.find(key);
    if (found == _records.end()) {
        found = _records.emplace(std::move(key), _store.record(collection, id)).first;
    }
    return found->second ? &*found->second : nullptr;
}

const shared::Value* PushBatch::firstSet(std::string_view collection, const shared::RecordId& id,
                                         std::string_view field) const {
    const auto found = _firstSets.find(FieldKey{collection, id, field});
    return found == _firstSets.end() ? nullptr : found->second;
}

std::optional<shared::Value> PushBatch::value(std::string_view collection,
                                              const shared::RecordId& id,
                                              const std::string& field) {
    if (const auto* record = stored(collection, id)) {
        const auto found = record->fields.find(field);
        if (found != record->fields.end() && !found->second.value.isNull()) {
            return found->second.value;
        }
    }
    if (const auto* first = firstSet(collection, id, field)) {
        return *first;
    }
    return std::nullopt;
}

}  // namespace verdant::server
