// The server's front door under hostile connections and malformed HTTP, over real TLS sockets
// that say exactly the bytes a test wants (no well-behaved client would send most of them).

#include "RawTlsConnection.hpp"
#include "ServerHarness.hpp"
#include "TestCertificates.hpp"

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Net/Context.h>
#include <Poco/Net/SecureStreamSocket.h>
#include <Poco/Net/StreamSocket.h>
#include <Poco/String.h>
#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace verdant {
namespace {

using test::ServerHarness;

using test::errorCodeOf;
using test::RawResponse;
using test::RawTlsConnection;

struct MalformedCase {
    std::string name;
    std::string bytes;
    int status;
    std::string code;
};

std::vector<MalformedCase> malformedCases() {
    const std::string host = "Host: localhost\r\n";
    std::string manyHeaders = "GET /v1/health HTTP/1.1\r\n" + host;
    for (int i = 0; i < 150; ++i) {
        manyHeaders += "X-H" + std::to_string(i) + ": v\r\n";
    }
    return {
        {"garbage request line", "\x16\x03hello there\r\n\r\n", 400, "invalid_request"},
        {"header over 8 KB",
         "GET /v1/health HTTP/1.1\r\n" + host + "X-Big: " + std::string(9000, 'b') + "\r\n\r\n",
         431, "header_too_large"},
        {"too many headers", manyHeaders + "\r\n", 431, "header_too_large"},
        {"100 KB URI", "GET /v1/" + std::string(100 * 1024, 'u') + " HTTP/1.1\r\n" + host + "\r\n",
         414, "uri_too_long"},
        {"60 KB bearer token",
         "GET /v1/me HTTP/1.1\r\n" + host + "Authorization: Bearer " + std::string(60 * 1024, 't') +
             "\r\n\r\n",
         431, "header_too_large"},
        {"non-numeric Content-Length",
         "POST /v1/auth/login HTTP/1.1\r\n" + host + "Content-Length: ten\r\n\r\n", 400,
         "invalid_request"},
        {"line without a colon", "GET /v1/health HTTP/1.1\r\n" + host + "Broken line\r\n\r\n", 400,
         "invalid_request"},
        {"space before the colon", "GET /v1/health HTTP/1.1\r\n" + host + "X-A : 1\r\n\r\n", 400,
         "invalid_request"},
        {"HTTP/2.0", "GET /v1/health HTTP/2.0\r\n" + host + "\r\n", 505,
         "http_version_not_supported"},
        {"unknown transfer coding",
         "POST /v1/auth/login HTTP/1.1\r\n" + host + "Transfer-Encoding: gzip\r\n\r\n", 501,
         "not_implemented"},
        {"Content-Length with chunked",
         "POST /v1/auth/login HTTP/1.1\r\n" + host +
             "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n",
         400, "invalid_request"},
    };
}

TEST(FrontDoor, EveryMalformedRequestGetsTheJsonErrorBodyAndARequestId) {
    ServerHarness harness;
    for (const auto& item : malformedCases()) {
        SCOPED_TRACE(item.name);
        RawTlsConnection connection(harness.port());
        connection.send(item.bytes);
        const auto response = connection.read();
        EXPECT_EQ(response.status, item.status);
        EXPECT_NE(response.reason, "OK");
        EXPECT_EQ(response.headers.at("content-type"), "application/json; charset=utf-8");
        EXPECT_EQ(errorCodeOf(response), item.code) << response.body;
        EXPECT_FALSE(response.headers.at("x-request-id").empty());
        EXPECT_EQ(Poco::toLower(response.headers.at("connection")), "close");
        EXPECT_TRUE(connection.closedByServer());
    }
    EXPECT_EQ(harness.client().send("GET", "/v1/health").status, 200);
}

TEST(FrontDoor, IdleAndSlowConnectionsDoNotKeepOtherClientsOut) {
    // Fewer workers than hostile connections: with a thread per connection, they took them all.
    ServerHarness harness([](server::ServerConfig& config) { config.threads = 4; });
    std::vector<Poco::Net::StreamSocket> idle;
    for (int i = 0; i < 40; ++i) {
        idle.emplace_back(Poco::Net::SocketAddress("127.0.0.1", harness.port()));
    }
    std::vector<std::unique_ptr<RawTlsConnection>> slow;
    for (int i = 0; i < 40; ++i) {
        slow.push_back(std::make_unique<RawTlsConnection>(harness.port()));
        slow.back()->send("POST /v1/auth/login HTTP/1.1\r\nHost: localhost\r\nX-Slow: 1\r\n");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));

