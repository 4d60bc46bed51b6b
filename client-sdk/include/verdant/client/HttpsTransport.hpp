#pragma once

#include "verdant/client/Transport.hpp"

#include <cstdint>
#include <map>
#include <memory>
#include <string>

namespace verdant::client {

/// Where the server is and how to trust it.
struct ServerEndpoint {
    std::string baseUrl;  ///< e.g. "https://audit.example.org:8443"; http:// only for debugging.
    std::string caFile;   ///< PEM file of the CA to trust; empty = the system's trusted CAs.
    int timeoutSeconds = 30;
};

/// Sends requests to one Verdant server over HTTPS, verifying its certificate chain and host name
/// (TLS 1.2 minimum). Connects (and reads the CA file) on the first request, then keeps one
/// connection open between requests. Not thread-safe: use one
/// transport per thread.
class HttpsTransport final : public Transport {
public:
    /// Throws shared::Error(InvalidParameter) for a URL that is not http(s)://host[:port].
    explicit HttpsTransport(ServerEndpoint endpoint);
    ~HttpsTransport() override;
    HttpsTransport(const HttpsTransport&) = delete;
    HttpsTransport& operator=(const HttpsTransport&) = delete;

    /// Sends a request and reads the whole response. Throws shared::Error(ServerUnreachable) when
    /// the server cannot be reached or the connection fails (AnswerLost when it broke after the
    /// whole request was sent), and shared::Error(TlsUntrusted) when its certificate is not
    /// trusted; HTTP error statuses are returned, not thrown.
    HttpResponse send(const std::string& method, const std::string& path,
                      const std::string& contentType = "", const std::string& body = "",
                      const std::map<std::string, std::string>& headers = {}) override;

private:
    class Session;
    ServerEndpoint _endpoint;
    std::unique_ptr<Session> _session;
};

}  // namespace verdant::client
