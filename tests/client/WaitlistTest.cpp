// Capacity, waitlist and attendance outcome across three replicas against the real server over
// real TLS: two door tablets of one coordinator (device SDK) and HQ (a test device pulling the
// whole tenant). The server decides who waits and who is promoted, and the outcome at the end;
// every replica ends with the same states, positions and outcomes.

#include "ServerHarness.hpp"
#include "TemporaryDirectory.hpp"
#include "TestDevice.hpp"

#include "verdant/client/Client.hpp"
#include "verdant/shared/IdGenerator.hpp"
#include "verdant/training/Collections.hpp"

#include <gtest/gtest.h>

namespace verdant {
namespace {

using client::Client;
using client::FieldWrite;
using server::Role;
using shared::ErrorCode;
using shared::RecordId;
using shared::Value;
namespace t = training::collections;

constexpr std::int64_t kMinuteMs = 60'000;

/// (state, waitlist_position, outcome) of one registration on one replica.
using Seat = std::tuple<Value, Value, Value>;

Value fieldOf(const std::optional<sync::Record>& record, const std::string& field) {
    if (!record || record->fields.count(field) == 0) {
        return Value::null();
    }
    return record->fields.at(field).value;
}

Seat seatOf(const std::optional<sync::Record>& record) {
    return {fieldOf(record, "state"), fieldOf(record, "waitlist_position"),
            fieldOf(record, "outcome")};
}

class Waitlist : public ::testing::Test {
protected:
    Waitlist() {
        test::seedTenant(_server, "acme",
                         {{"hq", Role::HqReviewer}, {"zhao", Role::TrainingCoordinator}});
        _hq = std::make_unique<test::TestDevice>(_server.endpoint(), "acme", "hq", "hq-password",
                                                 _clock);
        _hq->set(t::kCourses, _course, "title_en", Value::string("Chemical storage"));
        _hq->push();
    }

    std::unique_ptr<Client> tablet(const std::string& name) {
        client::ClientOptions options;
        options.dataDirectory = _dir.file(name);
        options.server = _server.endpoint();
        options.deviceName = name;
        options.clock = &_clock;
        options.sleep = [](std::chrono::milliseconds) {};
        return Client::signIn(options, "acme", "zhao", "zhao-password");
    }

    RecordId registerPerson(Client& tablet, const RecordId& session, const std::string& name) {
        const auto written =
            tablet.create(t::kAttendance, {FieldWrite::set("session_id", Value::id(session)),
                                           FieldWrite::set("person_name_en", Value::string(name)),
                                           FieldWrite::set("state", Value::string("registered"))});
        EXPECT_TRUE(written.ok) << written.message;
        return written.recordId;
    }

    /// Syncs both tablets and HQ, then each registration's seat on each replica (tablet 1,
    /// tablet 2, HQ), after checking the replicas agree.
    std::vector<Seat> syncedSeats(Client& door1, Client& door2,
                                  const std::vector<RecordId>& people) {
        EXPECT_TRUE(door1.sync().complete);
        EXPECT_TRUE(door2.sync().complete);
        EXPECT_TRUE(door1.sync().complete);
        _hq->pull();
        std::vector<Seat> seats;
        for (const auto& person : people) {
            const auto onDoor1 = seatOf(door1.record(t::kAttendance, person));
            EXPECT_EQ(seatOf(door2.record(t::kAttendance, person)), onDoor1);
            EXPECT_EQ(seatOf(_hq->replica().record(t::kAttendance, person)), onDoor1);
            seats.push_back(onDoor1);
        }
        EXPECT_TRUE(door1.quarantine().empty());
        EXPECT_TRUE(door2.quarantine().empty());
        return seats;
    }