    client::HttpsTransport client({harness.baseUrl(), test::TestCertificates::primary().caFile, 5});
    for (int i = 0; i < 3; ++i) {
        EXPECT_EQ(client.send("GET", "/v1/health").status, 200);
    }
    EXPECT_GE(harness.server().openConnections(), 80);
}

TEST(FrontDoor, AHeadThatTricklesPastTheHeaderTimeoutIsAnswered408) {
    ServerHarness harness([](server::ServerConfig& config) { config.headerTimeoutSeconds = 1; });
    RawTlsConnection connection(harness.port());
    connection.send("GET /v1/health HTTP/1.1\r\nHost: localhost\r\n");
    for (int i = 0; i < 3; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(400));
        try {
            connection.send("X-Trickle: " + std::to_string(i) + "\r\n");
        } catch (const Poco::Exception&) {
            break;  // already answered and closed
        }
    }
    const auto response = connection.read();
    EXPECT_EQ(response.status, 408);
    EXPECT_EQ(errorCodeOf(response), "request_timeout");
}

TEST(FrontDoor, AnIdleTlsConnectionIsClosedAfterTheHeaderTimeout) {
    ServerHarness harness([](server::ServerConfig& config) { config.headerTimeoutSeconds = 1; });
    Poco::Net::StreamSocket idle(Poco::Net::SocketAddress("127.0.0.1", harness.port()));
    idle.setReceiveTimeout(Poco::Timespan(5, 0));
    char byte = 0;
    const auto started = std::chrono::steady_clock::now();
    EXPECT_EQ(idle.receiveBytes(&byte, 1), 0);  // end of stream, no TLS handshake ever
    EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(4));
}

TEST(FrontDoor, PipelinedAndChunkedRequestsAreAnsweredInOrder) {
    ServerHarness harness;
    RawTlsConnection connection(harness.port());
    const std::string body = R"({"tenant":"none","username":"x","password":"y"})";
    connection.send(
        "GET /v1/health HTTP/1.1\r\nHost: localhost\r\n\r\n"
        "POST /v1/auth/login HTTP/1.1\r\nHost: localhost\r\n"
        "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n" +
        [&] {
            char size[16];
            std::snprintf(size, sizeof size, "%zx", body.size());
            return std::string(size);
        }() +
        "\r\n" + body + "\r\n0\r\n\r\n");
    EXPECT_EQ(connection.read().status, 200);
    const auto login = connection.read();
    EXPECT_EQ(login.status, 401);  // the body was read whole: the credentials were checked
    EXPECT_EQ(errorCodeOf(login), "invalid_credentials");
}

TEST(FrontDoor, ALargeBodyWithoutAValidTokenIsRefusedBeforeItIsRead) {
    ServerHarness harness;
    for (const std::string authorization : {"", "Authorization: Bearer not.a.token\r\n"}) {
        RawTlsConnection connection(harness.port());
        connection.send("POST /v1/sync/push HTTP/1.1\r\nHost: localhost\r\n" + authorization +
                        "Content-Type: application/json\r\nContent-Length: 10000000\r\n"
                        "Expect: 100-continue\r\n\r\n");
        const auto response = connection.read();  // no "100 Continue": the body is not wanted
        EXPECT_EQ(response.status, authorization.empty() ? 413 : 401);
        EXPECT_EQ(errorCodeOf(response),
                  authorization.empty() ? "payload_too_large" : "token_invalid");
        EXPECT_TRUE(connection.closedByServer());
    }
    // A chunked body says its size only as it comes: without a token it may come up to 64 KiB.
    RawTlsConnection chunked(harness.port());
    chunked.send(
        "POST /v1/auth/login HTTP/1.1\r\nHost: localhost\r\n"
        "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
        "20000\r\n" +
        std::string(0x20000, ' ') + "\r\n0\r\n\r\n");
    const auto tooLarge = chunked.read();
    EXPECT_EQ(tooLarge.status, 413);
    EXPECT_EQ(errorCodeOf(tooLarge), "payload_too_large");
}

