// The listener's streamed request bodies (uploads spooled to disk as they arrive, handed on even
// when the client breaks off) and file-backed answers (downloads read as the socket drains), over
// real TLS sockets on port 0.

#include "RawTlsConnection.hpp"
#include "ServerHarness.hpp"
#include "TemporaryDirectory.hpp"
#include "TestCertificates.hpp"

#include "verdant/server/http/HttpExchange.hpp"
#include "verdant/server/http/HttpListener.hpp"
#include "verdant/server/http/Metrics.hpp"
#include "verdant/server/http/RequestDispatcher.hpp"
#include "verdant/server/http/Router.hpp"

#include <Poco/Exception.h>
#include <Poco/File.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Net/Context.h>
#include <Poco/Net/SecureStreamSocket.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/URI.h>
#include <gtest/gtest.h>
#include <openssl/ssl.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace verdant {
namespace {

using server::HttpExchange;
using server::HttpListener;

constexpr std::int64_t kMemoryBodyLimit = 1 << 20;
constexpr std::int64_t kStreamedBodyLimit = 32 << 20;

/// The body byte at `position`: a pattern that a shifted, dropped or repeated piece breaks.
char patternByte(std::int64_t position) {
    return static_cast<char>((position * 31 + 7) % 251);
}

std::string patternBytes(std::int64_t from, std::int64_t count) {
    std::string bytes(static_cast<std::size_t>(count), '\0');
    for (std::int64_t i = 0; i < count; ++i) {
        bytes[static_cast<std::size_t>(i)] = patternByte(from + i);
    }
    return bytes;
}

/// What a streamed route's handler saw of its request.
struct SeenUpload {
    bool complete = false;
    std::int64_t size = -1;
    std::int64_t bytesRead = 0;
    bool patternIntact = true;
    std::int64_t bodyBytesInMemory = -1;  ///< The listener's in-memory body accounting then.
    std::size_t spoolFiles = 0;           ///< Files in the spool directory then.
};

using test::errorCodeOf;
using test::RawResponse;
using test::RawTlsConnection;

std::string head(const std::string& method, const std::string& target, const std::string& framing) {
    return method + " " + target + " HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer t\r\n" +
           framing + "\r\n";
}

std::string contentLength(std::int64_t length) {
    return "Content-Length: " + std::to_string(length) + "\r\n";
}

/// A real listener with a streamed upload route, an in-memory route and a download route.
class StreamedBodyTest : public ::testing::Test {
protected:
    void SetUp() override {
        _router.addStreamed("PUT", "/upload", [this](HttpExchange& exchange) { upload(exchange); });
        _router.addStreamed("PUT", "/keep", [this](HttpExchange& exchange) { keep(exchange); });
        _router.add("PUT", "/memory", [](HttpExchange& exchange) {
            exchange.send(Poco::Net::HTTPResponse::HTTP_OK, "text/plain",
                          std::to_string(exchange.readBody().size()));
        });
        for (const auto* method : {"GET", "HEAD"}) {
            _router.add(method, "/download", [this](HttpExchange& exchange) {
                exchange.sendFile(Poco::Net::HTTPResponse::HTTP_OK, "image/jpeg", _download,
                                  _downloadOffset, _downloadLength);
            });
        }
        start();
    }

    void TearDown() override { stop(); }

    void start() {
        const auto& certificates = test::TestCertificates::primary();
        Poco::Net::Context::Params params;
        params.certificateFile = certificates.certificateFile;
        params.privateKeyFile = certificates.keyFile;
        params.verificationMode = Poco::Net::Context::VERIFY_NONE;
        params.loadDefaultCAs = false;
        Poco::Net::Context::Ptr tls =
            new Poco::Net::Context(Poco::Net::Context::TLS_SERVER_USE, params);
        // No session tickets: a client that sends and then closes has nothing unread, so its close
        // is an orderly end (FIN) after all its bytes, not a reset that may drop some of them.
        SSL_CTX_set_num_tickets(tls->sslContext(), 0);
        Poco::Net::ServerSocket socket;
        socket.bind(Poco::Net::SocketAddress("127.0.0.1", 0), true);
        socket.listen(64);
        _port = socket.address().port();
        _dispatcher =
            std::make_unique<server::RequestDispatcher>(_router, kMemoryBodyLimit, _metrics);
        HttpListener::Options options;
        options.threads = 2;
        options.requestTimeoutSeconds = _requestTimeoutSeconds;
        options.limits.maxBodyBytes = kMemoryBodyLimit;
        options.limits.maxStreamedBodyBytes = kStreamedBodyLimit;
        options.bodyGate =
            [](const server::ParsedRequest& request) -> std::optional<shared::Error> {
            if (!request.header("Authorization")) {
                return shared::Error(shared::ErrorCode::Unauthenticated, "Sign in first.");
            }
            return std::nullopt;
        };
        options.streamBody = [this](const server::ParsedRequest& request) {
            return _router.streams(request.method, Poco::URI(request.target).getPath());
        };
        options.spoolDirectory = spoolDirectory();
        options.spoolBudgetBytes = _spoolBudgetBytes;
        _listener = std::make_unique<HttpListener>(std::move(socket), tls, *_dispatcher, options);
        _listener->start();
    }

