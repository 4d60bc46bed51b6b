#pragma once

#include "verdant/server/Router.hpp"
#include "verdant/server/Storage.hpp"

namespace verdant::server {

/// `GET /v1/health`: whether the server and its storage can serve requests.
///
/// 200 `{"status":"ok","version":"0.1.0","protocol":"1","storage":{"backend":"sqlite",
/// "status":"ok"}}` when the storage answers; 503 with `"status":"degraded"` when it does not,
/// so a load balancer takes the node out.
class HealthEndpoint {
public:
    /// The storage must outlive the endpoint.
    explicit HealthEndpoint(Storage& storage) : _storage(storage) {}

    /// Registers the route.
    void registerRoutes(Router& router);

private:
    void handle(HttpExchange& exchange);

    Storage& _storage;
};

}  // namespace verdant::server
