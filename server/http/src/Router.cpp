#include "verdant/server/http/Router.hpp"

#include <Poco/StringTokenizer.h>

#include <map>
#include <optional>
#include <stdexcept>

namespace verdant::server {

using shared::Error;
using shared::ErrorCode;

namespace {

std::vector<std::string> segmentsOf(const std::string& path) {
    Poco::StringTokenizer tokens(path, "/", Poco::StringTokenizer::TOK_IGNORE_EMPTY);
    return {tokens.begin(), tokens.end()};
}

std::optional<std::map<std::string, std::string>> match(const std::string& pattern,
                                                        const std::vector<std::string>& path) {
    const auto expected = segmentsOf(pattern);
    if (expected.size() != path.size()) {
        return std::nullopt;
    }
    std::map<std::string, std::string> parameters;
    for (std::size_t i = 0; i < expected.size(); ++i) {
        const auto& segment = expected[i];
        if (segment.size() > 2 && segment.front() == '{' && segment.back() == '}') {
            parameters[segment.substr(1, segment.size() - 2)] = path[i];
        } else if (segment != path[i]) {
            return std::nullopt;
        }
    }
    return parameters;
}

}  // namespace

void Router::add(const std::string& method, const std::string& pattern, RouteHandler handler) {
    for (const auto& route : _routes) {
        if (route.method == method && route.pattern == pattern) {
            throw std::invalid_argument("route registered twice: " + method + " " + pattern);
        }
    }
    _routes.push_back({method, pattern, std::move(handler)});
}

void Router::addStreamed(const std::string& method, const std::string& pattern,
                         RouteHandler handler) {
    add(method, pattern, std::move(handler));
    _routes.back().streamed = true;
}

void Router::addAnswerHeader(const std::string& pathPrefix, const std::string& name,
                             const std::string& value) {
    _answerHeaders.push_back({pathPrefix, name, value});
}

std::vector<std::pair<std::string, std::string>> Router::answerHeadersFor(
    const std::string& path) const {
    std::vector<std::pair<std::string, std::string>> headers;
    for (const auto& header : _answerHeaders) {
        const auto& prefix = header.pathPrefix;
        if (path.compare(0, prefix.size(), prefix) == 0 &&
            (path.size() == prefix.size() || path[prefix.size()] == '/')) {
            headers.emplace_back(header.name, header.value);
        }
    }
    return headers;
}

bool Router::streams(const std::string& method, const std::string& path) const {
    const auto segments = segmentsOf(path);
    for (const auto& route : _routes) {
        if (route.streamed && route.method == method && match(route.pattern, segments)) {
            return true;
        }
    }
    return false;
}

const Router::Route& Router::resolve(HttpExchange& exchange) const {
    const auto path = segmentsOf(exchange.path());
    std::string allowed;
    for (const auto& route : _routes) {
        auto parameters = match(route.pattern, path);
        if (!parameters) {
            continue;
        }
        if (route.method == exchange.request().getMethod()) {
            exchange.setPathParameters(std::move(*parameters));
            return route;
        }
        allowed += (allowed.empty() ? "" : ", ") + route.method;
    }
    if (!allowed.empty()) {
        exchange.setHeader("Allow", allowed);
        throw Error(ErrorCode::MethodNotAllowed, "The endpoint accepts " + allowed + ", not " +
                                                     exchange.request().getMethod() + ".");
    }
    constexpr std::size_t kShownPathLength = 200;
    const auto& shown = exchange.path();
    throw Error(
        ErrorCode::RouteNotFound,
        "No endpoint at " +
            (shown.size() > kShownPathLength ? shown.substr(0, kShownPathLength) + "..." : shown) +
            ".");
}

}  // namespace verdant::server
