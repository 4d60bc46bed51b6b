// A domain module added from one folder: the example module of docs/architecture.md, run in a
// real server over TLS next to the built-in audit and training modules.

#include "NoticesModule.hpp"
#include "TestDevice.hpp"

#include "verdant/shared/Clock.hpp"
#include "verdant/shared/IdGenerator.hpp"

#include <Poco/JSON/Parser.h>
#include <gtest/gtest.h>

namespace verdant {
namespace {

using shared::RecordId;
using shared::Value;
using test::NoticesModule;
using test::TestDevice;

constexpr const char* kNotices = NoticesModule::kNotices;

class NoticesModuleOverTls : public ::testing::Test {
protected:
    NoticesModuleOverTls() {
        server::SyncServer::Seams seams(&_clock);
        seams.modules = test::modulesWithNotices;
        _server = std::make_unique<test::ServerHarness>(nullptr, seams);
        test::seedTenant(*_server, "acme",
                         {{"hq", server::Role::HqReviewer}, {"li", server::Role::FieldExpert}});
        _hq = device("hq");
        _li = device("li");
    }

    std::unique_ptr<TestDevice> device(const std::string& user) {
        return std::make_unique<TestDevice>(_server->endpoint(), "acme", user, user + "-password",
                                            _clock, test::schemaWithNotices());
    }

    /// The outcome of the one change `device` pushes: its error code, or "applied".
    static std::string pushOne(TestDevice& device) {
        const auto response = device.push();
        const auto& result = response.results.at(0);
        return result.error ? std::string(shared::wireName(*result.error)) : result.outcome;
    }

    shared::ManualClock _clock{1'800'000'000'000};
    shared::IdGenerator _ids{_clock};
    std::unique_ptr<test::ServerHarness> _server;
    std::unique_ptr<TestDevice> _hq;
    std::unique_ptr<TestDevice> _li;
};

TEST_F(NoticesModuleOverTls, ANoticeHqPostsReachesEveryExpertStampedByTheServer) {
    const auto notice = _ids.nextRecordId();
    _hq->set(kNotices, notice, "title", Value::string("Hard hats in hall B"));
    EXPECT_EQ(pushOne(*_hq), "applied");

    _li->pull();
    const auto received = _li->replica().record(kNotices, notice);
    ASSERT_TRUE(received) << "the module's scope rule gives every user every notice";
    EXPECT_EQ(received->fields.at("title").value, Value::string("Hard hats in hall B"));
    ASSERT_EQ(received->fields.count("posted_at"), 1U) << "the module's follow-up write";
    EXPECT_EQ(received->fields.at("posted_at").value, Value::timestamp(_clock.nowMs()));
}

TEST_F(NoticesModuleOverTls, TheModulesRuleRefusesANoticeWithoutATitle) {
    _hq->set(kNotices, _ids.nextRecordId(), "title", Value::string(""));
    EXPECT_EQ(pushOne(*_hq), "invalid_change");
}

TEST_F(NoticesModuleOverTls, AnExpertMayReadNoticesButNotWriteThem) {
    const auto notice = _ids.nextRecordId();
    _hq->set(kNotices, notice, "title", Value::string("Fire drill at 10:00"));
    _hq->push();
    _li->pull();
    _li->set(kNotices, notice, "title", Value::string("No drill today"));
    EXPECT_EQ(pushOne(*_li), "not_in_scope");
}

TEST_F(NoticesModuleOverTls, TheModulesRouteListsTheTenantsNoticesToSignedInUsersOnly) {
    const auto notice = _ids.nextRecordId();
    _hq->set(kNotices, notice, "title", Value::string("Hard hats in hall B"));
    _hq->push();

    const auto response = _li->send("GET", "/v1/notices");
    ASSERT_EQ(response.status, 200) << response.body;
    Poco::JSON::Parser parser;
    const auto notices =
        parser.parse(response.body).extract<Poco::JSON::Object::Ptr>()->getArray("notices");
    ASSERT_EQ(notices->size(), 1U);
    EXPECT_EQ(notices->getObject(0)->getValue<std::string>("id"), notice.toString());
    EXPECT_EQ(notices->getObject(0)->getValue<std::string>("title"), "Hard hats in hall B");

    const auto anonymous = _server->client().send("GET", "/v1/notices");
    EXPECT_EQ(anonymous.status, 401);
}

TEST(NoticesModuleAbsent, AServerWithoutTheModuleKnowsNoNotices) {
    shared::ManualClock clock{1'800'000'000'000};
    test::ServerHarness server{{}, {&clock}};
    test::seedTenant(server, "acme", {{"hq", server::Role::HqReviewer}});
    TestDevice hq(server.endpoint(), "acme", "hq", "hq-password", clock, test::schemaWithNotices());
    hq.set(kNotices, shared::IdGenerator(clock).nextRecordId(), "title", Value::string("Hi"));
    const auto response = hq.push();
    ASSERT_EQ(response.results.size(), 1U);
    ASSERT_TRUE(response.results.front().error);
    EXPECT_EQ(*response.results.front().error, shared::ErrorCode::UnknownCollection);
    EXPECT_EQ(server.client().send("GET", "/v1/notices").status, 404);
}

}  // namespace
}  // namespace verdant
