#include "RecordFields.hpp"

namespace verdant::server::training_office {

namespace {

/// The visible value of `field`, or nullptr.
const shared::Value* valueOf(const sync::Record& record, std::string_view field) {
    const auto found = record.fields.find(std::string(field));
    return found == record.fields.end() ? nullptr : &found->second.value;
}

}  // namespace

std::optional<std::string> textField(const sync::Record& record, std::string_view field) {
    const auto* value = valueOf(record, field);
    if (value == nullptr || value->kind() != shared::ValueKind::String) {
        return std::nullopt;
    }
    return value->as<std::string>();
}

std::optional<shared::RecordId> idField(const sync::Record& record, std::string_view field) {
    const auto* value = valueOf(record, field);
    if (value == nullptr || value->kind() != shared::ValueKind::Id) {
        return std::nullopt;
    }
    return value->as<shared::RecordId>();
}

std::optional<std::int64_t> intField(const sync::Record& record, std::string_view field) {
    const auto* value = valueOf(record, field);
    if (value == nullptr || value->kind() != shared::ValueKind::Int) {
        return std::nullopt;
    }
    return value->as<std::int64_t>();
}

std::optional<std::int64_t> timeField(const sync::Record& record, std::string_view field) {
    const auto* value = valueOf(record, field);
    if (value == nullptr || value->kind() != shared::ValueKind::Timestamp) {
        return std::nullopt;
    }
    return value->as<shared::Timestamp>().ms;
}

std::vector<std::string> setField(const sync::Record& record, std::string_view field) {
    const auto found = record.fields.find(std::string(field));
    return found == record.fields.end() ? std::vector<std::string>{} : found->second.elements;
}

std::vector<sync::Record> liveRecords(const sync::Store& store, std::string_view collection) {
    return liveRecords(store, collection, store.recordIds(collection));
}

std::vector<sync::Record> liveRecords(const sync::Store& store, std::string_view collection,
                                      const std::vector<shared::RecordId>& ids) {
    std::vector<sync::Record> records;
    records.reserve(ids.size());
    for (const auto& id : ids) {
        auto record = store.record(collection, id);
        if (record && !record->deleted) {
            records.push_back(std::move(*record));
        }
    }
    return records;
}

}  // namespace verdant::server::training_office
