// The SDK's log callback over real TLS against the real server: which events a sync logs and
// with which numbers, a failure's stable code, a callback that throws, and what the log must
// never hold (tokens, passwords, what users wrote).

#include "ServerHarness.hpp"
#include "TemporaryDirectory.hpp"
#include "TestDevice.hpp"

#include "verdant/client/Client.hpp"
#include "verdant/domain/DomainSchema.hpp"
#include "verdant/shared/IdGenerator.hpp"

#include <Poco/Net/ServerSocket.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <mutex>
#include <string>
#include <vector>

namespace verdant {
namespace {

using client::Client;
using client::FieldWrite;
using client::LogLevel;
using server::Role;
using shared::RecordId;
using shared::Value;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
namespace c = audit::collections;

/// A LogEntry kept past its callback.
struct Logged {
    LogLevel level = LogLevel::Info;
    std::string event;
    std::string message;
    std::uint64_t changes = 0;
    std::uint64_t bytes = 0;
    std::uint64_t scopes = 0;
    std::int64_t durationMs = 0;
    std::optional<shared::ErrorCode> error;
};

/// Collects what a Client logs; safe from any thread.
class LogRecorder {
public:
    client::LogCallback callback() {
        return [this](const client::LogEntry& entry) {
            std::lock_guard lock(_mutex);
            _entries.push_back(Logged{entry.level, std::string(entry.event), entry.message,
                                      entry.changes, entry.bytes, entry.scopes, entry.durationMs,
                                      entry.error});
        };
    }
    std::vector<Logged> take() {
        std::lock_guard lock(_mutex);
        return std::exchange(_entries, {});
    }
    static std::vector<std::string> events(const std::vector<Logged>& entries) {
        std::vector<std::string> names;
        for (const auto& entry : entries) {
            names.push_back(entry.event);
        }
        return names;
    }
    static const Logged& only(const std::vector<Logged>& entries, const std::string& event) {
        const Logged* found = nullptr;
        for (const auto& entry : entries) {
            if (entry.event == event) {
                EXPECT_EQ(found, nullptr) << "more than one " << event;
                found = &entry;
            }
        }
        if (found == nullptr) {
            ADD_FAILURE() << "no " << event;
            static const Logged kNone;
            return kNone;
        }
        return *found;
    }

private:
    std::mutex _mutex;
    std::vector<Logged> _entries;
};

/// A transport that remembers every access token it carried (the Authorization header).
class TokenRecordingTransport final : public client::Transport {
public:
    explicit TokenRecordingTransport(const client::ServerEndpoint& server) : _real(server) {}

    client::HttpResponse send(const std::string& method, const std::string& path,
                              const std::string& contentType, const std::string& body,
                              const std::map<std::string, std::string>& headers) override {
        if (const auto found = headers.find("Authorization"); found != headers.end()) {
            std::lock_guard lock(_mutex);
            _tokens.push_back(found->second.substr(found->second.find(' ') + 1));
        }
        return _real.send(method, path, contentType, body, headers);
    }

    std::vector<std::string> tokens() const {
        std::lock_guard lock(_mutex);
        return _tokens;
    }

private:
    client::HttpsTransport _real;
    mutable std::mutex _mutex;
    std::vector<std::string> _tokens;
};

/// A tenant with HQ and two field experts on one audit.
class SdkLog : public ::testing::Test {
protected:
    SdkLog()
        : _tenantId(test::seedTenant(
              _server, "acme",
              {{"hq", Role::HqReviewer}, {"li", Role::FieldExpert}, {"wang", Role::FieldExpert}})),
          _hq(_server.endpoint(), "acme", "hq", "hq-password", _clock) {
        _hq.set(c::kSuppliers, _supplier, "name_en", Value::string("Green Dyeing Co."));
        _hq.set(c::kFacilities, _facility, "supplier_id", Value::id(_supplier));
        _hq.set(c::kTemplateVersions, _template, "version", Value::integer(1));
        _hq.set(c::kAudits, _audit, "template_version_id", Value::id(_template));
        _hq.set(c::kAudits, _audit, "supplier_id", Value::id(_supplier));
        _hq.set(c::kAudits, _audit, "facility_id", Value::id(_facility));
        _hq.push();
    }

    client::ClientOptions options(const std::string& user) {
        client::ClientOptions options;
        options.dataDirectory = _dir.file(user + "-tablet");
        options.server = _server.endpoint();
        options.clock = &_clock;
        options.sleep = [](std::chrono::milliseconds) {};
        return options;
    }

    std::unique_ptr<Client> tablet(const std::string& user, client::ClientOptions options) {
        return Client::signIn(std::move(options), "acme", user, user + "-password");
    }

