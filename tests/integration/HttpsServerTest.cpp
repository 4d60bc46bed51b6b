// The HTTPS shell of the server, exercised over real TLS with a verifying Poco client.

#include "ServerHarness.hpp"
#include "TestCertificates.hpp"

#include "verdant/shared/ErrorCode.hpp"
#include "verdant/shared/Version.hpp"

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/String.h>
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

namespace verdant {
namespace {

using shared::Error;
using shared::ErrorCode;
using test::ServerHarness;

Poco::JSON::Object::Ptr parseObject(const std::string& body) {
    Poco::JSON::Parser parser;
    return parser.parse(body).extract<Poco::JSON::Object::Ptr>();
}

/// Asserts the response is the documented error body with the given code.
void expectErrorBody(const client::HttpResponse& response, int status, const std::string& code) {
    EXPECT_EQ(response.status, status);
    EXPECT_EQ(response.contentType, "application/json; charset=utf-8");
    const auto body = parseObject(response.body);
    const auto error = body->getObject("error");
    ASSERT_TRUE(error) << response.body;
    EXPECT_EQ(error->getValue<std::string>("code"), code);
    EXPECT_FALSE(error->getValue<std::string>("message").empty());
    EXPECT_EQ(body->size(), 1U) << "nothing but the error object: " << response.body;
}

TEST(HealthEndpoint, AnswersOkWithVersionAndStorageOverVerifiedTls) {
    ServerHarness harness;
    auto client = harness.client();

    const auto response = client.send("GET", "/v1/health");

    ASSERT_EQ(response.status, 200) << response.body;
    EXPECT_EQ(response.contentType, "application/json; charset=utf-8");
    const auto body = parseObject(response.body);
    EXPECT_EQ(body->getValue<std::string>("status"), "ok");
    EXPECT_EQ(body->getValue<std::string>("version"), std::string(shared::versionString()));
    EXPECT_EQ(body->getObject("storage")->getValue<std::string>("backend"), "sqlite");
    EXPECT_EQ(body->getObject("storage")->getValue<std::string>("status"), "ok");
    EXPECT_EQ(response.headers.count("X-Request-Id"), 1U);
}

TEST(HealthEndpoint, KeepsTheConnectionAliveAcrossRequests) {
    ServerHarness harness;
    auto client = harness.client();
    for (int i = 0; i < 5; ++i) {
        const auto response = client.send("GET", "/v1/health");
        EXPECT_EQ(response.status, 200);
        // The client would open a new connection silently: the server's word is what counts.
        EXPECT_EQ(Poco::toLower(response.headers.at("Connection")), "keep-alive");
    }
    EXPECT_EQ(harness.server().openConnections(), 1);
}

TEST(HttpsServer, EchoesAPlainClientRequestId) {
    ServerHarness harness;
    auto client = harness.client();
    const auto response = client.send("GET", "/v1/health", "", "", {{"X-Request-Id", "tab-7f3a"}});
    EXPECT_EQ(response.headers.at("X-Request-Id"), "tab-7f3a");
}

TEST(HttpsServer, ClientThatDoesNotTrustItsCaRefusesTheServer) {
    ServerHarness harness;
    client::HttpsTransport stranger(
        {harness.baseUrl(), test::TestCertificates::unrelated().caFile, 10});
    try {
        stranger.send("GET", "/v1/health");
        FAIL() << "a client trusting another CA must not get an answer";
    } catch (const Error& e) {
        EXPECT_EQ(e.code(), ErrorCode::TlsUntrusted) << e.what();
    }
}

TEST(HttpsServer, PlainHttpRequestToTheTlsPortIsToldToUseTls) {
    ServerHarness harness;
    client::HttpsTransport plain({"http://127.0.0.1:" + std::to_string(harness.port()), "", 5});
    const auto response = plain.send("GET", "/v1/health");
    expectErrorBody(response, 400, "invalid_request");
    EXPECT_NE(response.body.find("HTTPS"), std::string::npos) << response.body;
    EXPECT_EQ(response.body.find("\"status\":\"ok\""), std::string::npos) << "nothing is served";
    // The server is unharmed and still serves TLS clients.
    EXPECT_EQ(harness.client().send("GET", "/v1/health").status, 200);
}

TEST(HttpsServer, UnknownRouteAnswers404WithErrorBody) {
    ServerHarness harness;
    auto client = harness.client();
    expectErrorBody(client.send("GET", "/v1/no-such-thing"), 404, "route_not_found");
    expectErrorBody(client.send("GET", "/"), 404, "route_not_found");
}

TEST(HttpsServer, WrongMethodAnswers405WithAllowHeader) {
    ServerHarness harness;
    auto client = harness.client();
    const auto response = client.send("DELETE", "/v1/health");
    expectErrorBody(response, 405, "method_not_allowed");
    EXPECT_EQ(response.headers.at("Allow"), "GET");
}

TEST(HttpsServer, OversizedBodyAnswers413WithErrorBody) {
    ServerHarness harness([](server::ServerConfig& config) { config.maxBodyBytes = 4096; });
    auto client = harness.client();
    const std::string body(10 * 1024, 'x');
    expectErrorBody(client.send("POST", "/v1/sync/push", "application/json", body), 413,
                    "payload_too_large");
    // A body within the limit is not refused for its size (but for the missing token).
    auto fresh = harness.client();
    expectErrorBody(fresh.send("POST", "/v1/sync/push", "application/json", "{}"), 401,
                    "unauthenticated");
}

TEST(HttpsServer, MalformedUriAnswers400WithoutInternals) {
    ServerHarness harness;
    auto client = harness.client();
    const auto response = client.send("GET", "/v1/%zz");
    expectErrorBody(response, 400, "invalid_request");
    EXPECT_EQ(response.body.find("Exception"), std::string::npos);
}

TEST(HttpsServer, RefusesACertificateThatDoesNotExist) {
    test::TemporaryDirectory dir;
    auto config = ServerHarness::testConfig(dir.path());
    config.tlsCertificate = dir.file("missing.pem");
    server::SyncServer server(config);
    try {
        server.start();
        FAIL() << "started without a certificate";
    } catch (const Error& e) {
        EXPECT_EQ(e.code(), ErrorCode::InvalidParameter);
        EXPECT_NE(std::string(e.what()).find("missing.pem"), std::string::npos) << e.what();
    }
}

}  // namespace
}  // namespace verdant

