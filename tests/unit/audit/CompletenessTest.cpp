// The completeness rule: an audit may be submitted only when every question of its template
// version is answered, marked N/A, or marked not reviewed with a reason.

#include "verdant/audit/Completeness.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

namespace verdant {
namespace {

using audit::AnswerMarks;
using shared::Value;

audit::ChecklistTemplate templateV1() {
    std::ifstream file(std::string(VERDANT_TEST_DATA_DIR) + "/template-gsc-environment-v1.json");
    std::stringstream text;
    text << file.rdbuf();
    return *audit::ChecklistTemplate::parse(text.str());
}

AnswerMarks answered(const std::string& answer) {
    AnswerMarks marks;
    marks.take("value", Value::json(R"({"answer":)" + answer + "}"));
    return marks;
}

/// Every question of `checklist` answered "yes".
std::map<std::string, AnswerMarks> allYes(const audit::ChecklistTemplate& checklist) {
    std::map<std::string, AnswerMarks> answers;
    for (const auto& id : checklist.questionIds()) {
        answers[id] = answered(R"("yes")");
    }
    return answers;
}

TEST(Completeness, AnAuditWithFiveOfTwentyThreeAnsweredCannotBeSubmitted) {
    const auto checklist = templateV1();
    ASSERT_EQ(checklist.questionIds().size(), 23U);
    std::map<std::string, AnswerMarks> answers;
    for (std::size_t i = 0; i < 5; ++i) {
        answers[checklist.questionIds()[i]] = answered(R"("yes")");
    }
    const auto completeness = audit::completenessOf(checklist, answers);
    EXPECT_EQ(completeness.answered, 5U);
    EXPECT_EQ(completeness.applicable(), 23U);
    ASSERT_EQ(completeness.missing.size(), 18U);
    EXPECT_EQ(completeness.missing.front(), checklist.questionIds()[5]) << "in template order";
    const auto refusal = audit::submissionRefusal(completeness);
    ASSERT_TRUE(refusal);
    EXPECT_EQ(refusal->code, shared::ErrorCode::InvalidTransition);
    EXPECT_NE(refusal->message.find("18 of 23"), std::string::npos) << refusal->message;
}

TEST(Completeness, EveryQuestionAnsweredIsComplete) {
    const auto checklist = templateV1();
    const auto completeness = audit::completenessOf(checklist, allYes(checklist));
    EXPECT_TRUE(completeness.complete());
    EXPECT_EQ(completeness.answered, 23U);
    EXPECT_FALSE(audit::submissionRefusal(completeness));
}

TEST(Completeness, NotApplicableCountsAsDoneAndLeavesTheApplicableCount) {
    const auto checklist = templateV1();
    auto answers = allYes(checklist);
    answers[checklist.questionIds()[0]] = answered(R"("na")");
    answers[checklist.questionIds()[1]] = AnswerMarks{};
    answers[checklist.questionIds()[1]].take("result", Value::string("not_applicable"));
    const auto completeness = audit::completenessOf(checklist, answers);
    EXPECT_TRUE(completeness.complete());
    EXPECT_EQ(completeness.notApplicable, 2U);
    EXPECT_EQ(completeness.applicable(), 21U);
}

TEST(Completeness, NotReviewedNeedsAReason) {
    const auto checklist = templateV1();
    auto answers = allYes(checklist);
    const auto& question = checklist.questionIds()[3];
    answers[question] = AnswerMarks{};
    answers[question].take("result", Value::string("not_reviewed"));
    answers[question].take("comment", Value::string("  "));
    EXPECT_EQ(audit::completenessOf(checklist, answers).missing, std::vector<std::string>{question})
        << "a blank reason is no reason";
    answers[question].take("comment", Value::string("Site closed for the holiday"));
    const auto completeness = audit::completenessOf(checklist, answers);
    EXPECT_TRUE(completeness.complete());
    EXPECT_EQ(completeness.notReviewed, 1U);
}

TEST(Completeness, AClearedAnswerIsMissingAgainAndForeignQuestionsDoNotCount) {
    const auto checklist = templateV1();
    auto answers = allYes(checklist);
    answers[checklist.questionIds()[7]].take("value", Value::null());
    answers["X.9.9"] = answered(R"("yes")");
    const auto completeness = audit::completenessOf(checklist, answers);
    EXPECT_EQ(completeness.missing, std::vector<std::string>{checklist.questionIds()[7]});
    EXPECT_EQ(completeness.questions, 23U);
}

TEST(Completeness, TheRefusalNamesAFewOpenQuestionsNotAll) {
    const auto checklist = templateV1();
    const auto refusal = audit::submissionRefusal(audit::completenessOf(checklist, {}));
    ASSERT_TRUE(refusal);
    EXPECT_NE(refusal->message.find("23 of 23"), std::string::npos);
    EXPECT_EQ(refusal->message.find(checklist.questionIds()[5]), std::string::npos)
        << refusal->message;
}

}  // namespace
}  // namespace verdant
