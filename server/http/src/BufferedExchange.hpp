#pragma once

#include "FilePart.hpp"
#include "SpoolFile.hpp"

#include "verdant/server/http/HttpRequestParser.hpp"

#include <Poco/MemoryStream.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/SocketAddress.h>

#include <memory>
#include <optional>
#include <ostream>
#include <streambuf>
#include <string>

namespace verdant::server {

class BufferedResponse;

/// A request that the listener has read (head and body) before any worker saw it, in the shape
/// of Poco's server request, so that handlers need not know who read it. The body is held once:
/// in memory, where `takeBody()` moves it out without a copy, or, on a streamed route, in the
/// spool file the listener wrote it to (removed with the request unless a handler takes it).
class BufferedRequest final : public Poco::Net::HTTPServerRequest {
public:
    /// `spool` (may be null) holds the body instead of `parsed.body`.
    BufferedRequest(ParsedRequest parsed, Poco::Net::SocketAddress client,
                    Poco::Net::SocketAddress server, bool secure,
                    const Poco::Net::HTTPServerParams& params, BufferedResponse& response,
                    std::unique_ptr<SpoolFile> spool = nullptr);

    std::istream& stream() override { return *_stream; }
    const Poco::Net::SocketAddress& clientAddress() const override { return _client; }
    const Poco::Net::SocketAddress& serverAddress() const override { return _server; }
    const Poco::Net::HTTPServerParams& serverParams() const override { return _params; }
    Poco::Net::HTTPServerResponse& response() const override;
    bool secure() const override { return _secure; }

    /// The body, moved out (the stream then reads nothing more); a spooled body is read from
    /// its file.
    std::string takeBody();

    /// The body bytes the stream holds.
    std::int64_t bodySize() const;

    /// Whether the whole body arrived (see HttpExchange::bodyComplete).
    bool bodyComplete() const { return _spool == nullptr || _spool->complete(); }

    /// The spool file's path, now the caller's to move or remove; nullopt for a body held in
    /// memory or a file already taken.
    std::optional<std::string> takeBodyFile();

private:
    std::string _body;
    std::unique_ptr<SpoolFile> _spool;
    bool _spoolTaken = false;
    std::unique_ptr<std::istream> _stream;
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

    /// Sends `part` as the body: the listener reads it from its file as the socket drains. The
    /// caller sets Content-Length.
    void sendFilePart(std::unique_ptr<FilePart> part);

    /// The file part to send after serialize()'s bytes, if the body is one.
    std::unique_ptr<FilePart> takeFilePart() { return std::move(_filePart); }

    /// Status line, headers and body as bytes on the wire. `Content-Length` is set from the body
    /// unless a handler set it; `head` leaves the body out (HEAD requests). A file part's bytes
    /// are not included: takeFilePart() gives them.
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
    std::unique_ptr<FilePart> _filePart;
    StringBuffer _buffer{_body};
    std::ostream _stream{&_buffer};
    bool _sent = false;
};

}  // namespace verdant::server
