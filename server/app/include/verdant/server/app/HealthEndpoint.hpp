#pragma once

#include "verdant/server/http/Router.hpp"
#include "verdant/server/storage/StoreBackends.hpp"

namespace verdant::server {

/// `GET /v1/health`: whether the server and its storage can serve requests.
///
/// 200 `{"status":"ok","version":"0.1.0","protocol":"1","storage":{"backend":"sqlite",
/// "status":"ok"}}` when the storage answers; 503 with `"status":"degraded"` when it does not,
/// so a load balancer takes the node out.
class HealthEndpoint {
public:
    /// The backends must outlive the endpoint.
    explicit HealthEndpoint(StoreBackends& backends) : _backends(backends) {}

    /// Registers the route.
    void registerRoutes(Router& router);

private:
    void handle(HttpExchange& exchange);

    StoreBackends& _backends;
};

}  // namespace verdant::server
