#include "verdant/server/app/HealthEndpoint.hpp"

#include "verdant/shared/Version.hpp"

namespace verdant::server {

void HealthEndpoint::registerRoutes(Router& router) {
    router.add("GET", "/v1/health", [this](HttpExchange& exchange) { handle(exchange); });
}

void HealthEndpoint::handle(HttpExchange& exchange) {
    const bool storageOk = _backends.isHealthy();
    Poco::JSON::Object storage;
    storage.set("backend", _backends.name());
    storage.set("status", storageOk ? "ok" : "unavailable");
    Poco::JSON::Object body;
    body.set("status", storageOk ? "ok" : "degraded");
    body.set("version", std::string(shared::versionString()));
    body.set("protocol", std::string(shared::kProtocolVersion));
    body.set("storage", storage);
    exchange.sendJson(storageOk ? Poco::Net::HTTPResponse::HTTP_OK
                                : Poco::Net::HTTPResponse::HTTP_SERVICE_UNAVAILABLE,
                      body);
}

}  // namespace verdant::server
