// The device SDK end to end over real TLS against the real server: two tablets offline, a wrong
// clock, sixty days offline, reassignment while offline, background sync with a flaky network.

#include "FaultyTransport.hpp"
#include "ServerHarness.hpp"
#include "TemporaryDirectory.hpp"
#include "TestDevice.hpp"

#include "verdant/client/Client.hpp"
#include "verdant/domain/DomainSchema.hpp"
#include "verdant/server/app/AdminCommand.hpp"
#include "verdant/server/storage/TenantStores.hpp"
#include "verdant/shared/IdGenerator.hpp"
#include "verdant/sync/Sqlite.hpp"
#include "verdant/training/Collections.hpp"

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/StreamSocket.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <condition_variable>
#include <fstream>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>

namespace verdant {
namespace {

using client::Client;
using client::FieldWrite;
using client::RecordSyncState;
using server::Role;
using shared::RecordId;
using shared::Value;
namespace c = audit::collections;

constexpr std::int64_t kDayMs = 24LL * 60 * 60 * 1000;

Value answerJson(const std::string& answer) {
    return Value::json(R"({"answer":")" + answer + R"("})");
}

/// The writes of an answer as a tablet makes them: its audit, question and value.
std::vector<FieldWrite> answerWrites(const RecordId& audit, const std::string& question,
                                     Value value) {
    return {FieldWrite::set("audit_id", Value::id(audit)),
            FieldWrite::set("question_id", Value::string(question)),
            FieldWrite::set("value", std::move(value))};
}

/// A transport that fails the first `failures` requests as an unreachable server would, then
/// passes requests on to the real one; or fails everything while `offline`.
class FlakyTransport final : public client::Transport {
public:
    explicit FlakyTransport(const client::ServerEndpoint& server) : _real(server) {}

    client::HttpResponse send(const std::string& method, const std::string& path,
                              const std::string& contentType, const std::string& body,
                              const std::map<std::string, std::string>& headers) override {
        ++requests;
        if (offline || failures > 0) {
            if (failures > 0) {
                --failures;
            }
            throw shared::Error(shared::ErrorCode::ServerUnreachable, "simulated: no network");
        }
        auto response = _real.send(method, path, contentType, body, headers);
        if (lostPushAnswers > 0 && path == "/v1/sync/push") {
            --lostPushAnswers;  // the server got the push; its answer never arrives
            throw shared::Error(shared::ErrorCode::ServerUnreachable, "simulated: answer lost");
        }
        return response;
    }

    std::atomic<int> lostPushAnswers{0};
    std::atomic<int> failures{0};
    std::atomic<bool> offline{false};
    std::atomic<int> requests{0};

private:
    client::HttpsTransport _real;
};

/// A transport that passes requests on to the real one but throws away the answers of the next
/// `lose` requests to `losePath`, as a connection cut after the request would: the server acted,
/// the device does not know.
class LossyTransport final : public client::Transport {
public:
    explicit LossyTransport(const client::ServerEndpoint& server) : _real(server) {}

    client::HttpResponse send(const std::string& method, const std::string& path,
                              const std::string& contentType, const std::string& body,
                              const std::map<std::string, std::string>& headers) override {
        auto response = _real.send(method, path, contentType, body, headers);
        if (path == losePath && lose > 0) {
            --lose;
            throw client::AnswerLost("simulated: the connection broke before the answer came");
        }
        return response;
    }

    std::string losePath;
    std::atomic<int> lose{0};

private:
    client::HttpsTransport _real;
};

/// A transport that notes the media type of every sync request and, while `olderServer`, refuses
/// binary form 2 as a server of the previous build does (415: it knows JSON and form 1 only).
class FormRecordingTransport final : public client::Transport {
public:
    explicit FormRecordingTransport(const client::ServerEndpoint& server) : _real(server) {}

    client::HttpResponse send(const std::string& method, const std::string& path,
                              const std::string& contentType, const std::string& body,
                              const std::map<std::string, std::string>& headers) override {
        if (path.rfind("/v1/sync/", 0) == 0) {
            std::lock_guard lock(_mutex);
            _types.push_back(contentType);
        }
        if (olderServer && contentType == shared::SyncMessageCodec::kCompactContentType) {
            return client::HttpResponse{
                415,
                "application/json; charset=utf-8",
                R"({"error":{"code":"unsupported_media_type","message":"Send application/json )"
                R"(or application/vnd.verdant.v1+cereal (with a Content-Type header)."}})",
                {}};
        }
        return _real.send(method, path, contentType, body, headers);
    }

    std::vector<std::string> types() const {
        std::lock_guard lock(_mutex);
        return _types;
    }

    std::atomic<bool> olderServer{false};

private:
    client::HttpsTransport _real;
    mutable std::mutex _mutex;
    std::vector<std::string> _types;
};

/// A tenant with HQ (a TestDevice, the web console's stand-in), a lead auditor and a co-auditor
/// on one audit, and a second audit assigned to the co-auditor alone.
class SdkOverTls : public ::testing::Test {
protected:
    SdkOverTls()
        : _tenantId(test::seedTenant(
              _server, "acme",
              {{"hq", Role::HqReviewer}, {"li", Role::FieldExpert}, {"wang", Role::FieldExpert}})),
          _hq(_server.endpoint(), "acme", "hq", "hq-password", _serverClock) {
        _hq.set(c::kSuppliers, _supplier, "name_en", Value::string("Green Dyeing Co."));
        _hq.set(c::kFacilities, _facility, "supplier_id", Value::id(_supplier));
        _hq.set(c::kTemplateVersions, _template, "version", Value::integer(1));
        for (const auto& audit : {_audit, _otherAudit}) {
            _hq.set(c::kAudits, audit, "template_version_id", Value::id(_template));
            _hq.set(c::kAudits, audit, "supplier_id", Value::id(_supplier));
            _hq.set(c::kAudits, audit, "facility_id", Value::id(_facility));
        }
        _hq.push();
    }

    /// Finishes the set-up once the SDK users exist: li leads _audit with wang on the team;
    /// _otherAudit is wang's alone.
    void assignAudits(const std::string& liId, const std::string& wangId) {
        _hq.set(c::kAudits, _audit, "assignee_id", Value::string(liId));
        _hq.add(c::kAudits, _audit, "team", wangId);
        _hq.set(c::kAudits, _otherAudit, "assignee_id", Value::string(wangId));
        _hq.push();
    }

    /// HQ hands _audit to wang while li, offline, answers B.3 in it: li's write is now out of
    /// li's scope. Returns the answer record.
    RecordId reassignWhileAnsweringOffline(Client& li, const Client& wang) {
        _hq.set(c::kAudits, _audit, "assignee_id", Value::string(wang.userId()));
        _hq.push();
        const auto item = audit::answerRecordId(_audit, "B.3");
        EXPECT_TRUE(li.write(c::kAnswers, item, answerWrites(_audit, "B.3", answerJson("no"))).ok);
        return item;
    }

    client::ClientOptions options(const std::string& name, const shared::Clock& clock) {
        client::ClientOptions options;
        options.dataDirectory = _dir.file(name);
        options.server = _server.endpoint();
        options.deviceName = name;
        options.clock = &clock;
        options.sleep = [this](std::chrono::milliseconds delay) {
            std::lock_guard lock(_sleepsMutex);
            _sleeps.push_back(delay);
        };
        return options;
    }

    std::unique_ptr<Client> tablet(const std::string& user, const shared::Clock& clock) {
        return Client::signIn(options(user + "-tablet", clock), "acme", user, user + "-password");
    }

    static void expectComplete(const client::SyncReport& report) {
        EXPECT_TRUE(report.complete);
        for (const auto& error : report.errors) {
            ADD_FAILURE() << shared::wireName(error.code) << ": " << error.message;
        }
    }

    std::string serverScopeChecksum(const RecordId& audit) {
        return _server.server().stores().with(_tenantId, [&](sync::Store& store) {
            return store.scopeChecksum(shared::scopeKey(c::kAudits, audit));
        });
    }

