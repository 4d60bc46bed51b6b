#include "BufferedExchange.hpp"

#include <Poco/FileStream.h>
#include <Poco/StreamCopier.h>

#include <algorithm>
#include <fstream>
#include <sstream>

namespace verdant::server {

BufferedRequest::BufferedRequest(ParsedRequest parsed, Poco::Net::SocketAddress client,
                                 Poco::Net::SocketAddress server, bool secure,
                                 const Poco::Net::HTTPServerParams& params,
                                 BufferedResponse& response, std::unique_ptr<SpoolFile> spool)
    : _body(std::move(parsed.body)),
      _spool(std::move(spool)),
      _client(std::move(client)),
      _server(std::move(server)),
      _secure(secure),
      _params(params),
      _response(response) {
    if (_spool) {
        _stream = std::make_unique<std::ifstream>(_spool->path(), std::ios::binary);
    } else {
        _stream = std::make_unique<Poco::MemoryInputStream>(_body.data(), _body.size());
    }
    setMethod(parsed.method);
    setURI(parsed.target);
    setVersion(parsed.version);
    for (auto& [name, value] : parsed.headers) {
        add(name, value);
    }
    // What the client asked for, whatever it spelled: the listener decides what happens.
    setKeepAlive(parsed.keepAlive);
}

Poco::Net::HTTPServerResponse& BufferedRequest::response() const {
    return _response;
}

std::int64_t BufferedRequest::bodySize() const {
    return _spool ? _spool->size() : static_cast<std::int64_t>(_body.size());
}

std::string BufferedRequest::takeBody() {
    if (_spool) {
        std::string body(static_cast<std::size_t>(_spool->size()), '\0');
        _stream->read(body.data(), static_cast<std::streamsize>(body.size()));
        body.resize(static_cast<std::size_t>(std::max<std::streamsize>(0, _stream->gcount())));
        return body;
    }
    std::string body = std::move(_body);
    _body.clear();
    _stream = std::make_unique<Poco::MemoryInputStream>(_body.data(), 0);
    return body;
}

std::optional<std::string> BufferedRequest::takeBodyFile() {
    if (!_spool || _spoolTaken) {
        return std::nullopt;
    }
    _spoolTaken = true;
    return _spool->release();
}

BufferedResponse::BufferedResponse() {
    setVersion(HTTP_1_1);
}

BufferedResponse::StringBuffer::int_type BufferedResponse::StringBuffer::overflow(int_type c) {
    if (!traits_type::eq_int_type(c, traits_type::eof())) {
        _target.push_back(traits_type::to_char_type(c));
    }
    return traits_type::not_eof(c);
}

std::streamsize BufferedResponse::StringBuffer::xsputn(const char* data, std::streamsize count) {
    _target.append(data, static_cast<std::size_t>(count));
    return count;
}

std::ostream& BufferedResponse::send() {
    _sent = true;
    return _stream;
}

void BufferedResponse::sendFile(const std::string& path, const std::string& mediaType) {
    Poco::FileInputStream in(path);
    setContentType(mediaType);
    Poco::StreamCopier::copyStream(in, send());
}

void BufferedResponse::sendBuffer(const void* buffer, std::size_t length) {
    send().write(static_cast<const char*>(buffer), static_cast<std::streamsize>(length));
}

void BufferedResponse::redirect(const std::string& uri, HTTPStatus status) {
    setStatusAndReason(status);
    set("Location", uri);
    setContentLength(0);
    send();
}

void BufferedResponse::requireAuthentication(const std::string& realm) {
    setStatusAndReason(HTTP_UNAUTHORIZED);
    set("WWW-Authenticate", "Basic realm=\"" + realm + "\"");
    setContentLength(0);
    send();
}

void BufferedResponse::sendFilePart(std::unique_ptr<FilePart> part) {
    _sent = true;
    _filePart = std::move(part);
}

std::string BufferedResponse::serialize(bool head) {
    if (!_sent) {
        _sent = true;
    }
    setReason(getReasonForStatus(getStatus()));  // handlers set the status only
    if (getContentLength64() == UNKNOWN_CONTENT_LENGTH || getChunkedTransferEncoding()) {
        setChunkedTransferEncoding(false);
        setContentLength64(static_cast<Poco::Int64>(_body.size()));
    }
    std::ostringstream out;
    write(out);
    std::string bytes = out.str();
    if (!head) {
        bytes += _body;
    }
    return bytes;
}

}  // namespace verdant::server
