// The checks a push batch goes through before it is applied (server::PushGate, asking the built-in
// modules): answers against their audit's template version, read from the store or from anywhere
// in the same batch; the scopes a field expert or a training coordinator may write in; and the
// training rules (who may create sessions, their course, capacity and schedule, no joining a
// cancelled session).

#include "SyncFixtures.hpp"

#include "verdant/domain/DomainSchema.hpp"
#include "verdant/server/app/BuiltInModules.hpp"
#include "verdant/server/sync/PushGate.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

namespace verdant {
namespace {

using server::Principal;
using server::Role;
using shared::ErrorCode;
using shared::Operation;
using shared::RecordId;
using shared::Value;
namespace c = audit::collections;

using Verdicts = std::vector<std::optional<ErrorCode>>;

std::string templateV1() {
    std::ifstream file(std::string(VERDANT_TEST_DATA_DIR) + "/template-gsc-environment-v1.json");
    std::stringstream text;
    text << file.rdbuf();
    return text.str();
}

Principal principalOf(const std::string& user, Role role) {
    Principal principal;
    principal.tenantId = "acme";
    principal.userId = user;
    principal.username = user;
    principal.role = role;
    return principal;
}

/// A tenant's store with template v1, the people who write to it, and a push as
/// SyncEndpoint::push makes it.
class PushGateTest : public ::testing::Test {
protected:
    PushGateTest() {
        apply({_hq.set(c::kTemplateVersions, _v1, "content", Value::json(templateV1()))});
    }

    void apply(const std::vector<shared::Change>& changes) {
        for (const auto& result : _store.apply(changes).results) {
            ASSERT_NE(result.outcome, sync::ChangeOutcome::Refused) << result.message;
        }
    }

    /// HQ's changes scheduling a new audit on v1 for `assignee`.
    RecordId scheduleAudit(const std::string& assignee) {
        const auto audit = _hq.newRecordId();
        apply({_hq.set(c::kAudits, audit, "template_version_id", Value::id(_v1)),
               _hq.set(c::kAudits, audit, "assignee_id", Value::string(assignee)),
               _hq.set(c::kAudits, audit, "state", Value::string("scheduled"))});
        return audit;
    }

    /// `batch` pushed by `principal` through the server's checks: each change's refusal code,
    /// nullopt for one applied.
    Verdicts push(const std::vector<shared::Change>& batch, const Principal& principal) {
        server::PushGate checks(_modules, _store, batch, principal);
        const auto applied = _store.apply(
            batch, [&](const shared::Change& change, const std::optional<std::string>& scope) {
                return checks.check(change, scope);
            });
        Verdicts verdicts;
        for (const auto& result : applied.results) {
            verdicts.push_back(result.error);
        }
        return verdicts;
    }