    void stop() {
        if (_listener) {
            _listener->stop(std::chrono::seconds(5));
            _listener.reset();
        }
    }

    std::string spoolDirectory() const { return _directory.file("spool"); }

    std::size_t spoolFiles() const {
        std::vector<std::string> names;
        Poco::File(spoolDirectory()).list(names);
        return names.size();
    }

    /// What the upload handler saw, once it has run (waits for it, as it may run after the
    /// client has gone).
    SeenUpload awaitUpload() {
        std::unique_lock lock(_mutex);
        const bool ran =
            _ran.wait_for(lock, std::chrono::seconds(20), [this] { return _seen.has_value(); });
        EXPECT_TRUE(ran) << "the upload handler did not run";
        return _seen.value_or(SeenUpload{});
    }

    void upload(HttpExchange& exchange) {
        SeenUpload seen;
        seen.bodyBytesInMemory = _listener->bodyBytesInMemory();
        seen.spoolFiles = spoolFiles();
        seen.complete = exchange.bodyComplete();
        seen.size = exchange.bodySize();
        auto& in = exchange.bodyStream();
        std::vector<char> piece(64 * 1024);
        while (in.read(piece.data(), static_cast<std::streamsize>(piece.size())) ||
               in.gcount() > 0) {
            for (std::streamsize i = 0; i < in.gcount(); ++i) {
                seen.patternIntact = seen.patternIntact && piece[static_cast<std::size_t>(i)] ==
                                                               patternByte(seen.bytesRead + i);
            }
            seen.bytesRead += in.gcount();
        }
        {
            std::lock_guard lock(_mutex);
            _seen = seen;
        }
        _ran.notify_all();
        exchange.send(Poco::Net::HTTPResponse::HTTP_OK, "text/plain", std::to_string(seen.size));
    }

    void keep(HttpExchange& exchange) {
        const auto taken = exchange.takeBodyFile();
        ASSERT_TRUE(taken.has_value());
        Poco::File(*taken).renameTo(_directory.file("kept"));
        exchange.send(Poco::Net::HTTPResponse::HTTP_CREATED, "text/plain", "kept");
    }

