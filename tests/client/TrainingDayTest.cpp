// The training coordinator's day through the device SDK against the real server over real TLS:
// sessions created on a tablet in the coordinator's own name, the training rules refused at the
// write with the server's codes, and what a coordinator or a field expert may not do.

#include "ServerHarness.hpp"
#include "TemporaryDirectory.hpp"
#include "TestDevice.hpp"

#include "verdant/client/Client.hpp"
#include "verdant/server/auth/AccountStore.hpp"
#include "verdant/server/storage/TenantStores.hpp"
#include "verdant/shared/IdGenerator.hpp"
#include "verdant/training/Collections.hpp"

#include <gtest/gtest.h>

#include <functional>

namespace verdant {
namespace {

using client::Client;
using client::FieldWrite;
using server::Role;
using shared::ErrorCode;
using shared::RecordId;
using shared::Value;
namespace t = training::collections;

constexpr std::int64_t kHourMs = 60LL * 60 * 1000;

/// A tenant with HQ, two coordinators (zhao, qian) and a field expert (li), and one course HQ
/// published.
class TrainingDay : public ::testing::Test {
protected:
    TrainingDay() {
        test::seedTenant(_server, "acme",
                         {{"hq", Role::HqReviewer},
                          {"zhao", Role::TrainingCoordinator},
                          {"qian", Role::TrainingCoordinator},
                          {"li", Role::FieldExpert}});
        test::TestDevice hq(_server.endpoint(), "acme", "hq", "hq-password", _clock);
        hq.set(t::kCourses, _course, "title_en", Value::string("Wastewater basics"));
        hq.set(t::kCourses, _course, "title_zh", Value::string("废水处理基础"));
        hq.push();
    }

    std::unique_ptr<Client> tablet(const std::string& user) {
        client::ClientOptions options;
        options.dataDirectory = _dir.file(user + "-tablet");
        options.server = _server.endpoint();
        options.deviceName = user + "-tablet";
        options.clock = &_clock;
        options.sleep = [](std::chrono::milliseconds) {};
        return Client::signIn(options, "acme", user, user + "-password");
    }

    /// A session of the course `coordinator` creates on their tablet, 09:00 to 17:00.
    client::WriteResult createSession(Client& tablet, const std::string& coordinator) {
        const auto start = _clock.nowMs() + 24 * kHourMs;
        return tablet.create(t::kTrainingSessions,
                             {FieldWrite::set("course_id", Value::id(_course)),
                              FieldWrite::set("coordinator_id", Value::string(coordinator)),
                              FieldWrite::set("starts_at", Value::timestamp(start)),
                              FieldWrite::set("ends_at", Value::timestamp(start + 8 * kHourMs)),
                              FieldWrite::set("capacity", Value::integer(30)),
                              FieldWrite::set("status", Value::string("open"))});
    }

    /// The session as the server holds it.
    std::optional<sync::Record> onServer(const RecordId& session) {
        return _server.server().stores().with(
            _server.server().accounts().tenantBySlug("acme")->id,
            [&](sync::Store& store) { return store.record(t::kTrainingSessions, session); });
    }

