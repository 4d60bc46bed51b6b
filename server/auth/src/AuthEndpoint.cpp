#include "verdant/server/auth/AuthEndpoint.hpp"

#include "verdant/server/auth/SecurityLog.hpp"
#include "verdant/server/http/RequestJson.hpp"

namespace verdant::server {

namespace {

Poco::JSON::Object principalJson(const Principal& principal) {
    Poco::JSON::Object user;
    user.set("id", principal.userId);
    user.set("username", principal.username);
    user.set("role", std::string(wireName(principal.role)));
    user.set("tenant_id", principal.tenantId);
    user.set("device_id", principal.deviceId);
    return user;
}

void sendTokens(HttpExchange& exchange, const TokenPair& tokens) {
    Poco::JSON::Object body;
    body.set("access_token", tokens.accessToken);
    body.set("token_type", "Bearer");
    body.set("expires_in", tokens.expiresInSeconds);
    body.set("refresh_token", tokens.refreshToken);
    body.set("user", principalJson(tokens.principal));
    exchange.sendJson(Poco::Net::HTTPResponse::HTTP_OK, body);
}

/// Registers a sign-in route: its security log lines carry the client's address, and a throttled
/// sign-in is answered with `Retry-After` (the dispatcher sends the error body).
void addSignInRoute(Router& router, const std::string& method, const std::string& pattern,
                    RouteHandler handler) {
    router.add(method, pattern, [handler = std::move(handler)](HttpExchange& exchange) {
        const SecurityLog::ClientScope client(exchange.request().clientAddress().host().toString());
        try {
            handler(exchange);
        } catch (const SignInThrottled& e) {
            exchange.setHeader("Retry-After", std::to_string(e.retryAfterSeconds()));
            throw;
        }
    });
}

}  // namespace

void AuthEndpoint::registerRoutes(Router& router) {
    addSignInRoute(router, "POST", "/v1/auth/login", [this](HttpExchange& exchange) {
        const RequestJson request(exchange.readJsonObject(HttpExchange::kSmallJsonBytes),
                                  {"tenant", "username", "password", "device_id", "device_name"});
        sendTokens(exchange, _auth.login(request.string("tenant"), request.string("username"),
                                         request.string("password"),
                                         request.optionalString("device_id").value_or(""),
                                         request.optionalString("device_name").value_or("")));
    });
    addSignInRoute(router, "POST", "/v1/auth/refresh", [this](HttpExchange& exchange) {
        const RequestJson request(exchange.readJsonObject(HttpExchange::kSmallJsonBytes),
                                  {"refresh_token"});
        sendTokens(exchange, _auth.refresh(request.string("refresh_token")));
    });
    addSignInRoute(router, "POST", "/v1/auth/logout", [this](HttpExchange& exchange) {
        const RequestJson request(exchange.readJsonObject(HttpExchange::kSmallJsonBytes),
                                  {"refresh_token"});
        _auth.logout(request.string("refresh_token"));
        Poco::JSON::Object body;
        body.set("status", "signed_out");
        exchange.sendJson(Poco::Net::HTTPResponse::HTTP_OK, body);
    });
    router.add("GET", "/v1/me", [this](HttpExchange& exchange) {
        const auto principal = _auth.authenticate(exchange.header("Authorization"));
        Poco::JSON::Object body;
        body.set("user", principalJson(principal));
        exchange.sendJson(Poco::Net::HTTPResponse::HTTP_OK, body);
    });
}

}  // namespace verdant::server
