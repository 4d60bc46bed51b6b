// The training module's follow-ups through the server's push path (PushGate, then Store::apply with
// the modules' follow-up writes in the batch's transaction, as SyncEndpoint::push does): capacity
// and waitlist decided by the server, the session's status kept full/open, the attendance outcome
// set when the session is done, and the rules that go with them (session_full without a
// waitlist, outcome_reason_required for an outcome set by hand).

#include "SyncFixtures.hpp"

#include "verdant/server/app/BuiltInModules.hpp"
#include "verdant/server/sync/PushGate.hpp"
#include "verdant/server/sync/ServerWriter.hpp"
#include "verdant/training/Collections.hpp"

#include <gtest/gtest.h>

namespace verdant {
namespace {

using server::Principal;
using server::Role;
using shared::ErrorCode;
using shared::Operation;
using shared::RecordId;
using shared::Value;
namespace t = training::collections;
using Verdicts = std::vector<std::optional<ErrorCode>>;

constexpr std::int64_t kStart = 1'800'000'000'000;
constexpr std::int64_t kMinute = 60'000;

class TrainingSeats : public ::testing::Test {
protected:
    TrainingSeats() {
        _zhaoUser.tenantId = "acme";
        _zhaoUser.userId = _zhaoUser.username = "zhao";
        _zhaoUser.role = Role::TrainingCoordinator;
        const std::vector<shared::Change> course{
            _hq.set(t::kCourses, _course, "title_en", Value::string("Water"))};
        for (const auto& result : _store.apply(course).results) {
            EXPECT_NE(result.outcome, sync::ChangeOutcome::Refused);
        }
    }

    /// `batch` pushed by `user` (zhao unless given) as SyncEndpoint::push does it, follow-ups
    /// included.
    Verdicts push(const std::vector<shared::Change>& batch,
                  const std::optional<Principal>& user = std::nullopt) {
        server::PushGate checks(_modules, _store, batch, user.value_or(_zhaoUser));
        const auto applied = _store.apply(
            batch,
            [&](const shared::Change& change, const std::optional<std::string>& scope) {
                return checks.check(change, scope);
            },
            [&](const sync::Store& after) {
                return server::ServerWriter(_serverHlc, _serverDevice.id())
                    .prepare(after, "server", checks.followUps(after, kStart));
            });
        Verdicts verdicts;
        for (const auto& result : applied.results) {
            verdicts.push_back(result.error);
        }
        return verdicts;
    }

    /// A session zhao holds, with `capacity` seats and a waitlist when `waitlist`.
    RecordId newSession(std::int64_t capacity, bool waitlist) {
        const auto session = _zhao.newRecordId();
        push({_zhao.set(t::kTrainingSessions, session, "coordinator_id", Value::string("zhao")),
              _zhao.set(t::kTrainingSessions, session, "course_id", Value::id(_course)),
              _zhao.set(t::kTrainingSessions, session, "starts_at", Value::timestamp(kStart)),
              _zhao.set(t::kTrainingSessions, session, "ends_at",
                        Value::timestamp(kStart + 60 * kMinute)),
              _zhao.set(t::kTrainingSessions, session, "late_after_minutes", Value::integer(10)),
              _zhao.set(t::kTrainingSessions, session, "capacity", Value::integer(capacity)),
              _zhao.set(t::kTrainingSessions, session, "waitlist", Value::boolean(waitlist)),
              _zhao.set(t::kTrainingSessions, session, "status", Value::string("open"))});
        return session;
    }

    /// The changes registering a new person in `session`.
    std::vector<shared::Change> registration(const RecordId& session, RecordId& id) {
        id = _zhao.newRecordId();
        return {_zhao.set(t::kAttendance, id, "session_id", Value::id(session)),
                _zhao.set(t::kAttendance, id, "state", Value::string("registered"))};
    }

    Value field(const char* collection, const RecordId& id, const std::string& name) {
        const auto record = _store.record(collection, id);
        if (!record || record->fields.count(name) == 0) {
            return Value::null();
        }
        return record->fields.at(name).value;
    }

    /// (state, waitlist position) of each registration, in order.
    std::vector<std::pair<Value, Value>> seats(const std::vector<RecordId>& people) {
        std::vector<std::pair<Value, Value>> result;
        for (const auto& id : people) {
            result.emplace_back(field(t::kAttendance, id, "state"),
                                field(t::kAttendance, id, "waitlist_position"));
        }
        return result;
    }

