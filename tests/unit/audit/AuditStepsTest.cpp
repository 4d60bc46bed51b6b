// The audit and corrective-action workflow steps (shared/domain/audit): who may take which step
// from where.

#include "verdant/audit/AuditSteps.hpp"

#include <gtest/gtest.h>

namespace verdant {
namespace {

using audit::auditTransitionRefusal;
using audit::capTransitionRefusal;
using shared::ErrorCode;
using shared::Operation;

std::optional<ErrorCode> auditStep(std::optional<std::string_view> from, std::string_view to,
                                   bool hq, Operation operation = Operation::Set) {
    const auto refusal = auditTransitionRefusal(from, to, operation, hq);
    return refusal ? std::optional(refusal->code) : std::nullopt;
}

std::optional<ErrorCode> capStep(std::optional<std::string_view> from, std::string_view to,
                                 bool hq) {
    const auto refusal = capTransitionRefusal(from, to, hq);
    return refusal ? std::optional(refusal->code) : std::nullopt;
}

TEST(AuditSteps, AFieldExpertStartsSubmitsAndResubmitsButNeverDecides) {
    EXPECT_FALSE(auditStep("scheduled", "in_progress", false));
    EXPECT_FALSE(auditStep("in_progress", "submitted", false));
    EXPECT_FALSE(auditStep("returned", "submitted", false)) << "resubmitting a returned audit";
    EXPECT_FALSE(auditStep("submitted", "submitted", false)) << "a repeat moves nothing";
    EXPECT_EQ(auditStep("submitted", "approved", false), ErrorCode::Forbidden);
    EXPECT_EQ(auditStep("in_progress", "under_review", false), ErrorCode::Forbidden);
    EXPECT_EQ(auditStep("submitted", "in_progress", false, Operation::Reopen),
              ErrorCode::Forbidden);
    EXPECT_FALSE(auditStep("submitted", "in_progress", false))
        << "a late 'start' is let through: the monotone merge keeps 'submitted', nothing moves";
    EXPECT_EQ(auditStep("approved", "submitted", false), ErrorCode::AuditLocked)
        << "a decided audit is not submitted again; HQ reopens it if it must";
    EXPECT_EQ(auditStep("closed", "in_progress", false), ErrorCode::AuditLocked);
    EXPECT_EQ(auditStep("submitted", "returned", false), ErrorCode::Forbidden);
}

TEST(AuditSteps, HqReviewsReturnsApprovesAndClosesInOrder) {
    EXPECT_FALSE(auditStep(std::nullopt, "scheduled", true));
    EXPECT_FALSE(auditStep("submitted", "under_review", true));
    EXPECT_FALSE(auditStep("under_review", "approved", true));
    EXPECT_FALSE(auditStep("submitted", "approved", true));
    EXPECT_FALSE(auditStep("approved", "closed", true));
    EXPECT_FALSE(auditStep("under_review", "returned", true, Operation::Reopen));
    EXPECT_FALSE(auditStep("submitted", "returned", true, Operation::Reopen));
    EXPECT_EQ(auditStep("in_progress", "returned", true, Operation::Reopen),
              ErrorCode::InvalidTransition)
        << "only a submitted audit is returned";
    EXPECT_EQ(auditStep("under_review", "returned", true), ErrorCode::InvalidTransition)
        << "returning is a reopen, not a set";
    EXPECT_EQ(auditStep("in_progress", "approved", true), ErrorCode::InvalidTransition)
        << "nothing is approved before it was submitted";
    EXPECT_EQ(auditStep("submitted", "closed", true), ErrorCode::InvalidTransition);
    EXPECT_FALSE(auditStep("approved", "under_review", true)) << "a no-op under the merge";
    EXPECT_FALSE(auditStep("approved", "under_review", true, Operation::Reopen));
}

TEST(AuditSteps, APlanMovesDraftSubmittedDecidedWorkedVerified) {
    EXPECT_FALSE(capStep(std::nullopt, "draft", false));
    EXPECT_FALSE(capStep("draft", "submitted", false));
    EXPECT_EQ(capStep("submitted", "approved", false), ErrorCode::Forbidden);
    EXPECT_FALSE(capStep("submitted", "approved", true));
    EXPECT_FALSE(capStep("submitted", "rejected", true));
    EXPECT_FALSE(capStep("rejected", "submitted", false)) << "revised and sent again";
    EXPECT_FALSE(capStep("approved", "in_progress", false));
    EXPECT_FALSE(capStep("in_progress", "evidence_submitted", false));
    EXPECT_FALSE(capStep("evidence_submitted", "verified", true));
    EXPECT_FALSE(capStep("evidence_submitted", "reopened", true));
    EXPECT_FALSE(capStep("reopened", "evidence_submitted", false));
    EXPECT_EQ(capStep("draft", "in_progress", false), ErrorCode::InvalidTransition);
    EXPECT_EQ(capStep("draft", "verified", true), ErrorCode::InvalidTransition)
        << "HQ too follows the plan's steps";
    EXPECT_EQ(capStep("evidence_submitted", "verified", false), ErrorCode::Forbidden);
}

}  // namespace
}  // namespace verdant
