#include "verdant/training/AttendanceOutcome.hpp"
#include "verdant/training/Collections.hpp"
#include "verdant/training/TrainingRules.hpp"

#include <gtest/gtest.h>

namespace verdant::training {
namespace {

constexpr std::int64_t kStart = 1'800'000'000'000;
constexpr std::int64_t kMinute = 60'000;
const SessionStart kTenMinutesGrace{kStart, 10};

TEST(AttendanceOutcome, OnTimeUpToTheGraceAndLateAfterIt) {
    EXPECT_EQ(outcomeAtEnd("checked_in", kStart - kMinute, kTenMinutesGrace), "present");
    EXPECT_EQ(outcomeAtEnd("attended", kStart + 10 * kMinute, kTenMinutesGrace), "present");
    EXPECT_EQ(outcomeAtEnd("checked_in", kStart + 10 * kMinute + 1, kTenMinutesGrace), "late");
    EXPECT_EQ(outcomeAtEnd("checked_in", kStart + 1, SessionStart{kStart, std::nullopt}), "late")
        << "no grace period: late from the start";
}

TEST(AttendanceOutcome, ARegisteredPersonNeverCheckedInIsANoShow) {
    EXPECT_EQ(outcomeAtEnd("registered", std::nullopt, kTenMinutesGrace), "no_show");
    EXPECT_EQ(outcomeAtEnd("registered", kStart + 30 * kMinute, kTenMinutesGrace), "late")
        << "a check-in time counts even before its state arrives";
}

TEST(AttendanceOutcome, NobodyWithoutASeatGetsAnOutcome) {
    for (const char* state : {"cancelled", "waitlisted", "invited", ""}) {
        EXPECT_EQ(outcomeAtEnd(state, std::nullopt, kTenMinutesGrace), std::nullopt) << state;
    }
}

shared::Change outcomeChange(const std::string& field, const std::string& value) {
    shared::Change change;
    change.collection = collections::kAttendance;
    change.field = field;
    change.operation = shared::Operation::Set;
    change.value = shared::Value::string(value);
    return change;
}

TEST(AttendanceOutcome, AnOutcomeSetByHandNeedsAReasonInTheSameAction) {
    const auto excused = outcomeChange("outcome", "excused");
    EXPECT_EQ(outcomeReasonRefusal(excused, std::nullopt)->code,
              shared::ErrorCode::OutcomeReasonRequired);
    EXPECT_EQ(outcomeReasonRefusal(excused, std::string(" \t"))->code,
              shared::ErrorCode::OutcomeReasonRequired);
    EXPECT_EQ(outcomeReasonRefusal(excused, std::string("sick note")), std::nullopt);
    EXPECT_EQ(outcomeReasonRefusal(outcomeChange("outcome_reason", "x"), std::nullopt),
              std::nullopt);
}

}  // namespace
}  // namespace verdant::training
