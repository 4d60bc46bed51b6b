#pragma once

/// Typed reads of a materialized record's visible field values, for the training office's read
/// models. Each returns nullopt when the field was never written or holds another kind.

#include "verdant/shared/Id.hpp"
#include "verdant/sync/Store.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace verdant::server::training_office {

/// The visible value of `field` when it is a string (strings and enum values).
std::optional<std::string> textField(const sync::Record& record, std::string_view field);

/// The visible value of `field` when it is a record reference.
std::optional<shared::RecordId> idField(const sync::Record& record, std::string_view field);

/// The visible value of `field` when it is an integer.
std::optional<std::int64_t> intField(const sync::Record& record, std::string_view field);

/// The visible value of `field` when it is a timestamp (Unix ms).
std::optional<std::int64_t> timeField(const sync::Record& record, std::string_view field);

/// The elements of an add-wins set `field`, ascending (empty when never written).
std::vector<std::string> setField(const sync::Record& record, std::string_view field);

/// Every live (not deleted) record of `collection`, in id order: one pass over the collection.
std::vector<sync::Record> liveRecords(const sync::Store& store, std::string_view collection);

/// The live records among `ids` of `collection`.
std::vector<sync::Record> liveRecords(const sync::Store& store, std::string_view collection,
                                      const std::vector<shared::RecordId>& ids);

}  // namespace verdant::server::training_office