    /// The checksum of an audit's scope in a tablet's local database, read beside the SDK.
    std::string deviceScopeChecksum(const std::string& user, const RecordId& audit) {
        const sync::Store local(Client::databasePath(_dir.file(user + "-tablet"), "acme", user),
                                domain::domainSchema());
        return local.scopeChecksum(shared::scopeKey(c::kAudits, audit));
    }

    std::optional<sync::Record> serverRecord(const char* collection, const RecordId& id) {
        return _server.server().stores().with(
            _tenantId, [&](sync::Store& store) { return store.record(collection, id); });
    }

    RecordId newId() { return _ids.nextRecordId(); }

    test::TemporaryDirectory _dir;
    shared::ManualClock _serverClock{shared::SystemClock::instance().nowMs()};
    shared::IdGenerator _ids{_serverClock};
    test::ServerHarness _server{{}, {&_serverClock}};
    std::string _tenantId;
    test::TestDevice _hq;
    RecordId _supplier = newId();
    RecordId _facility = newId();
    RecordId _template = newId();
    RecordId _audit = newId();
    RecordId _otherAudit = newId();
    std::mutex _sleepsMutex;
    std::vector<std::chrono::milliseconds> _sleeps;
};

/// Both tablets answer the same item differently while offline, and other items each; they come
/// back in the order the parameter says.
class TwoTablets : public SdkOverTls, public ::testing::WithParamInterface<bool> {};

TEST_P(TwoTablets, OfflineEditsConvergeConflictsReachBothAndHqsChoiceReachesBoth) {
    shared::ManualClock liClock{_serverClock.nowMs()};
    shared::ManualClock wangClock{_serverClock.nowMs()};
    auto li = tablet("li", liClock);
    auto wang = tablet("wang", wangClock);
    assignAudits(li->userId(), wang->userId());
    expectComplete(li->sync());
    expectComplete(wang->sync());
    ASSERT_TRUE(li->record(c::kAudits, _audit));
    ASSERT_TRUE(wang->record(c::kAudits, _audit));
    EXPECT_FALSE(li->record(c::kAudits, _otherAudit)) << "not li's audit";

    // Offline: both answer C.2, each answers another item.
    const auto c2 = audit::answerRecordId(_audit, "C.2");
    using Edit = std::tuple<Client*, shared::ManualClock*, const char*, const char*>;
    for (const auto& [device, clock, answer, other] :
         {Edit{li.get(), &liClock, "yes", "C.1"}, Edit{wang.get(), &wangClock, "no", "D.4"}}) {
        clock->advance(60'000);
        const auto written =
            device->write(c::kAnswers, c2, answerWrites(_audit, "C.2", answerJson(answer)));
        ASSERT_TRUE(written.ok) << written.message;
        EXPECT_EQ(device->syncState(c::kAnswers, c2), RecordSyncState::Local);
        const auto otherId = audit::answerRecordId(_audit, other);
        ASSERT_TRUE(device
                        ->write(c::kAnswers, otherId,
                                // The parent field last: the SDK sends it first anyway.
                                {FieldWrite::set("value", answerJson("yes")),
                                 FieldWrite::set("question_id", Value::string(other)),
                                 FieldWrite::set("audit_id", Value::id(_audit))})
                        .ok);
    }
    EXPECT_EQ(li->status().pendingChanges, 6U);

    // Back online in either order.
    auto* first = GetParam() ? li.get() : wang.get();
    auto* second = GetParam() ? wang.get() : li.get();
    const auto firstReport = first->sync();
    expectComplete(firstReport);
    EXPECT_EQ(firstReport.pushed, 6U);
    const auto secondReport = second->sync();
    expectComplete(secondReport);
    EXPECT_EQ(secondReport.conflictsRaised, 1U) << "C.2 was answered concurrently";
    expectComplete(first->sync());

    const auto checksum = serverScopeChecksum(_audit);
    EXPECT_EQ(deviceScopeChecksum("li", _audit), checksum);
    EXPECT_EQ(deviceScopeChecksum("wang", _audit), checksum);
    for (auto* device : {li.get(), wang.get()}) {
        EXPECT_EQ(device->status().pendingChanges, 0U);
        EXPECT_EQ(device->auditRecords(_audit).size(), 4U) << "the audit and three answers";
        const auto conflicts = device->conflicts();
        ASSERT_EQ(conflicts.size(), 1U);
        EXPECT_EQ(conflicts[0].recordId, c2);
        ASSERT_EQ(conflicts[0].candidates.size(), 2U);
        EXPECT_THAT((std::vector<Value>{conflicts[0].candidates[0].value,
                                        conflicts[0].candidates[1].value}),
                    ::testing::UnorderedElementsAre(answerJson("yes"), answerJson("no")));
        EXPECT_EQ(device->syncState(c::kAnswers, c2), RecordSyncState::Conflict);
        EXPECT_EQ(device->syncState(c::kAnswers, audit::answerRecordId(_audit, "C.1")),
                  RecordSyncState::Synced);
    }
    EXPECT_EQ(li->record(c::kAnswers, c2)->fields.at("value").value,
              wang->record(c::kAnswers, c2)->fields.at("value").value);

    // HQ picks "no"; both tablets get the resolution on their next sync.
    Poco::JSON::Parser parser;
    const auto shown =
        parser.parse(_hq.send("GET", "/v1/conflicts/answers/" + c2.toString() + "/value").body)
            .extract<Poco::JSON::Object::Ptr>();
    int chosen = -1;
    const auto candidates = shown->getObject("conflict")
                                ? shown->getObject("conflict")->getArray("candidates")
                                : shown->getArray("candidates");
    ASSERT_TRUE(candidates) << "the conflict lists its candidates";
    for (unsigned i = 0; i < candidates->size(); ++i) {
        if (candidates->getObject(i)->get("value").toString().find("no") != std::string::npos) {
            chosen = static_cast<int>(i);
        }
    }
    ASSERT_GE(chosen, 0);
    ASSERT_EQ(_hq.send("POST", "/v1/conflicts/answers/" + c2.toString() + "/value/resolve",
                       "application/json", "{\"choose\":" + std::to_string(chosen) + "}")
                  .status,
              200);
    std::vector<client::RecordEvent> liEvents;
    li->subscribe([&](const client::RecordEvent& event) { liEvents.push_back(event); });
    expectComplete(li->sync());
    expectComplete(wang->sync());
    for (auto* device : {li.get(), wang.get()}) {
        const auto field = device->record(c::kAnswers, c2)->fields.at("value");
        EXPECT_EQ(field.value, answerJson("no"));
        EXPECT_FALSE(field.inConflict);
        EXPECT_TRUE(device->conflicts().empty());
        EXPECT_EQ(device->syncState(c::kAnswers, c2), RecordSyncState::Synced);
    }
    EXPECT_EQ(deviceScopeChecksum("li", _audit), serverScopeChecksum(_audit));
    EXPECT_EQ(deviceScopeChecksum("wang", _audit), serverScopeChecksum(_audit));
    EXPECT_TRUE(std::any_of(liEvents.begin(), liEvents.end(), [&](const auto& event) {
        return event.id == c2 && event.origin == client::RecordEvent::Origin::Sync;
    })) << "a subscriber hears of the resolution";
}

INSTANTIATE_TEST_SUITE_P(EitherOrder, TwoTablets, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& param) {
                             return param.param ? "LiFirst" : "WangFirst";
                         });

