#pragma once

#include "verdant/server/http/HttpRequestParser.hpp"

#include <Poco/MemoryStream.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/SocketAddress.h>

#include <memory>
#include <ostream>
#include <streambuf>
#include <string>

namespace verdant::server {

class BufferedResponse;

/// A request that the listener has read whole (head and body) before any worker saw it, in the
/// shape of Poco's server request, so that handlers need not know who read it. The body is held
/// once, in memory; `takeBody()` moves it out without a copy.
class BufferedRequest final : public Poco::Net::HTTPServerRequest {
public:
    BufferedRequest(ParsedRequest parsed, Poco::Net::SocketAddress client,
                    Poco::Net::SocketAddress server, bool secure,
                    const Poco::Net::HTTPServerParams& params, BufferedResponse& response);

    std::istream& stream() override { return *_stream; }
    const Poco::Net::SocketAddress& clientAddress() const override { return _client; }
    const Poco::Net::SocketAddress& serverAddress() const override { return _server; }
    const Poco::Net::HTTPServerParams& serverParams() const override { return _params; }
    Poco::Net::HTTPServerResponse& response() const override;
    bool secure() const override { return _secure; }

    /// The body, moved out (the stream then reads nothing more).
    std::string takeBody();

    /// The body bytes the stream holds.
    std::int64_t bodySize() const { return static_cast<std::int64_t>(_body.size()); }

    /// Whether the whole body arrived (see HttpExchange::bodyComplete).
    bool bodyComplete() const { return true; }

private:
    std::string _body;
    std::unique_ptr<Poco::MemoryInputStream> _stream;
    Poco::Net::SocketAddress _client;
    Poco::Net::SocketAddress _server;
    bool _secure;
    const Poco::Net::HTTPServerParams& _params;
    BufferedResponse& _response;
};

/// A response a handler writes into memory; the listener sends it when the handler is done.
class BufferedResponse final : public Poco::Net::HTTPServerResponse {
public:
    BufferedResponse();

    void sendContinue() override {}  // the listener answers `Expect: 100-continue` itself
    std::ostream& send() override;
    void sendFile(const std::string& path, const std::string& mediaType) override;
    void sendBuffer(const void* buffer, std::size_t length) override;
    void redirect(const std::string& uri, HTTPStatus status) override;
    void requireAuthentication(const std::string& realm) override;
    bool sent() const override { return _sent; }

    /// Status line, headers and body as bytes on the wire. `Content-Length` is set from the body
    /// unless a handler set it; `head` leaves the body out (HEAD requests).
    std::string serialize(bool head);

private:
    class StringBuffer final : public std::streambuf {
    public:
        explicit StringBuffer(std::string& target) : _target(target) {}

    protected:
        int_type overflow(int_type c) override;
        std::streamsize xsputn(const char* data, std::streamsize count) override;

    private:
        std::string& _target;
    };

    std::string _body;
    StringBuffer _buffer{_body};
    std::ostream _stream{&_buffer};
    bool _sent = false;
};

}  // namespace verdant::server
