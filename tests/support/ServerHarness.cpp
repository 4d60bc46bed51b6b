#include "ServerHarness.hpp"

#include "TestCertificates.hpp"

#include <Poco/Logger.h>
#include <Poco/Net/SSLManager.h>

namespace verdant::test {

namespace {

/// OpenSSL set-up for the whole test process (Poco counts the calls).
struct SslLibrary {
    SslLibrary() { Poco::Net::initializeSSL(); }
    ~SslLibrary() { Poco::Net::uninitializeSSL(); }
};

}  // namespace

server::ServerConfig ServerHarness::testConfig(const std::string& dataDir) {
    const auto& certificates = TestCertificates::primary();
    server::ServerConfig config;
    config.dataDir = dataDir;
    config.host = "127.0.0.1";
    config.port = 0;
    config.tlsCertificate = certificates.certificateFile;
    config.tlsPrivateKey = certificates.keyFile;
    config.threads = 8;
    config.shutdownGraceSeconds = 5;
    config.passwordMemoryKiB = 8 * 1024;  // still Argon2id; keeps tests quick under ASan
    return config;
}

ServerHarness::ServerHarness(const std::function<void(server::ServerConfig&)>& adjust,
                             server::SyncServer::Seams seams) {
    static SslLibrary ssl;
    // Request lines are noise in test output; warnings and errors still show.
    Poco::Logger::get("verdant.http").setLevel(Poco::Message::PRIO_WARNING);
    auto config = testConfig(_dataDir.path());
    if (adjust) {
        adjust(config);
    }
    _server = std::make_unique<server::SyncServer>(config, std::move(seams));
    _server->start();
}

ServerHarness::~ServerHarness() {
    _server->stop();
}

std::string ServerHarness::baseUrl() const {
    return std::string(_server->config().insecureHttp ? "http" : "https") +
           "://localhost:" + std::to_string(port());
}

client::ServerEndpoint ServerHarness::endpoint() const {
    return {baseUrl(), TestCertificates::primary().caFile, 10};
}

client::HttpsTransport ServerHarness::client() const {
    return client::HttpsTransport(endpoint());
}

}  // namespace verdant::test
