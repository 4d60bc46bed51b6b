#pragma once

// Test fixtures for sync unit tests: a schema shaped like Verdant's (audit answers, attendance)
// and a simulated device that stamps changes with its own HLC clock.

#include "verdant/shared/Change.hpp"
#include "verdant/shared/Clock.hpp"
#include "verdant/shared/HlcClock.hpp"
#include "verdant/shared/IdGenerator.hpp"
#include "verdant/shared/Schema.hpp"

#include <cstdint>
#include <optional>
#include <string>

namespace verdant::testing {

using shared::FieldSpec;
using shared::FieldType;
using shared::MergeKind;

/// Start of simulated time: 2024-01-01T00:00:00Z.
inline constexpr std::int64_t kEpochMs = 1'704'067'200'000;

/// The schema the unit tests use.
inline shared::Schema testSchema() {
    using shared::CollectionSpec;
    shared::Schema schema;
    schema.add(CollectionSpec(
        "answers",
        {
            FieldSpec{"answer", FieldType::String, MergeKind::ReviewedRegister, {}, 1024},
            FieldSpec{"note", FieldType::String, MergeKind::LastWriterWins, {}, 1024},
            FieldSpec{"tags", FieldType::StringSet, MergeKind::AddWinsSet, {}, 64},
            FieldSpec{"created_at", FieldType::Timestamp, MergeKind::Immutable, {}, 8},
            FieldSpec{"score", FieldType::Int, MergeKind::LastWriterWins, {}, 8},
            FieldSpec{"weight", FieldType::Real, MergeKind::LastWriterWins, {}, 8},
            FieldSpec{"applicable", FieldType::Bool, MergeKind::LastWriterWins, {}, 8},
            FieldSpec{"supplier", FieldType::IdRef, MergeKind::LastWriterWins, {}, 16},
            FieldSpec{"extra", FieldType::Json, MergeKind::LastWriterWins, {}, 256},
            FieldSpec{"severity",
                      FieldType::Enum,
                      MergeKind::ReviewedRegister,
                      {"priority", "major", "minor", "observation"},
                      32},
        }));
    schema.add(CollectionSpec(
        "attendance",
        {
            FieldSpec{"status",
                      FieldType::Enum,
                      MergeKind::MonotoneState,
                      {"invited", "registered", "cancelled", "checked_in", "attended"},
                      32},
            FieldSpec{"first_check_in", FieldType::Timestamp, MergeKind::Min, {}, 8},
            FieldSpec{"last_check_out", FieldType::Timestamp, MergeKind::Max, {}, 8},
        }));
    return schema;
}

/// A simulated device: its own id, wall clock, HLC clock and sequence counter.
class TestDevice {
public:
    /// A device whose clock reads `offsetMs` away from kEpochMs; ids come from `seed`.
    explicit TestDevice(std::uint64_t seed, std::string author = "user", std::int64_t offsetMs = 0)
        : _clock(kEpochMs + offsetMs),
          _ids(_clock, seed),
          _id(_ids.nextDeviceId()),
          _hlc(_clock, shared::nodeIdOf(_id), std::nullopt),
          _author(std::move(author)) {}

    const shared::DeviceId& id() const { return _id; }
    shared::ManualClock& clock() { return _clock; }
    shared::HlcClock& hlc() { return _hlc; }
    shared::RecordId newRecordId() { return _ids.nextRecordId(); }

    /// A change of `operation` stamped now with the next sequence number.
    shared::Change change(std::string collection, const shared::RecordId& record, std::string field,
                          shared::Operation operation, shared::Value value,
                          std::optional<shared::Hlc> base = std::nullopt) {
        _clock.advance(1);
        shared::Change change;
        change.collection = std::move(collection);
        change.recordId = record;
        change.field = std::move(field);
        change.operation = operation;
        change.value = std::move(value);
        change.hlc = _hlc.now();
        change.baseVersion = base;
        change.deviceId = _id;
        change.deviceSeq = ++_seq;
        change.author = _author;
        return change;
    }

    /// A Set change.
    shared::Change set(std::string collection, const shared::RecordId& record, std::string field,
                       shared::Value value, std::optional<shared::Hlc> base = std::nullopt) {
        return change(std::move(collection), record, std::move(field), shared::Operation::Set,
                      std::move(value), base);
    }

private:
    shared::ManualClock _clock;
    shared::IdGenerator _ids;
    shared::DeviceId _id;
    shared::HlcClock _hlc;
    std::string _author;
    std::uint64_t _seq = 0;
};

}  // namespace verdant::testing