    shared::ManualClock _clock{1'800'000'000'000};
    test::ServerHarness _server{{}, {&_clock}};
    test::TemporaryDirectory _dir;
    RecordId _course = shared::IdGenerator(_clock).nextRecordId();
};

/// `attempt` refused on the tablet with nothing written; its code.
std::optional<ErrorCode> refusedAtWrite(Client& tablet,
                                        const std::function<client::WriteResult()>& attempt) {
    const auto before = tablet.pendingChanges().size();
    const auto result = attempt();
    EXPECT_FALSE(result.ok);
    EXPECT_EQ(tablet.pendingChanges().size(), before) << "nothing written";
    return result.error;
}

TEST_F(TrainingDay, ACoordinatorCreatesASessionOnHerTabletAndItReachesTheServer) {
    auto zhao = tablet("zhao");
    zhao->sync();
    EXPECT_TRUE(zhao->record(t::kCourses, _course)) << "every coordinator holds the courses";
    const auto session = createSession(*zhao, zhao->userId());
    ASSERT_TRUE(session.ok) << session.message;
    const auto report = zhao->sync();
    EXPECT_TRUE(report.complete);
    EXPECT_TRUE(zhao->quarantine().empty());
    const auto stored = onServer(session.recordId);
    ASSERT_TRUE(stored);
    EXPECT_EQ(stored->fields.at("capacity").value, Value::integer(30));
}

TEST_F(TrainingDay, TheTrainingRulesRefuseAtTheWriteWithTheServersCodes) {
    auto zhao = tablet("zhao");
    zhao->sync();
    const auto session = createSession(*zhao, zhao->userId()).recordId;
    EXPECT_EQ(refusedAtWrite(*zhao,
                             [&] {
                                 return zhao->write(
                                     t::kTrainingSessions, session,
                                     {FieldWrite::set("ends_at", Value::timestamp(1'000))});
                             }),
              ErrorCode::InvalidSchedule);
    EXPECT_EQ(refusedAtWrite(*zhao,
                             [&] {
                                 return zhao->write(
                                     t::kTrainingSessions, session,
                                     {FieldWrite::set("capacity", Value::integer(-1))});
                             }),
              ErrorCode::InvalidCapacity);
    ASSERT_TRUE(zhao->write(t::kTrainingSessions, session,
                            {FieldWrite::set("status", Value::string("cancelled"))})
                    .ok);
    EXPECT_EQ(refusedAtWrite(*zhao,
                             [&] {
                                 return zhao->create(
                                     t::kAttendance,
                                     {FieldWrite::set("session_id", Value::id(session)),
                                      FieldWrite::set("state", Value::string("registered"))});
                             }),
              ErrorCode::SessionCancelled);

    auto li = tablet("li");
    EXPECT_EQ(refusedAtWrite(*li, [&] { return createSession(*li, li->userId()); }),
              ErrorCode::Forbidden)
        << "a field expert cannot create a session";
}

TEST_F(TrainingDay, ASessionOfAnUnknownCourseIsQuarantinedByTheServer) {
    auto zhao = tablet("zhao");
    const auto session = zhao->create(
        t::kTrainingSessions,
        {FieldWrite::set("coordinator_id", Value::string(zhao->userId())),
         FieldWrite::set("course_id", Value::id(shared::IdGenerator(_clock).nextRecordId()))});
    ASSERT_TRUE(session.ok) << "the tablet cannot know every course";
    zhao->sync();
    const auto kept = zhao->quarantine();
    ASSERT_EQ(kept.size(), 1U);
    EXPECT_EQ(kept.front().code, ErrorCode::UnknownCourse);
    EXPECT_EQ(onServer(session.recordId)->fields.count("course_id"), 0U);
}

TEST_F(TrainingDay, ACoordinatorNeitherReadsNorChangesAnotherCoordinatorsSession) {
    auto zhao = tablet("zhao");
    auto qian = tablet("qian");
    zhao->sync();
    const auto session = createSession(*zhao, zhao->userId()).recordId;
    zhao->sync();

    qian->sync();
    EXPECT_FALSE(qian->record(t::kTrainingSessions, session)) << "never reaches qian";
    ASSERT_TRUE(qian->write(t::kTrainingSessions, session,
                            {FieldWrite::set("venue", Value::string("Hall B"))})
                    .ok);
    qian->sync();
    ASSERT_EQ(qian->quarantine().size(), 1U);
    EXPECT_EQ(qian->quarantine().front().code, ErrorCode::NotInScope);
    EXPECT_EQ(onServer(session)->fields.count("venue"), 0U) << "zhao's session is unchanged";
}

}  // namespace
}  // namespace verdant
