// The audit and corrective-action workflow rules, the push gate that applies them, and what the
// server derives from an audit: per-question results, its score, its amendments, due dates.

#include "SyncFixtures.hpp"

#include "verdant/audit/ChecklistTemplate.hpp"
#include "verdant/domain/DomainSchema.hpp"
#include "verdant/server/audit/AuditWorkflow.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

namespace verdant {
namespace {

using shared::ErrorCode;
using shared::Operation;
using shared::RecordId;
using shared::ResultClass;
using shared::Value;
namespace c = audit::collections;

constexpr std::int64_t kDayMs = 24LL * 60 * 60 * 1000;

std::string sharedTemplate(int version) {
    std::ifstream file(std::string(VERDANT_TEST_DATA_DIR) + "/template-gsc-environment-v" +
                       std::to_string(version) + ".json");
    std::stringstream text;
    text << file.rdbuf();
    return text.str();
}

/// A store with the domain schema, an audit on template v1 and the devices that write to it.
class AuditStore : public ::testing::Test {
protected:
    AuditStore() {
        _store.apply(std::vector{
            _hq.set(c::kTemplateVersions, _v1, "content", Value::json(sharedTemplate(1))),
            _hq.set(c::kTemplateVersions, _v1, "scoring_rule", Value::string("rba-200-v1")),
            _hq.set(c::kTemplateVersions, _v2, "content", Value::json(sharedTemplate(2))),
            _hq.set(c::kAudits, _audit, "template_version_id", Value::id(_v1)),
            _hq.set(c::kAudits, _audit, "assignee_id", Value::string("li")),
            _hq.set(c::kAudits, _audit, "state", Value::string("scheduled")),
        });
    }

    /// li's changes answering `question` with `answer` (and `result`, when given).
    std::vector<shared::Change> answer(testing::TestDevice& device, const RecordId& audit,
                                       const std::string& question, const std::string& answer,
                                       const std::string& result = "") {
        const auto id = audit::answerRecordId(audit, question);
        std::vector<shared::Change> changes{
            device.set(c::kAnswers, id, "audit_id", Value::id(audit)),
            device.set(c::kAnswers, id, "question_id", Value::string(question)),
            device.set(c::kAnswers, id, "value", Value::json(R"({"answer":")" + answer + "\"}"))};
        if (!result.empty()) {
            changes.push_back(device.set(c::kAnswers, id, "result", Value::string(result)));
        }
        return changes;
    }

    /// `device`'s changes marking every question of template v1 conformant but `except`.
    std::vector<shared::Change> checklist(testing::TestDevice& device, const RecordId& audit,
                                          const std::set<std::string>& except = {}) {
        std::vector<shared::Change> changes;
        const auto v1 = audit::ChecklistTemplate::parse(sharedTemplate(1));
        for (const auto& question : v1->questionIds()) {
            if (except.count(question) == 0) {
                const auto id = audit::answerRecordId(audit, question);
                changes.push_back(device.set(c::kAnswers, id, "audit_id", Value::id(audit)));
                changes.push_back(
                    device.set(c::kAnswers, id, "question_id", Value::string(question)));
                changes.push_back(
                    device.set(c::kAnswers, id, "result", Value::string("conformance")));
            }
        }
        return changes;
    }

    void apply(const std::vector<shared::Change>& changes) {
        for (const auto& result : _store.apply(changes).results) {
            ASSERT_NE(result.outcome, sync::ChangeOutcome::Refused) << result.message;
        }
    }

    /// The gate's verdict on each change of `batch` for an expert (or HQ), applying what passes.
    std::vector<std::optional<ErrorCode>> gated(const std::vector<shared::Change>& batch,
                                                bool hq = false) {
        server::WorkflowGate gate(_store, batch, hq);
        std::vector<std::optional<ErrorCode>> verdicts;
        const auto applied = _store.apply(batch, [&](const shared::Change& change, const auto&) {
            auto refusal = gate.check(change);
            verdicts.push_back(refusal ? std::optional(refusal->code) : std::nullopt);
            return refusal;
        });
        for (const auto& result : applied.results) {
            if (result.outcome == sync::ChangeOutcome::Refused && verdicts.size() < batch.size()) {
                ADD_FAILURE() << "refused before the gate: " << result.message;
            }
        }
        verdicts.resize(batch.size());
        return verdicts;
    }