namespace verdant {
namespace {

TEST(Metrics, CountRequestsByRoutePatternAndStatus) {
    test::ServerHarness harness;
    auto client = harness.client();
    client.send("GET", "/v1/health");
    client.send("GET", "/v1/health");
    client.send("GET", "/v1/no-such-thing/42");

    const auto response = client.send("GET", "/metrics");
    ASSERT_EQ(response.status, 200);
    EXPECT_EQ(response.contentType, "text/plain; version=0.0.4; charset=utf-8");
    EXPECT_NE(response.body.find(
                  R"(verdant_http_requests_total{method="GET",route="/v1/health",status="200"} 2)"),
              std::string::npos)
        << response.body;
    EXPECT_NE(response.body.find(
                  R"(verdant_http_requests_total{method="GET",route="unmatched",status="404"} 1)"),
              std::string::npos)
        << "raw paths never become labels: " << response.body;
    EXPECT_EQ(response.body.find("no-such-thing"), std::string::npos);
}

TEST(Metrics, NeedTheTokenWhenOneIsConfigured) {
    test::ServerHarness harness(
        [](server::ServerConfig& config) { config.metricsToken = "s3cret"; });
    auto client = harness.client();
    EXPECT_EQ(client.send("GET", "/metrics").status, 401);
    EXPECT_EQ(client.send("GET", "/metrics", "", "", {{"Authorization", "Bearer wrong!"}}).status,
              401);
    EXPECT_EQ(client.send("GET", "/metrics", "", "", {{"Authorization", "Bearer s3cret"}}).status,
              200);
}

TEST(HttpsTransport, AGetOnAConnectionTheServerClosedWhileIdleGoesThroughOnAFreshOne) {
    ServerHarness harness([](server::ServerConfig& config) { config.keepAliveTimeoutSeconds = 1; });
    auto client = harness.client();
    EXPECT_EQ(client.send("GET", "/v1/health").status, 200);
    // Idle past the server's keep-alive (not the client's): the server has closed the connection
    // the client still holds.
    std::this_thread::sleep_for(std::chrono::milliseconds(2500));
    EXPECT_EQ(client.send("GET", "/v1/health").status, 200);
}

}  // namespace
}  // namespace verdant
