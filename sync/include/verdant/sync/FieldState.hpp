#pragma once

#include "verdant/shared/Change.hpp"
#include "verdant/shared/Hlc.hpp"
#include "verdant/shared/Value.hpp"

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace verdant::sync {

/// One write as remembered by a field's merge state: who (key, author) wrote what (value).
struct Write {
    shared::ChangeKey key;  ///< (HLC, device, device sequence) of the change.
    std::string author;     ///< User who made the change.
    shared::Value value;    ///< Value written (for tombstones: null).

    /// Equality of all members.
    friend bool operator==(const Write&, const Write&) = default;
};

/// The merge state of one element of an add-wins set.
struct SetElement {
    std::optional<shared::ChangeKey> lastAdd;   ///< Highest-keyed add of the element, if any.
    std::optional<shared::Hlc> lastRemoveBase;  ///< Highest base version among its removes.

    /// In the set iff some add was not observed by any remove: lastAdd.hlc > lastRemoveBase.
    bool present() const noexcept {
        return lastAdd && (!lastRemoveBase || lastAdd->hlc > *lastRemoveBase);
    }

    /// Equality of all members.
    friend bool operator==(const SetElement&, const SetElement&) = default;
};

/// The merge state of one field: enough to merge any further write in any order and to derive
/// the visible value. It is a join-semilattice element: merging states is commutative,
/// associative and idempotent, so every replica that merged the same writes holds an equal state
/// (and, through the canonical encoding, equal bytes). Which members are used depends on the
/// field's merge kind (see Merge.hpp). A plain value type.
struct FieldState {
    /// Highest HLC of every write merged: the field's version, which writers send as their base.
    std::optional<shared::Hlc> version;
    /// LWW, min, max, immutable: the one winning write. Reviewed register: the candidates (writes
    /// not covered by a later base), ordered by key; the last is the visible one. Monotone state:
    /// the highest-keyed write of each state value, ordered by value.
    std::vector<Write> writes;
    /// Reviewed register: the highest base version of any write merged.
    std::optional<shared::Hlc> maxBase;
    /// Monotone state: the highest-keyed Reopen.
    std::optional<Write> reopen;
    /// Add-wins set: every element ever added or removed, by element.
    std::map<std::string, SetElement> elements;

    /// Whether nothing was merged yet.
    bool empty() const noexcept { return !version.has_value(); }

    /// Equality of all members.
    friend bool operator==(const FieldState&, const FieldState&) = default;
};

/// The merge state of a record's tombstone (Delete / Restore operations).
struct RecordState {
    std::optional<Write> lastDelete;   ///< Highest-keyed Delete.
    std::optional<Write> lastRestore;  ///< Highest-keyed Restore.

    /// Deleted iff there is a delete and no restore with a higher key.
    bool deleted() const noexcept {
        return lastDelete && (!lastRestore || lastDelete->key > lastRestore->key);
    }

    /// Equality of all members.
    friend bool operator==(const RecordState&, const RecordState&) = default;
};

}  // namespace verdant::sync
