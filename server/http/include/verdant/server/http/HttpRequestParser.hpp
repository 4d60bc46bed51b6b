#pragma once

#include "verdant/shared/ErrorCode.hpp"

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace verdant::server {

/// One HTTP/1.x request as it arrived: head and the whole (de-chunked) body (for a streamed
/// body, only the bytes not yet taken; see HttpRequestParser::takeBodyBytes).
struct ParsedRequest {
    std::string method;
    std::string target;   ///< The request target as sent, e.g. "/v1/health?x=1".
    std::string version;  ///< "HTTP/1.1" or "HTTP/1.0".
    std::vector<std::pair<std::string, std::string>> headers;  ///< In arrival order.
    std::string body;
    bool keepAlive = true;        ///< What the client asked for (version and `Connection`).
    bool hasBody = false;         ///< Content-Length or chunked was given (even if empty).
    bool expectContinue = false;  ///< `Expect: 100-continue`.

    /// The value of the first header of that name (case-insensitive), if any.
    std::optional<std::string> header(std::string_view name) const;
};

/// Reads HTTP/1.x requests from the bytes of one connection, incrementally, as they arrive.
///
/// Strict where leniency has let requests be read two ways (request smuggling) or let a client
/// make the server hold unbounded state: CRLF line ends only; a header line is `name: value`
/// with no white space before the colon and no folded continuation; Content-Length is digits
/// only and may not be combined with Transfer-Encoding; the only transfer coding is `chunked`;
/// the head, each line, the URI, the header count and the body are bounded. Every refusal is a
/// shared::Error with a stable code (invalid_request, header_too_large, uri_too_long,
/// http_version_not_supported, not_implemented, payload_too_large).
///
/// Pipelined bytes after a complete request are kept for the next one. Not thread-safe.
class HttpRequestParser {
public:
    struct Limits {
        std::size_t maxHeadBytes = 32 * 1024;          ///< Request line + headers + blank line.
        std::size_t maxLineBytes = 8 * 1024;           ///< One header line.
        std::size_t maxUriBytes = 8 * 1024;            ///< The request target.
        std::size_t maxHeaders = 100;                  ///< Header lines.
        std::int64_t maxBodyBytes = 16 << 20;          ///< The (decoded) body.
        std::int64_t maxStreamedBodyBytes = 64 << 20;  ///< The body of a streamed request.
    };

    /// Asked with each complete head: whether its body is streamed (taken by the caller in
    /// pieces as it arrives, bounded by maxStreamedBodyBytes) rather than held whole.
    using StreamPredicate = std::function<bool(const ParsedRequest& head)>;

    enum class Status {
        NeedMore,  ///< Feed more bytes.
        Complete,  ///< take() the request.
        Failed,    ///< error() says why; the connection must close after answering.
    };

    explicit HttpRequestParser(Limits limits, StreamPredicate streamBody = {})
        : _limits(limits), _streamBody(std::move(streamBody)) {}

    /// Adds bytes received from the client and parses as far as they go.
    Status feed(std::string_view bytes);

    /// Parses what is already buffered (after a take(), pipelined bytes may hold a request).
    Status resume();

    /// Lowers the body limit of the current (chunked) request, e.g. for an anonymous client.
    void limitBody(std::int64_t maxBytes);

    /// Allocates the declared body length at once (one allocation instead of growing by
    /// doubling); call once the request is admitted, not for a head that may be refused.
    void reserveBody();

    /// The complete request; the parser starts on the next one with the bytes left over.
    ParsedRequest take();

    /// Why parsing failed (valid after Failed).
    const shared::Error& error() const { return *_error; }

    /// Whether the head of the current request has been read (the body may still be arriving).
    bool headComplete() const { return _phase != Phase::Head; }

    /// Whether any byte of a next request has arrived (false between requests).
    bool started() const { return _phase != Phase::Head || _offset < _buffer.size(); }

    /// The body length the client declared (0 when chunked or none).
    std::int64_t declaredLength() const { return _contentLength; }

    /// Whether the current request's body is streamed (decided when its head completed).
    bool streaming() const { return _streaming; }

    /// The body bytes parsed since the last call, moved out: a streamed body is taken this way
    /// as it arrives, so the parser never holds more of it than one feed.
    std::string takeBodyBytes();

    /// The (decoded) body bytes of the current request parsed so far, taken or not.
    std::int64_t bodyReceived() const { return _bodyReceived; }

    /// The request so far (its head is valid once headComplete()).
    const ParsedRequest& current() const { return _request; }

private:
    enum class Phase { Head, FixedBody, ChunkSize, ChunkData, ChunkDataEnd, Trailers, Done };

    Status parse();
    Status parseBuffered();
    std::string_view pending() const { return std::string_view(_buffer).substr(_offset); }
    void consume(std::size_t count) { _offset += count; }
    Status fail(shared::ErrorCode code, std::string message);
    Status parseHead();
    void parseRequestLine(std::string_view line);
    void parseHeaderLine(std::string_view line);
    void interpretHeaders();
    Status parseBody();
    Status parseChunked();
    std::optional<std::string_view> takeLine(std::size_t maxBytes, shared::ErrorCode tooLong);

    void appendBody(std::string_view bytes);
    std::int64_t bodyLimit() const {
        return _streaming ? _limits.maxStreamedBodyBytes : _limits.maxBodyBytes;
    }

    Limits _limits;
    StreamPredicate _streamBody;
    std::string _buffer;  ///< Received bytes; those before _offset are consumed.
    std::size_t _offset = 0;
    std::size_t _scanned = 0;
    Phase _phase = Phase::Head;
    ParsedRequest _request;
    std::int64_t _contentLength = 0;
    std::int64_t _bodyReceived = 0;
    bool _streaming = false;
    std::uint64_t _chunkLeft = 0;
    std::size_t _trailerBytes = 0;
    std::int64_t _bodyLimit = INT64_MAX;
    std::optional<shared::Error> _error;
};

}  // namespace verdant::server