    sync::Store _store{":memory:", domain::domainSchema()};
    testing::TestDevice _hq{1, "hq"};
    testing::TestDevice _li{2, "li"};
    testing::TestDevice _wang{3, "wang"};
    RecordId _v1 = _hq.newRecordId();
    RecordId _v2 = _hq.newRecordId();
    RecordId _audit = _hq.newRecordId();
};

TEST_F(AuditStore, OneBatchMayStartAndSubmitButNeverApprove) {
    apply(checklist(_li, _audit));
    const auto verdicts = gated({_li.set(c::kAudits, _audit, "state", Value::string("in_progress")),
                                 _li.set(c::kAudits, _audit, "state", Value::string("submitted")),
                                 _li.set(c::kAudits, _audit, "state", Value::string("in_progress")),
                                 _li.set(c::kAudits, _audit, "state", Value::string("approved"))});
    EXPECT_EQ(verdicts, (std::vector<std::optional<ErrorCode>>{
                            std::nullopt, std::nullopt, std::nullopt, ErrorCode::Forbidden}));
    EXPECT_EQ(_store.record(c::kAudits, _audit)->fields.at("state").value,
              Value::string("submitted"))
        << "the late 'in_progress' changed nothing";
}

TEST_F(AuditStore, OnlyAStepUpToSubmittedCountsAsASubmission) {
    apply(checklist(_li, _audit));
    const auto submit = _li.set(c::kAudits, _audit, "state", Value::string("submitted"));
    server::WorkflowGate first(_store, std::vector{submit}, false);
    EXPECT_FALSE(first.check(submit));
    EXPECT_EQ(first.submissions(), std::set<RecordId>{_audit});
    apply({submit});
    const auto again = _li.set(c::kAudits, _audit, "state", Value::string("submitted"));
    server::WorkflowGate second(_store, std::vector{again}, false);
    EXPECT_FALSE(second.check(again));
    EXPECT_TRUE(second.submissions().empty())
        << "submitting a submitted audit again takes no new snapshot";
}

TEST_F(AuditStore, AnIncompleteAuditIsNotSubmittedButAnswersEarlierInTheBatchCount) {
    apply(checklist(_li, _audit, {"C.3.1", "E.1.1"}));
    const auto submit = [&] {
        return _li.set(c::kAudits, _audit, "state", Value::string("submitted"));
    };
    EXPECT_EQ(gated({submit()}).front(), ErrorCode::InvalidTransition) << "two questions open";
    auto batch = answer(_li, _audit, "C.3.1", "na");
    batch.push_back(submit());
    EXPECT_EQ(gated(batch).back(), ErrorCode::InvalidTransition) << "one still open";
    auto reviewed = answer(_li, _audit, "E.1.1", "yes", "not_reviewed");
    reviewed.push_back(_li.set(c::kAnswers, audit::answerRecordId(_audit, "E.1.1"), "comment",
                               Value::string("Records kept off site")));
    reviewed.push_back(submit());
    EXPECT_EQ(gated(reviewed).back(), std::nullopt) << "N/A and not reviewed with a reason";
    EXPECT_EQ(_store.record(c::kAudits, _audit)->fields.at("state").value,
              Value::string("submitted"));
}

TEST_F(AuditStore, AnAnswerClearedInTheBatchBeforeTheSubmissionLeavesItIncomplete) {
    apply(checklist(_li, _audit));
    const auto item = audit::answerRecordId(_audit, "C.1.1");
    EXPECT_EQ(gated({_li.set(c::kAnswers, item, "result", Value::null()),
                     _li.set(c::kAudits, _audit, "state", Value::string("submitted"))})
                  .back(),
              ErrorCode::InvalidTransition);
}

TEST_F(AuditStore, HqDecidesThroughTheReviewApiNotBySyncingTheState) {
    apply({_li.set(c::kAudits, _audit, "state", Value::string("submitted"))});
    const auto verdicts = gated(
        {_hq.set(c::kAudits, _audit, "state", Value::string("approved")),
         _hq.change(c::kAudits, _audit, "state", Operation::Reopen, Value::string("returned")),
         _hq.set(c::kAudits, _audit, "state", Value::string("under_review"))},
        true);
    EXPECT_EQ(verdicts,
              (std::vector<std::optional<ErrorCode>>{ErrorCode::InvalidTransition,
                                                     ErrorCode::InvalidTransition, std::nullopt}));
}

TEST_F(AuditStore, ARecordNeverMovesToAnotherAuditNotEvenWithAnEarlyDatedWrite) {
    const auto other = _hq.newRecordId();
    apply({_hq.set(c::kAudits, other, "template_version_id", Value::id(_v1)),
           _hq.set(c::kAudits, other, "state", Value::string("approved"))});
    const auto finding = _li.newRecordId();
    apply({_li.set(c::kFindings, finding, "audit_id", Value::id(_audit))});
    // The same field with an older HLC would win the immutable field's merge: the finding moves.
    testing::TestDevice early(9, "li", -60'000);
    EXPECT_EQ(gated({early.set(c::kFindings, finding, "audit_id", Value::id(other))}).front(),
              ErrorCode::ImmutableField);
    const auto fresh = _li.newRecordId();
    EXPECT_EQ(gated({_li.set(c::kFindings, fresh, "audit_id", Value::id(_audit)),
                     early.set(c::kFindings, fresh, "audit_id", Value::id(other))}),
              (std::vector<std::optional<ErrorCode>>{std::nullopt, ErrorCode::ImmutableField}));
    EXPECT_EQ(_store.record(c::kFindings, finding)->fields.at("audit_id").value, Value::id(_audit));
}

TEST_F(AuditStore, APlanStatusIsNeverClearedAndHqsDecisionsStayHqs) {
    const auto plan = _li.newRecordId();
    apply({_li.set(c::kCorrectiveActions, plan, "audit_id", Value::id(_audit)),
           _li.set(c::kCorrectiveActions, plan, "status", Value::string("submitted"))});
    apply({_hq.set(c::kCorrectiveActions, plan, "status", Value::string("approved"))});
    EXPECT_EQ(gated({_li.set(c::kCorrectiveActions, plan, "status", Value::null())}).front(),
              ErrorCode::InvalidTransition)
        << "clearing the status would undo HQ's approval";
    EXPECT_EQ(
        gated({_li.set(c::kCorrectiveActions, plan, "status", Value::string("submitted"))}).front(),
        ErrorCode::InvalidTransition);
    EXPECT_FALSE(
        gated({_li.set(c::kCorrectiveActions, plan, "status", Value::string("in_progress"))})
            .front());
}

TEST_F(AuditStore, AnApprovedChecklistIsLockedForTheExpertNotForHq) {
    apply(answer(_li, _audit, "C.1.1", "yes"));
    apply({_hq.set(c::kAudits, _audit, "state", Value::string("approved"))});
    const auto item = audit::answerRecordId(_audit, "C.1.1");
    EXPECT_EQ(gated({_li.set(c::kAnswers, item, "comment", Value::string("late"))}).front(),
              ErrorCode::AuditLocked);
    EXPECT_EQ(gated({_li.change(c::kAnswers, item, "", Operation::Delete, Value::null())}).front(),
              ErrorCode::AuditLocked);
    EXPECT_EQ(gated(answer(_li, _audit, "C.1.2", "no")).front(), ErrorCode::AuditLocked)
        << "a new answer to a decided audit, too";
    EXPECT_FALSE(
        gated({_hq.set(c::kAnswers, item, "comment", Value::string("HQ note"))}, true).front());
}

TEST_F(AuditStore, OnlyTheLeadAuditorSettlesAConflictOnAnAnswer) {
    const auto item = audit::answerRecordId(_audit, "C.2.1");
    apply(answer(_li, _audit, "C.2.1", "yes"));
    apply({_wang.set(c::kAnswers, item, "value", Value::json(R"({"answer":"no"})"))});
    ASSERT_TRUE(_store.record(c::kAnswers, item)->fields.at("value").inConflict);
    const auto version = _store.fieldVersion(c::kAnswers, item, "value");
    for (auto* device : {&_li, &_wang}) {
        device->hlc().tryReceive(*version);  // both pulled the conflict
    }

    EXPECT_EQ(
        gated({_wang.set(c::kAnswers, item, "value", Value::json(R"({"answer":"no"})"), version)})
            .front(),
        ErrorCode::Forbidden)
        << "the co-auditor may not settle it";
    const auto conflict = _store.openConflicts().front();
    const auto& lead = conflict.candidates.front().author == "li" ? conflict.candidates.front()
                                                                  : conflict.candidates.back();
    EXPECT_EQ(
        gated({_wang.set(c::kAnswers, item, "value", Value::json(R"({"answer":"no"})"), lead.hlc)})
            .front(),
        ErrorCode::Forbidden)
        << "nor drop the lead's answer from it with a base that covers only that one";
    EXPECT_TRUE(_store.record(c::kAnswers, item)->fields.at("value").inConflict);
    EXPECT_FALSE(
        gated({_li.set(c::kAnswers, item, "value", Value::json(R"({"answer":"no"})"), version)})
            .front());
    EXPECT_FALSE(_store.record(c::kAnswers, item)->fields.at("value").inConflict);
}

TEST_F(AuditStore, ResultsComeFromAnswersTheirDefaultSeverityAndFindings) {
    apply(answer(_li, _audit, "C.1.1", "yes"));
    apply(answer(_li, _audit, "C.1.2", "no"));  // default severity major
    apply(answer(_li, _audit, "C.1.3", "na"));
    apply(answer(_li, _audit, "C.2.1", "no", "minor"));  // the auditor's own judgement
    apply(answer(_li, _audit, "C.2.2", "yes"));
    const auto finding = _li.newRecordId();
    apply({_li.set(c::kFindings, finding, "audit_id", Value::id(_audit)),
           _li.set(c::kFindings, finding, "question_id", Value::string("C.2.2")),
           _li.set(c::kFindings, finding, "severity", Value::string("priority"))});

    const auto results = server::auditQuestionResults(_store, _audit);
    EXPECT_EQ(results.size(), 23U) << "every question of template v1";
    EXPECT_EQ(results.at("C.1.1"), ResultClass::Conformance);
    EXPECT_EQ(results.at("C.1.2"), ResultClass::Major);
    EXPECT_EQ(results.at("C.1.3"), ResultClass::NotApplicable);
    EXPECT_EQ(results.at("C.2.1"), ResultClass::Minor);
    EXPECT_EQ(results.at("C.2.2"), ResultClass::Priority) << "the finding is worse than the yes";
    EXPECT_EQ(results.at("C.6.2"), ResultClass::NotReviewed);

    // 22 applicable, 19 conformant (not reviewed counts so, as the rule says), one of each
    // severity: 200 × 19/22 − (20 + 4 + 1) = 147.7.
    const auto snapshot = server::scoreAudit(_store, _audit);
    ASSERT_TRUE(snapshot);
    EXPECT_EQ(snapshot->ruleId, "rba-200-v1");
    EXPECT_EQ(snapshot->applicable, 22U);
    EXPECT_EQ(snapshot->conformant, 19U);
    EXPECT_EQ(snapshot->score, 147.7);
    EXPECT_EQ(snapshot->band, "red");
    EXPECT_FALSE(server::scoreAudit(_store, _audit, std::string("no-such-rule")));
}

TEST_F(AuditStore, AnAuditIsScoredOnItsOwnTemplateVersion) {
    const auto onV2 = _hq.newRecordId();
    apply({_hq.set(c::kAudits, onV2, "template_version_id", Value::id(_v2))});
    for (const auto& audit : {_audit, onV2}) {
        apply(answer(_li, audit, "C.1.1", "yes"));
    }
    apply(answer(_li, _audit, "C.6.2", "no"));  // a v1 question v2 retired
    const auto v1 = server::auditQuestionResults(_store, _audit);
    const auto v2 = server::auditQuestionResults(_store, onV2);
    EXPECT_EQ(v1.count("C.6.2"), 1U);
    EXPECT_EQ(v1.count("C.2.5"), 0U);
    EXPECT_EQ(v2.count("C.2.5"), 1U);
    EXPECT_EQ(v2.count("C.6.2"), 0U);
    EXPECT_EQ(server::auditScoringRule(_store, onV2), "rba-200-v1")
        << "from the content when the version record names no rule";
}

TEST_F(AuditStore, EditsAfterSubmissionAreAmendmentsUntilTheAuditIsReturned) {
    const auto item = audit::answerRecordId(_audit, "C.1.1");
    apply(answer(_li, _audit, "C.1.1", "yes"));                                    // 1-3
    apply({_li.set(c::kAudits, _audit, "state", Value::string("submitted"))});     // 4
    apply({_li.set(c::kAnswers, item, "comment", Value::string("photo added"))});  // 5 amendment
    const auto returned =
        _hq.change(c::kAudits, _audit, "state", Operation::Reopen, Value::string("returned"));
    apply({returned});                   // 6
    _li.hlc().tryReceive(returned.hlc);  // li pulled the return before reworking
    apply({_li.set(c::kAnswers, item, "comment", Value::string("reworked"))});   // 7 rework
    apply({_li.set(c::kAudits, _audit, "state", Value::string("submitted"))});   // 8
    apply({_li.set(c::kAnswers, item, "comment", Value::string("one more"))});   // 9 amendment
    apply({_hq.set(c::kAnswers, item, "comment", Value::string("HQ's note"))});  // 10: not li's

    const auto log = _store.changesSince(0, 100, {shared::scopeKey(c::kAudits, _audit)});
    const auto flags = server::amendmentFlags(log, _audit, {"li"});
    ASSERT_EQ(flags.size(), log.size());
    std::vector<std::string> amended;
    for (std::size_t i = 0; i < log.size(); ++i) {
        if (flags[i]) {
            amended.push_back(log[i].change.value.as<std::string>());
        }
    }
    EXPECT_EQ(amended, (std::vector<std::string>{"photo added", "one more"}))
        << "the expert's edits while submitted, not their rework nor HQ's note";
}

TEST_F(AuditStore, APlanIsDueSevenDaysAfterApprovalForPriorityFourteenOtherwise) {
    const auto approvedAt = testing::kEpochMs + 10 * kDayMs;
    std::vector<shared::Change> changes{
        _hq.set(c::kAudits, _audit, "approved_at", Value::timestamp(approvedAt)),
        _hq.set(c::kAudits, _audit, "state", Value::string("approved"))};
    std::map<std::string, RecordId> plans;
    for (const std::string severity : {"priority", "major", "minor"}) {
        const auto finding = _li.newRecordId();
        const auto plan = _li.newRecordId();
        changes.push_back(_li.set(c::kFindings, finding, "audit_id", Value::id(_audit)));
        changes.push_back(_li.set(c::kFindings, finding, "severity", Value::string(severity)));
        changes.push_back(_li.set(c::kCorrectiveActions, plan, "audit_id", Value::id(_audit)));
        changes.push_back(_li.set(c::kCorrectiveActions, plan, "finding_id", Value::id(finding)));
        plans.emplace(severity, plan);
    }
    apply(changes);
    const auto dueOf = [&](const std::string& severity) {
        return server::capDueAtMs(_store, *_store.record(c::kCorrectiveActions, plans[severity]));
    };
    EXPECT_EQ(dueOf("priority"), approvedAt + 7 * kDayMs);
    EXPECT_EQ(dueOf("major"), approvedAt + 14 * kDayMs);
    EXPECT_EQ(dueOf("minor"), approvedAt + 14 * kDayMs);
    apply({_hq.set(c::kCorrectiveActions, plans["minor"], "due_at",
                   Value::timestamp(approvedAt + kDayMs))});
    EXPECT_EQ(dueOf("minor"), approvedAt + kDayMs) << "a due date HQ set wins";
    apply({_hq.change(c::kAudits, _audit, "state", Operation::Reopen,
                      Value::string("under_review"))});
    EXPECT_FALSE(dueOf("major")) << "reopened: no deadline runs until it is approved again";
}

}  // namespace
}  // namespace verdant