TEST(FrontDoor, AnUploadWithoutATokenIsUnauthenticatedSoTheClientSignsInAgain) {
    ServerHarness harness;
    RawTlsConnection connection(harness.port());
    connection.send(
        "PATCH /v1/uploads/0123456789abcdef HTTP/1.1\r\nHost: localhost\r\n"
        "Tus-Resumable: 1.0.0\r\nUpload-Offset: 0\r\n"
        "Content-Type: application/offset+octet-stream\r\n"
        "Content-Length: 1000000\r\nExpect: 100-continue\r\n\r\n");
    const auto response = connection.read();  // refused from its head, the body not wanted
    EXPECT_EQ(response.status, 401);
    EXPECT_EQ(errorCodeOf(response), "unauthenticated");
    // tus asks for Tus-Resumable on every answer: this refusal came before any handler ran.
    EXPECT_EQ(response.headers.count("tus-resumable") ? response.headers.at("tus-resumable") : "",
              "1.0.0");
}

// Answers to a connection that was reset meet EPIPE/ECONNRESET mid-write, and the connection is
// closed while answers for it are still coming back from workers.
TEST(FrontDoor, AClientThatHangsUpMidAnswerDoesNotStopTheServer) {
    ServerHarness harness;
    for (int attempt = 0; attempt < 3; ++attempt) {
        Poco::Net::Context::Params params;
        params.verificationMode = Poco::Net::Context::VERIFY_NONE;
        Poco::Net::SecureStreamSocket socket(Poco::Net::SocketAddress("127.0.0.1", harness.port()),
                                             Poco::Net::Context::Ptr(new Poco::Net::Context(
                                                 Poco::Net::Context::TLS_CLIENT_USE, params)));
        std::string requests;
        for (int i = 0; i < 300; ++i) {
            requests += "GET /v1/health HTTP/1.1\r\nHost: localhost\r\n\r\n";
        }
        socket.sendBytes(requests.data(), static_cast<int>(requests.size()));
        socket.setLinger(true, 0);  // reset, while answers are still being written
        socket.impl()->close();
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    EXPECT_EQ(harness.client().send("GET", "/v1/health").status, 200);
}

TEST(FrontDoor, ResponsesCarrySecurityHeadersAndNoServerVersion) {
    ServerHarness harness;
    const auto response = harness.client().send("GET", "/v1/health");
    EXPECT_EQ(response.headers.at("Server"), "verdant");
    EXPECT_EQ(response.headers.at("X-Content-Type-Options"), "nosniff");
    EXPECT_EQ(response.headers.at("Strict-Transport-Security"), "max-age=31536000");
}

TEST(Metrics, InventedMethodsShareOneLabel) {
    ServerHarness harness;
    RawTlsConnection connection(harness.port());
    for (const std::string method : {"BREW", "XYZZY", "PROPFIND"}) {
        connection.send(method + " /v1/health HTTP/1.1\r\nHost: localhost\r\n\r\n");
        EXPECT_EQ(connection.read().status, 405);
    }
    const auto metrics = harness.client().send("GET", "/metrics").body;
    EXPECT_EQ(metrics.find("BREW"), std::string::npos) << metrics;
    EXPECT_NE(metrics.find(R"(method="other",route="unmatched",status="405"} 3)"),
              std::string::npos)
        << metrics;
}

}  // namespace
}  // namespace verdant
