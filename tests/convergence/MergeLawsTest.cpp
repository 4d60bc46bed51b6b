// The merge functions are a join: commutative, associative and idempotent for every merge kind,
// checked on random states built from random writes (clustered timestamps, so ties are common).

#include "PropertyCheck.hpp"

#include "verdant/shared/Schema.hpp"
#include "verdant/sync/Merge.hpp"

#include <gtest/gtest.h>
#include <rapidcheck.h>

#include <random>

namespace verdant::sync {
namespace {

using shared::Change;
using shared::FieldSpec;
using shared::FieldType;
using shared::Hlc;
using shared::MergeKind;
using shared::Operation;
using shared::Value;

constexpr int kCasesPerKind = 200;

struct StateFactory {
    std::mt19937_64 random;
    std::uint64_t nextSeq = 1;

    std::size_t pick(std::size_t size) {
        return std::uniform_int_distribution<std::size_t>(0, size - 1)(random);
    }

    Hlc randomHlc(std::uint64_t device) {
        return Hlc{1000 + pick(4), static_cast<std::uint16_t>(pick(3)), device};
    }

    Change randomChange(const FieldSpec& field) {
        Change change;
        change.collection = "c";
        change.field = field.name;
        const std::uint64_t device = 1 + pick(3);
        shared::DeviceId::Bytes bytes{};
        bytes[15] = static_cast<std::uint8_t>(device);
        change.deviceId = shared::DeviceId(bytes);
        change.deviceSeq = nextSeq++;  // distinct changes never share a key
        change.author = "u" + std::to_string(device);
        change.hlc = randomHlc(device);
        if (pick(3) != 0) {
            Hlc base = randomHlc(1 + pick(3));
            if (base < change.hlc) {
                change.baseVersion = base;
            }
        }
        switch (field.merge) {
            case MergeKind::AddWinsSet:
                change.operation = pick(2) == 0 ? Operation::Add : Operation::Remove;
                change.value = Value::string(std::string(1, static_cast<char>('a' + pick(3))));
                break;
            case MergeKind::MonotoneState:
                change.operation = pick(5) == 0 ? Operation::Reopen : Operation::Set;
                change.value = Value::string(field.enumValues[pick(field.enumValues.size())]);
                break;
            default:
                change.value = Value::integer(static_cast<std::int64_t>(pick(3)));
                break;
        }
        return change;
    }

    FieldState randomState(const FieldSpec& field) {
        FieldState state;
        for (std::size_t i = 0, n = pick(5); i < n; ++i) {
            mergeInto(field, state, stateOf(field, randomChange(field)));
        }
        return state;
    }
};

void checkLaws(const FieldSpec& field) {
    testing::checkProperty(kCasesPerKind, [&field] {
        StateFactory factory{std::mt19937_64(*rc::gen::arbitrary<std::uint64_t>()), 1};
        const FieldState a = factory.randomState(field);
        const FieldState b = factory.randomState(field);
        const FieldState c = factory.randomState(field);
        RC_ASSERT(merge(field, a, b) == merge(field, b, a));
        RC_ASSERT(merge(field, merge(field, a, b), c) == merge(field, a, merge(field, b, c)));
        RC_ASSERT(merge(field, a, a) == a);
        RC_ASSERT(merge(field, merge(field, a, b), b) == merge(field, a, b));
    });
}

const std::vector<std::string> kStates = {"invited", "registered", "cancelled", "checked_in"};

TEST(MergeLaws, LastWriterWinsIsAJoin) {
    checkLaws({"f", FieldType::Int, MergeKind::LastWriterWins, {}, 8});
}
TEST(MergeLaws, ReviewedRegisterIsAJoin) {
    checkLaws({"f", FieldType::Int, MergeKind::ReviewedRegister, {}, 8});
}
TEST(MergeLaws, AddWinsSetIsAJoin) {
    checkLaws({"f", FieldType::StringSet, MergeKind::AddWinsSet, {}, 8});
}
TEST(MergeLaws, MonotoneStateIsAJoin) {
    checkLaws({"f", FieldType::Enum, MergeKind::MonotoneState, kStates, 16});
}
TEST(MergeLaws, MinIsAJoin) {
    checkLaws({"f", FieldType::Int, MergeKind::Min, {}, 8});
}
TEST(MergeLaws, MaxIsAJoin) {
    checkLaws({"f", FieldType::Int, MergeKind::Max, {}, 8});
}
TEST(MergeLaws, ImmutableIsAJoin) {
    checkLaws({"f", FieldType::Int, MergeKind::Immutable, {}, 8});
}

TEST(MergeLaws, TombstoneIsAJoin) {
    testing::checkProperty(kCasesPerKind, [] {
        StateFactory factory{std::mt19937_64(*rc::gen::arbitrary<std::uint64_t>()), 1};
        const FieldSpec field{"", FieldType::Int, MergeKind::LastWriterWins, {}, 8};
        auto randomRecordState = [&] {
            RecordState state;
            for (std::size_t i = 0, n = factory.pick(4); i < n; ++i) {
                Change change = factory.randomChange(field);
                change.operation = factory.pick(2) == 0 ? Operation::Delete : Operation::Restore;
                mergeTombstone(state, recordStateOf(change));
            }
            return state;
        };
        const RecordState a = randomRecordState();
        const RecordState b = randomRecordState();
        RecordState ab = a;
        mergeTombstone(ab, b);
        RecordState ba = b;
        mergeTombstone(ba, a);
        RC_ASSERT(ab == ba);
        RecordState aa = a;
        mergeTombstone(aa, a);
        RC_ASSERT(aa == a);
    });
}

}  // namespace
}  // namespace verdant::sync
