// The front door's HTTP/1.1 reader: strict where leniency lets a request be read two ways.

#include "verdant/server/http/HttpRequestParser.hpp"

#include <gtest/gtest.h>

#include <string>

namespace verdant::server {
namespace {

using shared::ErrorCode;
using Status = HttpRequestParser::Status;

HttpRequestParser::Limits smallLimits() {
    HttpRequestParser::Limits limits;
    limits.maxBodyBytes = 1024;
    return limits;
}

/// Feeds `bytes` and expects the parser to refuse them with `code`.
void expectRefused(const std::string& bytes, ErrorCode code) {
    HttpRequestParser parser(smallLimits());
    ASSERT_EQ(parser.feed(bytes), Status::Failed) << bytes.substr(0, 80);
    EXPECT_EQ(parser.error().code(), code) << bytes.substr(0, 80) << ": " << parser.error().what();
}

TEST(HttpRequestParser, ReadsARequestThatArrivesOneByteAtATime) {
    const std::string bytes =
        "POST /v1/auth/login?x=1 HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
        "Content-Length: 7\r\n\r\n{\"a\":1}";
    HttpRequestParser parser(smallLimits());
    for (std::size_t i = 0; i + 1 < bytes.size(); ++i) {
        ASSERT_EQ(parser.feed(bytes.substr(i, 1)), Status::NeedMore) << i;
    }
    ASSERT_EQ(parser.feed(bytes.substr(bytes.size() - 1)), Status::Complete);
    const auto request = parser.take();
    EXPECT_EQ(request.method, "POST");
    EXPECT_EQ(request.target, "/v1/auth/login?x=1");
    EXPECT_EQ(request.header("content-type"), "application/json");
    EXPECT_EQ(request.body, "{\"a\":1}");
    EXPECT_TRUE(request.keepAlive);
}

TEST(HttpRequestParser, KeepsPipelinedBytesForTheNextRequest) {
    HttpRequestParser parser(smallLimits());
    ASSERT_EQ(parser.feed("GET /a HTTP/1.1\r\nHost: h\r\n\r\nGET /b HTTP/1.1\r\nHost: h\r\n"
                          "Connection: close\r\n\r\n"),
              Status::Complete);
    EXPECT_EQ(parser.take().target, "/a");
    ASSERT_EQ(parser.resume(), Status::Complete);
    const auto second = parser.take();
    EXPECT_EQ(second.target, "/b");
    EXPECT_FALSE(second.keepAlive);
    EXPECT_FALSE(parser.started());
}

TEST(HttpRequestParser, DecodesAChunkedBody) {
    HttpRequestParser parser(smallLimits());
    ASSERT_EQ(parser.feed("POST /p HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
                          "4\r\nWiki\r\n5;ext=1\r\npedia\r\n0\r\nTrailer: x\r\n\r\n"),
              Status::Complete);
    EXPECT_EQ(parser.take().body, "Wikipedia");
}

TEST(HttpRequestParser, DecodesABodyOfManyTinyChunksReadInLargePieces) {
    HttpRequestParser::Limits limits;
    limits.maxBodyBytes = 1 << 20;
    HttpRequestParser parser(limits);
    ASSERT_EQ(parser.feed("POST /p HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"),
              Status::NeedMore);
    std::string piece;
    for (int i = 0; i < 10'000; ++i) {
        piece += "1\r\nX\r\n";  // 60 KB of one-byte chunks per read
    }
    for (int read = 0; read < 20; ++read) {
        ASSERT_EQ(parser.feed(piece), Status::NeedMore);
    }
    ASSERT_EQ(parser.feed("0\r\n\r\n"), Status::Complete);
    EXPECT_EQ(parser.take().body, std::string(200'000, 'X'));
}

TEST(HttpRequestParser, RefusesHeaderLinesAProxyCouldReadAnotherWay) {
    const std::string start = "GET / HTTP/1.1\r\nHost: h\r\n";
    expectRefused(start + "NoColonHere\r\n\r\n", ErrorCode::InvalidRequest);
    expectRefused(start + "Name : value\r\n\r\n", ErrorCode::InvalidRequest);
    expectRefused(start + "X-A: 1\r\n folded\r\n\r\n", ErrorCode::InvalidRequest);
    expectRefused(start + "X-A: a\x01z\r\n\r\n", ErrorCode::InvalidRequest);
    expectRefused("GET / HTTP/1.1\nHost: h\r\n\r\n", ErrorCode::InvalidRequest);
}

TEST(HttpRequestParser, RefusesBodyFramingThatIsAmbiguousOrUnsupported) {
    const std::string start = "POST / HTTP/1.1\r\nHost: h\r\n";
    expectRefused(start + "Content-Length: 12abc\r\n\r\n", ErrorCode::InvalidRequest);
    expectRefused(start + "Content-Length: -1\r\n\r\n", ErrorCode::InvalidRequest);
    expectRefused(start + "Content-Length: 1\r\nContent-Length: 2\r\n\r\n",
                  ErrorCode::InvalidRequest);
    expectRefused(start + "Content-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n",
                  ErrorCode::InvalidRequest);
    expectRefused(start + "Transfer-Encoding: gzip, chunked\r\n\r\n", ErrorCode::NotImplemented);
    expectRefused(start + "Transfer-Encoding: chunked\r\n\r\nzz\r\n", ErrorCode::InvalidRequest);
    expectRefused(start + "Transfer-Encoding: chunked\r\n\r\n1;a\x01b\r\n",
                  ErrorCode::InvalidRequest);
    expectRefused(start + "Content-Length: 99999999999999999999\r\n\r\n",
                  ErrorCode::InvalidRequest);
    expectRefused(start + "Content-Length: 2048\r\n\r\n", ErrorCode::PayloadTooLarge);
    expectRefused(start + "Transfer-Encoding: chunked\r\n\r\n800\r\n", ErrorCode::PayloadTooLarge);
}

TEST(HttpRequestParser, RefusesOversizedHeadsUrisAndHeaderCounts) {
    expectRefused("GET / HTTP/1.1\r\nHost: h\r\nX-Big: " + std::string(9000, 'a') + "\r\n\r\n",
                  ErrorCode::HeaderTooLarge);
    expectRefused("GET / HTTP/1.1\r\nHost: h\r\nAuthorization: Bearer " +
                      std::string(60 * 1024, 'a') + "\r\n\r\n",
                  ErrorCode::HeaderTooLarge);
    std::string many = "GET / HTTP/1.1\r\nHost: h\r\n";
    for (int i = 0; i < 101; ++i) {
        many += "X-" + std::to_string(i) + ": 1\r\n";
    }
    expectRefused(many + "\r\n", ErrorCode::HeaderTooLarge);
    expectRefused("GET /" + std::string(100 * 1024, 'a') + " HTTP/1.1\r\nHost: h\r\n\r\n",
                  ErrorCode::UriTooLong);
    // Refused as soon as the limit is passed, not when the client chooses to finish.
    HttpRequestParser parser(smallLimits());
    EXPECT_EQ(parser.feed("GET /" + std::string(20 * 1024, 'a')), Status::Failed);
}

TEST(HttpRequestParser, RefusesMalformedRequestLines) {
    expectRefused("HELLO\r\n\r\n", ErrorCode::InvalidRequest);
    expectRefused("GET  / HTTP/1.1\r\nHost: h\r\n\r\n", ErrorCode::InvalidRequest);
    expectRefused("GET relative HTTP/1.1\r\nHost: h\r\n\r\n", ErrorCode::InvalidRequest);
    expectRefused("G(T / HTTP/1.1\r\nHost: h\r\n\r\n", ErrorCode::InvalidRequest);
    expectRefused("GET / HTTP/2.0\r\nHost: h\r\n\r\n", ErrorCode::HttpVersionNotSupported);
    expectRefused("GET / HTTP/1.1\r\n\r\n", ErrorCode::InvalidRequest);  // no Host
}

TEST(HttpRequestParser, AnHttp10RequestClosesUnlessItAsksToKeepAlive) {
    HttpRequestParser parser(smallLimits());
    ASSERT_EQ(parser.feed("GET / HTTP/1.0\r\n\r\n"), Status::Complete);
    EXPECT_FALSE(parser.take().keepAlive);
    ASSERT_EQ(parser.feed("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"), Status::Complete);
    EXPECT_TRUE(parser.take().keepAlive);
}

}  // namespace
}  // namespace verdant::server
