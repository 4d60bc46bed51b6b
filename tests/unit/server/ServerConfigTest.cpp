#include "TemporaryDirectory.hpp"

#include "verdant/server/app/ServerConfig.hpp"
#include "verdant/shared/ErrorCode.hpp"

#include <gtest/gtest.h>

#include <fstream>

namespace verdant::server {
namespace {

using shared::Error;
using shared::ErrorCode;

const std::map<std::string, std::string> kTls = {{"tls-cert", "c.pem"}, {"tls-key", "k.pem"}};

std::string writeFile(const test::TemporaryDirectory& dir, const std::string& text) {
    const auto path = dir.file("server.properties");
    std::ofstream(path) << text;
    return path;
}

/// The message of the Error that `load` throws, or "" if it does not throw.
std::string loadError(const std::string& file, const std::map<std::string, std::string>& env,
                      const std::map<std::string, std::string>& flags) {
    try {
        ServerConfig::load(file, env, flags);
    } catch (const Error& e) {
        EXPECT_EQ(e.code(), ErrorCode::InvalidParameter);
        return e.what();
    }
    return "";
}

TEST(ServerConfig, DefaultsServeHttpsOnLoopback) {
    const auto config = ServerConfig::load("", {}, kTls);
    EXPECT_EQ(config.host, "127.0.0.1");
    EXPECT_EQ(config.port, 8443);
    EXPECT_FALSE(config.insecureHttp);
    EXPECT_EQ(config.dataDir, "data");
}

TEST(ServerConfig, FlagsBeatEnvironmentWhichBeatsTheFile) {
    test::TemporaryDirectory dir;
    const auto file = writeFile(dir, "port = 9000\nthreads = 4\ndata-dir = /srv/file\n");
    const std::map<std::string, std::string> env = {{"VERDANT_PORT", "9001"},
                                                    {"VERDANT_DATA_DIR", "/srv/env"}};
    auto flags = kTls;
    flags["port"] = "9002";

    const auto config = ServerConfig::load(file, env, flags);

    EXPECT_EQ(config.port, 9002);           // flag
    EXPECT_EQ(config.dataDir, "/srv/env");  // environment over file
    EXPECT_EQ(config.threads, 4);           // file over default
}

TEST(ServerConfig, BadValueNamesTheKeyAndWhereItCameFrom) {
    EXPECT_NE(loadError("", {{"VERDANT_PORT", "70000"}}, kTls)
                  .find("'port' (from environment variable VERDANT_PORT)"),
              std::string::npos);
    auto flags = kTls;
    flags["threads"] = "many";
    EXPECT_NE(loadError("", {}, flags).find("'threads' (from flag --threads)"), std::string::npos);
}

TEST(ServerConfig, UnknownKeyInTheFileIsRefused) {
    test::TemporaryDirectory dir;
    const auto file = writeFile(dir, "prot = 9000\n");
    EXPECT_NE(loadError(file, {}, kTls).find("unknown key 'prot'"), std::string::npos);
}

TEST(ServerConfig, UnreadableFileIsRefused) {
    EXPECT_NE(loadError("/nonexistent/verdant.properties", {}, kTls).find("cannot read"),
              std::string::npos);
}

TEST(ServerConfig, HttpsNeedsCertificateAndKey) {
    EXPECT_NE(loadError("", {}, {}).find("tls-cert"), std::string::npos);
}

TEST(ServerConfig, InsecureHttpNeedsNoCertificate) {
    const auto config = ServerConfig::load("", {}, {{"insecure-http", ""}});
    EXPECT_TRUE(config.insecureHttp);
}

}  // namespace
}  // namespace verdant::server
