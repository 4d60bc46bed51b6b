#include "verdant/server/http/HttpRequestParser.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>

namespace verdant::server {

using shared::Error;
using shared::ErrorCode;

namespace {

constexpr std::string_view kCrlf = "\r\n";
constexpr std::size_t kMaxMethodBytes = 32;
constexpr std::size_t kMaxChunkLineBytes = 1024;

bool isTokenChar(unsigned char c) {
    return std::isalnum(c) != 0 ||
           std::string_view("!#$%&'*+-.^_`|~").find(static_cast<char>(c)) != std::string_view::npos;
}

bool isToken(std::string_view text) {
    return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
        return isTokenChar(static_cast<unsigned char>(c));
    });
}

/// Field values: visible characters, spaces and tabs, and bytes of UTF-8 sequences; no control
/// characters (NUL, a bare CR or LF, DEL).
bool isFieldValue(std::string_view text) {
    return std::all_of(text.begin(), text.end(), [](char c) {
        const auto byte = static_cast<unsigned char>(c);
        return byte == '\t' || (byte >= 0x20 && byte != 0x7f);
    });
}

std::string_view trimmed(std::string_view text) {
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) {
        text.remove_prefix(1);
    }
    while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) {
        text.remove_suffix(1);
    }
    return text;
}

std::string lowered(std::string_view text) {
    std::string result(text);
    std::transform(result.begin(), result.end(), result.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return result;
}

bool equalsIgnoringCase(std::string_view a, std::string_view b) {
    return a.size() == b.size() && lowered(a) == lowered(b);
}

}  // namespace

std::optional<std::string> ParsedRequest::header(std::string_view name) const {
    for (const auto& [key, value] : headers) {
        if (equalsIgnoringCase(key, name)) {
            return value;
        }
    }
    return std::nullopt;
}

HttpRequestParser::Status HttpRequestParser::feed(std::string_view bytes) {
    if (_error) {
        return Status::Failed;
    }
    _buffer.append(bytes);
    return parse();
}

HttpRequestParser::Status HttpRequestParser::resume() {
    return _error ? Status::Failed : parse();
}

void HttpRequestParser::limitBody(std::int64_t maxBytes) {
    _bodyLimit = maxBytes;
}

void HttpRequestParser::reserveBody() {
    if (_phase == Phase::FixedBody && !_streaming) {
        _request.body.reserve(static_cast<std::size_t>(_contentLength));
    }
}

std::string HttpRequestParser::takeBodyBytes() {
    std::string bytes = std::move(_request.body);
    _request.body.clear();
    return bytes;
}

void HttpRequestParser::appendBody(std::string_view bytes) {
    _request.body.append(bytes);
    _bodyReceived += static_cast<std::int64_t>(bytes.size());
}

ParsedRequest HttpRequestParser::take() {
    ParsedRequest request = std::move(_request);
    _request = ParsedRequest{};
    _phase = Phase::Head;
    _scanned = 0;
    _contentLength = 0;
    _bodyReceived = 0;
    _streaming = false;
    _chunkLeft = 0;
    _trailerBytes = 0;
    _bodyLimit = INT64_MAX;
    return request;
}

HttpRequestParser::Status HttpRequestParser::fail(ErrorCode code, std::string message) {
    _error.emplace(code, std::move(message));
    return Status::Failed;
}

HttpRequestParser::Status HttpRequestParser::parse() {
    const auto status = parseBuffered();
    // Consumed bytes leave the buffer once per call, not once per line or chunk: a read full of
    // tiny chunks or empty lines must not cost a copy of the buffer for each.
    _buffer.erase(0, _offset);
    _offset = 0;
    return status;
}

HttpRequestParser::Status HttpRequestParser::parseBuffered() {
    try {
        if (_phase == Phase::Head) {
            if (const auto status = parseHead(); status != Status::Complete) {
                return status;
            }
        }
        return parseBody();
    } catch (const Error& e) {
        return fail(e.code(), e.what());
    }
}