    shared::ManualClock _clock{1'800'000'000'000};
    test::ServerHarness _server{{}, {&_clock}};
    test::TemporaryDirectory _dir;
    std::unique_ptr<test::TestDevice> _hq;  ///< HQ: a third replica, holding the whole tenant.
    RecordId _course = shared::IdGenerator(_clock).nextRecordId();
};

const Value kNone = Value::null();
const Value kRegistered = Value::string("registered");
const Value kWaitlisted = Value::string("waitlisted");

TEST_F(Waitlist, CapacityTwoFourRegistrationsOneCancellationTheSameOnEveryReplica) {
    auto door1 = tablet("door-1");
    auto door2 = tablet("door-2");
    door1->sync();
    const auto startsAt = _clock.nowMs() + 60 * kMinuteMs;
    const auto session =
        door1
            ->create(t::kTrainingSessions,
                     {FieldWrite::set("course_id", Value::id(_course)),
                      FieldWrite::set("coordinator_id", Value::string(door1->userId())),
                      FieldWrite::set("starts_at", Value::timestamp(startsAt)),
                      FieldWrite::set("ends_at", Value::timestamp(startsAt + 120 * kMinuteMs)),
                      FieldWrite::set("late_after_minutes", Value::integer(15)),
                      FieldWrite::set("capacity", Value::integer(2)),
                      FieldWrite::set("waitlist", Value::boolean(true)),
                      FieldWrite::set("status", Value::string("open"))})
            .recordId;
    door1->sync();
    door2->sync();

    // Four people, two registered at each door: the server takes them in the order it receives
    // them (door 1's first), so door 2's two wait, whatever the tablets showed offline.
    const std::vector<RecordId> people{
        registerPerson(*door1, session, "Chen"), registerPerson(*door1, session, "Wu"),
        registerPerson(*door2, session, "Lin"), registerPerson(*door2, session, "Ma")};
    EXPECT_EQ(syncedSeats(*door1, *door2, people),
              (std::vector<Seat>{{kRegistered, kNone, kNone},
                                 {kRegistered, kNone, kNone},
                                 {kWaitlisted, Value::integer(1), kNone},
                                 {kWaitlisted, Value::integer(2), kNone}}));
    EXPECT_EQ(fieldOf(door2->record(t::kTrainingSessions, session), "status"),
              Value::string("full"));

    // Wu cancels at door 1: exactly one (Lin, first in line) is promoted; Ma moves up.
    ASSERT_TRUE(door1
                    ->write(t::kAttendance, people[1],
                            {FieldWrite::set("state", Value::string("cancelled"))})
                    .ok);
    EXPECT_EQ(syncedSeats(*door1, *door2, people),
              (std::vector<Seat>{{kRegistered, kNone, kNone},
                                 {Value::string("cancelled"), kNone, kNone},
                                 {kRegistered, kNone, kNone},
                                 {kWaitlisted, Value::integer(1), kNone}}));

    // The day: Chen checked in on time at door 2, Lin never came; the session ends.
    ASSERT_TRUE(
        door2
            ->write(t::kAttendance, people[0],
                    {FieldWrite::set("first_check_in", Value::timestamp(startsAt + 5 * kMinuteMs)),
                     FieldWrite::set("state", Value::string("checked_in"))})
            .ok);
    door2->sync();
    door1->sync();
    ASSERT_TRUE(door1
                    ->write(t::kTrainingSessions, session,
                            {FieldWrite::set("status", Value::string("done"))})
                    .ok);
    EXPECT_EQ(syncedSeats(*door1, *door2, people),
              (std::vector<Seat>{{Value::string("checked_in"), kNone, Value::string("present")},
                                 {Value::string("cancelled"), kNone, kNone},
                                 {kRegistered, kNone, Value::string("no_show")},
                                 {kWaitlisted, Value::integer(1), kNone}}));

    // The coordinator corrects Lin's no-show: only with a reason, refused at the write otherwise.
    const auto unexplained = door1->write(t::kAttendance, people[2],
                                          {FieldWrite::set("outcome", Value::string("excused"))});
    EXPECT_FALSE(unexplained.ok);
    EXPECT_EQ(unexplained.error, ErrorCode::OutcomeReasonRequired);
    ASSERT_TRUE(
        door1
            ->write(t::kAttendance, people[2],
                    {FieldWrite::set("outcome", Value::string("excused")),
                     FieldWrite::set("outcome_reason", Value::string("flood at the plant"))})
            .ok);
    EXPECT_EQ(std::get<2>(syncedSeats(*door1, *door2, people)[2]), Value::string("excused"));
}

}  // namespace
}  // namespace verdant
