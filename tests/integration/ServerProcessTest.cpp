// verdant-server as a real process: starts, serves, stops cleanly on signals.

#include "ChildProcess.hpp"
#include "ServerHarness.hpp"
#include "TemporaryDirectory.hpp"
#include "TestCertificates.hpp"
#include "TestDevice.hpp"

#include "verdant/domain/DomainSchema.hpp"
#include "verdant/server/auth/AccountStore.hpp"
#include "verdant/server/auth/PasswordHasher.hpp"
#include "verdant/shared/IdGenerator.hpp"

#include <Poco/File.h>
#include <gtest/gtest.h>

#include <atomic>
#include <csignal>
#include <fstream>
#include <map>
#include <random>
#include <sstream>
#include <thread>
#include <unistd.h>

namespace verdant {
namespace {

using namespace std::chrono_literals;

std::string readFile(const std::string& path) {
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

class ServerProcess : public ::testing::Test {
protected:
    std::vector<std::string> arguments() const {
        const auto& certificates = test::TestCertificates::primary();
        return {"--data-dir=" + _dir.file("data"), "--port=0", "--port-file=" + _dir.file("port"),
                "--tls-cert=" + certificates.certificateFile, "--tls-key=" + certificates.keyFile};
    }
    test::TemporaryDirectory _dir;
};

TEST_F(ServerProcess, ServesHealthThenExitsZeroOnSigterm) {
    test::ChildProcess server(VERDANT_SERVER_BINARY, arguments(), _dir.file("log"));
    const auto port = test::waitForPortFile(_dir.file("port"), 20s);
    ASSERT_TRUE(port) << readFile(_dir.file("log"));

    client::HttpsTransport client({"https://localhost:" + std::to_string(*port),
                                   test::TestCertificates::primary().caFile, 10});
    EXPECT_EQ(client.send("GET", "/v1/health").status, 200);

    server.signal(SIGTERM);
    const auto exitCode = server.waitFor(20s);
    ASSERT_TRUE(exitCode) << "still running 20 s after SIGTERM";
    EXPECT_EQ(*exitCode, 0) << readFile(_dir.file("log"));
    const auto log = readFile(_dir.file("log"));
    EXPECT_NE(log.find("stopped cleanly"), std::string::npos) << log;
    EXPECT_NE(log.find("request_id="), std::string::npos) << "one log line per request: " << log;
}

TEST_F(ServerProcess, ExitsZeroOnSigint) {
    test::ChildProcess server(VERDANT_SERVER_BINARY, arguments(), _dir.file("log"));
    ASSERT_TRUE(test::waitForPortFile(_dir.file("port"), 20s)) << readFile(_dir.file("log"));
    server.signal(SIGINT);
    const auto exitCode = server.waitFor(20s);
    ASSERT_TRUE(exitCode);
    EXPECT_EQ(*exitCode, 0) << readFile(_dir.file("log"));
}

TEST_F(ServerProcess, BadSettingIsAClearConfigurationError) {
    auto args = arguments();
    args.push_back("--threads=lots");
    test::ChildProcess server(VERDANT_SERVER_BINARY, args, _dir.file("log"));
    const auto exitCode = server.waitFor(20s);
    ASSERT_TRUE(exitCode);
    EXPECT_EQ(*exitCode, 78);  // EX_CONFIG
    const auto log = readFile(_dir.file("log"));
    EXPECT_NE(log.find("'threads' (from flag --threads) must be a whole number"), std::string::npos)
        << log;
}

TEST_F(ServerProcess, HelpListsEverySetting) {
    test::ChildProcess server(VERDANT_SERVER_BINARY, {"--help"}, _dir.file("log"));
    const auto exitCode = server.waitFor(20s);
    ASSERT_TRUE(exitCode);
    EXPECT_EQ(*exitCode, 0);
    const auto help = readFile(_dir.file("log"));
    for (const auto& setting : server::ServerConfig::settings()) {
        EXPECT_NE(help.find("--" + setting.key), std::string::npos) << setting.key;
        EXPECT_NE(help.find(setting.environmentVariable), std::string::npos) << setting.key;
    }
}

}  // namespace
}  // namespace verdant

namespace verdant {
namespace {

/// A server process on a data directory that survives it, restartable after a SIGKILL.
class CrashingServer {
public:
    explicit CrashingServer(const test::TemporaryDirectory& dir) : _dir(dir) {}