    /// Puts the audit in `lead`'s hands, with `member` on its team.
    void assign(const Client& lead, const Client& member) {
        _hq.set(c::kAudits, _audit, "assignee_id", Value::string(lead.userId()));
        _hq.add(c::kAudits, _audit, "team", member.userId());
        _hq.push();
    }

    client::WriteResult answer(Client& device, const std::string& question,
                               const std::string& text) {
        return device.write(
            c::kAnswers, audit::answerRecordId(_audit, question),
            {FieldWrite::set("audit_id", Value::id(_audit)),
             FieldWrite::set("question_id", Value::string(question)),
             FieldWrite::set("value", Value::json(R"({"answer":")" + text + R"("})"))});
    }

    static void expectComplete(const client::SyncReport& report) {
        EXPECT_TRUE(report.complete);
        for (const auto& error : report.errors) {
            ADD_FAILURE() << shared::wireName(error.code) << ": " << error.message;
        }
    }

    /// A value of the user's local settings table (tokens live there).
    std::string localSetting(const std::string& user, const std::string& key) {
        sqlite3* db = nullptr;
        const auto path = Client::databasePath(_dir.file(user + "-tablet"), "acme", user);
        EXPECT_EQ(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
        sqlite3_stmt* statement = nullptr;
        sqlite3_prepare_v2(db, "SELECT value FROM client_settings WHERE key = ?", -1, &statement,
                           nullptr);
        sqlite3_bind_text(statement, 1, key.c_str(), -1, SQLITE_TRANSIENT);
        std::string value;
        if (sqlite3_step(statement) == SQLITE_ROW) {
            value = reinterpret_cast<const char*>(sqlite3_column_text(statement, 0));
        }
        sqlite3_finalize(statement);
        sqlite3_close(db);
        return value;
    }

    test::TemporaryDirectory _dir;
    shared::ManualClock _clock{shared::SystemClock::instance().nowMs()};
    shared::IdGenerator _ids{_clock};
    test::ServerHarness _server{{}, {&_clock}};
    std::string _tenantId;
    test::TestDevice _hq;
    RecordId _supplier = _ids.nextRecordId();
    RecordId _facility = _ids.nextRecordId();
    RecordId _template = _ids.nextRecordId();
    RecordId _audit = _ids.nextRecordId();
};

TEST_F(SdkLog, APushAndPullLogTheirStepsWithTheirCountsAndBytes) {
    LogRecorder log;
    auto liOptions = options("li");
    liOptions.log = log.callback();
    auto li = tablet("li", liOptions);
    auto wang = tablet("wang", options("wang"));
    assign(*li, *wang);
    expectComplete(li->sync());
    expectComplete(wang->sync());
    ASSERT_TRUE(answer(*wang, "C.1", "yes").ok);
    expectComplete(wang->sync());
    ASSERT_TRUE(answer(*li, "C.2", "no").ok);  // three changes
    log.take();

    const auto report = li->sync();
    expectComplete(report);
    const auto entries = log.take();
    EXPECT_THAT(LogRecorder::events(entries),
                ElementsAre("sync.started", "push.sent", "push.acknowledged", "pull.round",
                            "pull.done", "sync.completed"));
    EXPECT_EQ(LogRecorder::only(entries, "push.sent").changes, 3U);
    const auto& acknowledged = LogRecorder::only(entries, "push.acknowledged");
    EXPECT_EQ(acknowledged.changes, 3U);
    EXPECT_EQ(acknowledged.level, LogLevel::Info);
    EXPECT_GT(acknowledged.bytes, 0U);
    ASSERT_GE(report.pulled, 3U) << "wang's three changes";
    const auto& round = LogRecorder::only(entries, "pull.round");
    EXPECT_EQ(round.changes, report.pulled);
    EXPECT_GE(round.scopes, 1U);
    EXPECT_GT(round.bytes, 0U);
    const auto& done = LogRecorder::only(entries, "pull.done");
    EXPECT_EQ(done.changes, report.pulled);
    EXPECT_EQ(done.bytes, round.bytes);
    EXPECT_GE(done.scopes, 1U) << "the audit's scope at least";
    const auto& completed = LogRecorder::only(entries, "sync.completed");
    EXPECT_EQ(completed.changes, report.pushed + report.pulled);
    EXPECT_EQ(completed.bytes, report.bytesSent + report.bytesReceived);
    EXPECT_THAT(completed.message, HasSubstr("3 pushed"));
}

TEST_F(SdkLog, AnUnreachableServerLogsEachRetryAndTheFailureWithItsStableCode) {
    auto li = tablet("li", options("li"));
    auto wang = tablet("wang", options("wang"));
    assign(*li, *wang);
    expectComplete(li->sync());
    ASSERT_TRUE(answer(*li, "C.2", "no").ok);
    li.reset();

    // The same user offline: the server's address now leads nowhere.
    Poco::Net::ServerSocket closed(0);
    const auto port = closed.address().port();
    closed.close();
    auto offline = options("li");
    offline.server.baseUrl = "https://localhost:" + std::to_string(port);
    offline.retry.maxAttempts = 3;
    LogRecorder log;
    offline.log = log.callback();
    li = Client::open(offline, "acme", "li");

    const auto report = li->sync();
    ASSERT_FALSE(report.complete);
    const auto entries = log.take();
    EXPECT_THAT(LogRecorder::events(entries), ElementsAre("sync.started", "push.sent", "sync.retry",
                                                          "sync.retry", "sync.failed"));
    for (const auto& entry : entries) {
        if (entry.event == "sync.retry") {
            EXPECT_EQ(entry.error, shared::ErrorCode::ServerUnreachable);
            EXPECT_EQ(entry.level, LogLevel::Warning);
        }
    }
    const auto& failed = LogRecorder::only(entries, "sync.failed");
    EXPECT_EQ(failed.level, LogLevel::Error);
    EXPECT_EQ(failed.error, shared::ErrorCode::ServerUnreachable);
    EXPECT_EQ(failed.error, report.errors.at(0).code);
    EXPECT_THAT(failed.message, HasSubstr("server_unreachable"));
}

TEST_F(SdkLog, ALogCallbackThatThrowsNeverBreaksTheSync) {
    std::atomic<int> calls{0};
    auto liOptions = options("li");
    liOptions.log = [&calls](const client::LogEntry&) {
        ++calls;
        throw std::runtime_error("the app's log is broken");
    };
    auto li = tablet("li", liOptions);
    auto wang = tablet("wang", options("wang"));
    assign(*li, *wang);
    expectComplete(li->sync());
    ASSERT_TRUE(li->record(c::kAudits, _audit));
    ASSERT_TRUE(answer(*wang, "C.1", "yes").ok);
    expectComplete(wang->sync());
    ASSERT_TRUE(answer(*li, "C.2", "no").ok);
    calls = 0;

    const auto report = li->sync();
    expectComplete(report);
    EXPECT_EQ(report.pushed, 3U);
    EXPECT_EQ(li->status().pendingChanges, 0U);
    EXPECT_TRUE(li->record(c::kAnswers, audit::answerRecordId(_audit, "C.1")))
        << "the pull went on after the push's entries threw";
    EXPECT_EQ(calls.load(), 6) << "every step was still offered to the log";

    // Replaced while the client lives: the new callback gets the next sync's entries.
    LogRecorder log;
    li->setLogCallback(log.callback());
    expectComplete(li->sync());
    EXPECT_THAT(LogRecorder::events(log.take()), ::testing::Contains("sync.completed"));
}

TEST_F(SdkLog, TheLogHoldsNoTokenNoPasswordAndNoAnswerText) {
    const std::string liText = "Zebra-umbrella-4471 dye vats leak";
    const std::string wangText = "Quokka-lantern-9038 no leak";
    LogRecorder log;
    auto transport = std::make_shared<TokenRecordingTransport>(_server.endpoint());
    auto liOptions = options("li");
    liOptions.log = log.callback();
    liOptions.transport = transport;
    auto li = tablet("li", liOptions);
    auto wang = tablet("wang", options("wang"));
    assign(*li, *wang);
    expectComplete(li->sync());
    expectComplete(wang->sync());
    // Both answer C.2 offline: li's push raises a conflict, and li's pull brings wang's text.
    ASSERT_TRUE(answer(*wang, "C.2", wangText).ok);
    ASSERT_TRUE(answer(*li, "C.2", liText).ok);
    expectComplete(wang->sync());
    const auto report = li->sync();
    expectComplete(report);
    ASSERT_EQ(report.conflictsRaised, 1U);

    const auto entries = log.take();
    EXPECT_THAT(LogRecorder::events(entries), ::testing::Contains("conflict.raised"));
    EXPECT_THAT(LogRecorder::events(entries), ::testing::Contains("pull.round"));
    std::vector<std::string> secrets = {liText,
                                        wangText,
                                        "Zebra",
                                        "Quokka",
                                        "li-password",
                                        localSetting("li", "access_token"),
                                        localSetting("li", "refresh_token")};
    for (const auto& token : transport->tokens()) {
        secrets.push_back(token);
    }
    ASSERT_GE(transport->tokens().size(), 3U);
    for (const auto& secret : secrets) {
        ASSERT_GE(secret.size(), 5U);
        for (const auto& entry : entries) {
            EXPECT_THAT(entry.message, Not(HasSubstr(secret))) << entry.event;
            EXPECT_THAT(entry.event, Not(HasSubstr(secret)));
        }
    }
}

}  // namespace
}  // namespace verdant
