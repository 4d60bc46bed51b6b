#pragma once

#include "verdant/shared/ErrorCode.hpp"

#include <map>
#include <string>
#include <utility>

namespace verdant::client {

/// A ServerUnreachable error of a request that was sent whole before the connection broke: the
/// server may have received it and acted on it, only its answer is lost. Callers whose requests
/// are safe to repeat (a push: the server applies each change once; a refresh: the server's grace
/// window) say so to the user and send them again.
class AnswerLost : public shared::Error {
public:
    explicit AnswerLost(std::string message)
        : Error(shared::ErrorCode::ServerUnreachable, std::move(message)) {}
};

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
    /// when the server cannot be reached or the connection fails (AnswerLost when it failed after
    /// the whole request was sent), and shared::Error(TlsUntrusted) when its certificate is not
    /// trusted; HTTP error statuses are returned, not thrown.
    virtual HttpResponse send(const std::string& method, const std::string& path,
                              const std::string& contentType, const std::string& body,
                              const std::map<std::string, std::string>& headers) = 0;
};

}  // namespace verdant::client
