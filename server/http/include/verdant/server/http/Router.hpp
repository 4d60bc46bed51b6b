#pragma once

#include "verdant/server/http/HttpExchange.hpp"

#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace verdant::server {

/// A function that serves one route.
using RouteHandler = std::function<void(HttpExchange&)>;

/// Maps (method, path pattern) to handlers. Patterns are literal segments and `{name}` segments,
/// e.g. "/v1/conflicts/{id}". Built once before the server starts, then read-only: `resolve`
/// may be called from any number of threads.
class Router {
public:
    /// One registered route.
    struct Route {
        std::string method;
        std::string pattern;
        RouteHandler handler;
        bool streamed = false;  ///< Its body is spooled to a file as it arrives (uploads).
    };

    /// Registers a handler. Throws std::invalid_argument for a duplicate (method, pattern).
    void add(const std::string& method, const std::string& pattern, RouteHandler handler);

    /// As add, for a route whose request bodies are large and taken in pieces (an upload): the
    /// listener writes such a body to a temporary file as it arrives instead of holding it in
    /// memory, and runs the handler even when the connection breaks mid-body (see
    /// HttpExchange::bodyComplete).
    void addStreamed(const std::string& method, const std::string& pattern, RouteHandler handler);

    /// Puts `name: value` on every answer to a path under `pathPrefix` (the prefix itself, or it
    /// followed by "/..."), errors and the listener's refusals included: a protocol that asks for
    /// a header on every response (tus: Tus-Resumable) gets it even when no handler ran.
    void addAnswerHeader(const std::string& pathPrefix, const std::string& name,
                         const std::string& value);

    /// The headers addAnswerHeader put on answers to `path`.
    std::vector<std::pair<std::string, std::string>> answerHeadersFor(
        const std::string& path) const;

    /// Whether a request with this method and path goes to a streamed route.
    bool streams(const std::string& method, const std::string& path) const;

    /// The route for the exchange's method and path, with its `{name}` values set on the
    /// exchange. Throws shared::Error(RouteNotFound) for a path no route matches and
    /// shared::Error(MethodNotAllowed) for a matching path under another method.
    const Route& resolve(HttpExchange& exchange) const;

    /// All routes in registration order (for the API description check).
    const std::vector<Route>& routes() const { return _routes; }

private:
    struct AnswerHeader {
        std::string pathPrefix;
        std::string name;
        std::string value;
    };

    std::vector<Route> _routes;
    std::vector<AnswerHeader> _answerHeaders;
};

}  // namespace verdant::server
