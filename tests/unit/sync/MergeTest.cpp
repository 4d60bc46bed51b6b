#include "SyncFixtures.hpp"

#include "verdant/sync/Merge.hpp"

#include <gtest/gtest.h>

namespace verdant::sync {
namespace {

using shared::Change;
using shared::Operation;
using shared::Value;
using testing::TestDevice;

const shared::Schema& schema() {
    static const shared::Schema kSchema = testing::testSchema();
    return kSchema;
}

const shared::FieldSpec& spec(const Change& change) {
    return *schema().fieldOf(change);
}

/// Merges the changes in the given order into an empty state.
FieldState fold(const std::vector<Change>& changes) {
    FieldState state;
    for (const auto& change : changes) {
        mergeInto(spec(change), state, stateOf(spec(change), change));
    }
    return state;
}

TEST(LastWriterWins, HigherKeyWinsWhateverTheOrder) {
    TestDevice a(1), b(2, "b", 10);
    const auto record = a.newRecordId();
    const auto first = a.set("answers", record, "note", Value::string("first"));
    const auto second = b.set("answers", record, "note", Value::string("second"));
    const auto& field = spec(first);
    EXPECT_EQ(visibleValue(field, fold({first, second})), Value::string("second"));
    EXPECT_EQ(fold({first, second}), fold({second, first}));
}

TEST(LastWriterWins, EqualTimestampsAreBrokenByTheNode) {
    TestDevice a(1), b(2);
    const auto record = a.newRecordId();
    auto x = a.set("answers", record, "note", Value::string("x"));
    auto y = b.set("answers", record, "note", Value::string("y"));
    y.hlc.physicalMs = x.hlc.physicalMs;
    y.hlc.logical = x.hlc.logical;
    const Value expected = x.hlc.node > y.hlc.node ? Value::string("x") : Value::string("y");
    EXPECT_EQ(visibleValue(spec(x), fold({x, y})), expected);
    EXPECT_EQ(visibleValue(spec(x), fold({y, x})), expected);
}

TEST(ReviewedRegister, ConcurrentEditsKeepBothValuesInAConflict) {
    TestDevice lead(1, "lead"), coAuditor(2, "co-auditor", 10);
    const auto record = lead.newRecordId();
    const auto yes = lead.set("answers", record, "answer", Value::string("yes"));
    const auto no = coAuditor.set("answers", record, "answer", Value::string("no"));
    const auto& field = spec(yes);
    const FieldState state = fold({yes, no});
    ASSERT_TRUE(hasConflict(field, state));
    const auto conflict = conflictOf(field, state, "answers", record);
    ASSERT_TRUE(conflict.has_value());
    ASSERT_EQ(conflict->candidates.size(), 2U);
    EXPECT_EQ(conflict->candidates[0].value, Value::string("yes"));
    EXPECT_EQ(conflict->candidates[0].author, "lead");
    EXPECT_EQ(conflict->candidates[1].value, Value::string("no"));
    EXPECT_EQ(conflict->candidates[1].device, coAuditor.id());
    EXPECT_EQ(fold({no, yes}), state);
}

TEST(ReviewedRegister, SequentialEditsDoNotConflict) {
    TestDevice lead(1), coAuditor(2);
    const auto record = lead.newRecordId();
    const auto yes = lead.set("answers", record, "answer", Value::string("yes"));
    coAuditor.hlc().receive(yes.hlc);  // the co-auditor synced and saw "yes"
    const auto no = coAuditor.set("answers", record, "answer", Value::string("no"), yes.hlc);
    const auto& field = spec(yes);
    EXPECT_FALSE(hasConflict(field, fold({yes, no})));
    EXPECT_FALSE(hasConflict(field, fold({no, yes})));
    EXPECT_EQ(visibleValue(field, fold({no, yes})), Value::string("no"));
}

TEST(ReviewedRegister, AResolutionWhoseBaseCoversEveryCandidateClearsTheConflict) {
    TestDevice lead(1), coAuditor(2), reviewer(3);
    const auto record = lead.newRecordId();
    const auto yes = lead.set("answers", record, "answer", Value::string("yes"));
    const auto no = coAuditor.set("answers", record, "answer", Value::string("no"));
    const auto& field = spec(yes);
    const auto version = fold({yes, no}).version;
    reviewer.hlc().receive(*version);
    const auto resolved =
        reviewer.set("answers", record, "answer", Value::string("partly"), version);
    for (const auto& order : {std::vector{yes, no, resolved}, std::vector{resolved, no, yes},
                              std::vector{no, resolved, yes}}) {
        const FieldState state = fold(order);
        EXPECT_FALSE(hasConflict(field, state));
        EXPECT_EQ(visibleValue(field, state), Value::string("partly"));
    }
}

TEST(ReviewedRegister, AResolutionThatMissedALaterWriteKeepsTheConflict) {
    TestDevice lead(1), coAuditor(2), reviewer(3);
    const auto record = lead.newRecordId();
    const auto yes = lead.set("answers", record, "answer", Value::string("yes"));
    const auto no = coAuditor.set("answers", record, "answer", Value::string("no"));
    reviewer.hlc().receive(no.hlc);
    const auto resolved = reviewer.set("answers", record, "answer", Value::string("no"), no.hlc);
    lead.clock().advance(10);
    const auto late = lead.set("answers", record, "answer", Value::string("n/a"), yes.hlc);
    const FieldState state = fold({yes, no, resolved, late});
    ASSERT_TRUE(hasConflict(spec(yes), state));
    EXPECT_EQ(state.writes.size(), 2U);  // the resolution and the write it had not seen
}

TEST(AddWinsSet, ConcurrentAddAndRemoveKeepsTheElement) {
    TestDevice a(1), b(2);
    const auto record = a.newRecordId();
    const auto add = a.change("answers", record, "tags", Operation::Add, Value::string("smoke"));
    b.hlc().receive(add.hlc);
    const auto remove =
        b.change("answers", record, "tags", Operation::Remove, Value::string("smoke"), add.hlc);
    const auto readd = a.change("answers", record, "tags", Operation::Add, Value::string("smoke"),
                                add.hlc);  // concurrent with the remove
    EXPECT_EQ(visibleElements(fold({add, remove, readd})), std::vector<std::string>{"smoke"});
    EXPECT_EQ(visibleElements(fold({readd, remove, add})), std::vector<std::string>{"smoke"});
}

TEST(AddWinsSet, RemovingAnObservedAddRemovesTheElement) {
    TestDevice a(1), b(2);
    const auto record = a.newRecordId();
    const auto add = a.change("answers", record, "tags", Operation::Add, Value::string("smoke"));
    const auto other = a.change("answers", record, "tags", Operation::Add, Value::string("water"));
    b.hlc().receive(other.hlc);
    const auto remove =
        b.change("answers", record, "tags", Operation::Remove, Value::string("smoke"), other.hlc);
    EXPECT_EQ(visibleElements(fold({remove, other, add})), std::vector<std::string>{"water"});
}

TEST(MonotoneState, CheckInBeatsAConcurrentCancellationWhateverTheClocks) {
    TestDevice door(1), web(2, "web", 60'000);  // the web's clock is a minute ahead
    const auto record = door.newRecordId();
    const auto checkIn = door.set("attendance", record, "status", Value::string("checked_in"));
    const auto cancel = web.set("attendance", record, "status", Value::string("cancelled"));
    ASSERT_GT(cancel.hlc, checkIn.hlc);
    const auto& field = spec(checkIn);
    EXPECT_EQ(visibleValue(field, fold({checkIn, cancel})), Value::string("checked_in"));
    EXPECT_EQ(visibleValue(field, fold({cancel, checkIn})), Value::string("checked_in"));
}

TEST(MonotoneState, ReopenGoesBackOverWhatItSawAndLaterMovesGoForwardAgain) {
    TestDevice door(1), coordinator(2);
    const auto record = door.newRecordId();
    const auto attended = door.set("attendance", record, "status", Value::string("attended"));
    coordinator.hlc().receive(attended.hlc);
    const auto reopen = coordinator.change("attendance", record, "status", Operation::Reopen,
                                           Value::string("registered"), attended.hlc);
    const auto& field = spec(attended);
    EXPECT_EQ(visibleValue(field, fold({attended, reopen})), Value::string("registered"));
    door.hlc().receive(reopen.hlc);
    const auto checkIn = door.set("attendance", record, "status", Value::string("checked_in"));
    EXPECT_EQ(visibleValue(field, fold({checkIn, reopen, attended})), Value::string("checked_in"));
}

TEST(MinMaxRegisters, FirstCheckInIsTheEarliestAndLastCheckOutTheLatest) {
    TestDevice door1(1), door2(2);
    const auto record = door1.newRecordId();
    const auto in1 = door1.set("attendance", record, "first_check_in", Value::timestamp(9'000));
    const auto in2 = door2.set("attendance", record, "first_check_in", Value::timestamp(8'500));
    const auto out1 = door1.set("attendance", record, "last_check_out", Value::timestamp(17'000));
    const auto out2 = door2.set("attendance", record, "last_check_out", Value::timestamp(16'000));
    EXPECT_EQ(visibleValue(spec(in1), fold({in1, in2})), Value::timestamp(8'500));
    EXPECT_EQ(visibleValue(spec(in1), fold({in2, in1})), Value::timestamp(8'500));
    EXPECT_EQ(visibleValue(spec(out1), fold({out1, out2})), Value::timestamp(17'000));
    EXPECT_EQ(visibleValue(spec(out1), fold({out2, out1})), Value::timestamp(17'000));
}

TEST(ImmutableField, TheFirstWriteStandsWhateverTheOrder) {
    TestDevice a(1), b(2, "b", 10);
    const auto record = a.newRecordId();
    const auto first = a.set("answers", record, "created_at", Value::timestamp(1));
    const auto second = b.set("answers", record, "created_at", Value::timestamp(2));
    EXPECT_EQ(visibleValue(spec(first), fold({second, first})), Value::timestamp(1));
    EXPECT_EQ(visibleValue(spec(first), fold({first, second})), Value::timestamp(1));
}

TEST(Tombstone, ADeletedRecordStaysDeletedUnlessANewerRestoreExists) {
    TestDevice a(1), b(2);
    const auto record = a.newRecordId();
    const auto restoreBefore = b.change("answers", record, "", Operation::Restore, Value::null());
    const auto del = a.change("answers", record, "", Operation::Delete, Value::null());
    RecordState state = recordStateOf(del);
    mergeTombstone(state, recordStateOf(restoreBefore));
    EXPECT_TRUE(state.deleted());
    b.hlc().receive(del.hlc);
    const auto restoreAfter = b.change("answers", record, "", Operation::Restore, Value::null());
    mergeTombstone(state, recordStateOf(restoreAfter));
    EXPECT_FALSE(state.deleted());
}

TEST(MergeLaws, MergingIsIdempotentForEveryKind) {
    TestDevice a(1), b(2);
    const auto record = a.newRecordId();
    const std::vector<Change> changes = {
        a.set("answers", record, "answer", Value::string("x")),
        b.set("answers", record, "answer", Value::string("y")),
        a.change("answers", record, "tags", Operation::Add, Value::string("t")),
        a.set("attendance", record, "status", Value::string("registered")),
        a.set("attendance", record, "first_check_in", Value::timestamp(5)),
        a.set("attendance", record, "last_check_out", Value::timestamp(5)),
        a.set("answers", record, "created_at", Value::timestamp(5)),
    };
    for (const auto& change : changes) {
        const auto& field = spec(change);
        const FieldState state = fold({change});
        EXPECT_EQ(merge(field, state, state), state) << change.field;
    }
}

}  // namespace
}  // namespace verdant::sync