    client::ServerEndpoint start() {
        const auto& certificates = test::TestCertificates::primary();
        ::unlink(_dir.file("port").c_str());
        _process = std::make_unique<test::ChildProcess>(
            VERDANT_SERVER_BINARY,
            std::vector<std::string>{
                "--data-dir=" + _dir.file("data"), "--port=0", "--port-file=" + _dir.file("port"),
                "--tls-cert=" + certificates.certificateFile, "--tls-key=" + certificates.keyFile},
            _dir.file("log"));
        const auto port = test::waitForPortFile(_dir.file("port"), std::chrono::seconds(20));
        if (!port) {
            throw std::runtime_error("server did not start: " + readFile(_dir.file("log")));
        }
        return {"https://localhost:" + std::to_string(*port), certificates.caFile, 10};
    }

    void kill() {
        _process->signal(SIGKILL);
        _process->waitFor(std::chrono::seconds(10));
    }

private:
    const test::TemporaryDirectory& _dir;
    std::unique_ptr<test::ChildProcess> _process;
};

TEST(ServerCrash, EveryAcknowledgedChangeSurvivesSigkillAndRetriesApplyOnce) {
    test::TemporaryDirectory dir;
    {
        Poco::File(dir.file("data")).createDirectories();
        server::AccountStore accounts(dir.file("data") + "/accounts.db");
        const auto tenant = accounts.createTenant("acme", "Acme");
        accounts.createUser(tenant.id, "hq", "HQ", server::Role::HqReviewer,
                            server::PasswordHasher({8 * 1024, 1, 1}).hash("hq-password"));
    }
    CrashingServer server(dir);
    shared::ManualClock clock{shared::SystemClock::instance().nowMs()};
    shared::IdGenerator ids(clock);
    test::TestDevice device(server.start(), "acme", "hq", "hq-password", clock);

    std::uint64_t made = 0;
    std::uint64_t acknowledged = 0;
    int lostAnswers = 0;
    std::mt19937 random(20261123);
    for (int crash = 0; crash < 3; ++crash) {
        // Push batches until the server is killed under the stream, at a random moment.
        std::atomic<bool> killed{false};
        std::thread killer([&] {
            std::this_thread::sleep_for(std::chrono::milliseconds(150 + random() % 400));
            server.kill();
            killed = true;
        });
        while (!killed) {
            for (int i = 0; i < 20; ++i, ++made) {
                device.set(audit::collections::kSuppliers, ids.nextRecordId(), "name_en",
                           shared::Value::string("supplier " + std::to_string(made)));
            }
            try {
                const auto response = device.push();
                EXPECT_GE(response.highWaterMark, acknowledged) << "acknowledgements never go back";
                acknowledged = response.highWaterMark;
            } catch (const std::exception&) {
                ++lostAnswers;
                break;  // the server died under this push; its answer is lost
            }
            clock.advance(1);
        }
        killer.join();
        // Restart on the same data; the device retries what was not acknowledged.
        device.reconnect(server.start());
        const auto retry = device.push();
        EXPECT_EQ(retry.highWaterMark, made) << "crash " << crash;
        acknowledged = retry.highWaterMark;
        EXPECT_TRUE(device.outbox().empty());
    }
    ASSERT_GT(made, 60U);
    EXPECT_GE(lostAnswers, 1) << "at least one push must have died with the server";
    RecordProperty("changes", static_cast<int>(made));
    RecordProperty("lost_answers", lostAnswers);

    // A fresh device pulls the whole tenant: each change the first device made, exactly once.
    test::TestDevice reader(device.endpoint(), "acme", "hq", "hq-password", clock);
    std::map<std::uint64_t, int> seen;
    for (const auto& response : reader.pull()) {
        for (const auto& page : response.scopes) {
            for (const auto& pulled : page.changes) {
                if (pulled.change.deviceId == device.deviceId()) {
                    ++seen[pulled.change.deviceSeq];
                }
            }
        }
    }
    EXPECT_EQ(seen.size(), made);
    for (const auto& [seq, count] : seen) {
        EXPECT_EQ(count, 1) << "change " << seq << " applied more than once";
    }
    server.kill();
}

}  // namespace
}  // namespace verdant
