#pragma once

#include "verdant/server/Metrics.hpp"
#include "verdant/server/Router.hpp"

#include <Poco/Logger.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>

#include <atomic>
#include <cstdint>

namespace verdant::server {

/// The front door of every request: gives it an id, enforces the body limit, routes it, turns
/// every failure into a JSON error body with a stable code, and writes one log line.
///
/// Poco asks the factory for a handler per request on the connection's worker thread; the
/// dispatcher itself is stateless apart from the read-only router, so it is shared by all threads.
/// No exception text, SQL or stack trace ever reaches a client: unexpected exceptions are logged
/// with the request id and answered with `internal_error`.
class RequestDispatcher final : public Poco::Net::HTTPRequestHandlerFactory {
public:
    /// The router must be complete and, like the metrics, outlive the dispatcher.
    RequestDispatcher(const Router& router, std::int64_t maxBodyBytes, Metrics& metrics);

    Poco::Net::HTTPRequestHandler* createRequestHandler(
        const Poco::Net::HTTPServerRequest& request) override;

    /// Serves one request (called by the per-request handler Poco owns).
    void dispatch(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response);

    /// Once set, new requests are answered 503 `shutting_down` and their connection closed.
    void beginShutdown() { _shuttingDown = true; }

private:
    const Router& _router;
    std::int64_t _maxBodyBytes;
    Metrics& _metrics;
    std::atomic<bool> _shuttingDown{false};
    Poco::Logger& _log;
};

}  // namespace verdant::server
