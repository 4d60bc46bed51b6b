// A real process running the SDK is SIGKILLed at random points while it writes and syncs, fifty
// times. Afterwards the server and the device hold exactly the changes made: none twice, none
// lost.

#include "ChildProcess.hpp"
#include "ServerHarness.hpp"
#include "TemporaryDirectory.hpp"
#include "TestDevice.hpp"

#include "verdant/client/Client.hpp"
#include "verdant/domain/DomainSchema.hpp"
#include "verdant/server/storage/TenantStores.hpp"
#include "verdant/shared/IdGenerator.hpp"
#include "verdant/sync/Sqlite.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <csignal>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <sstream>
#include <thread>

namespace verdant {
namespace {

using server::Role;
using shared::Value;
namespace c = audit::collections;

std::string readFile(const std::string& path) {
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

/// The numbers k of every "wrote k" line: writes the worker saw committed.
std::set<long> reportedWrites(const std::string& log) {
    std::set<long> written;
    std::istringstream lines(log);
    std::string line;
    while (std::getline(lines, line)) {
        if (line.rfind("wrote ", 0) == 0) {
            written.insert(std::stol(line.substr(6)));
        }
    }
    return written;
}

TEST(SdkCrash, FiftySigkillsDuringWritesAndSyncsLoseNothingAndDuplicateNothing) {
    test::TemporaryDirectory dir;
    test::ServerHarness server;
    const auto tenantId =
        test::seedTenant(server, "acme", {{"hq", Role::HqReviewer}, {"li", Role::FieldExpert}});
    const auto& clock = shared::SystemClock::instance();
    test::TestDevice hq(server.endpoint(), "acme", "hq", "hq-password", clock);
    const std::string liId =
        test::TestDevice(server.endpoint(), "acme", "li", "li-password", clock).userId();
    const auto audit = shared::IdGenerator(clock).nextRecordId();
    hq.set(c::kAudits, audit, "assignee_id", Value::string(liId));
    hq.push();

    const auto endpoint = server.endpoint();
    auto worker = [&](const std::vector<std::string>& tail, const std::string& log) {
        std::vector<std::string> arguments = {dir.file("tablet"), endpoint.baseUrl, endpoint.caFile,
                                              audit.toString()};
        arguments.insert(arguments.end(), tail.begin(), tail.end());
        return std::make_unique<test::ChildProcess>(VERDANT_SDK_CRASH_WORKER, arguments, log);
    };

    std::mt19937 random(20261123);
    std::set<long> reported;
    std::map<std::string, int> killedDuring;
    long next = 0;
    constexpr int kCrashes = 50;
    constexpr long kWritesPerRun = 150;

    // One uninterrupted run (it also signs in) measures how long a run takes, so the kills
    // below land anywhere in one: starting, opening the store, writing, pushing, pulling.
    const auto started = std::chrono::steady_clock::now();
    {
        const auto log = dir.file("first.log");
        auto first = worker({std::to_string(next), std::to_string(kWritesPerRun)}, log);
        ASSERT_EQ(first->waitFor(std::chrono::seconds(60)), 0) << readFile(log);
        const auto written = reportedWrites(readFile(log));
        reported.insert(written.begin(), written.end());
        next += kWritesPerRun;
    }
    const auto runMs = std::chrono::duration_cast<std::chrono::milliseconds>(
                           std::chrono::steady_clock::now() - started)
                           .count();
    RecordProperty("run_ms", static_cast<int>(runMs));
    for (int crash = 0; crash < kCrashes; ++crash) {
        const auto log = dir.file("run-" + std::to_string(crash) + ".log");
        auto process = worker({std::to_string(next), std::to_string(kWritesPerRun)}, log);
        std::this_thread::sleep_for(std::chrono::milliseconds(random() % (runMs + 1)));
        process->signal(SIGKILL);
        const auto exit = process->waitFor(std::chrono::seconds(30));
        ASSERT_TRUE(exit) << "run " << crash << " did not end";
        const auto output = readFile(log);
        const auto written = reportedWrites(output);
        reported.insert(written.begin(), written.end());
        // Where it died: the last thing it said.
        std::string phase = "starting";
        if (output.find("synced") != std::string::npos) {
            phase = "after sync";
        } else if (output.find("syncing") != std::string::npos) {
            phase = "syncing";
        } else if (!written.empty()) {
            phase = "writing";
        } else if (output.find("open") != std::string::npos) {
            phase = "opened";
        }
        ++killedDuring[phase];
        next += kWritesPerRun;
    }
    for (const auto& [phase, count] : killedDuring) {
        RecordProperty("killed_" + phase, count);
        std::cout << "killed while " << phase << ": " << count << "\n";
    }
    EXPECT_GE(killedDuring["syncing"], 5) << "the kills must hit syncs in flight";

    // Restart once more and let it finish.
    const auto finalLog = dir.file("final.log");
    auto last = worker({"--final"}, finalLog);
    const auto exit = last->waitFor(std::chrono::seconds(60));
    ASSERT_TRUE(exit);
    ASSERT_EQ(*exit, 0) << readFile(finalLog);
    EXPECT_NE(readFile(finalLog).find("pending 0"), std::string::npos) << readFile(finalLog);

    // The device: every write it reported is there, and nothing waits to be sent.
    const sync::Store device(client::Client::databasePath(dir.file("tablet"), "acme", "li"),
                             domain::domainSchema());
    std::set<long> onDevice;
    for (const auto& ref : device.recordsInScope(shared::scopeKey(c::kAudits, audit))) {
        if (ref.collection == c::kAnswers) {
            const auto question =
                device.record(c::kAnswers, ref.id)->fields.at("question_id").value;
            onDevice.insert(std::stol(question.as<std::string>().substr(1)));
        }
    }
    for (const long k : reported) {
        EXPECT_EQ(onDevice.count(k), 1U) << "reported write " << k << " is missing on the device";
    }

    // The server: the same answers, each value written exactly once, and every change the
    // device numbered, once, with no gap.
    const auto deviceId = [&] {
        sync::sqlite::Database db(client::Client::databasePath(dir.file("tablet"), "acme", "li"));
        sync::sqlite::Statement select(db.handle(),
                                       "SELECT value FROM client_settings WHERE key = 'device_id'");
        EXPECT_TRUE(select.step());
        return shared::DeviceId::parse(select.text(0)).value();
    }();
    const auto made = device.highWaterMark(deviceId);
    EXPECT_GE(made, 3 * reported.size()) << "three fields per answer";
    server.server().stores().with(tenantId, [&](sync::Store& store) {
        std::set<long> onServer;
        for (const auto& ref : store.recordsInScope(shared::scopeKey(c::kAudits, audit))) {
            if (ref.collection != c::kAnswers) {
                continue;
            }
            const auto record = store.record(c::kAnswers, ref.id);
            const auto k =
                std::stol(record->fields.at("question_id").value.as<std::string>().substr(1));
            onServer.insert(k);
            EXPECT_EQ(store.fieldHistory(c::kAnswers, ref.id, "value").size(), 1U)
                << "answer " << k << " applied more than once";
            EXPECT_EQ(record->fields.at("value").value,
                      Value::json("{\"n\":" + std::to_string(k) + "}"));
        }
        EXPECT_EQ(onServer, onDevice);
        EXPECT_EQ(store.highWaterMark(deviceId), made);
        const auto logged = store.deviceChanges(deviceId, 0, made + 10);
        ASSERT_EQ(logged.size(), made) << "every change the device made, once";
        for (std::size_t i = 0; i < logged.size(); ++i) {
            EXPECT_EQ(logged[i].change.deviceSeq, i + 1);
        }
    });
    EXPECT_GE(reported.size(), 1000U) << "enough writes survived to make the test meaningful";
    RecordProperty("answers", static_cast<int>(onDevice.size()));
}

}  // namespace
}  // namespace verdant
