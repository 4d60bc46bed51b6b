#pragma once

#include <map>
#include <string>

namespace verdant::client {

/// One HTTP response, body read in full.
struct HttpResponse {
    int status = 0;
    std::string contentType;
    std::string body;
    std::map<std::string, std::string> headers;
};

/// How the SDK reaches the server: one request, one whole response. HttpsTransport is the real
/// one; tests substitute a transport that fails on purpose (to exercise backoff and retries).
/// Implementations need not be thread-safe: the SDK uses one transport from one thread at a time.
class Transport {
public:
    virtual ~Transport() = default;

    /// Sends a request and reads the whole response. Throws shared::Error(ServerUnreachable)
    /// when the server cannot be reached or the connection fails, and shared::Error(TlsUntrusted)
    /// when its certificate is not trusted; HTTP error statuses are returned, not thrown.
    virtual HttpResponse send(const std::string& method, const std::string& path,
                              const std::string& contentType, const std::string& body,
                              const std::map<std::string, std::string>& headers) = 0;
};

}  // namespace verdant::client
