#pragma once

#include "verdant/server/app/ServerConfig.hpp"
#include "verdant/server/auth/TokenService.hpp"
#include "verdant/shared/HlcClock.hpp"

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace verdant::server {

class AccountStore;
class AuthEndpoint;
class AuthService;
class DomainModule;
class DomainModules;
class HealthEndpoint;
class HttpListener;
class SyncEndpoint;
class TenantStores;
class HttpExchange;
class Metrics;
class RequestDispatcher;
class Router;
class StoreBackends;

/// The Verdant sync service: storage, routes and the HTTPS listener, without any process concerns
/// (those are ServerApp's), so tests run it in-process on port 0.
///
/// Lifecycle: construct (opens storage) → start() (binds, serves) → stop() (graceful) → destroy.
/// start() and stop() must be called from one thread; port() and baseUrl() may be read from any
/// thread after start() returned.
class SyncServer {
public:
    /// Replaceable parts, for tests.
    struct Seams {
        /// Physical time for tokens and HLCs (must outlive the server); null = the system clock.
        Seams() = default;
        /// With this clock (`{&clock}`) and the built-in modules.
        Seams(const shared::Clock* clockToUse) : clock(clockToUse) {}  // NOLINT(*-explicit-*)

        const shared::Clock* clock = nullptr;
        /// Makes the domain modules the server runs; empty = builtInModules() (audit, training,
        /// photos).
        std::function<std::vector<std::unique_ptr<DomainModule>>()> modules;
    };

    /// Creates the data directory if needed and opens the storage there. Throws shared::Error
    /// (StorageUnavailable) when the storage cannot be opened.
    SyncServer(ServerConfig config, Seams seams);
    /// As above, with the system clock.
    explicit SyncServer(ServerConfig config) : SyncServer(std::move(config), Seams{}) {}
    /// Stops the server if it is still running.
    ~SyncServer();
    SyncServer(const SyncServer&) = delete;
    SyncServer& operator=(const SyncServer&) = delete;

    /// Binds the listen address and starts serving. Throws shared::Error(InvalidParameter) with a
    /// readable message for an unusable certificate or key, and for an address that cannot be
    /// bound (in use, not local).
    void start();

    /// Graceful stop: refuses new connections, lets in-flight requests finish (up to the
    /// configured grace period, after which open connections are cut), then closes the storage.
    /// Safe to call twice.
    void stop();

    /// The bound port (useful with port 0); 0 before start().
    std::uint16_t port() const { return _port; }

    /// "https://host:port" (or "http://" with insecure-http).
    std::string baseUrl() const;

    /// The configuration the server runs with.
    const ServerConfig& config() const { return _config; }

    /// Tenants, users and devices (for administration and tests).
    AccountStore& accounts() { return *_accounts; }

    /// The routes this server serves (for the API description check).
    const Router& router() const { return *_router; }

    /// Client connections open now (idle ones included).
    int openConnections() const;

    /// The counters behind /metrics.
    Metrics& metrics() { return *_metrics; }

    /// The tenants' sync stores.
    TenantStores& stores() { return *_stores; }

    /// Sign-in and token checks.
    AuthService& auth() { return *_auth; }

private:
    void serveMetrics(HttpExchange& exchange);

    ServerConfig _config;
    std::unique_ptr<DomainModules> _modules;
    std::unique_ptr<StoreBackends> _backends;
    std::unique_ptr<AccountStore> _accounts;
    std::unique_ptr<TokenService> _tokens;
    std::unique_ptr<AuthService> _auth;
    std::unique_ptr<Router> _router;
    std::unique_ptr<HealthEndpoint> _health;
    std::unique_ptr<AuthEndpoint> _authEndpoint;
    std::unique_ptr<Metrics> _metrics;
    std::unique_ptr<shared::HlcClock> _hlc;
    std::unique_ptr<TenantStores> _stores;
    std::unique_ptr<SyncEndpoint> _sync;
    std::unique_ptr<RequestDispatcher> _dispatcher;
    std::unique_ptr<HttpListener> _listener;
    std::uint16_t _port = 0;
};

}  // namespace verdant::server
