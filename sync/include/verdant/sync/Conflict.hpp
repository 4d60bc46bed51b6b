#pragma once

#include "verdant/shared/Hlc.hpp"
#include "verdant/shared/Id.hpp"
#include "verdant/shared/Value.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace verdant::sync {

/// One of the concurrent values of a conflicted reviewed field, with its provenance.
struct ConflictCandidate {
    shared::Value value;          ///< The value written.
    std::string author;           ///< Who wrote it.
    shared::DeviceId device;      ///< On which device.
    std::uint64_t deviceSeq = 0;  ///< The device's number for the change.
    shared::Hlc hlc;              ///< When (HLC).

    /// Equality of all members.
    friend bool operator==(const ConflictCandidate&, const ConflictCandidate&) = default;
};

/// An open conflict: a reviewed field written concurrently (each writer's base version did not
/// cover the others' writes). Every candidate value is kept; the visible value is the last
/// candidate (highest key) until a person resolves it by writing the field with a base version
/// at least `version` (e.g. via the SDK's resolve call, which sets the base for them).
/// A plain value; conflicts are expected outcomes, not errors.
struct Conflict {
    std::string collection;                     ///< Collection of the record.
    shared::RecordId recordId;                  ///< The record.
    std::string field;                          ///< The conflicted field.
    std::vector<ConflictCandidate> candidates;  ///< At least two, ordered by change key.
    shared::Hlc version;  ///< Field version; a resolving write needs base >= this.

    /// Equality of all members.
    friend bool operator==(const Conflict&, const Conflict&) = default;
};

}  // namespace verdant::sync
