#pragma once

#include "verdant/shared/ErrorCode.hpp"

#include <Poco/JSON/Object.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>

namespace verdant::server {

/// One HTTP request and its response, as a route handler sees them.
///
/// Owns nothing of Poco's: the request and response must outlive the exchange (they do, as the
/// exchange lives on the handler's stack). Not thread-safe; one exchange serves one request on
/// one worker thread. A handler sends exactly one response; if it throws instead, the dispatcher
/// turns the exception into an error response.
class HttpExchange {
public:
    /// `maxBodyBytes` bounds what `readBody` accepts; `requestId` is echoed in `X-Request-Id`.
    HttpExchange(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response,
                 std::int64_t maxBodyBytes, std::string requestId);

    /// A request header's value, or "" when absent. (Returns a copy: Poco's get(name, default)
    /// returns a reference that dangles when the default is a temporary.)
    std::string header(const std::string& name) const {
        return _request.has(name) ? _request.get(name) : std::string();
    }

    /// The request (method, URI, headers).
    const Poco::Net::HTTPServerRequest& request() const { return _request; }

    /// The request path without the query string, e.g. "/v1/health"; the raw URI when the URI
    /// cannot be parsed.
    const std::string& path() const { return _path; }

    /// Whether the request URI could be parsed (the dispatcher refuses the request otherwise).
    bool hasValidUri() const { return _validUri; }

    /// The values of `{name}` segments of the matched route; empty if the route has none.
    const std::map<std::string, std::string>& pathParameters() const { return _pathParameters; }
    void setPathParameters(std::map<std::string, std::string> parameters) {
        _pathParameters = std::move(parameters);
    }

    /// The whole body (the listener read it, within max-body-bytes, before the handler ran); a
    /// second call returns "". Throws shared::Error(PayloadTooLarge) when it is larger than the
    /// limit.
    std::string readBody();

    /// As readBody, with a tighter limit for requests that are small by nature (sign-in).
    std::string readBody(std::int64_t maxBytes);

    /// The body as a stream, for a route that takes large bodies in pieces (uploads): read it
    /// once, never whole into memory. On a route added with Router::addStreamed the listener
    /// wrote the body to a temporary file as it arrived; the stream reads that file.
    std::istream& bodyStream();

    /// The body bytes bodyStream() holds: the whole body, or what arrived of it when the body
    /// is incomplete.
    std::int64_t bodySize() const;

    /// Whether the whole body arrived. False only on a streamed route whose client's connection
    /// broke mid-body: the handler still runs, with the bytes that did arrive (an upload keeps
    /// them), and its answer goes nowhere.
    bool bodyComplete() const;

    /// On a streamed route: the path of the temporary file that holds the body, which is now
    /// the caller's (the listener no longer removes it), so a handler can rename it or append
    /// from it instead of copying; the file must be moved or removed by the caller. nullopt for
    /// a body held in memory, or once taken. bodyStream() still reads it until the handler
    /// returns.
    std::optional<std::string> takeBodyFile();

    /// Reads the body as a JSON object, parsed by shared::parseStrictJson within its limits.
    /// Throws shared::Error(UnsupportedMediaType) for a body whose Content-Type is not
    /// application/json (parameters allowed), MalformedJson for invalid JSON or a JSON value that
    /// is not an object, the other errors of parseStrictJson, and PayloadTooLarge as `readBody`.
    Poco::JSON::Object::Ptr readJsonObject();

    /// As readJsonObject, with a tighter body limit. Small JSON requests (sign-in, conflict
    /// resolution) use kSmallJsonBytes so that an anonymous client cannot make the server parse
    /// a 16 MiB document.
    Poco::JSON::Object::Ptr readJsonObject(std::int64_t maxBytes);

    /// `text` as a JSON object, for a handler that needs the body text too (or accepts an empty
    /// one; it checks the Content-Type itself). Throws as shared::parseStrictJsonObject.
    static Poco::JSON::Object::Ptr parseJsonObject(const std::string& text);

    /// The body limit of small JSON requests.
    static constexpr std::int64_t kSmallJsonBytes = 64 * 1024;

    /// Sends `body` as `application/json` with the given status.
    void sendJson(Poco::Net::HTTPResponse::HTTPStatus status, const Poco::JSON::Object& body);

    /// Sends a body of the given content type with the given status; gzipped when it is large
    /// and the client sent `Accept-Encoding: gzip`.
    void send(Poco::Net::HTTPResponse::HTTPStatus status, const std::string& contentType,
              const std::string& body);

    /// Sends `length` bytes of the file at `path` from `offset` as the body (downloads, ranges).
    /// The response is not compressed. The file is opened now and read by the listener in
    /// pieces as the client takes them (never whole in memory); it may be renamed or removed
    /// meanwhile, but its bytes must not change. Throws std::runtime_error when the file cannot
    /// be opened or is shorter than offset + length.
    void sendFile(Poco::Net::HTTPResponse::HTTPStatus status, const std::string& contentType,
                  const std::string& path, std::int64_t offset, std::int64_t length);

    /// Sends the error body `{"error":{"code","message"}}` with the code's HTTP status.
    void sendError(shared::ErrorCode code, const std::string& message);

    /// Sends 304 Not Modified without a body, with the headers set before (the validator and
    /// the caching headers of the answer the client holds: `ETag`, `Cache-Control`).
    void sendNotModified();

    /// Whether a response was sent.
    bool responded() const { return _responded; }
    /// The status sent (0 before a response).
    int status() const { return _status; }
    /// The body bytes sent.
    std::size_t bytesSent() const { return _bytesSent; }
    /// The request's id, as echoed in `X-Request-Id`.
    const std::string& requestId() const { return _requestId; }

    /// Adds a response header; call before sending.
    void setHeader(const std::string& name, const std::string& value);

private:
    Poco::Net::HTTPServerRequest& _request;
    Poco::Net::HTTPServerResponse& _response;
    std::int64_t _maxBodyBytes;
    std::string _requestId;
    std::string _path;
    bool _validUri = false;
    std::map<std::string, std::string> _pathParameters;
    bool _responded = false;
    int _status = 0;
    std::size_t _bytesSent = 0;
};

}  // namespace verdant::server