    server::DomainModules _modules{server::builtInModules()};
    sync::Store _store{":memory:", _modules.schema()};
    testing::TestDevice _hq{1, "hq"};
    testing::TestDevice _li{2, "li"};
    Principal _hqUser = principalOf("hq", Role::HqReviewer);
    Principal _liUser = principalOf("li", Role::FieldExpert);
    RecordId _v1 = _hq.newRecordId();
};

TEST_F(PushGateTest, AnAnswerIsCheckedAgainstTheAuditALaterChangeOfTheBatchCreates) {
    const auto audit = _hq.newRecordId();
    const auto wrong = audit::answerRecordId(audit, "C.3.2");
    const auto right = audit::answerRecordId(audit, "C.1.1");
    // The answers come first; the audit and its template version only at the end of the batch.
    const auto verdicts =
        push({_hq.set(c::kAnswers, wrong, "audit_id", Value::id(audit)),
              _hq.set(c::kAnswers, wrong, "question_id", Value::string("C.3.2")),
              _hq.set(c::kAnswers, wrong, "value", Value::json(R"({"answer":9})")),
              _hq.set(c::kAnswers, right, "audit_id", Value::id(audit)),
              _hq.set(c::kAnswers, right, "question_id", Value::string("C.1.1")),
              _hq.set(c::kAnswers, right, "value", Value::json(R"({"answer":"yes"})")),
              _hq.set(c::kAudits, audit, "template_version_id", Value::id(_v1)),
              _hq.set(c::kAudits, audit, "state", Value::string("scheduled"))},
             _hqUser);
    EXPECT_EQ(verdicts,
              (Verdicts{std::nullopt, std::nullopt, ErrorCode::AnswerOutOfRange, std::nullopt,
                        std::nullopt, std::nullopt, std::nullopt, std::nullopt}));
    EXPECT_EQ(_store.record(c::kAnswers, right)->fields.at("value").value,
              Value::json(R"({"answer":"yes"})"));
    EXPECT_EQ(_store.record(c::kAnswers, wrong)->fields.count("value"), 0U);
}

TEST_F(PushGateTest, AnAnswerIsCheckedAgainstTheFirstQuestionTheBatchGivesItsRecord) {
    const auto audit = scheduleAudit("li");
    const auto item = _li.newRecordId();
    // A second, different question_id is an immutable field's second write: the first stands,
    // and the answer is checked against it (a yes/no question), not the later score question.
    const auto verdicts =
        push({_li.set(c::kAnswers, item, "audit_id", Value::id(audit)),
              _li.set(c::kAnswers, item, "question_id", Value::string("C.1.1")),
              _li.set(c::kAnswers, item, "value", Value::json(R"({"answer":"no"})")),
              _li.set(c::kAnswers, item, "question_id", Value::string("C.3.2"))},
             _liUser);
    EXPECT_FALSE(verdicts[2]) << "checked against C.1.1";
    EXPECT_EQ(_store.record(c::kAnswers, item)->fields.at("question_id").value,
              Value::string("C.1.1"));
    EXPECT_EQ(_store.record(c::kAnswers, item)->fields.at("value").value,
              Value::json(R"({"answer":"no"})"));
}

TEST_F(PushGateTest, EachValueOfOneAnswerInOneBatchIsCheckedOnItsOwn) {
    const auto audit = scheduleAudit("li");
    const auto item = audit::answerRecordId(audit, "C.3.2");
    const auto verdicts =
        push({_li.set(c::kAnswers, item, "audit_id", Value::id(audit)),
              _li.set(c::kAnswers, item, "question_id", Value::string("C.3.2")),
              _li.set(c::kAnswers, item, "value", Value::json(R"({"answer":3})")),
              _li.set(c::kAnswers, item, "value", Value::json(R"({"answer":7})")),
              _li.set(c::kAnswers, item, "value", Value::json(R"({"answer":"yes"})"))},
             _liUser);
    EXPECT_EQ(verdicts, (Verdicts{std::nullopt, std::nullopt, std::nullopt,
                                  ErrorCode::AnswerOutOfRange, ErrorCode::InvalidAnswer}));
    EXPECT_EQ(_store.record(c::kAnswers, item)->fields.at("value").value,
              Value::json(R"({"answer":3})"));
}

TEST_F(PushGateTest, AnExpertWritesInTheAuditsSheLeadsOrIsOnTheTeamOfOnly) {
    const auto led = scheduleAudit("li");
    const auto team = scheduleAudit("wang");
    apply({_hq.change(c::kAudits, team, "team", Operation::Add, Value::string("li"))});
    const auto other = scheduleAudit("wang");
    const auto deleted = scheduleAudit("li");
    apply({_hq.change(c::kAudits, deleted, "", Operation::Delete, Value::null())});
    // Stored answers of her audit and of another expert's, edited without naming their audit.
    const auto hers = audit::answerRecordId(led, "C.1.1");
    apply({_li.set(c::kAnswers, hers, "audit_id", Value::id(led))});
    const auto theirs = audit::answerRecordId(other, "C.1.1");
    testing::TestDevice wang{3, "wang"};
    apply({wang.set(c::kAnswers, theirs, "audit_id", Value::id(other))});

    std::vector<shared::Change> batch;
    for (const auto& audit : {led, team, other, deleted}) {
        batch.push_back(_li.set(c::kAnswers, audit::answerRecordId(audit, "C.1.2"), "audit_id",
                                Value::id(audit)));
    }
    batch.push_back(_li.set(c::kAnswers, hers, "comment", Value::string("seen")));
    batch.push_back(_li.set(c::kAnswers, theirs, "comment", Value::string("seen")));
    batch.push_back(_li.set(c::kAudits, led, "state", Value::string("in_progress")));
    batch.push_back(_li.set(c::kAudits, other, "state", Value::string("in_progress")));
    EXPECT_EQ(push(batch, _liUser),
              (Verdicts{std::nullopt, std::nullopt, ErrorCode::NotInScope, ErrorCode::NotInScope,
                        std::nullopt, ErrorCode::NotInScope, std::nullopt, ErrorCode::NotInScope}));
}

TEST_F(PushGateTest, AStoredAnswerIsInTheScopeOfItsStoredAuditAlone) {
    const auto led = scheduleAudit("li");
    const auto other = scheduleAudit("wang");
    const auto hers = audit::answerRecordId(led, "C.1.1");
    apply({_li.set(c::kAnswers, hers, "audit_id", Value::id(led))});
    const auto theirs = audit::answerRecordId(other, "C.1.1");
    testing::TestDevice wang{3, "wang"};
    apply({wang.set(c::kAnswers, theirs, "audit_id", Value::id(other))});
    // Neither batch names an audit: the scope comes from the store alone.
    EXPECT_EQ(push({_li.set(c::kAnswers, hers, "comment", Value::string("seen"))}, _liUser),
              (Verdicts{std::nullopt}));
    EXPECT_EQ(push({_li.set(c::kAnswers, theirs, "comment", Value::string("seen"))}, _liUser),
              (Verdicts{ErrorCode::NotInScope}));
}

TEST_F(PushGateTest, ARecordCannotBeMovedIntoAnotherExpertsAudit) {
    const auto mine = scheduleAudit("li");
    const auto other = scheduleAudit("wang");
    const auto finding = _li.newRecordId();
    apply({_li.set(c::kFindings, finding, "audit_id", Value::id(mine))});
    testing::TestDevice early(9, "li", -60'000);
    EXPECT_EQ(push({early.set(c::kFindings, finding, "audit_id", Value::id(other))}, _liUser),
              (Verdicts{ErrorCode::NotInScope}));
}

TEST_F(PushGateTest, ACoordinatorWritesInTheSessionsSheCoordinatesOnly) {
    const auto mine = _hq.newRecordId();
    const auto other = _hq.newRecordId();
    apply({_hq.set(training::collections::kTrainingSessions, mine, "coordinator_id",
                   Value::string("zhao")),
           _hq.set(training::collections::kTrainingSessions, other, "coordinator_id",
                   Value::string("qian"))});
    testing::TestDevice zhao{4, "zhao"};
    const auto verdicts = push(
        {zhao.set(training::collections::kTrainingSessions, mine, "venue", Value::string("Hall A")),
         zhao.set(training::collections::kTrainingSessions, other, "venue",
                  Value::string("Hall B")),
         zhao.set(training::collections::kAttendance, zhao.newRecordId(), "session_id",
                  Value::id(mine)),
         zhao.set(training::collections::kAttendance, zhao.newRecordId(), "session_id",
                  Value::id(other))},
        principalOf("zhao", Role::TrainingCoordinator));
    EXPECT_EQ(verdicts,
              (Verdicts{std::nullopt, ErrorCode::NotInScope, std::nullopt, ErrorCode::NotInScope}));
}

namespace t = training::collections;

/// Training: a course HQ published, and a coordinator's own pushes.
class TrainingPushTest : public PushGateTest {
protected:
    TrainingPushTest() {
        apply({_hq.set(t::kCourses, _course, "title_en", Value::string("Wastewater"))});
    }

    /// A session `zhao` creates in her own name, with the given schedule.
    std::vector<shared::Change> newSession(const RecordId& session, std::int64_t startsAtMs,
                                           std::int64_t endsAtMs) {
        return {_zhao.set(t::kTrainingSessions, session, "coordinator_id", Value::string("zhao")),
                _zhao.set(t::kTrainingSessions, session, "course_id", Value::id(_course)),
                _zhao.set(t::kTrainingSessions, session, "starts_at", Value::timestamp(startsAtMs)),
                _zhao.set(t::kTrainingSessions, session, "ends_at", Value::timestamp(endsAtMs))};
    }

    Principal _zhaoUser = principalOf("zhao", Role::TrainingCoordinator);
    testing::TestDevice _zhao{4, "zhao"};
    RecordId _course = _hq.newRecordId();
};

TEST_F(TrainingPushTest, ACoordinatorCreatesSessionsInHerOwnNameOnly) {
    const auto mine = _zhao.newRecordId();
    EXPECT_EQ(push(newSession(mine, 1'000, 2'000), _zhaoUser), Verdicts(4, std::nullopt));

    const auto forQian = _zhao.newRecordId();
    const auto verdicts =
        push({_zhao.set(t::kTrainingSessions, forQian, "coordinator_id", Value::string("qian")),
              _zhao.set(t::kTrainingSessions, forQian, "venue", Value::string("Hall B"))},
             _zhaoUser);
    EXPECT_EQ(verdicts, (Verdicts{ErrorCode::NotInScope, ErrorCode::NotInScope}));
    EXPECT_FALSE(_store.record(t::kTrainingSessions, forQian));
}

TEST_F(TrainingPushTest, AFieldExpertCannotCreateASessionOrRegisterAnyone) {
    const auto session = _li.newRecordId();
    const auto verdicts =
        push({_li.set(t::kTrainingSessions, session, "coordinator_id", Value::string("li")),
              _li.set(t::kAttendance, _li.newRecordId(), "session_id", Value::id(session))},
             _liUser);
    EXPECT_EQ(verdicts, (Verdicts{ErrorCode::Forbidden, ErrorCode::Forbidden}));
    EXPECT_FALSE(_store.record(t::kTrainingSessions, session));
}

TEST_F(TrainingPushTest, ASessionNeedsAnExistingCourseACapacityOfAtLeast0AndToEndAfterItStarts) {
    const auto session = _zhao.newRecordId();
    auto batch = newSession(session, 5'000, 4'000);  // ends before it starts
    batch.push_back(
        _zhao.set(t::kTrainingSessions, session, "course_id", Value::id(_zhao.newRecordId())));
    batch.push_back(_zhao.set(t::kTrainingSessions, session, "capacity", Value::integer(-1)));
    EXPECT_EQ(push(batch, _zhaoUser),
              (Verdicts{std::nullopt, std::nullopt, ErrorCode::InvalidSchedule,
                        ErrorCode::InvalidSchedule, ErrorCode::UnknownCourse,
                        ErrorCode::InvalidCapacity}));
    const auto stored = _store.record(t::kTrainingSessions, session);
    ASSERT_TRUE(stored);
    EXPECT_EQ(stored->fields.count("starts_at") + stored->fields.count("ends_at") +
                  stored->fields.count("capacity"),
              0U)
        << "nothing of the refused schedule or capacity is written";
    EXPECT_EQ(stored->fields.at("course_id").value, Value::id(_course));
}

TEST_F(TrainingPushTest, NobodyRegistersOrChecksInAtACancelledSessionButACancellationStands) {
    const auto session = _zhao.newRecordId();
    push(newSession(session, 1'000, 2'000), _zhaoUser);
    const auto registered = _zhao.newRecordId();
    push({_zhao.set(t::kAttendance, registered, "session_id", Value::id(session)),
          _zhao.set(t::kAttendance, registered, "state", Value::string("registered"))},
         _zhaoUser);
    push({_zhao.set(t::kTrainingSessions, session, "status", Value::string("cancelled"))},
         _zhaoUser);

    const auto walkIn = _zhao.newRecordId();
    const auto verdicts =
        push({_zhao.set(t::kAttendance, walkIn, "session_id", Value::id(session)),
              _zhao.set(t::kAttendance, walkIn, "state", Value::string("checked_in")),
              _zhao.set(t::kAttendance, registered, "first_check_in", Value::timestamp(1'500)),
              _zhao.set(t::kAttendance, registered, "state", Value::string("cancelled"))},
             _zhaoUser);
    EXPECT_EQ(verdicts, (Verdicts{std::nullopt, ErrorCode::SessionCancelled,
                                  ErrorCode::SessionCancelled, std::nullopt}));
}

TEST_F(TrainingPushTest, TheWaitlistAndTheTrainingKeysAreTheServers) {
    const auto session = _zhao.newRecordId();
    push(newSession(session, 1'000, 2'000), _zhaoUser);
    const auto registration = _zhao.newRecordId();
    EXPECT_EQ(
        push({_zhao.set(t::kAttendance, registration, "session_id", Value::id(session)),
              _zhao.set(t::kAttendance, registration, "waitlist_position", Value::integer(1))},
             _zhaoUser),
        (Verdicts{std::nullopt, ErrorCode::Forbidden}));
    EXPECT_EQ(push({_hq.set(t::kTrainingKeys, _hq.newRecordId(), "public_key", Value::string("k"))},
                   _hqUser),
              (Verdicts{ErrorCode::Forbidden}));
}

}  // namespace
}  // namespace verdant