HttpRequestParser::Status HttpRequestParser::parseHead() {
    // Empty lines before a request are allowed (RFC 9112 2.2): some clients end a body with one.
    while (pending().substr(0, 2) == kCrlf) {
        consume(2);
    }
    const auto view = pending();
    const auto end = view.find("\r\n\r\n", _scanned > 3 ? _scanned - 3 : 0);
    const auto headBytes = end == std::string::npos ? view.size() : end + 4;
    if (headBytes > _limits.maxHeadBytes || end == std::string::npos) {
        // Refused as soon as a limit is passed, not when the client chooses to finish.
        const auto firstLine = std::min(view.find(kCrlf), view.size());
        if (firstLine > _limits.maxUriBytes + kMaxMethodBytes + 16) {
            throw Error(ErrorCode::UriTooLong, "The request line is longer than " +
                                                   std::to_string(_limits.maxUriBytes) + " bytes.");
        }
        if (headBytes > _limits.maxHeadBytes) {
            throw Error(ErrorCode::HeaderTooLarge, "The request head is larger than " +
                                                       std::to_string(_limits.maxHeadBytes) +
                                                       " bytes.");
        }
        _scanned = view.size();
        return Status::NeedMore;
    }
    const std::string head(view.substr(0, end + 2));
    consume(end + 4);
    _scanned = 0;
    std::size_t position = 0;
    bool first = true;
    while (position < head.size()) {
        const auto lineEnd = head.find(kCrlf, position);
        const std::string_view line(head.data() + position, lineEnd - position);
        position = lineEnd + 2;
        if (line.find_first_of("\r\n") != std::string_view::npos) {
            throw Error(ErrorCode::InvalidRequest, "A line of the request head ends without CRLF.");
        }
        if (first) {
            parseRequestLine(line);
            first = false;
        } else {
            parseHeaderLine(line);
        }
    }
    interpretHeaders();
    return Status::Complete;
}

void HttpRequestParser::parseRequestLine(std::string_view line) {
    const auto firstSpace = line.find(' ');
    const auto lastSpace = line.rfind(' ');
    if (firstSpace == std::string_view::npos || firstSpace == lastSpace) {
        throw Error(ErrorCode::InvalidRequest, "The request line is not 'METHOD target HTTP/1.1'.");
    }
    const auto method = line.substr(0, firstSpace);
    const auto target = line.substr(firstSpace + 1, lastSpace - firstSpace - 1);
    const auto version = line.substr(lastSpace + 1);
    if (!isToken(method) || method.size() > kMaxMethodBytes) {
        throw Error(ErrorCode::InvalidRequest, "The request method is not a valid token.");
    }
    if (target.size() > _limits.maxUriBytes) {
        throw Error(ErrorCode::UriTooLong, "The request URI is longer than " +
                                               std::to_string(_limits.maxUriBytes) + " bytes.");
    }
    const bool visible = std::all_of(target.begin(), target.end(), [](char c) {
        return static_cast<unsigned char>(c) > 0x20 && static_cast<unsigned char>(c) < 0x7f;
    });
    if (!visible || target.empty() || (target.front() != '/' && target != "*")) {
        throw Error(ErrorCode::InvalidRequest,
                    "The request target must be a path starting with '/'.");
    }
    if (version != "HTTP/1.1" && version != "HTTP/1.0") {
        const bool looksHttp = version.size() == 8 && version.substr(0, 5) == "HTTP/" &&
                               std::isdigit(static_cast<unsigned char>(version[5])) != 0 &&
                               version[6] == '.' &&
                               std::isdigit(static_cast<unsigned char>(version[7])) != 0;
        throw Error(looksHttp ? ErrorCode::HttpVersionNotSupported : ErrorCode::InvalidRequest,
                    looksHttp ? "Only HTTP/1.1 and HTTP/1.0 are served."
                              : "The request line does not end with an HTTP version.");
    }
    _request.method = method;
    _request.target = target;
    _request.version = version;
    _request.keepAlive = version == "HTTP/1.1";
}

