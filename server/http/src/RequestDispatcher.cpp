#include "verdant/server/http/RequestDispatcher.hpp"

#include "verdant/server/http/LogValue.hpp"

#include <Poco/Exception.h>
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/NetException.h>

#include <chrono>
#include <cstdio>
#include <random>

namespace verdant::server {

using shared::Error;
using shared::ErrorCode;

namespace {

/// A client-supplied id is kept when it is short and plain, so a device can correlate its own
/// logs with ours; otherwise the server makes one.
std::string requestIdFor(const Poco::Net::HTTPServerRequest& request) {
    const std::string given = request.has("X-Request-Id") ? request.get("X-Request-Id") : "";
    const bool plain = !given.empty() && given.size() <= 64 &&
                       given.find_first_not_of(
                           "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                           "0123456789-_.") == std::string::npos;
    if (plain) {
        return given;
    }
    thread_local std::mt19937_64 random{std::random_device{}()};
    char id[17];
    std::snprintf(id, sizeof id, "%016llx", static_cast<unsigned long long>(random()));
    return id;
}

}  // namespace

RequestDispatcher::RequestDispatcher(const Router& router, std::int64_t maxBodyBytes,
                                     Metrics& metrics)
    : _router(router),
      _maxBodyBytes(maxBodyBytes),
      _metrics(metrics),
      _log(Poco::Logger::get("verdant.http")) {}

void RequestDispatcher::dispatch(Poco::Net::HTTPServerRequest& request,
                                 Poco::Net::HTTPServerResponse& response) {
    const auto started = std::chrono::steady_clock::now();
    HttpExchange exchange(request, response, _maxBodyBytes, requestIdFor(request));
    std::string code;
    std::string route = "unmatched";

    auto fail = [&](ErrorCode error, const std::string& message) {
        code = std::string(shared::wireName(error));
        if (exchange.responded()) {
            return;  // Too late for an error body; the client sees the reply cut short.
        }
        // The listener read the whole body before the handler ran, so the connection stays
        // usable after an error: an expired token costs a refresh, not a new TLS handshake.
        exchange.sendError(error, message);
    };

    try {
        if (!exchange.hasValidUri()) {
            throw Error(ErrorCode::InvalidRequest, "The request URI is not valid.");
        }
        addAnswerHeaders(exchange);
        if (_shuttingDown) {
            throw Error(ErrorCode::ShuttingDown);
        }
        const auto& matched = _router.resolve(exchange);
        route = matched.pattern;
        matched.handler(exchange);
        if (!exchange.responded()) {
            _log.error("request_id=%s the handler of %s sent no response", exchange.requestId(),
                       exchange.path());
            fail(ErrorCode::InternalError,
                 std::string(shared::defaultMessage(ErrorCode::InternalError)));
        }
    } catch (const Error& e) {
        fail(e.code(), e.what());
    } catch (const Poco::Net::NetException& e) {
        // The client went away or the socket failed mid-request: nobody is left to answer.
        code = "connection_failed";
        _log.warning("request_id=%s connection failed: %s", exchange.requestId(), e.displayText());
    } catch (const Poco::Exception& e) {
        _log.error("request_id=%s unexpected error: %s", exchange.requestId(), e.displayText());
        fail(ErrorCode::InternalError,
             std::string(shared::defaultMessage(ErrorCode::InternalError)));
    } catch (const std::exception& e) {
        _log.error("request_id=%s unexpected error: %s", exchange.requestId(),
                   std::string(e.what()));
        fail(ErrorCode::InternalError,
             std::string(shared::defaultMessage(ErrorCode::InternalError)));
    }

    finish(request, exchange, route, code, started);
}

void RequestDispatcher::refuse(Poco::Net::HTTPServerRequest& request,
                               Poco::Net::HTTPServerResponse& response, ErrorCode code,
                               const std::string& message) {
    const auto started = std::chrono::steady_clock::now();
    HttpExchange exchange(request, response, _maxBodyBytes, requestIdFor(request));
    response.setKeepAlive(false);
    if (exchange.hasValidUri()) {
        addAnswerHeaders(exchange);
    }
    exchange.sendError(code, message);
    finish(request, exchange, "unmatched", std::string(shared::wireName(code)), started);
}

void RequestDispatcher::addAnswerHeaders(HttpExchange& exchange) const {
    for (const auto& [name, value] : _router.answerHeadersFor(exchange.path())) {
        exchange.setHeader(name, value);
    }
}

void RequestDispatcher::finish(const Poco::Net::HTTPServerRequest& request,
                               const HttpExchange& exchange, const std::string& route,
                               const std::string& code,
                               std::chrono::steady_clock::time_point started) {
    const auto micros = std::chrono::duration_cast<std::chrono::microseconds>(
                            std::chrono::steady_clock::now() - started)
                            .count();
    _metrics.recordRequest(request.getMethod(), route, exchange.status(),
                           static_cast<double>(micros) / 1e6);
    char duration[32];
    std::snprintf(duration, sizeof duration, "%.3f", static_cast<double>(micros) / 1000.0);
    std::string line =
        "request_id=" + exchange.requestId() + " method=" + logValue(request.getMethod()) +
        " path=" + logValue(exchange.path()) + " status=" + std::to_string(exchange.status()) +
        " bytes=" + std::to_string(exchange.bytesSent()) + " duration_ms=" + duration;
    if (!code.empty()) {
        line += " error=" + code;
    }
    line += " client=" + request.clientAddress().host().toString();
    _log.information(line);
}

}  // namespace verdant::server
