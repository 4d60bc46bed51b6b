#pragma once

#include "verdant/server/http/HttpExchange.hpp"

#include <functional>
#include <string>
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
    };

    /// Registers a handler. Throws std::invalid_argument for a duplicate (method, pattern).
    void add(const std::string& method, const std::string& pattern, RouteHandler handler);

    /// The route for the exchange's method and path, with its `{name}` values set on the
    /// exchange. Throws shared::Error(RouteNotFound) for a path no route matches and
    /// shared::Error(MethodNotAllowed) for a matching path under another method.
    const Route& resolve(HttpExchange& exchange) const;

    /// All routes in registration order (for the API description check).
    const std::vector<Route>& routes() const { return _routes; }

private:
    std::vector<Route> _routes;
};

}  // namespace verdant::server
