#pragma once

#include <Poco/Net/SecureStreamSocket.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>

namespace verdant::test {

/// One HTTP answer as it came off the wire.
struct RawResponse {
    int status = 0;
    std::string reason;
    std::map<std::string, std::string> headers;  ///< Names lower-cased.
    std::string body;
};

/// One TLS connection to a server on 127.0.0.1 (trusting the test CA) that sends exactly the
/// bytes a test gives it: malformed requests, bodies in pieces, a client that hangs up.
class RawTlsConnection {
public:
    explicit RawTlsConnection(std::uint16_t port);

    /// Sends all of `bytes`.
    void send(const std::string& bytes);

    /// Closes the connection from the client's side.
    void close();

    /// Reads one response with a Content-Length body; `head` = an answer to HEAD (no body
    /// whatever Content-Length says). Throws std::runtime_error when the server closed first.
    RawResponse read(bool head = false);

    /// Whether the server closed the connection (reads until end of stream).
    bool closedByServer();

    /// Whether bytes arrived beyond the responses read so far, waiting `wait` for any.
    bool moreArrives(std::chrono::milliseconds wait);

private:
    void fill();

    std::unique_ptr<Poco::Net::SecureStreamSocket> _socket;
    std::string _buffer;
};

/// The `code` of an error body.
std::string errorCodeOf(const RawResponse& response);

}  // namespace verdant::test