void HttpRequestParser::parseHeaderLine(std::string_view line) {
    if (line.size() > _limits.maxLineBytes) {
        throw Error(
            ErrorCode::HeaderTooLarge,
            "A header line is longer than " + std::to_string(_limits.maxLineBytes) + " bytes.");
    }
    if (_request.headers.size() >= _limits.maxHeaders) {
        throw Error(
            ErrorCode::HeaderTooLarge,
            "The request has more than " + std::to_string(_limits.maxHeaders) + " headers.");
    }
    if (!line.empty() && (line.front() == ' ' || line.front() == '\t')) {
        throw Error(ErrorCode::InvalidRequest, "Folded header lines are not accepted.");
    }
    const auto colon = line.find(':');
    if (colon == std::string_view::npos) {
        throw Error(ErrorCode::InvalidRequest, "A header line has no colon.");
    }
    const auto name = line.substr(0, colon);
    if (!isToken(name)) {
        throw Error(ErrorCode::InvalidRequest,
                    "A header name is empty, has white space before its colon, or has a character "
                    "a header name may not have.");
    }
    const auto value = trimmed(line.substr(colon + 1));
    if (!isFieldValue(value)) {
        throw Error(ErrorCode::InvalidRequest, "A header value holds a control character.");
    }
    _request.headers.emplace_back(std::string(name), std::string(value));
}

void HttpRequestParser::interpretHeaders() {
    std::optional<std::string> length;
    int hosts = 0;
    bool chunked = false;
    for (const auto& [name, value] : _request.headers) {
        const auto key = lowered(name);
        if (key == "host") {
            ++hosts;
        } else if (key == "content-length") {
            if (value.empty() || value.size() > 18 ||
                !std::all_of(value.begin(), value.end(),
                             [](char c) { return std::isdigit(static_cast<unsigned char>(c)); })) {
                throw Error(ErrorCode::InvalidRequest, "Content-Length must be a decimal number.");
            }
            if (length && *length != value) {
                throw Error(ErrorCode::InvalidRequest, "The request has two Content-Lengths.");
            }
            length = value;
        } else if (key == "transfer-encoding") {
            if (chunked || lowered(value) != "chunked") {
                throw Error(ErrorCode::NotImplemented,
                            "The only transfer coding accepted is a single 'chunked'.");
            }
            chunked = true;
        } else if (key == "connection") {
            const auto tokens = lowered(value);
            if (tokens.find("close") != std::string::npos) {
                _request.keepAlive = false;
            } else if (tokens.find("keep-alive") != std::string::npos) {
                _request.keepAlive = true;
            }
        } else if (key == "expect") {
            _request.expectContinue = lowered(value) == "100-continue";
        }
    }
    if (_request.version == "HTTP/1.1" && hosts != 1) {
        throw Error(ErrorCode::InvalidRequest,
                    "An HTTP/1.1 request needs exactly one Host header.");
    }
    if (chunked && (length || _request.version == "HTTP/1.0")) {
        throw Error(ErrorCode::InvalidRequest,
                    "Transfer-Encoding may not be combined with Content-Length or HTTP/1.0.");
    }
    _streaming = _streamBody && _streamBody(_request);
    if (length) {
        std::from_chars(length->data(), length->data() + length->size(), _contentLength);
        if (_contentLength > bodyLimit()) {
            throw Error(ErrorCode::PayloadTooLarge,
                        "The request body is larger than the server accepts (" +
                            std::to_string(bodyLimit()) + " bytes).");
        }
    }
    _request.hasBody = chunked || length.has_value();
    if (chunked) {
        _phase = Phase::ChunkSize;
    } else if (_contentLength > 0) {
        _phase = Phase::FixedBody;
    } else {
        _phase = Phase::Done;
    }
}