    /// HQ accepts the quarantined `change`, as SyncEndpoint does it, follow-ups included.
    void accept(const shared::Change& change) {
        server::ServerWriter writer(_serverHlc, _serverDevice.id());
        const auto writes =
            writer.prepare(_store, change.author,
                           {server::ServerWrite{change.collection, change.recordId, change.field,
                                                change.operation, change.value}});
        _store.decideQuarantined(
            change.deviceId, change.deviceSeq, sync::QuarantineDecision::Accepted, "hq", kStart,
            writes, [&](const sync::Store& after) {
                return writer.prepare(after, "server",
                                      _modules.acceptedFollowUps(after, change, kStart));
            });
    }

    server::DomainModules _modules{server::builtInModules()};
    sync::Store _store{":memory:", _modules.schema()};
    testing::TestDevice _hq{1, "hq"};
    testing::TestDevice _zhao{4, "zhao"};
    testing::TestDevice _serverDevice{9, "server"};
    shared::HlcClock& _serverHlc = _serverDevice.hlc();
    Principal _zhaoUser;
    RecordId _course = _hq.newRecordId();
};

const Value kRegistered = Value::string("registered");
const Value kWaitlisted = Value::string("waitlisted");

TEST_F(TrainingSeats, CapacityTwoFourRegistrationsOneCancellationPromotesExactlyOne) {
    const auto session = newSession(2, true);
    std::vector<RecordId> people(4);
    std::vector<shared::Change> batch;
    for (auto& person : people) {
        const auto changes = registration(session, person);
        batch.insert(batch.end(), changes.begin(), changes.end());
    }
    EXPECT_EQ(push(batch), Verdicts(8, std::nullopt)) << "nobody is refused: two wait";
    EXPECT_EQ(seats(people),
              (std::vector<std::pair<Value, Value>>{{kRegistered, Value::null()},
                                                    {kRegistered, Value::null()},
                                                    {kWaitlisted, Value::integer(1)},
                                                    {kWaitlisted, Value::integer(2)}}));
    EXPECT_EQ(field(t::kTrainingSessions, session, "status"), Value::string("full"));

    push({_zhao.set(t::kAttendance, people[1], "state", Value::string("cancelled"))});
    EXPECT_EQ(seats(people),
              (std::vector<std::pair<Value, Value>>{{kRegistered, Value::null()},
                                                    {Value::string("cancelled"), Value::null()},
                                                    {kRegistered, Value::null()},
                                                    {kWaitlisted, Value::integer(1)}}))
        << "exactly the first waiting person is promoted, the second moves up";
    EXPECT_EQ(field(t::kTrainingSessions, session, "status"), Value::string("full"));
}

TEST_F(TrainingSeats, ARaisedCapacityPromotesAndReopensTheSession) {
    const auto session = newSession(1, true);
    std::vector<RecordId> people(3);
    for (auto& person : people) {
        push(registration(session, person));  // one push each: first come, first served
    }
    EXPECT_EQ(seats(people),
              (std::vector<std::pair<Value, Value>>{{kRegistered, Value::null()},
                                                    {kWaitlisted, Value::integer(1)},
                                                    {kWaitlisted, Value::integer(2)}}));
    push({_zhao.set(t::kTrainingSessions, session, "capacity", Value::integer(4))});
    EXPECT_EQ(seats(people),
              (std::vector<std::pair<Value, Value>>(3, {kRegistered, Value::null()})));
    EXPECT_EQ(field(t::kTrainingSessions, session, "status"), Value::string("open"))
        << "full -> open once seats are free";
}

TEST_F(TrainingSeats, WithoutAWaitlistARegistrationBeyondCapacityIsRefusedButACheckInIsNot) {
    const auto session = newSession(1, false);
    RecordId first;
    RecordId second;
    RecordId walkIn;
    EXPECT_EQ(push(registration(session, first)), Verdicts(2, std::nullopt));
    EXPECT_EQ(push(registration(session, second)),
              (Verdicts{std::nullopt, ErrorCode::SessionFull}));
    EXPECT_EQ(field(t::kAttendance, second, "state"), Value::null()) << "no seat written";
    walkIn = _zhao.newRecordId();
    EXPECT_EQ(push({_zhao.set(t::kAttendance, walkIn, "session_id", Value::id(session)),
                    _zhao.set(t::kAttendance, walkIn, "state", Value::string("checked_in"))}),
              Verdicts(2, std::nullopt))
        << "the person at the door is let in";
}

TEST_F(TrainingSeats, DoneSetsEachOutcomeOnceAndAHandEditNeedsAReason) {
    const auto session = newSession(5, true);
    std::vector<RecordId> people(4);
    for (auto& person : people) {
        push(registration(session, person));
    }
    push({_zhao.set(t::kAttendance, people[0], "first_check_in", Value::timestamp(kStart)),
          _zhao.set(t::kAttendance, people[0], "state", Value::string("checked_in")),
          _zhao.set(t::kAttendance, people[1], "first_check_in",
                    Value::timestamp(kStart + 11 * kMinute)),
          _zhao.set(t::kAttendance, people[1], "state", Value::string("checked_in")),
          _zhao.set(t::kAttendance, people[3], "state", Value::string("cancelled"))});
    EXPECT_EQ(field(t::kAttendance, people[0], "outcome"), Value::null()) << "not before the end";

    push({_zhao.set(t::kTrainingSessions, session, "status", Value::string("done"))});
    std::vector<Value> outcomes;
    for (const auto& person : people) {
        outcomes.push_back(field(t::kAttendance, person, "outcome"));
    }
    EXPECT_EQ(outcomes, (std::vector<Value>{Value::string("present"), Value::string("late"),
                                            Value::string("no_show"), Value::null()}));

    EXPECT_EQ(push({_zhao.set(t::kAttendance, people[2], "outcome", Value::string("excused"))}),
              (Verdicts{ErrorCode::OutcomeReasonRequired}));
    EXPECT_EQ(field(t::kAttendance, people[2], "outcome"), Value::string("no_show"));
    // A correction over the server's outcome, as a tablet holding it writes it (on its version).
    const auto seen = _store.fieldVersion(t::kAttendance, people[2], "outcome");
    EXPECT_EQ(
        push({_zhao.set(t::kAttendance, people[2], "outcome", Value::string("excused"), seen),
              _zhao.set(t::kAttendance, people[2], "outcome_reason", Value::string("sick note"))}),
        Verdicts(2, std::nullopt));
    push({_zhao.set(t::kTrainingSessions, session, "status", Value::string("done"))});
    const auto corrected = _store.record(t::kAttendance, people[2])->fields.at("outcome");
    EXPECT_EQ(corrected.value, Value::string("excused"))
        << "the coordinator's judgement stands over the server's";
    EXPECT_FALSE(corrected.inConflict);
}

TEST_F(TrainingSeats, ACheckInSyncedAfterTheEndCorrectsTheServersNoShow) {
    const auto session = newSession(5, true);
    RecordId person;
    push(registration(session, person));
    push({_zhao.set(t::kTrainingSessions, session, "status", Value::string("done"))});
    EXPECT_EQ(field(t::kAttendance, person, "outcome"), Value::string("no_show"));
    push({_zhao.set(t::kAttendance, person, "first_check_in", Value::timestamp(kStart)),
          _zhao.set(t::kAttendance, person, "state", Value::string("checked_in"))});
    EXPECT_EQ(field(t::kAttendance, person, "outcome"), Value::string("present"))
        << "a tablet offline at the door synced late";
}

TEST_F(TrainingSeats, ARegistrationHqAcceptsFromTheQuarantineIsSeatedLikeAPushedOne) {
    const auto session = newSession(1, true);
    RecordId first;
    push(registration(session, first));
    Principal qianUser = _zhaoUser;
    qianUser.userId = qianUser.username = "qian";
    testing::TestDevice qian{5, "qian"};
    const auto late = qian.newRecordId();
    const std::vector<shared::Change> refused{
        qian.set(t::kAttendance, late, "session_id", Value::id(session)),
        qian.set(t::kAttendance, late, "state", Value::string("registered"))};
    EXPECT_EQ(push(refused, qianUser), Verdicts(2, ErrorCode::NotInScope)) << "not her session";
    accept(refused[0]);
    accept(refused[1]);
    EXPECT_EQ(seats({first, late}),
              (std::vector<std::pair<Value, Value>>{{kRegistered, Value::null()},
                                                    {kWaitlisted, Value::integer(1)}}))
        << "the session is full: the accepted registration waits";
}

}  // namespace
}  // namespace verdant
