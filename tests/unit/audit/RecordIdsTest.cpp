// Ids every device must make alike: an answer per audit and question (audit), an invitation per
// session and supplier (training). Pinned, since a build that made them differently would split
// one answer into two records the day tablets of two versions meet.

#include "verdant/audit/Collections.hpp"
#include "verdant/training/Collections.hpp"

#include <gtest/gtest.h>

namespace verdant {
namespace {

shared::RecordId id(const char* text) {
    return *shared::RecordId::parse(text);
}

TEST(NameBasedIds, AnAnswersIdIsThePinnedVersion8UuidOfItsAuditAndQuestion) {
    const auto audit = id("0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b");
    EXPECT_EQ(audit::answerRecordId(audit, "C.1.1").toString(),
              "c3399fcf-1933-8c82-8691-7fd5a8989290");
    EXPECT_NE(audit::answerRecordId(audit, "C.1.2"), audit::answerRecordId(audit, "C.1.1"));
}

TEST(NameBasedIds, AnInvitationsIdIsThePinnedVersion8UuidOfItsSessionAndSupplier) {
    EXPECT_EQ(training::invitationRecordId(id("0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a01"),
                                           id("0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a02"))
                  .toString(),
              "09f77de0-f5d1-8bfe-8ebf-fcdca886ba29");
}

}  // namespace
}  // namespace verdant