HttpRequestParser::Status HttpRequestParser::parseBody() {
    if (_phase == Phase::FixedBody) {
        const auto needed = static_cast<std::size_t>(_contentLength - _bodyReceived);
        const auto taken = std::min(needed, pending().size());
        appendBody(pending().substr(0, taken));
        consume(taken);
        if (_bodyReceived == _contentLength) {
            _phase = Phase::Done;
        }
    } else if (_phase != Phase::Done) {
        if (const auto status = parseChunked(); status != Status::Complete) {
            return status;
        }
    }
    return _phase == Phase::Done ? Status::Complete : Status::NeedMore;
}

std::optional<std::string_view> HttpRequestParser::takeLine(std::size_t maxBytes,
                                                            ErrorCode tooLong) {
    const auto view = pending();
    const auto end = view.find(kCrlf);
    if (end == std::string::npos) {
        if (view.size() > maxBytes) {
            throw Error(tooLong, "A chunk line is too long.");
        }
        return std::nullopt;
    }
    if (end > maxBytes) {
        throw Error(tooLong, "A chunk line is too long.");
    }
    return view.substr(0, end);
}

HttpRequestParser::Status HttpRequestParser::parseChunked() {
    while (_phase != Phase::Done) {
        if (_phase == Phase::ChunkData) {
            const auto taken =
                static_cast<std::size_t>(std::min<std::uint64_t>(_chunkLeft, pending().size()));
            appendBody(pending().substr(0, taken));
            consume(taken);
            _chunkLeft -= taken;
            if (_chunkLeft > 0) {
                return Status::NeedMore;
            }
            _phase = Phase::ChunkDataEnd;
            continue;
        }
        if (_phase == Phase::ChunkDataEnd) {
            if (pending().size() < 2) {
                return Status::NeedMore;
            }
            if (pending().substr(0, 2) != kCrlf) {
                throw Error(ErrorCode::InvalidRequest, "A chunk does not end with CRLF.");
            }
            consume(2);
            _phase = Phase::ChunkSize;
            continue;
        }
        const auto line = takeLine(
            _phase == Phase::Trailers ? _limits.maxLineBytes : kMaxChunkLineBytes,
            _phase == Phase::Trailers ? ErrorCode::HeaderTooLarge : ErrorCode::InvalidRequest);
        if (!line) {
            return Status::NeedMore;
        }
        const auto consumed = line->size() + 2;
        if (!isFieldValue(*line)) {
            throw Error(ErrorCode::InvalidRequest, "A chunk line holds a control character.");
        }
        if (_phase == Phase::Trailers) {
            _trailerBytes += consumed;
            if (_trailerBytes > _limits.maxHeadBytes) {
                throw Error(ErrorCode::HeaderTooLarge, "The chunked trailers are too large.");
            }
            if (line->empty()) {
                _phase = Phase::Done;
            }
            consume(consumed);
            continue;
        }
        const auto digits = line->substr(0, line->find(';'));
        std::uint64_t size = 0;
        const auto [end, error] =
            std::from_chars(digits.data(), digits.data() + digits.size(), size, 16);
        if (digits.empty() || digits.size() > 15 || error != std::errc() ||
            end != digits.data() + digits.size()) {
            throw Error(ErrorCode::InvalidRequest, "A chunk size is not a hexadecimal number.");
        }
        consume(consumed);
        const auto limit = std::min(bodyLimit(), _bodyLimit);
        if (static_cast<std::uint64_t>(_bodyReceived) + size > static_cast<std::uint64_t>(limit)) {
            throw Error(ErrorCode::PayloadTooLarge,
                        "The request body is larger than the server accepts (" +
                            std::to_string(limit) + " bytes).");
        }
        _chunkLeft = size;
        _phase = size == 0 ? Phase::Trailers : Phase::ChunkData;
    }
    return Status::Complete;
}

}  // namespace verdant::server