TEST_F(SdkOverTls, AClockThreeDaysAheadIsRestampedAndDoesNotWinLaterConflicts) {
    shared::ManualClock fastClock{_serverClock.nowMs() + 3 * kDayMs};
    shared::ManualClock goodClock{_serverClock.nowMs()};
    auto li = tablet("li", fastClock);
    auto wang = tablet("wang", goodClock);
    assignAudits(li->userId(), wang->userId());
    expectComplete(wang->sync());

    // li has never synced on this clock: its first answers are dated three days ahead.
    const auto item = audit::answerRecordId(_audit, "A.1");
    ASSERT_TRUE(li->write(c::kAnswers, item,
                          {FieldWrite::set("audit_id", Value::id(_audit)),
                           FieldWrite::set("question_id", Value::string("A.1")),
                           FieldWrite::set("comment", Value::string("from the fast tablet"))})
                    .ok);
    ASSERT_GT(li->pendingChanges().front().hlc.physicalMs,
              static_cast<std::uint64_t>(_serverClock.nowMs() + 2 * kDayMs));
    const auto report = li->sync();
    expectComplete(report);
    EXPECT_EQ(report.restamped, 3U);
    EXPECT_EQ(report.pendingChanges, 0U);
    EXPECT_LT(std::llabs(report.serverOffsetMs + 3 * kDayMs), 60'000)
        << "the tablet learned it runs three days ahead";
    const auto stored = serverRecord(c::kAnswers, item);
    ASSERT_TRUE(stored);
    EXPECT_LT(stored->fields.at("comment").version->physicalMs,
              static_cast<std::uint64_t>(_serverClock.nowMs() + 60'000))
        << "re-stamped with the server's time";

    // A correctly clocked edit made later wins, on the server and on both tablets.
    _serverClock.advance(5'000);
    goodClock.advance(5'000);
    fastClock.advance(5'000);
    expectComplete(wang->sync());
    ASSERT_TRUE(
        wang->write(c::kAnswers, item, {FieldWrite::set("comment", Value::string("corrected"))})
            .ok);
    expectComplete(wang->sync());
    expectComplete(li->sync());
    EXPECT_EQ(serverRecord(c::kAnswers, item)->fields.at("comment").value,
              Value::string("corrected"));
    EXPECT_EQ(li->record(c::kAnswers, item)->fields.at("comment").value,
              Value::string("corrected"));

    // New writes on the fast tablet are dated by the server's clock from now on.
    ASSERT_TRUE(
        li->write(c::kAnswers, item, {FieldWrite::set("comment", Value::string("li again"))}).ok);
    EXPECT_LT(li->pendingChanges().back().hlc.physicalMs,
              static_cast<std::uint64_t>(_serverClock.nowMs() + 60'000));
    const auto again = li->sync();
    expectComplete(again);
    EXPECT_EQ(again.restamped, 0U);
}

TEST_F(SdkOverTls, ATabletOfflineForSixtyDaysSyncsWithoutAWipe) {
    shared::ManualClock liClock{_serverClock.nowMs()};
    auto li = tablet("li", liClock);
    assignAudits(li->userId(), li->userId());
    expectComplete(li->sync());
    ASSERT_TRUE(li->record(c::kAudits, _audit));

    // Sixty days offline: an answer every day; HQ keeps working meanwhile.
    for (int day = 1; day <= 60; ++day) {
        liClock.advance(kDayMs);
        _serverClock.advance(kDayMs);
        const auto item = "Q." + std::to_string(day);
        ASSERT_TRUE(li->write(c::kAnswers, audit::answerRecordId(_audit, item),
                              {FieldWrite::set("audit_id", Value::id(_audit)),
                               FieldWrite::set("question_id", Value::string(item)),
                               FieldWrite::set("value", answerJson("day " + std::to_string(day)))})
                        .ok);
        if (day % 10 == 0) {
            // The web console signs in afresh on the day it is used.
            test::TestDevice console(_server.endpoint(), "acme", "hq", "hq-password", _serverClock);
            console.set(c::kSuppliers, _supplier, "name_en",
                        Value::string("Green Dyeing Co. (day " + std::to_string(day) + ")"));
            console.push();
        }
    }
    EXPECT_EQ(li->status().pendingChanges, 180U);

    // The refresh token (30 days) has lapsed: sync says so and keeps everything.
    const auto lapsed = li->sync();
    EXPECT_FALSE(lapsed.complete);
    ASSERT_FALSE(lapsed.errors.empty());
    EXPECT_EQ(shared::categoryOf(lapsed.errors[0].code), shared::ErrorCategory::Unauthorised)
        << shared::wireName(lapsed.errors[0].code) << ": " << lapsed.errors[0].message << " after "
        << lapsed.attempts << " retries";
    EXPECT_EQ(li->status().pendingChanges, 180U) << "nothing lost while signed out";
    const auto deviceId = li->deviceId();
    li.reset();

    // Signing in again reopens the same local store: no wipe, no new device.
    li = tablet("li", liClock);
    EXPECT_EQ(li->deviceId(), deviceId);
    const auto report = li->sync();
    expectComplete(report);
    EXPECT_EQ(report.pushed, 180U);
    EXPECT_EQ(report.purgedScopes, 0U);
    EXPECT_EQ(li->auditRecords(_audit).size(), 61U);
    EXPECT_EQ(li->record(c::kSuppliers, _supplier)->fields.at("name_en").value,
              Value::string("Green Dyeing Co. (day 60)"));
    EXPECT_EQ(li->syncState(c::kAnswers, audit::answerRecordId(_audit, "Q.1")),
              RecordSyncState::Synced);
    EXPECT_EQ(deviceScopeChecksum("li", _audit), serverScopeChecksum(_audit));
}

TEST_F(SdkOverTls, AReplicaDamagedUnderTheSdkIsFoundAndRepairedFromTheServer) {
    shared::ManualClock liClock{_serverClock.nowMs()};
    auto li = tablet("li", liClock);
    assignAudits(li->userId(), li->userId());
    expectComplete(li->sync());
    EXPECT_TRUE(li->checkReplica().empty());
    ASSERT_EQ(li->record(c::kAudits, _audit)->fields.count("facility_id"), 1U);

    // A field row is lost behind the SDK's back (a bad restore, a bad disk): the checksums the
    // store kept as it wrote cannot know, so sync alone would not notice.
    {
        sync::sqlite::Database db(Client::databasePath(_dir.file("li-tablet"), "acme", "li"));
        db.exec("DELETE FROM fields WHERE field = 'facility_id'");
    }
    EXPECT_EQ(li->record(c::kAudits, _audit)->fields.count("facility_id"), 0U);
    const auto damaged = li->checkReplica();
    EXPECT_NE(std::find(damaged.begin(), damaged.end(), shared::scopeKey(c::kAudits, _audit)),
              damaged.end());

    const auto report = li->sync();
    expectComplete(report);
    EXPECT_GE(report.repairedScopes, 1U);
    ASSERT_EQ(li->record(c::kAudits, _audit)->fields.count("facility_id"), 1U);
    EXPECT_EQ(li->record(c::kAudits, _audit)->fields.at("facility_id").value, Value::id(_facility));
    EXPECT_EQ(deviceScopeChecksum("li", _audit), serverScopeChecksum(_audit));
    EXPECT_TRUE(li->checkReplica().empty());
}

TEST_F(SdkOverTls, ACaughtUpPullWritesOnlyItsSyncTimeAndCheckpointsNothing) {
    // Every statement the SDK runs on its database, with its values.
    struct Statements {
        std::mutex mutex;
        std::vector<std::string> run;
    };
    Statements statements;
    shared::ManualClock liClock{_serverClock.nowMs()};
    auto liOptions = options("li-tablet", liClock);
    liOptions.onOpenDatabase = [&statements](sqlite3* connection) {
        sqlite3_trace_v2(
            connection, SQLITE_TRACE_STMT,
            [](unsigned, void* context, void* statement, void* text) {
                auto& into = *static_cast<Statements*>(context);
                char* expanded = sqlite3_expanded_sql(static_cast<sqlite3_stmt*>(statement));
                std::lock_guard lock(into.mutex);
                into.run.emplace_back(expanded != nullptr ? expanded
                                                          : static_cast<const char*>(text));
                sqlite3_free(expanded);
                return 0;
            },
            &statements);
    };
    auto li = Client::signIn(liOptions, "acme", "li", "li-password");
    assignAudits(li->userId(), li->userId());
    expectComplete(li->pull());
    liClock.advance(60'000);  // a minute later on both sides: the clock offset stays
    _serverClock.advance(60'000);
    {
        std::lock_guard lock(statements.mutex);
        statements.run.clear();
    }
    const auto report = li->pull();
    expectComplete(report);
    EXPECT_EQ(report.pulled, 0U);
    std::vector<std::string> writes;
    for (const auto& sql : statements.run) {
        const bool write = sql.rfind("INSERT", 0) == 0 || sql.rfind("UPDATE", 0) == 0 ||
                           sql.find("wal_checkpoint") != std::string::npos;
        if (write && sql.find("'last_sync_ms'") == std::string::npos) {
            writes.push_back(sql);
        }
    }
    EXPECT_THAT(writes, ::testing::IsEmpty());
    // The sync time is still kept, and the next change still arrives.
    EXPECT_EQ(li->status().lastSyncMs, liClock.nowMs());
    _hq.pull();
    _hq.set(c::kAudits, _audit, "scheduled_for", Value::timestamp(_serverClock.nowMs()));
    _hq.push();
    const auto changed = li->pull();
    expectComplete(changed);
    EXPECT_EQ(changed.pulled, 1U);
}

TEST_F(SdkOverTls, AnEditToAnAuditReassignedWhileOfflineIsQuarantinedNotLost) {
    shared::ManualClock liClock{_serverClock.nowMs()};
    auto li = tablet("li", liClock);
    auto wang = tablet("wang", liClock);
    assignAudits(li->userId(), wang->userId());
    expectComplete(li->sync());

    // HQ moves the audit to wang while li, offline, answers an item.
    const auto item = reassignWhileAnsweringOffline(*li, *wang);

    const auto report = li->sync();
    expectComplete(report);
    EXPECT_EQ(report.quarantined, 3U);
    EXPECT_EQ(report.purgedScopes, 4U)
        << "the audit left li's tablet, and the supplier, facility and template it referenced";
    EXPECT_FALSE(li->record(c::kAudits, _audit));
    EXPECT_EQ(li->status().pendingChanges, 0U);
    const auto kept = li->quarantine();
    ASSERT_EQ(kept.size(), 3U);
    for (const auto& entry : kept) {
        EXPECT_EQ(entry.code, shared::ErrorCode::NotInScope);
        EXPECT_EQ(entry.change.recordId, item);
    }
    EXPECT_EQ(li->syncState(c::kAnswers, item), RecordSyncState::Quarantined);
    EXPECT_EQ(li->status().quarantined, 3U);
    // HQ sees the same refused changes.
    Poco::JSON::Parser parser;
    const auto listed =
        parser.parse(_hq.send("GET", "/v1/quarantine").body).extract<Poco::JSON::Object::Ptr>();
    EXPECT_GE(listed->getArray("quarantine")->size(), 3U);
}

// The answer that refused a push is lost; the SDK sends the changes again and the server answers
// `duplicate` with the refusal's code: the tablet quarantines them, as if it had heard the first
// answer, instead of counting them as on the server.
TEST_F(SdkOverTls, ARefusalWhoseAnswerWasLostIsStillQuarantinedOnTheTablet) {
    shared::ManualClock liClock{_serverClock.nowMs()};
    auto transport = std::make_shared<FlakyTransport>(_server.endpoint());
    auto liOptions = options("li-tablet", liClock);
    liOptions.transport = transport;
    auto li = Client::signIn(liOptions, "acme", "li", "li-password");
    auto wang = tablet("wang", liClock);
    assignAudits(li->userId(), wang->userId());
    expectComplete(li->sync());

    const auto item = reassignWhileAnsweringOffline(*li, *wang);

    transport->lostPushAnswers = 1;
    li->sync();
    expectComplete(li->sync());
    EXPECT_EQ(li->quarantine().size(), 3U);
    EXPECT_EQ(li->status().quarantined, 3U);
    EXPECT_EQ(li->status().pendingChanges, 0U);
    EXPECT_FALSE(_server.server().stores().with(_tenantId, [&](sync::Store& store) {
        return store.record(c::kAnswers, item).has_value();
    }));
}

// The SDK speaks binary form 2; against a server of the previous build, which refuses it with 415,
// it falls back to form 1 and syncs all the same.
TEST_F(SdkOverTls, ATabletSpeaksForm2AndForm1ToAnOlderServer) {
    shared::ManualClock clock{_serverClock.nowMs()};
    auto current = std::make_shared<FormRecordingTransport>(_server.endpoint());
    auto older = std::make_shared<FormRecordingTransport>(_server.endpoint());
    older->olderServer = true;
    auto liOptions = options("li-tablet", clock);
    liOptions.transport = current;
    auto li = Client::signIn(liOptions, "acme", "li", "li-password");
    auto wangOptions = options("wang-tablet", clock);
    wangOptions.transport = older;
    auto wang = Client::signIn(wangOptions, "acme", "wang", "wang-password");
    assignAudits(li->userId(), wang->userId());
    expectComplete(li->sync());
    expectComplete(wang->sync());

    const auto item = audit::answerRecordId(_audit, "B.3");
    ASSERT_TRUE(li->write(c::kAnswers, item, answerWrites(_audit, "B.3", answerJson("yes"))).ok);
    expectComplete(li->sync());
    expectComplete(wang->sync());
    const auto arrived = wang->record(c::kAnswers, item);
    ASSERT_TRUE(arrived.has_value());
    EXPECT_EQ(arrived->fields.at("value").value, answerJson("yes"));

    for (const auto& type : current->types()) {
        EXPECT_EQ(type, shared::SyncMessageCodec::kCompactContentType);
    }
    const auto olderTypes = older->types();
    ASSERT_GE(olderTypes.size(), 2U);
    EXPECT_EQ(olderTypes.front(), shared::SyncMessageCodec::kCompactContentType);
    for (std::size_t i = 1; i < olderTypes.size(); ++i) {
        EXPECT_EQ(olderTypes[i], shared::SyncMessageCodec::kBinaryContentType) << i;
    }
}

TEST_F(SdkOverTls, BackgroundSyncBacksOffOnAFlakyNetworkAndNeverBlocksWrites) {
    shared::ManualClock liClock{_serverClock.nowMs()};
    auto transport = std::make_shared<FlakyTransport>(_server.endpoint());
    auto liOptions = options("li-tablet", liClock);
    liOptions.transport = transport;
    liOptions.retry.maxAttempts = 2;
    liOptions.retry.initialDelay = std::chrono::milliseconds(20);
    liOptions.sleep = {};  // really wait, on the SDK's thread
    auto li = Client::signIn(liOptions, "acme", "li", "li-password");
    assignAudits(li->userId(), li->userId());

    std::mutex mutex;
    std::condition_variable changed;
    std::vector<client::SyncReport> reports;
    transport->failures = 5;  // the first syncs fail: retried within, then backed off between
    li->startBackgroundSync(std::chrono::hours(1), [&](const client::SyncReport& report) {
        std::lock_guard lock(mutex);
        reports.push_back(report);
        changed.notify_all();
    });
    auto waitForComplete = [&] {
        std::unique_lock lock(mutex);
        return changed.wait_for(lock, std::chrono::seconds(30),
                                [&] { return !reports.empty() && reports.back().complete; });
    };
    ASSERT_TRUE(waitForComplete()) << "background sync recovers from the failures";
    {
        std::lock_guard lock(mutex);
        EXPECT_GE(reports.size(), 2U) << "failed syncs were reported, then a complete one";
        EXPECT_FALSE(reports.front().complete);
        EXPECT_EQ(reports.front().errors.at(0).code, shared::ErrorCode::ServerUnreachable);
        reports.clear();
    }
    EXPECT_TRUE(li->record(c::kAudits, _audit));

    // A write is pushed soon after, by the loop, not by the caller.
    transport->offline = true;
    const auto item = audit::answerRecordId(_audit, "E.1");
    const auto written =
        li->write(c::kAnswers, item, answerWrites(_audit, "E.1", answerJson("yes")));
    ASSERT_TRUE(written.ok) << "writes work with no network";
    transport->offline = false;
    li->requestSync();
    ASSERT_TRUE(waitForComplete());
    EXPECT_TRUE(serverRecord(c::kAnswers, item));
    EXPECT_EQ(li->syncState(c::kAnswers, item), RecordSyncState::Synced);
    li->stopBackgroundSync();
    EXPECT_FALSE(li->backgroundSyncRunning());
}

TEST_F(SdkOverTls, ATransientFailureIsRetriedWithGrowingJitteredDelays) {
    shared::ManualClock liClock{_serverClock.nowMs()};
    auto transport = std::make_shared<FlakyTransport>(_server.endpoint());
    auto liOptions = options("li-tablet", liClock);
    liOptions.transport = transport;
    liOptions.retry.maxAttempts = 5;
    auto li = Client::signIn(liOptions, "acme", "li", "li-password");
    assignAudits(li->userId(), li->userId());
    transport->failures = 3;
    const auto report = li->sync();
    expectComplete(report);
    EXPECT_EQ(report.attempts, 3U);
    ASSERT_EQ(_sleeps.size(), 3U);
    for (std::size_t i = 0; i < _sleeps.size(); ++i) {
        EXPECT_LE(_sleeps[i], liOptions.retry.initialDelay * (1 << i)) << "attempt " << i;
    }

    transport->offline = true;
    const auto failed = li->sync();
    EXPECT_FALSE(failed.complete);
    ASSERT_EQ(failed.errors.size(), 1U);
    EXPECT_EQ(failed.errors[0].code, shared::ErrorCode::ServerUnreachable);
    EXPECT_EQ(li->status().lastError->code, shared::ErrorCode::ServerUnreachable);
}

TEST_F(SdkOverTls, ARefreshWhoseAnswerWasLostKeepsTheTabletSignedIn) {
    shared::ManualClock liClock{_serverClock.nowMs()};
    auto transport = std::make_shared<LossyTransport>(_server.endpoint());
    auto liOptions = options("li-tablet", liClock);
    liOptions.transport = transport;
    auto li = Client::signIn(liOptions, "acme", "li", "li-password");
    assignAudits(li->userId(), li->userId());
    expectComplete(li->sync());

    _serverClock.advance(16 * 60 * 1000);  // the access token expired: the sync refreshes
    transport->losePath = "/v1/auth/refresh";
    transport->lose = 1;
    expectComplete(li->sync());
    EXPECT_EQ(transport->lose, 0) << "the refresh answer was lost";
    EXPECT_TRUE(li->status().signedIn);

    _serverClock.advance(16 * 60 * 1000);  // the refresh token it kept is the live one
    expectComplete(li->sync());
    EXPECT_TRUE(li->status().signedIn);
}

TEST_F(SdkOverTls, APushWhoseAnswerWasLostSaysTheChangesMayHaveArrivedAndSendsThemOnce) {
    shared::ManualClock liClock{_serverClock.nowMs()};
    auto transport = std::make_shared<LossyTransport>(_server.endpoint());
    auto liOptions = options("li-tablet", liClock);
    liOptions.transport = transport;
    liOptions.retry.maxAttempts = 1;
    auto li = Client::signIn(liOptions, "acme", "li", "li-password");
    assignAudits(li->userId(), li->userId());
    expectComplete(li->sync());
    const auto item = audit::answerRecordId(_audit, "G.1");
    ASSERT_TRUE(li->write(c::kAnswers, item, answerWrites(_audit, "G.1", answerJson("yes"))).ok);

    transport->losePath = "/v1/sync/push";
    transport->lose = 1;
    const auto cut = li->sync();
    EXPECT_FALSE(cut.complete);
    ASSERT_FALSE(cut.errors.empty());
    EXPECT_EQ(cut.errors[0].code, shared::ErrorCode::ServerUnreachable);
    EXPECT_THAT(cut.errors[0].message, ::testing::HasSubstr("may have reached the server"));
    EXPECT_THAT(cut.errors[0].message, ::testing::HasSubstr("sent again, safely"));
    EXPECT_TRUE(serverRecord(c::kAnswers, item)) << "the push did arrive";

    const auto resent = li->sync();
    expectComplete(resent);
    EXPECT_EQ(li->syncState(c::kAnswers, item), RecordSyncState::Synced);
}

/// A tablet whose every request goes through a FaultyTransport the test gives orders to, tried
/// once per sync (no retries hide a fault), with the audit assigned and downloaded.
class FaultyNetwork : public SdkOverTls {
protected:
    FaultyNetwork() {
        auto liOptions = options("li-tablet", _liClock);
        liOptions.transport = _transport;
        liOptions.retry.maxAttempts = 1;
        _li = Client::signIn(liOptions, "acme", "li", "li-password");
        assignAudits(_li->userId(), _li->userId());
        expectComplete(_li->sync());
        _onServerBefore = liChangesOnServer().size();
    }

    /// Li answers `questions` of the audit offline; returns their records.
    std::vector<RecordId> answerOffline(const std::vector<std::string>& questions) {
        std::vector<RecordId> items;
        for (const auto& question : questions) {
            items.push_back(audit::answerRecordId(_audit, question));
            EXPECT_TRUE(_li->write(c::kAnswers, items.back(),
                                   answerWrites(_audit, question, answerJson("yes")))
                            .ok);
        }
        return items;
    }

    /// The device sequence numbers of li's changes in the server's log, as often as logged.
    std::multiset<std::uint64_t> liChangesOnServer() {
        return _server.server().stores().with(_tenantId, [&](sync::Store& store) {
            std::multiset<std::uint64_t> seqs;
            for (const auto& logged : store.changesSince(0, 100000)) {
                if (logged.change.deviceId == _li->deviceId()) {
                    seqs.insert(logged.change.deviceSeq);
                }
            }
            return seqs;
        });
    }

    /// Every change li made is on the server once, nothing waits in the outbox or the
    /// quarantine, and li's copy of the audit is the server's.
    void expectEveryChangeOnServerOnce(std::size_t changesMade) {
        const auto seqs = liChangesOnServer();
        EXPECT_EQ(seqs.size(), _onServerBefore + changesMade);
        for (const auto seq : seqs) {
            EXPECT_EQ(seqs.count(seq), 1U) << "change " << seq << " applied more than once";
        }
        EXPECT_EQ(_li->status().pendingChanges, 0U);
        EXPECT_EQ(_li->status().quarantined, 0U);
        EXPECT_EQ(deviceScopeChecksum("li", _audit), serverScopeChecksum(_audit));
    }

    /// The sync a fault broke: not complete, one error with the code that says "try again".
    static void expectRetryableFailure(const client::SyncReport& report, const char* saying) {
        EXPECT_FALSE(report.complete);
        ASSERT_EQ(report.errors.size(), 1U);
        EXPECT_EQ(report.errors[0].code, shared::ErrorCode::ServerUnreachable)
            << report.errors[0].message;
        EXPECT_THAT(report.errors[0].message, ::testing::HasSubstr(saying));
    }

    shared::ManualClock _liClock{_serverClock.nowMs()};
    std::shared_ptr<test::FaultyTransport> _transport =
        std::make_shared<test::FaultyTransport>([this] { return _server.endpoint(); }, /*seed=*/1);
    std::unique_ptr<Client> _li;
    std::size_t _onServerBefore = 0;  ///< Li's changes on the server before the test's own.
};

TEST_F(FaultyNetwork, APushWhoseAnswerIsLostAfterTheServerAppliedItIsResentAndAppliedOnce) {
    const auto items = answerOffline({"A.1", "A.2", "A.3"});
    const auto made = _li->status().pendingChanges;
    ASSERT_GT(made, 0U);

    _transport->strikeNext("push", test::Fault::LoseAnswer);
    expectRetryableFailure(_li->sync(), "may have reached the server");
    EXPECT_EQ(_transport->pendingStrikes(), 0U);
    EXPECT_EQ(liChangesOnServer().size(), _onServerBefore + made) << "the server applied it";
    EXPECT_EQ(_li->status().pendingChanges, made) << "the tablet does not know it";

    const auto resent = _li->sync();
    expectComplete(resent);
    EXPECT_EQ(resent.pushed, made) << "sent again, acknowledged as duplicates";
    expectEveryChangeOnServerOnce(made);
    for (const auto& item : items) {
        EXPECT_EQ(_li->syncState(c::kAnswers, item), RecordSyncState::Synced);
        EXPECT_EQ(serverRecord(c::kAnswers, item)->fields.at("value").value, answerJson("yes"));
    }
}

TEST_F(FaultyNetwork, APushAnswerCutShortIsAClearErrorAndTheNextSyncLosesNothing) {
    const auto items = answerOffline({"B.1", "B.2"});
    const auto made = _li->status().pendingChanges;

    _transport->strikeNext("push", test::Fault::TruncateBody);
    expectRetryableFailure(_li->sync(), "arrived cut short");
    EXPECT_EQ(_transport->counts().truncatedBodies["push"], 1);
    EXPECT_EQ(_li->status().pendingChanges, made) << "nothing counted as sent on half an answer";

    expectComplete(_li->sync());
    expectEveryChangeOnServerOnce(made);
    for (const auto& item : items) {
        EXPECT_EQ(_li->syncState(c::kAnswers, item), RecordSyncState::Synced);
    }
}

TEST_F(FaultyNetwork, APullAnswerCutShortIsAClearErrorAndTheNextSyncLosesNothing) {
    for (const auto* question : {"C.1", "C.2", "C.3"}) {
        const auto item = audit::answerRecordId(_audit, question);
        _hq.set(c::kAnswers, item, "audit_id", Value::id(_audit));
        _hq.set(c::kAnswers, item, "question_id", Value::string(question));
        _hq.set(c::kAnswers, item, "value", answerJson("no"));
    }
    _hq.push();
    const auto mine = answerOffline({"D.1"});
    const auto made = _li->status().pendingChanges;

    _transport->strikeNext("pull", test::Fault::TruncateBody);
    expectRetryableFailure(_li->sync(), "arrived cut short");
    EXPECT_EQ(_transport->counts().truncatedBodies["pull"], 1);
    EXPECT_FALSE(_li->record(c::kAnswers, audit::answerRecordId(_audit, "C.1")))
        << "nothing of half an answer was taken in";

    expectComplete(_li->sync());
    for (const auto* question : {"C.1", "C.2", "C.3"}) {
        const auto arrived = _li->record(c::kAnswers, audit::answerRecordId(_audit, question));
        ASSERT_TRUE(arrived) << question;
        EXPECT_EQ(arrived->fields.at("value").value, answerJson("no"));
    }
    expectEveryChangeOnServerOnce(made);
    EXPECT_EQ(_li->syncState(c::kAnswers, mine.front()), RecordSyncState::Synced);
}

/// What a list shows of every record of `collection`: the state syncStates() gives it (missing:
/// synced) is the one syncState() gives, for the records held and the quarantined ones alike.
void expectListStatesAgree(const Client& device, const char* collection) {
    const auto states = device.syncStates(collection);
    std::set<RecordId> ids;
    for (const auto& record : device.records(collection)) {
        ids.insert(record.id);
    }
    for (const auto& [id, state] : states) {
        EXPECT_NE(state, RecordSyncState::Synced) << "a synced record is left out";
        ids.insert(id);
    }
    for (const auto& id : ids) {
        const auto found = states.find(id);
        EXPECT_EQ(found != states.end() ? found->second : RecordSyncState::Synced,
                  device.syncState(collection, id))
            << collection << "/" << id.toString();
    }
}

TEST_F(SdkOverTls, AListsSyncStatesAreEachRecordsOwnInEveryState) {
    shared::ManualClock liClock{_serverClock.nowMs()};
    auto transport = std::make_shared<LossyTransport>(_server.endpoint());
    auto liOptions = options("li-tablet", liClock);
    liOptions.transport = transport;
    liOptions.retry.maxAttempts = 1;
    auto li = Client::signIn(liOptions, "acme", "li", "li-password");
    auto wang = tablet("wang", liClock);
    assignAudits(li->userId(), wang->userId());
    const auto answer = [&](const RecordId& audit, const std::string& question) {
        return audit::answerRecordId(audit, question);
    };
    for (const auto* question : {"S.1", "A.1", "A.2"}) {
        _hq.set(c::kAnswers, answer(_audit, question), "audit_id", Value::id(_audit));
        _hq.set(c::kAnswers, answer(_audit, question), "question_id", Value::string(question));
        _hq.set(c::kAnswers, answer(_audit, question), "value", answerJson("yes"));
    }
    _hq.push();
    expectComplete(li->sync());
    const auto edit = [&](const RecordId& id, const std::string& value) {
        ASSERT_TRUE(li->write(c::kAnswers, id, {FieldWrite::set("value", answerJson(value))}).ok);
    };

    // C.2 answered on the tablet and at HQ at once: a conflict after the sync.
    const auto conflicted = answer(_audit, "C.2");
    ASSERT_TRUE(
        li->write(c::kAnswers, conflicted, answerWrites(_audit, "C.2", answerJson("yes"))).ok);
    _hq.set(c::kAnswers, conflicted, "audit_id", Value::id(_audit));
    _hq.set(c::kAnswers, conflicted, "question_id", Value::string("C.2"));
    _hq.set(c::kAnswers, conflicted, "value", answerJson("no"));
    _hq.push();
    expectComplete(li->sync());
    // A.1 edited and sent, its answer lost; A.2 edited, not sent; L.1 new on the tablet.
    edit(answer(_audit, "A.1"), "no");
    transport->losePath = "/v1/sync/push";
    transport->lose = 1;
    EXPECT_FALSE(li->sync().complete);
    edit(answer(_audit, "A.2"), "no");
    const auto local = answer(_audit, "L.1");
    ASSERT_TRUE(li->write(c::kAnswers, local, answerWrites(_audit, "L.1", answerJson("yes"))).ok);

    EXPECT_EQ(li->syncStates(c::kAnswers),
              (std::map<RecordId, RecordSyncState>{{conflicted, RecordSyncState::Conflict},
                                                   {answer(_audit, "A.1"), RecordSyncState::Sent},
                                                   {answer(_audit, "A.2"), RecordSyncState::Queued},
                                                   {local, RecordSyncState::Local}}));
    EXPECT_TRUE(li->syncStates(c::kAudits).empty());
    expectListStatesAgree(*li, c::kAnswers);
    expectListStatesAgree(*li, c::kAudits);

    // The audit moves to wang with li's edits in it: refused, quarantined, and gone from li.
    const auto moved = reassignWhileAnsweringOffline(*li, *wang);
    expectComplete(li->sync());
    EXPECT_FALSE(li->record(c::kAnswers, moved));
    const auto states = li->syncStates(c::kAnswers);
    EXPECT_EQ(states.count(moved), 1U);
    EXPECT_EQ(states.count(local), 1U);
    for (const auto& [id, state] : states) {
        EXPECT_EQ(state, RecordSyncState::Quarantined) << id.toString();
    }
    expectListStatesAgree(*li, c::kAnswers);
}

TEST_F(SdkOverTls, AnAuditsAnswersAreTheRecordsNamingItAndNotDeleted) {
    shared::ManualClock liClock{_serverClock.nowMs()};
    auto li = tablet("li", liClock);
    assignAudits(li->userId(), li->userId());
    std::map<RecordId, std::set<RecordId>> expected;
    for (const auto& [audit, question] :
         {std::pair{_audit, "Q.1"}, std::pair{_audit, "Q.2"}, std::pair{_audit, "Q.3"},
          std::pair{_otherAudit, "Q.1"}}) {
        const auto id = audit::answerRecordId(audit, question);
        _hq.set(c::kAnswers, id, "audit_id", Value::id(audit));
        _hq.set(c::kAnswers, id, "question_id", Value::string(question));
        expected[audit].insert(id);
    }
    _hq.push();
    expectComplete(li->sync());
    const auto removed = audit::answerRecordId(_audit, "Q.2");
    ASSERT_TRUE(li->remove(c::kAnswers, removed).ok);
    expected[_audit].erase(removed);

    EXPECT_EQ(li->recordsPerScope(c::kAnswers),
              (std::map<std::string, std::size_t>{{shared::scopeKey(c::kAudits, _audit), 2},
                                                  {shared::scopeKey(c::kAudits, _otherAudit), 1}}));
    EXPECT_EQ(li->recordsPerScope(c::kAudits),
              (std::map<std::string, std::size_t>{{shared::scopeKey(c::kAudits, _audit), 1},
                                                  {shared::scopeKey(c::kAudits, _otherAudit), 1}}));
    for (const auto& audit : {_audit, _otherAudit}) {
        std::vector<RecordId> found;
        for (const auto& record : li->query(c::kAnswers, "audit_id", Value::id(audit))) {
            found.push_back(record.id);
        }
        EXPECT_EQ(found, std::vector<RecordId>(expected[audit].begin(), expected[audit].end()))
            << "by record id, without the deleted answer";
    }
    EXPECT_TRUE(li->query(c::kAnswers, "audit_id", Value::string(_audit.toString())).empty())
        << "an id written as text names nothing";
    EXPECT_TRUE(li->query(c::kAnswers, "audit_id", Value::id(_supplier)).empty());
}

TEST_F(SdkOverTls, ASignedInUserReopensOfflineAndARevokedSignInStopsSync) {
    shared::ManualClock liClock{_serverClock.nowMs()};
    auto li = tablet("li", liClock);
    assignAudits(li->userId(), li->userId());
    expectComplete(li->sync());
    li.reset();

    // No network at all: the store opens and works.
    auto offline = options("li-tablet", liClock);
    offline.server.baseUrl = "https://127.0.0.1:9";
    offline.server.timeoutSeconds = 2;
    offline.retry.maxAttempts = 1;
    auto reopened = Client::open(offline, "acme", "li");
    EXPECT_TRUE(reopened->record(c::kAudits, _audit));
    const auto item = audit::answerRecordId(_audit, "F.1");
    ASSERT_TRUE(
        reopened->write(c::kAnswers, item, answerWrites(_audit, "F.1", Value::string("wrong type")))
            .ok == false)
        << "a JSON field refuses a plain string";
    const auto bad = reopened->write(c::kAnswers, item,
                                     {FieldWrite::set("audit_id", Value::id(_audit)),
                                      FieldWrite::set("no_such_field", Value::string("x"))});
    EXPECT_FALSE(bad.ok);
    EXPECT_EQ(bad.error, shared::ErrorCode::UnknownField);
    EXPECT_EQ(bad.field, "no_such_field");
    EXPECT_FALSE(reopened->record(c::kAnswers, item)) << "a refused action writes nothing";
    EXPECT_EQ(reopened->status().pendingChanges, 0U);
    EXPECT_FALSE(reopened->sync().complete);
    reopened.reset();

    EXPECT_THROW(Client::open(offline, "acme", "nobody"), shared::Error);

    // Signed out elsewhere (the refresh token revoked): sync reports it and stops.
    auto again = tablet("li", liClock);
    const auto refresh = [&] {
        sync::sqlite::Database db(Client::databasePath(_dir.file("li-tablet"), "acme", "li"));
        sync::sqlite::Statement select(
            db.handle(), "SELECT value FROM client_settings WHERE key = 'refresh_token'");
        EXPECT_TRUE(select.step());
        return std::string(select.text(0));
    }();
    _hq.send("POST", "/v1/auth/logout", "application/json",
             "{\"refresh_token\":\"" + refresh + "\"}");
    _serverClock.advance(16 * 60 * 1000);  // the access token expires too
    const auto revoked = again->sync();
    EXPECT_FALSE(revoked.complete);
    ASSERT_FALSE(revoked.errors.empty());
    EXPECT_EQ(shared::categoryOf(revoked.errors[0].code), shared::ErrorCategory::Unauthorised);
    EXPECT_FALSE(again->status().signedIn);
}

TEST_F(SdkOverTls, SubscribersMaySyncWriteAndUnsubscribeFromTheirCallback) {
    shared::ManualClock liClock{_serverClock.nowMs()};
    auto liOptions = options("li-tablet", liClock);
    liOptions.pushBatchSize = 7;  // many small pushes
    auto li = Client::signIn(liOptions, "acme", "li", "li-password");
    assignAudits(li->userId(), li->userId());
    expectComplete(li->sync());

    int calls = 0;
    std::uint64_t handle = 0;
    handle = li->subscribe([&](const client::RecordEvent& event) {
        ++calls;
        if (event.origin == client::RecordEvent::Origin::Local && calls == 1) {
            // Reading, writing and syncing from a callback neither deadlocks nor recurses.
            EXPECT_TRUE(li->record(event.collection, event.id));
            EXPECT_TRUE(li->write(c::kAnswers, audit::answerRecordId(_audit, "G.2"),
                                  {FieldWrite::set("audit_id", Value::id(_audit)),
                                   FieldWrite::set("question_id", Value::string("G.2"))})
                            .ok);
            EXPECT_TRUE(li->sync().complete);
            li->unsubscribe(handle);
        }
    });
    std::vector<FieldWrite> fields = {FieldWrite::set("audit_id", Value::id(_audit)),
                                      FieldWrite::set("question_id", Value::string("G.1"))};
    ASSERT_TRUE(li->write(c::kAnswers, audit::answerRecordId(_audit, "G.1"), fields).ok);
    EXPECT_GE(calls, 2) << "the nested write and sync were announced too";
    const int before = calls;
    fields[1] = FieldWrite::set("question_id", Value::string("G.3"));
    ASSERT_TRUE(li->write(c::kAnswers, audit::answerRecordId(_audit, "G.3"), fields).ok);
    EXPECT_EQ(calls, before) << "unsubscribed from inside its own callback";
    expectComplete(li->sync());
    EXPECT_TRUE(serverRecord(c::kAnswers, audit::answerRecordId(_audit, "G.2")));

    // Thirty answers go up seven changes at a time.
    for (int i = 0; i < 30; ++i) {
        const auto question = "H." + std::to_string(i);
        ASSERT_TRUE(li->write(c::kAnswers, audit::answerRecordId(_audit, question),
                              answerWrites(_audit, question, answerJson("ok")))
                        .ok);
    }
    const auto report = li->sync();
    expectComplete(report);
    EXPECT_EQ(report.pushed, 90U);
    EXPECT_EQ(deviceScopeChecksum("li", _audit), serverScopeChecksum(_audit));

    const auto twice = li->write(
        c::kAnswers, audit::answerRecordId(_audit, "H.1"),
        {FieldWrite::set("value", answerJson("a")), FieldWrite::set("value", answerJson("b"))});
    EXPECT_FALSE(twice.ok);
    EXPECT_EQ(twice.error, shared::ErrorCode::InvalidChange);
}

TEST_F(SdkOverTls, AnAuditorsFindingsPlansPhotosAndSignatureSyncAndHqDecidesOnThePlan) {
    shared::ManualClock liClock{_serverClock.nowMs()};
    auto li = tablet("li", liClock);
    assignAudits(li->userId(), li->userId());
    expectComplete(li->sync());

    const auto finding =
        li->create(c::kFindings, {FieldWrite::set("audit_id", Value::id(_audit)),
                                  FieldWrite::set("severity", Value::string("major")),
                                  FieldWrite::set("clause", Value::string("C.1.3"))});
    ASSERT_TRUE(finding.ok) << finding.message;
    const auto photo = li->create(
        c::kPhotos, {FieldWrite::set("audit_id", Value::id(_audit)),
                     FieldWrite::set("sha256", Value::string(std::string(64, 'a'))),
                     FieldWrite::set("size_bytes", Value::integer(4'200'000)),
                     FieldWrite::set("finding_id", Value::id(finding.recordId)),
                     FieldWrite::add("tags", "spill"), FieldWrite::add("tags", "tank farm")});
    ASSERT_TRUE(photo.ok) << photo.message;
    // A photo's hash names its bytes: a path in its place is refused when it is written.
    const auto pathAsHash = li->create(
        c::kPhotos, {FieldWrite::set("audit_id", Value::id(_audit)),
                     FieldWrite::set("sha256", Value::string("../../../../etc/passwd"))});
    EXPECT_FALSE(pathAsHash.ok);
    EXPECT_EQ(pathAsHash.error, shared::ErrorCode::WrongType);
    const auto plan = li->create(c::kCorrectiveActions,
                                 {FieldWrite::set("audit_id", Value::id(_audit)),
                                  FieldWrite::set("finding_id", Value::id(finding.recordId)),
                                  FieldWrite::set("root_cause", Value::string("no spill kit")),
                                  FieldWrite::set("status", Value::string("submitted"))});
    ASSERT_TRUE(plan.ok) << plan.message;
    ASSERT_TRUE(li->create(c::kSignatures, {FieldWrite::set("audit_id", Value::id(_audit)),
                                            FieldWrite::set("signer", Value::string("Wang Fang")),
                                            FieldWrite::set("role", Value::string("EHS manager"))})
                    .ok);
    // Approving a plan is HQ's: offline, the tablet cannot know; the server quarantines it.
    ASSERT_TRUE(li->write(c::kCorrectiveActions, plan.recordId,
                          {FieldWrite::set("status", Value::string("approved"))})
                    .ok);
    const auto report = li->sync();
    expectComplete(report);
    EXPECT_EQ(report.quarantined, 1U);
    ASSERT_EQ(li->quarantine().size(), 1U);
    EXPECT_EQ(li->quarantine()[0].code, shared::ErrorCode::Forbidden);
    EXPECT_EQ(li->record(c::kCorrectiveActions, plan.recordId)->fields.at("status").value,
              Value::string("submitted"))
        << "the refused approval left the tablet's view";
    EXPECT_EQ(li->auditRecords(_audit).size(), 5U) << "audit, finding, photo, plan, signature";
    const auto stored = serverRecord(c::kPhotos, photo.recordId);
    ASSERT_TRUE(stored);
    EXPECT_EQ(stored->fields.at("tags").elements, (std::vector<std::string>{"spill", "tank farm"}));

    // HQ approves; the tablet sees it.
    _hq.pull();
    _hq.set(c::kCorrectiveActions, plan.recordId, "status", Value::string("approved"));
    ASSERT_EQ(_hq.push().results.at(0).outcome, "applied");
    expectComplete(li->sync());
    EXPECT_EQ(li->record(c::kCorrectiveActions, plan.recordId)->fields.at("status").value,
              Value::string("approved"));
    EXPECT_EQ(deviceScopeChecksum("li", _audit), serverScopeChecksum(_audit));
}

/// Serves one connection on `listener`: reads a request with the body "{}", then lets `answer`
/// do what the test needs with the connection.
std::thread answerOnce(Poco::Net::ServerSocket& listener,
                       std::function<void(Poco::Net::StreamSocket&)> answer) {
    return std::thread([&listener, answer = std::move(answer)] {
        auto connection = listener.acceptConnection();
        std::string received;
        char buffer[4096];
        while (received.find("\r\n\r\n{}") == std::string::npos) {
            const int n = connection.receiveBytes(buffer, sizeof buffer);
            if (n <= 0) {
                break;
            }
            received.append(buffer, static_cast<std::size_t>(n));
        }
        answer(connection);
    });
}

TEST(HttpsTransport, AConnectionCutAfterTheWholeRequestIsALostAnswer) {
    // A server that reads the request, then hangs up without answering.
    Poco::Net::ServerSocket listener(Poco::Net::SocketAddress("127.0.0.1", 0));
    std::thread server =
        answerOnce(listener, [](Poco::Net::StreamSocket& connection) { connection.close(); });
    client::HttpsTransport transport(
        {"http://127.0.0.1:" + std::to_string(listener.address().port()), "", 5});
    try {
        transport.send("POST", "/v1/sync/push", "application/json", "{}");
        ADD_FAILURE() << "no error";
    } catch (const client::AnswerLost& e) {
        EXPECT_EQ(e.code(), shared::ErrorCode::ServerUnreachable);
        EXPECT_THAT(e.what(), ::testing::HasSubstr("broke after the request was sent"));
    } catch (const shared::Error& e) {
        ADD_FAILURE() << "not an AnswerLost: " << e.what();
    }
    server.join();
}

TEST(HttpsTransport, ABodyCutShortIsALostAnswerNotAShorterBody) {
    // A server that answers 200 with a 100-byte body, sends 12 bytes of it and hangs up.
    Poco::Net::ServerSocket listener(Poco::Net::SocketAddress("127.0.0.1", 0));
    std::thread server = answerOnce(listener, [](Poco::Net::StreamSocket& connection) {
        const std::string answer =
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n"
            R"({"results":)";
        connection.sendBytes(answer.data(), static_cast<int>(answer.size()));
        connection.close();
    });
    client::HttpsTransport transport(
        {"http://127.0.0.1:" + std::to_string(listener.address().port()), "", 5});
    try {
        const auto response = transport.send("POST", "/v1/sync/push", "application/json", "{}");
        ADD_FAILURE() << "a cut body was returned as whole: " << response.body;
    } catch (const client::AnswerLost& e) {
        EXPECT_EQ(e.code(), shared::ErrorCode::ServerUnreachable);
        EXPECT_THAT(e.what(), ::testing::HasSubstr("after 11 of the 100 bytes"));
    } catch (const shared::Error& e) {
        ADD_FAILURE() << "not an AnswerLost: " << e.what();
    }
    server.join();
}

/// The demo tenant's data directory, seeded (twice: harmless), and its users' passwords.
class DemoData : public ::testing::Test {
protected:
    DemoData() {
        std::istringstream in;
        std::ostringstream out;
        std::ostringstream err;
        for (int i = 0; i < 2; ++i) {
            EXPECT_EQ(server::AdminCommand::run({"seed-demo", "--data-dir=" + _data.path()}, in,
                                                out, err),
                      0)
                << err.str();
        }
    }

    /// `user` of the demo tenant, signed in on a fresh tablet and synced.
    std::unique_ptr<Client> signedIn(const std::string& user) {
        std::string name;
        std::string role;
        std::string password;
        std::ifstream logins(_data.file("demo-logins.txt"));
        while (logins >> name >> role >> password && name != user) {
        }
        client::ClientOptions options;
        options.dataDirectory = _tablet.file(user);
        options.server = _server->endpoint();
        auto tablet = Client::signIn(options, "demo", user, password);
        EXPECT_TRUE(tablet->sync().complete);
        return tablet;
    }

    test::TemporaryDirectory _data;
    test::TemporaryDirectory _tablet;
    std::unique_ptr<test::ServerHarness> _server = std::make_unique<test::ServerHarness>(
        [&](server::ServerConfig& config) { config.dataDir = _data.path(); });
};

/// The demo of the README: seed-demo gives the field expert three audits to download, with the
/// supplier, facility and the bilingual template they reference.
TEST_F(DemoData, TheDemoExpertDownloadsThreeAuditsWithTheirTemplate) {
    auto expert = signedIn("expert");
    const auto audits = expert->records(c::kAudits);
    ASSERT_EQ(audits.size(), 3U) << "seeded once, not twice";
    for (const auto& audit : audits) {
        EXPECT_EQ(audit.fields.at("state").value, Value::string("scheduled"));
        const auto templateId = audit.fields.at("template_version_id").value.as<RecordId>();
        const auto version = expert->record(c::kTemplateVersions, templateId);
        ASSERT_TRUE(version);
        EXPECT_NE(version->fields.at("content").value.as<shared::JsonText>().text.find("C.1.1"),
                  std::string::npos);
    }
    EXPECT_EQ(expert->records(c::kSuppliers).size(), 1U);
    EXPECT_EQ(expert->records(c::kFacilities).size(), 1U);
}

/// And the demo coordinator a workshop of a course, with three people registered.
TEST_F(DemoData, TheDemoCoordinatorDownloadsAWorkshopWithThreeRegistrations) {
    namespace t = training::collections;
    auto coordinator = signedIn("coordinator");
    ASSERT_EQ(coordinator->records(t::kCourses).size(), 1U);
    const auto sessions = coordinator->records(t::kTrainingSessions);
    ASSERT_EQ(sessions.size(), 1U) << "seeded once, not twice";
    EXPECT_EQ(sessions.front().fields.at("coordinator_id").value,
              Value::string(coordinator->userId()));
    const auto registrations = coordinator->records(t::kAttendance);
    ASSERT_EQ(registrations.size(), 3U);
    for (const auto& registration : registrations) {
        EXPECT_EQ(registration.fields.at("state").value, Value::string("registered"));
    }
}

}  // namespace
}  // namespace verdant
