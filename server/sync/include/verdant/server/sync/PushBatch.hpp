#pragma once

#include "verdant/shared/Change.hpp"
#include "verdant/shared/Id.hpp"
#include "verdant/shared/Value.hpp"
#include "verdant/sync/Store.hpp"

#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>

namespace verdant::server {

/// One push batch as the server's checks read it before it is applied: its changes indexed by
/// record and field once, and the stored records they touch, each read from the store at most
/// once however many checks ask. So the checks cost what the batch carries: O(n log n) for n
/// changes, one store read per record the batch names (and per audit and template version its
/// answers need), never a rescan of the batch per record nor a read per change.
///
/// Borrows `store` and `batch`, which must outlive it. Reads the store lazily, so it must not be
/// used once Store::apply has begun (its gate may not read the store): the checks built on it
/// read what they need in their constructors. Not thread-safe.
class PushBatch {
public:
    /// Indexes `batch` (no store read yet).
    PushBatch(const sync::Store& store, std::span<const shared::Change> batch);

    /// The store the batch is pushed to.
    const sync::Store& store() const noexcept { return _store; }

    /// The batch's changes, in order.
    std::span<const shared::Change> changes() const noexcept { return _changes; }

    /// The stored record (as before the batch), or nullptr if the store has none. Read on first
    /// use, then kept; the pointer stays valid as long as this object.
    const sync::Record* stored(std::string_view collection, const shared::RecordId& id);

    /// The first Set of `field` of the record in the batch with a non-null value, or nullptr.
    const shared::Value* firstSet(std::string_view collection, const shared::RecordId& id,
                                  std::string_view field) const;

    /// The value of `field` of a record: its stored value when not null, else firstSet().
    std::optional<shared::Value> value(std::string_view collection, const shared::RecordId& id,
                                       const std::string& field);

private:
    using FieldKey = std::tuple<std::string_view, shared::RecordId, std::string_view>;

    const sync::Store& _store;
    std::span<const shared::Change> _changes;
    std::map<FieldKey, const shared::Value*> _firstSets;  ///< Views into `_changes`.
    std::map<std::pair<std::string, shared::RecordId>, std::optional<sync::Record>, std::less<>>
        _records;
};

}  // namespace verdant::server
