// verdant-server as a real process: starts, serves, stops cleanly on signals.

#include "ChildProcess.hpp"
#include "ServerHarness.hpp"
#include "TemporaryDirectory.hpp"
#include "TestCertificates.hpp"

#include <gtest/gtest.h>

#include <csignal>
#include <fstream>
#include <sstream>

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
