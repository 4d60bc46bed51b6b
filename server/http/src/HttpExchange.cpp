#include "verdant/server/http/HttpExchange.hpp"

#include "BufferedExchange.hpp"

#include "verdant/server/http/RequestJson.hpp"
#include "verdant/shared/StrictJson.hpp"

#include <Poco/DeflatingStream.h>
#include <Poco/Exception.h>
#include <Poco/JSON/JSONException.h>
#include <Poco/URI.h>

#include <algorithm>
#include <sstream>

namespace verdant::server {

using shared::Error;
using shared::ErrorCode;

HttpExchange::HttpExchange(Poco::Net::HTTPServerRequest& request,
                           Poco::Net::HTTPServerResponse& response, std::int64_t maxBodyBytes,
                           std::string requestId)
    : _request(request),
      _response(response),
      _maxBodyBytes(maxBodyBytes),
      _requestId(std::move(requestId)) {
    try {
        _path = Poco::URI(request.getURI()).getPath();
        _validUri = true;
    } catch (const Poco::SyntaxException&) {
        _path = request.getURI();
    }
}

std::string HttpExchange::readBody() {
    return readBody(_maxBodyBytes);
}

std::string HttpExchange::readBody(std::int64_t maxBytes) {
    // The listener has read the body whole (within max-body-bytes) before any handler runs: it
    // is handed over rather than copied, and checked against the route's tighter limit.
    // A spooled body (a streamed route) is checked before it is read into memory.
    auto& buffered = dynamic_cast<BufferedRequest&>(_request);
    if (buffered.bodySize() > std::min(maxBytes, _maxBodyBytes)) {
        throw Error(ErrorCode::PayloadTooLarge);
    }
    return buffered.takeBody();
}

std::istream& HttpExchange::bodyStream() {
    return _request.stream();
}

std::int64_t HttpExchange::bodySize() const {
    return dynamic_cast<const BufferedRequest&>(_request).bodySize();
}

bool HttpExchange::bodyComplete() const {
    return dynamic_cast<const BufferedRequest&>(_request).bodyComplete();
}

std::optional<std::string> HttpExchange::takeBodyFile() {
    return dynamic_cast<BufferedRequest&>(_request).takeBodyFile();
}

Poco::JSON::Object::Ptr HttpExchange::readJsonObject() {
    return readJsonObject(_maxBodyBytes);
}

Poco::JSON::Object::Ptr HttpExchange::readJsonObject(std::int64_t maxBytes) {
    const bool hasBody = _request.getChunkedTransferEncoding() ||
                         (_request.hasContentLength() && _request.getContentLength64() > 0);
    if (hasBody && !hasMediaType(header("Content-Type"), kJsonMediaType)) {
        throw Error(ErrorCode::UnsupportedMediaType,
                    "Send the request body as application/json (with a Content-Type header).");
    }
    return parseJsonObject(readBody(maxBytes));
}

Poco::JSON::Object::Ptr HttpExchange::parseJsonObject(const std::string& text) {
    return shared::parseStrictJsonObject(text);
}

void HttpExchange::setHeader(const std::string& name, const std::string& value) {
    _response.set(name, value);
}

namespace {

/// Bodies from this size on are gzipped for clients that accept it (pulls of whole audits).
constexpr std::size_t kGzipFromBytes = 8 * 1024;

bool acceptsGzip(const Poco::Net::HTTPServerRequest& request) {
    if (!request.has("Accept-Encoding")) {
        return false;
    }
    const auto& accepted = request.get("Accept-Encoding");
    return accepted.find("gzip") != std::string::npos &&
           accepted.find("gzip;q=0") == std::string::npos;
}

std::string gzip(const std::string& body) {
    std::ostringstream compressed;
    Poco::DeflatingOutputStream deflater(compressed, Poco::DeflatingStreamBuf::STREAM_GZIP, 6);
    deflater.write(body.data(), static_cast<std::streamsize>(body.size()));
    deflater.close();
    return compressed.str();
}

}  // namespace

void HttpExchange::send(Poco::Net::HTTPResponse::HTTPStatus status, const std::string& contentType,
                        const std::string& plainBody) {
    const bool compress = plainBody.size() >= kGzipFromBytes && acceptsGzip(_request);
    const std::string body = compress ? gzip(plainBody) : plainBody;
    if (compress) {
        _response.set("Content-Encoding", "gzip");
        _response.set("Vary", "Accept-Encoding");
    }
    _response.setStatus(status);
    _response.setContentType(contentType);
    _response.setContentLength64(static_cast<Poco::Int64>(body.size()));
    _response.set("X-Request-Id", _requestId);
    _response.set("Cache-Control", "no-store");
    _responded = true;
    _status = static_cast<int>(status);
    auto& out = _response.send();
    out.write(body.data(), static_cast<std::streamsize>(body.size()));
    out.flush();
    _bytesSent = body.size();
}

void HttpExchange::sendJson(Poco::Net::HTTPResponse::HTTPStatus status,
                            const Poco::JSON::Object& body) {
    std::ostringstream text;
    body.stringify(text);
    send(status, "application/json; charset=utf-8", text.str());
}

void HttpExchange::sendFile(Poco::Net::HTTPResponse::HTTPStatus status,
                            const std::string& contentType, const std::string& path,
                            std::int64_t offset, std::int64_t length) {
    // Opened here, so that a missing file is still this handler's error to answer; read by the
    // listener in pieces as the client's socket drains.
    auto part = std::make_unique<FilePart>(path, offset, length);
    _response.setStatus(status);
    _response.setContentType(contentType);
    _response.setContentLength64(length);
    _response.set("X-Request-Id", _requestId);
    _responded = true;
    _status = static_cast<int>(status);
    dynamic_cast<BufferedResponse&>(_response).sendFilePart(std::move(part));
    _bytesSent = static_cast<std::size_t>(length);
}

void HttpExchange::sendError(ErrorCode code, const std::string& message) {
    Poco::JSON::Object error;
    error.set("code", std::string(shared::wireName(code)));
    error.set("message", message);
    Poco::JSON::Object body;
    body.set("error", error);
    sendJson(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(shared::httpStatusOf(code)), body);
}

void HttpExchange::sendNotModified() {
    _response.setStatus(Poco::Net::HTTPResponse::HTTP_NOT_MODIFIED);
    _response.set("X-Request-Id", _requestId);
    _responded = true;
    _status = static_cast<int>(Poco::Net::HTTPResponse::HTTP_NOT_MODIFIED);
    _response.send().flush();
    _bytesSent = 0;
}

}  // namespace verdant::server