    test::TemporaryDirectory _directory;
    server::Router _router;
    server::Metrics _metrics;
    std::unique_ptr<server::RequestDispatcher> _dispatcher;
    std::unique_ptr<HttpListener> _listener;
    std::uint16_t _port = 0;
    int _requestTimeoutSeconds = 30;
    std::int64_t _spoolBudgetBytes = std::int64_t{1} << 30;
    std::string _download;
    std::int64_t _downloadOffset = 0;
    std::int64_t _downloadLength = 0;
    std::mutex _mutex;
    std::condition_variable _ran;
    std::optional<SeenUpload> _seen;
};

TEST_F(StreamedBodyTest, A20MiBUploadReachesItsHandlerFromDiskNotMemory) {
    constexpr std::int64_t kSize = 20 << 20;
    RawTlsConnection client(_port);
    client.send(head("PUT", "/upload", contentLength(kSize)));
    for (std::int64_t sent = 0; sent < kSize; sent += 1 << 20) {
        client.send(patternBytes(sent, 1 << 20));
    }
    const auto response = client.read();

    EXPECT_EQ(response.status, 200) << response.body;
    const auto seen = awaitUpload();
    EXPECT_TRUE(seen.complete);
    EXPECT_EQ(seen.size, kSize);
    EXPECT_EQ(seen.bytesRead, kSize);
    EXPECT_TRUE(seen.patternIntact);
    EXPECT_EQ(seen.bodyBytesInMemory, 0);  // the listener held none of it in memory
    EXPECT_EQ(seen.spoolFiles, 1U);        // it was on disk, in one spool file
    EXPECT_EQ(spoolFiles(), 0U);           // removed once the handler returned

    // The connection goes on serving (keep-alive after a complete streamed body).
    client.send(head("PUT", "/memory", contentLength(5)) + "hello");
    EXPECT_EQ(client.read().body, "5");
}

TEST_F(StreamedBodyTest, AChunkedUploadIsSpooledAndPipelinedRequestsFollowIt) {
    constexpr std::int64_t kSize = 3 << 20;
    std::string bytes = head("PUT", "/upload", "Transfer-Encoding: chunked\r\n");
    for (std::int64_t sent = 0; sent < kSize; sent += 40000) {
        const auto piece = std::min<std::int64_t>(40000, kSize - sent);
        char size[32];
        std::snprintf(size, sizeof size, "%llx\r\n", static_cast<unsigned long long>(piece));
        bytes += size + patternBytes(sent, piece) + "\r\n";
    }
    bytes += "0\r\n\r\n" + head("PUT", "/memory", contentLength(3)) + "abc";
    RawTlsConnection client(_port);
    client.send(bytes);

    EXPECT_EQ(client.read().body, std::to_string(kSize));
    EXPECT_EQ(client.read().body, "3");
    const auto seen = awaitUpload();
    EXPECT_TRUE(seen.complete);
    EXPECT_EQ(seen.bytesRead, kSize);
    EXPECT_TRUE(seen.patternIntact);
    EXPECT_EQ(seen.bodyBytesInMemory, 0);
    EXPECT_EQ(spoolFiles(), 0U);
}

TEST_F(StreamedBodyTest, AClientThatBreaksOffMidBodyStillHandsOverWhatArrived) {
    constexpr std::int64_t kArrived = 300 * 1024;
    {
        RawTlsConnection client(_port);
        client.send(head("PUT", "/upload", contentLength(1 << 20)));
        client.send(patternBytes(0, kArrived));
        client.close();
    }
    const auto seen = awaitUpload();

    EXPECT_FALSE(seen.complete);
    EXPECT_EQ(seen.size, kArrived);
    EXPECT_EQ(seen.bytesRead, kArrived);
    EXPECT_TRUE(seen.patternIntact);
    stop();  // the handler has returned once the workers are joined
    EXPECT_EQ(spoolFiles(), 0U);
}

TEST_F(StreamedBodyTest, AnUploadThatStallsPastTheDeadlineIsAnswered408AndHandedOver) {
    stop();
    _requestTimeoutSeconds = 1;
    start();
    RawTlsConnection client(_port);
    client.send(head("PUT", "/upload", contentLength(1 << 20)));
    client.send(patternBytes(0, 1000));

    const auto response = client.read();
    EXPECT_EQ(response.status, 408);
    EXPECT_EQ(errorCodeOf(response), "request_timeout");
    const auto seen = awaitUpload();
    EXPECT_FALSE(seen.complete);
    EXPECT_EQ(seen.bytesRead, 1000);
}

TEST_F(StreamedBodyTest, AnInMemoryRouteStillRefusesABodyOverItsLimit) {
    RawTlsConnection client(_port);
    client.send(head("PUT", "/memory", contentLength(kMemoryBodyLimit + 1)));

    const auto response = client.read();
    EXPECT_EQ(response.status, 413);
    EXPECT_EQ(errorCodeOf(response), "payload_too_large");
}

TEST_F(StreamedBodyTest, AnUploadOverTheStreamedLimitIsRefused413) {
    {
        RawTlsConnection client(_port);
        client.send(head("PUT", "/upload", contentLength(kStreamedBodyLimit + 1)));
        const auto response = client.read();
        EXPECT_EQ(response.status, 413);
        EXPECT_EQ(errorCodeOf(response), "payload_too_large");
    }
    {
        // Chunked: refused when the chunk that would pass the limit is announced.
        RawTlsConnection client(_port);
        char size[32];
        std::snprintf(size, sizeof size, "%llx\r\n",
                      static_cast<unsigned long long>(kStreamedBodyLimit + 1));
        client.send(head("PUT", "/upload", "Transfer-Encoding: chunked\r\n") + size);
        const auto response = client.read();
        EXPECT_EQ(response.status, 413);
        EXPECT_EQ(errorCodeOf(response), "payload_too_large");
    }
    EXPECT_FALSE(_seen.has_value());
    EXPECT_EQ(spoolFiles(), 0U);
}

TEST_F(StreamedBodyTest, UploadsPastTheSpoolBudgetAreRefusedBusyAndOthersStillPass) {
    stop();
    _spoolBudgetBytes = 1 << 20;
    start();
    {
        // Declared: refused from its head, nothing written.
        RawTlsConnection client(_port);
        client.send(head("PUT", "/upload", contentLength(2 << 20)));
        const auto response = client.read();
        EXPECT_EQ(response.status, 503);
        EXPECT_EQ(errorCodeOf(response), "server_busy");
    }
    {
        // Chunked: refused once what it wrote passes the budget.
        RawTlsConnection client(_port);
        client.send(head("PUT", "/upload", "Transfer-Encoding: chunked\r\n"));
        for (int i = 0; i < 3; ++i) {
            client.send("80000\r\n" + patternBytes(i * 0x80000, 0x80000) + "\r\n");
        }
        const auto response = client.read();
        EXPECT_EQ(response.status, 503);
        EXPECT_EQ(errorCodeOf(response), "server_busy");
    }
    EXPECT_FALSE(_seen.has_value());
    EXPECT_EQ(spoolFiles(), 0U);
    // Within the budget, an upload goes through: the refused ones gave their bytes back.
    RawTlsConnection client(_port);
    client.send(head("PUT", "/upload", contentLength(512 << 10)) + patternBytes(0, 512 << 10));
    EXPECT_EQ(client.read().status, 200);
}

TEST_F(StreamedBodyTest, TheBodyGateRunsBeforeAnyOfAStreamedBodyIsKept) {
    RawTlsConnection client(_port);
    client.send("PUT /upload HTTP/1.1\r\nHost: localhost\r\n" + contentLength(1 << 20) + "\r\n");

    const auto response = client.read();
    EXPECT_EQ(response.status, 401);
    EXPECT_EQ(spoolFiles(), 0U);
    stop();
    EXPECT_FALSE(_seen.has_value());  // not handed to the route, not even as a broken body
}

TEST_F(StreamedBodyTest, AHandlerMayTakeTheSpooledFileInsteadOfCopyingIt) {
    RawTlsConnection client(_port);
    client.send(head("PUT", "/keep", contentLength(70000)) + patternBytes(0, 70000));

    EXPECT_EQ(client.read().status, 201);
    std::ifstream kept(_directory.file("kept"), std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(kept)), {});
    EXPECT_TRUE(bytes == patternBytes(0, 70000))
        << "the kept file holds " << bytes.size() << " bytes, not the body";
    EXPECT_EQ(spoolFiles(), 0U);
}

