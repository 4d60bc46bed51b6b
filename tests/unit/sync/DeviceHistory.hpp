#pragma once

// A device-shaped schema (audits as scope roots, answers in the audit they name, attendance) and
// random histories of valid changes over it, for the store's property tests.

#include "SyncFixtures.hpp"

#include "verdant/shared/Change.hpp"
#include "verdant/shared/Schema.hpp"
#include "verdant/sync/Store.hpp"

#include <random>
#include <string>
#include <string_view>
#include <vector>

namespace verdant::sync {

using shared::Change;
using shared::CollectionSpec;
using shared::FieldSpec;
using shared::FieldType;
using shared::Hlc;
using shared::MergeKind;
using shared::Operation;
using shared::RecordId;
using shared::ScopeRule;
using shared::Value;
using testing::TestDevice;

inline constexpr std::int64_t kHourMs = 3'600'000;

/// Audits are scope roots; answers belong to the audit they name; attendance rows are their own
/// scope. Every merge kind appears at least once.
inline shared::Schema deviceSchema() {
    return shared::Schema({
        CollectionSpec(
            "answers",
            {
                FieldSpec{"audit_id", FieldType::IdRef, MergeKind::Immutable, {}, 16},
                FieldSpec{"answer", FieldType::String, MergeKind::ReviewedRegister, {}, 64},
                FieldSpec{"note", FieldType::String, MergeKind::LastWriterWins, {}, 64},
                FieldSpec{"tags", FieldType::StringSet, MergeKind::AddWinsSet, {}, 64},
                FieldSpec{"created_at", FieldType::Timestamp, MergeKind::Immutable, {}, 8},
            },
            ScopeRule::parent("audit_id", "audits")),
        CollectionSpec("attendance",
                       {
                           FieldSpec{"status",
                                     FieldType::Enum,
                                     MergeKind::MonotoneState,
                                     {"invited", "registered", "cancelled", "checked_in"},
                                     32},
                           FieldSpec{"first_check_in", FieldType::Timestamp, MergeKind::Min, {}, 8},
                       }),
        CollectionSpec(
            "audits",
            {
                FieldSpec{"title", FieldType::String, MergeKind::LastWriterWins, {}, 64},
                FieldSpec{"auditors", FieldType::StringSet, MergeKind::AddWinsSet, {}, 64},
            }),
    });
}

inline Store deviceStore(StoreOptions options = {}) {
    return Store(":memory:", deviceSchema(), std::move(options));
}

inline std::string keyOf(const RecordId& audit) {
    return shared::scopeKey("audits", audit);
}

/// A random history over two audits, three answers and one attendee, written by a tablet, an
/// office device and an HQ reviewer with slightly different clocks.
class RandomHistory {
public:
    explicit RandomHistory(std::uint32_t seed)
        : _random(seed),
          _tablet(1, "lead", pick(0, 1) == 0 ? 0 : kHourMs),
          _office(2, "office", pick(-2'000, 2'000)),
          _reviewer(3, "hq", pick(-2'000, 2'000)) {
        for (int i = 0; i < 2; ++i) {
            _audits.push_back(_tablet.newRecordId());
        }
        for (int i = 0; i < 3; ++i) {
            _answers.push_back(_tablet.newRecordId());
        }
        _attendee = _tablet.newRecordId();
    }

    int pick(int low, int high) { return std::uniform_int_distribution<int>(low, high)(_random); }
    std::mt19937& random() { return _random; }
    TestDevice& tablet() { return _tablet; }
    const std::vector<RecordId>& audits() const { return _audits; }
    const std::vector<RecordId>& answers() const { return _answers; }

    /// One valid change by a random device; its base (if any) is the world's current version.
    Change next(Store& world) {
        TestDevice& device = pick(0, 2) == 0 ? _office : (pick(0, 3) == 0 ? _reviewer : _tablet);
        const RecordId& audit = _audits[static_cast<std::size_t>(pick(0, 1))];
        const RecordId& answer = _answers[static_cast<std::size_t>(pick(0, 2))];
        const auto baseOf = [&](std::string_view collection, const RecordId& id,
                                std::string_view field) -> std::optional<Hlc> {
            if (pick(0, 2) == 0) {
                return std::nullopt;  // concurrent: had not seen the field
            }
            auto base = world.fieldVersion(collection, id, field);
            if (base) {
                device.hlc().receive(*base);
            }
            return base;
        };
        const std::string word = std::string(1, static_cast<char>('a' + pick(0, 3)));
        switch (pick(0, 10)) {
            case 0:
                return device.set("audits", audit, "title", Value::string(word),
                                  baseOf("audits", audit, "title"));
            case 1:
                return device.change("audits", audit, "auditors",
                                     pick(0, 1) == 0 ? Operation::Add : Operation::Remove,
                                     Value::string(word), baseOf("audits", audit, "auditors"));
            case 2:
                return device.set("answers", answer, "audit_id",
                                  Value::id(_audits[static_cast<std::size_t>(pick(0, 1))]));
            case 3:
            case 4:
                return device.set("answers", answer, "answer", Value::string(word),
                                  baseOf("answers", answer, "answer"));
            case 5:
                return device.set("answers", answer, "note", Value::string(word),
                                  baseOf("answers", answer, "note"));
            case 6:
                return device.change("answers", answer, "tags",
                                     pick(0, 1) == 0 ? Operation::Add : Operation::Remove,
                                     Value::string(word), baseOf("answers", answer, "tags"));
            case 7:
                return device.set("answers", answer, "created_at", Value::timestamp(pick(1, 3)));
            case 8: {
                const bool ofAnswer = pick(0, 1) == 0;
                const auto operation = pick(0, 1) == 0 ? Operation::Delete : Operation::Restore;
                return device.change(ofAnswer ? "answers" : "audits", ofAnswer ? answer : audit, "",
                                     operation, Value::null());
            }
            case 9: {
                static const char* const kStates[] = {"invited", "registered", "cancelled",
                                                      "checked_in"};
                const auto state = Value::string(kStates[pick(0, 3)]);
                return device.change("attendance", _attendee, "status",
                                     pick(0, 4) == 0 ? Operation::Reopen : Operation::Set, state,
                                     baseOf("attendance", _attendee, "status"));
            }
            default:
                return device.set("attendance", _attendee, "first_check_in",
                                  Value::timestamp(pick(1, 5)));
        }
    }

private:
    std::mt19937 _random;
    TestDevice _tablet;
    TestDevice _office;
    TestDevice _reviewer;
    std::vector<RecordId> _audits;
    std::vector<RecordId> _answers;
    RecordId _attendee;
};

}  // namespace verdant::sync
