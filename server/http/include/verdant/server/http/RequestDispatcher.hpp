#pragma once

#include "verdant/server/http/Metrics.hpp"
#include "verdant/server/http/Router.hpp"
#include "verdant/shared/ErrorCode.hpp"

#include <Poco/Logger.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>

#include <atomic>
#include <chrono>
#include <cstdint>

namespace verdant::server {

class HttpExchange;

/// The front door of every request: gives it an id, enforces the body limit, routes it, turns
/// every failure into a JSON error body with a stable code, and writes one log line.
///
/// The listener calls it on a worker thread with a request that has arrived whole; the
/// dispatcher itself is stateless apart from the read-only router, so it is shared by all threads.
/// No exception text, SQL or stack trace ever reaches a client: unexpected exceptions are logged
/// with the request id and answered with `internal_error`.
class RequestDispatcher final {
public:
    /// The router must be complete and, like the metrics, outlive the dispatcher.
    RequestDispatcher(const Router& router, std::int64_t maxBodyBytes, Metrics& metrics);

    /// Serves one request.
    void dispatch(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response);

    /// Answers a request the listener refused before any route saw it (malformed, too large,
    /// too slow, server busy): the JSON error body, `X-Request-Id`, `Connection: close`, and the
    /// same log line and metrics as any request. `request` may hold only part of a head.
    void refuse(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response,
                shared::ErrorCode code, const std::string& message);

    /// Once set, new requests are answered 503 `shutting_down` and their connection closed.
    void beginShutdown() { _shuttingDown = true; }

private:
    /// Metrics and the one log line of a request.
    /// Router::addAnswerHeader's headers for the exchange's path.
    void addAnswerHeaders(HttpExchange& exchange) const;
    void finish(const Poco::Net::HTTPServerRequest& request, const HttpExchange& exchange,
                const std::string& route, const std::string& code,
                std::chrono::steady_clock::time_point started);

    const Router& _router;
    std::int64_t _maxBodyBytes;
    Metrics& _metrics;
    std::atomic<bool> _shuttingDown{false};
    Poco::Logger& _log;
};

}  // namespace verdant::server
