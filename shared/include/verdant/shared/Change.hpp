#pragma once

#include "verdant/shared/Hlc.hpp"
#include "verdant/shared/Id.hpp"
#include "verdant/shared/Value.hpp"

#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace verdant::shared {

/// What a change does to its field or record.
enum class Operation : std::uint8_t {
    Set = 0,      ///< Write `value` to a register field (every merge kind but add-wins set).
    Add = 1,      ///< Add the string `value` to an add-wins set.
    Remove = 2,   ///< Remove the string `value` from an add-wins set (observed adds only).
    Reopen = 3,   ///< Move a monotone state back to `value` (the server checks the role first).
    Delete = 4,   ///< Tombstone the whole record (`field` empty, `value` null).
    Restore = 5,  ///< Undo a delete explicitly (`field` empty, `value` null).
};

/// The lower-case name of an operation, e.g. "set".
std::string_view wireName(Operation operation) noexcept;

/// The operation with that wire name, or nullopt.
std::optional<Operation> operationFromWireName(std::string_view name) noexcept;

/// One edit made on one device: the unit the change log stores, pushes, pulls and merges.
///
/// `(deviceId, deviceSeq)` identifies a change everywhere: a device numbers its changes 1, 2, 3...
/// and a replica applies each number once. `hlc` orders changes for tie-breaks; `baseVersion` is
/// the field's version (the HLC of its latest write) the writer had seen, or none if it had seen
/// no write; it is what conflict detection and observed-remove use. A plain value type.
struct Change {
    std::string collection;                ///< Collection name from the schema.
    RecordId recordId;                     ///< The record changed.
    std::string field;                     ///< Field name; empty for Delete and Restore.
    Operation operation = Operation::Set;  ///< What the change does.
    Value value;                           ///< The value written, added, removed or reopened to.
    Hlc hlc;                               ///< When (HLC) the device made the change.
    std::optional<Hlc> baseVersion;        ///< Field version the writer had seen; none if none.
    DeviceId deviceId;                     ///< The device that made the change.
    std::uint64_t deviceSeq = 0;           ///< The device's number for it: 1, 2, 3... (never 0).
    std::string author;                    ///< The user who made it (user id).

    /// Field-by-field equality.
    friend bool operator==(const Change&, const Change&) = default;
};

/// The total order of changes used by every tie-break: HLC, then device, then device sequence.
/// Two distinct changes never have equal keys (a device never reuses a sequence number).
struct ChangeKey {
    Hlc hlc;                      ///< The change's HLC.
    DeviceId device;              ///< The change's device.
    std::uint64_t deviceSeq = 0;  ///< The change's device sequence number.

    /// Lexicographic (hlc, device, deviceSeq).
    constexpr auto operator<=>(const ChangeKey&) const noexcept = default;
};

/// The key of a change.
inline ChangeKey keyOf(const Change& change) noexcept {
    return ChangeKey{change.hlc, change.deviceId, change.deviceSeq};
}

}  // namespace verdant::shared
