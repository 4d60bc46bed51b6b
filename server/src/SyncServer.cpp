#include "verdant/server/SyncServer.hpp"

#include "verdant/server/AccountStore.hpp"
#include "verdant/server/AuthEndpoint.hpp"
#include "verdant/server/AuthService.hpp"
#include "verdant/server/HealthEndpoint.hpp"
#include "verdant/server/Metrics.hpp"
#include "verdant/server/RequestDispatcher.hpp"
#include "verdant/server/ReviewEndpoint.hpp"
#include "verdant/server/Router.hpp"
#include "verdant/server/SqliteStorage.hpp"
#include "verdant/server/SyncEndpoint.hpp"
#include "verdant/server/TenantStores.hpp"
#include "verdant/shared/DomainSchema.hpp"
#include "verdant/shared/ErrorCode.hpp"
#include "verdant/shared/IdGenerator.hpp"
#include "verdant/shared/Version.hpp"

#include <Poco/Exception.h>
#include <Poco/File.h>
#include <Poco/Logger.h>
#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/SSLManager.h>
#include <Poco/Net/SecureServerSocket.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Path.h>
#include <openssl/crypto.h>

#include <chrono>
#include <fstream>
#include <thread>

namespace verdant::server {

using shared::Error;
using shared::ErrorCode;

namespace {

/// Forward-secret AEAD suites only for TLS 1.2; TLS 1.3 suites are OpenSSL's defaults, all good.
constexpr const char* kTls12Ciphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";

constexpr int kListenBacklog = 128;

Poco::Net::Context::Ptr makeTlsContext(const ServerConfig& config) {
    for (const auto& file : {config.tlsCertificate, config.tlsPrivateKey}) {
        if (!Poco::File(file).exists()) {
            throw Error(ErrorCode::InvalidParameter,
                        "TLS file '" + file + "' does not exist (see certs/README.md)");
        }
    }
    Poco::Net::Context::Params params;
    params.certificateFile = config.tlsCertificate;
    params.privateKeyFile = config.tlsPrivateKey;
    params.verificationMode = Poco::Net::Context::VERIFY_NONE;  // clients use bearer tokens
    params.loadDefaultCAs = false;
    params.cipherList = kTls12Ciphers;
    try {
        Poco::Net::Context::Ptr context =
            new Poco::Net::Context(Poco::Net::Context::TLS_SERVER_USE, params);
        context->requireMinimumProtocol(Poco::Net::Context::PROTO_TLSV1_2);
        context->preferServerCiphers();
        context->enableSessionCache(true, "verdant");
        return context;
    } catch (const Poco::Exception& e) {
        throw Error(ErrorCode::InvalidParameter,
                    "cannot use the TLS certificate '" + config.tlsCertificate + "' and key '" +
                        config.tlsPrivateKey + "': " + e.displayText());
    }
}

/// The device id the server writes its own changes (conflict resolutions) under, made once and
/// kept in the data directory so that its sequence numbers continue across restarts.
shared::DeviceId loadOrCreateServerDevice(const std::string& dataDir, const shared::Clock& clock) {
    const auto path = Poco::Path(dataDir).append("server-device.id").toString();
    {
        std::ifstream in(path);
        std::string text;
        if (in >> text) {
            if (auto id = shared::DeviceId::parse(text)) {
                return *id;
            }
        }
    }
    const auto id = shared::IdGenerator(clock).nextDeviceId();
    std::ofstream(path, std::ios::trunc) << id.toString() << '\n';
    return id;
}

void writePortFile(const std::string& path, std::uint16_t port) {
    const auto temporary = path + ".tmp";
    {
        std::ofstream out(temporary, std::ios::trunc);
        out << port << '\n';
        if (!out) {
            throw Error(ErrorCode::InvalidParameter, "cannot write the port file '" + path + "'");
        }
    }
    Poco::File(temporary).renameTo(path);
}

}  // namespace

SyncServer::SyncServer(ServerConfig config, Seams seams)
    : _config(std::move(config)), _pool(2, _config.threads + 1, 60) {
    const shared::Clock& clock =
        seams.clock != nullptr ? *seams.clock : shared::SystemClock::instance();
    try {
        Poco::File(_config.dataDir).createDirectories();
    } catch (const Poco::Exception&) {
        throw Error(ErrorCode::StorageUnavailable,
                    "cannot create the data directory '" + _config.dataDir + "'");
    }
    // Accounts first: opening creates and migrates the database the health probe then reads.
    const auto accountsPath = Poco::Path(_config.dataDir).append("accounts.db").toString();
    _accounts = std::make_unique<AccountStore>(accountsPath);
    _storage = std::make_unique<SqliteStorage>(accountsPath);
    _tokens = std::make_unique<TokenService>(TokenService::loadOrCreateSigningKey(_config.dataDir),
                                             clock, _config.accessTokenTtlSeconds);
    PasswordCost cost;
    cost.memoryKiB = static_cast<std::uint32_t>(_config.passwordMemoryKiB);
    _auth = std::make_unique<AuthService>(*_accounts, PasswordHasher(cost), *_tokens);

    _router = std::make_unique<Router>();
    _health = std::make_unique<HealthEndpoint>(*_storage);
    _health->registerRoutes(*_router);
    _authEndpoint = std::make_unique<AuthEndpoint>(*_auth);
    _authEndpoint->registerRoutes(*_router);
    _metrics = std::make_unique<Metrics>();
    const auto serverDevice = loadOrCreateServerDevice(_config.dataDir, clock);
    _hlc = std::make_unique<shared::HlcClock>(clock, serverDevice.low64());
    _stores = std::make_unique<TenantStores>(_config.dataDir, shared::domainSchema(), *_hlc);
    _sync = std::make_unique<SyncEndpoint>(*_auth, *_stores, *_metrics, *_hlc, clock, serverDevice,
                                           SyncEndpoint::Limits{});
    _sync->registerRoutes(*_router);
    _review = std::make_unique<ReviewEndpoint>(*_auth, *_stores, *_hlc, clock, serverDevice);
    _review->registerRoutes(*_router);
    _router->add("GET", "/metrics", [this](HttpExchange& exchange) { serveMetrics(exchange); });
}

SyncServer::~SyncServer() {
    try {
        stop();
    } catch (...) {  // NOLINT(bugprone-empty-catch): a destructor must not throw
    }
}

void SyncServer::start() {
    if (_http) {
        return;
    }
    Poco::Net::SocketAddress address;
    try {
        address = Poco::Net::SocketAddress(_config.host, _config.port);
    } catch (const Poco::Exception& e) {
        throw Error(ErrorCode::InvalidParameter,
                    "cannot use listen address '" + _config.host + "': " + e.displayText());
    }

    std::unique_ptr<Poco::Net::ServerSocket> socket;
    try {
        if (_config.insecureHttp) {
            socket = std::make_unique<Poco::Net::ServerSocket>(address, kListenBacklog);
        } else {
            socket = std::make_unique<Poco::Net::SecureServerSocket>(address, kListenBacklog,
                                                                     makeTlsContext(_config));
        }
    } catch (const Poco::Net::NetException& e) {
        throw Error(ErrorCode::InvalidParameter,
                    "cannot listen on " + address.toString() + ": " + e.displayText());
    }
    _port = socket->address().port();

    Poco::Net::HTTPServerParams::Ptr params = new Poco::Net::HTTPServerParams;
    params->setMaxThreads(_config.threads);
    params->setMaxQueued(_config.maxQueued);
    params->setKeepAlive(true);
    params->setKeepAliveTimeout(Poco::Timespan(_config.keepAliveTimeoutSeconds, 0));
    params->setMaxKeepAliveRequests(1000);
    params->setTimeout(Poco::Timespan(_config.requestTimeoutSeconds, 0));
    params->setServerName("verdant");
    params->setSoftwareVersion("Verdant/" + std::string(shared::versionString()));

    auto* dispatcher = new RequestDispatcher(*_router, _config.maxBodyBytes, *_metrics);
    _dispatcher = dispatcher;
    _http = std::make_unique<Poco::Net::HTTPServer>(dispatcher, _pool, *socket, params);
    _http->start();
    if (!_config.portFile.empty()) {
        writePortFile(_config.portFile, _port);
    }
}

void SyncServer::stop() {
    if (!_http) {
        if (_stores) {
            _stores->closeAll();
        }
        if (_storage) {
            _storage->close();
        }
        return;
    }
    auto& log = Poco::Logger::get("verdant.server");
    _dispatcher->beginShutdown();
    _http->stopAll(false);  // no new connections; idle keep-alive connections end
    const auto deadline =
        std::chrono::steady_clock::now() + std::chrono::seconds(_config.shutdownGraceSeconds);
    while (_http->currentConnections() > 0 && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    if (_http->currentConnections() > 0) {
        log.warning("shutdown grace period over: closing %d open connection(s)",
                    _http->currentConnections());
        _http->stopAll(true);
    }
    _pool.joinAll();
    _http.reset();
    _dispatcher = nullptr;
    _stores->closeAll();
    _storage->close();
}

void SyncServer::serveMetrics(HttpExchange& exchange) {
    // Operational counters only (no tenant data), but device ids and volumes are still nobody
    // else's business: a configured token, or else a scraper on this machine.
    if (_config.metricsToken.empty()) {
        if (!exchange.request().clientAddress().host().isLoopback()) {
            throw Error(ErrorCode::Forbidden, "Metrics are served to this machine only.");
        }
    } else if (const auto given = exchange.header("Authorization"),
               expected = "Bearer " + _config.metricsToken;
               given.size() != expected.size() ||
               CRYPTO_memcmp(given.data(), expected.data(), given.size()) != 0) {
        throw Error(ErrorCode::Unauthenticated, "Metrics need the metrics bearer token.");
    }
    exchange.send(Poco::Net::HTTPResponse::HTTP_OK, "text/plain; version=0.0.4; charset=utf-8",
                  _metrics->render());
}

std::string SyncServer::baseUrl() const {
    return std::string(_config.insecureHttp ? "http" : "https") + "://" + _config.host + ":" +
           std::to_string(_port);
}

}  // namespace verdant::server