TEST_F(StreamedBodyTest, AFileAnswerArrivesWholeAndHeadSendsNoBody) {
    constexpr std::int64_t kSize = 5 << 20;
    _download = _directory.file("photo.jpg");
    {
        std::ofstream file(_download, std::ios::binary);
        const auto bytes = patternBytes(0, kSize);
        file.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    }
    _downloadLength = kSize;
    RawTlsConnection client(_port);

    client.send(head("GET", "/download", ""));
    const auto whole = client.read();
    EXPECT_EQ(whole.status, 200);
    EXPECT_EQ(whole.headers.at("content-length"), std::to_string(kSize));
    EXPECT_TRUE(whole.body == patternBytes(0, kSize)) << "the downloaded bytes differ";

    client.send(head("HEAD", "/download", ""));
    const auto headers = client.read(true);
    EXPECT_EQ(headers.status, 200);
    EXPECT_EQ(headers.headers.at("content-length"), std::to_string(kSize));
    EXPECT_FALSE(client.moreArrives(std::chrono::milliseconds(300)));  // no body after HEAD

    _downloadOffset = 1000;  // a range
    _downloadLength = 300000;
    client.send(head("GET", "/download", ""));
    const auto part = client.read();
    EXPECT_EQ(part.headers.at("content-length"), "300000");
    EXPECT_TRUE(part.body == patternBytes(1000, 300000)) << "the range's bytes differ";
}

TEST(ServerSpool, SpoolFilesLeftByAnEarlierProcessAreRemovedAtStart) {
    std::string spool;
    test::ServerHarness harness([&spool](server::ServerConfig& config) {
        spool = config.dataDir + "/spool";
        Poco::File(spool).createDirectories();
        std::ofstream(spool + "/verdant-body-leftover") << "a chunk from before a crash";
    });

    EXPECT_TRUE(Poco::File(spool).isDirectory());
    EXPECT_FALSE(Poco::File(spool + "/verdant-body-leftover").exists());
}

}  // namespace
}  // namespace verdant
