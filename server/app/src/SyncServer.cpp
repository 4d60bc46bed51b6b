#include "verdant/server/app/SyncServer.hpp"

#include "verdant/server/app/BuiltInModules.hpp"
#include "verdant/server/app/HealthEndpoint.hpp"
#include "verdant/server/auth/AccountStore.hpp"
#include "verdant/server/auth/AuthEndpoint.hpp"
#include "verdant/server/auth/AuthService.hpp"
#include "verdant/server/http/HttpListener.hpp"
#include "verdant/server/http/Metrics.hpp"
#include "verdant/server/http/RequestDispatcher.hpp"
#include "verdant/server/http/Router.hpp"
#include "verdant/server/storage/SqliteStoreBackends.hpp"
#include "verdant/server/storage/TenantStores.hpp"
#include "verdant/server/sync/DomainModule.hpp"
#include "verdant/server/sync/SyncEndpoint.hpp"
#include "verdant/shared/ErrorCode.hpp"
#include "verdant/shared/IdGenerator.hpp"
#include "verdant/shared/Version.hpp"

#include <Poco/Exception.h>
#include <Poco/File.h>
#include <Poco/Logger.h>
#include <Poco/Net/Context.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Path.h>
#include <Poco/URI.h>
#include <openssl/crypto.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <fstream>
#include <sys/resource.h>

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

/// Raises the soft limit of open files to the hard one, and returns how many connections fit
/// under it (a few descriptors stay for databases, logs and the listener).
std::size_t connectionsThatFit(int wanted) {
    rlimit limit{};
    if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
        limit.rlim_cur = limit.rlim_max;
        setrlimit(RLIMIT_NOFILE, &limit);
        getrlimit(RLIMIT_NOFILE, &limit);
    }
    constexpr rlim_t kReserved = 256;
    const rlim_t available =
        limit.rlim_cur > 2 * kReserved ? limit.rlim_cur - kReserved : kReserved;
    return static_cast<std::size_t>(std::min<rlim_t>(static_cast<rlim_t>(wanted), available));
}

/// A request target's path as routes see it (decoded, without the query).
std::string pathOf(const std::string& target) {
    try {
        return Poco::URI(target).getPath();
    } catch (const Poco::SyntaxException&) {
        return target;
    }
}

HttpListener::Options listenerOptions(const ServerConfig& config) {
    HttpListener::Options options;
    options.threads = config.threads;
    options.maxQueued = static_cast<std::size_t>(config.maxQueued);
    options.maxConnections = connectionsThatFit(config.maxConnections);
    options.keepAliveTimeoutSeconds = config.keepAliveTimeoutSeconds;
    options.headerTimeoutSeconds = config.headerTimeoutSeconds;
    options.requestTimeoutSeconds = config.requestTimeoutSeconds;
    options.limits.maxBodyBytes = config.maxBodyBytes;
    // A streamed body is an upload's chunk: never larger than the largest blob.
    options.limits.maxStreamedBodyBytes = config.maxBlobBytes;
    options.bodyBudgetBytes = std::max<std::int64_t>(256 << 20, 4 * config.maxBodyBytes);
    return options;
}

}  // namespace

SyncServer::SyncServer(ServerConfig config, Seams seams) : _config(std::move(config)) {
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
    _modules = std::make_unique<DomainModules>(seams.modules ? seams.modules() : builtInModules());
    _backends =
        std::make_unique<SqliteStoreBackends>(_config.dataDir, accountsPath, _modules->schema());
    _tokens = std::make_unique<TokenService>(TokenService::loadOrCreateSigningKey(_config.dataDir),
                                             clock, _config.accessTokenTtlSeconds);
    PasswordCost cost;
    cost.memoryKiB = static_cast<std::uint32_t>(_config.passwordMemoryKiB);
    _auth = std::make_unique<AuthService>(*_accounts, PasswordHasher(cost), *_tokens);

    _router = std::make_unique<Router>();
    _health = std::make_unique<HealthEndpoint>(*_backends);
    _health->registerRoutes(*_router);
    _authEndpoint = std::make_unique<AuthEndpoint>(*_auth);
    _authEndpoint->registerRoutes(*_router);
    _metrics = std::make_unique<Metrics>();
    const auto serverDevice = loadOrCreateServerDevice(_config.dataDir, clock);
    _hlc = std::make_unique<shared::HlcClock>(clock, serverDevice.low64());
    // As many readers per tenant as workers: no read waits for a reader.
    _stores = std::make_unique<TenantStores>(*_backends, _modules->schema(), *_hlc,
                                             static_cast<std::size_t>(_config.threads));
    _sync = std::make_unique<SyncEndpoint>(*_modules, *_auth, *_stores, *_metrics, *_hlc, clock,
                                           serverDevice, SyncEndpoint::Limits{});
    _sync->registerRoutes(*_router);
    _modules->mountRoutes(
        *_router, ModuleServices{*_auth, *_stores, *_hlc, clock, serverDevice, _config.dataDir,
                                 UploadLimits{_config.maxBlobBytes, _config.photoQuotaBytes,
                                              _config.uploadExpiryHours},
                                 *_modules});
    _router->add("GET", "/metrics", [this](HttpExchange& exchange) { serveMetrics(exchange); });
}

SyncServer::~SyncServer() {
    try {
        stop();
    } catch (...) {  // NOLINT(bugprone-empty-catch): a destructor must not throw
    }
}

void SyncServer::start() {
    if (_listener) {
        return;
    }
    // A client that hangs up mid-answer must cost an EPIPE on that connection, never a SIGPIPE
    // that ends the process: OpenSSL writes to the socket itself, without MSG_NOSIGNAL, and the
    // listener's threads are not Poco threads (which block SIGPIPE), so this does not rest on
    // what the thread that started the server happened to block.
    std::signal(SIGPIPE, SIG_IGN);
    Poco::Net::SocketAddress address;
    try {
        address = Poco::Net::SocketAddress(_config.host, _config.port);
    } catch (const Poco::Exception& e) {
        throw Error(ErrorCode::InvalidParameter,
                    "cannot use listen address '" + _config.host + "': " + e.displayText());
    }
    Poco::Net::Context::Ptr tls = _config.insecureHttp ? nullptr : makeTlsContext(_config);
    Poco::Net::ServerSocket socket;
    try {
        socket.bind(address, true);
        socket.listen(kListenBacklog);
    } catch (const Poco::Net::NetException& e) {
        throw Error(ErrorCode::InvalidParameter,
                    "cannot listen on " + address.toString() + ": " + e.displayText());
    }
    _port = socket.address().port();

    _dispatcher = std::make_unique<RequestDispatcher>(*_router, _config.maxBodyBytes, *_metrics);
    auto options = listenerOptions(_config);
    // Every route that takes a large body is authenticated: a large body from a client without
    // a valid token is refused from its head, before the server holds any of it.
    options.bodyGate = [this](const ParsedRequest& head) -> std::optional<Error> {
        const auto authorization = head.header("Authorization");
        if (!authorization) {
            // An upload without a token is unauthenticated (so a client signs in again); sign-in
            // and other anonymous bodies are small by nature.
            if (_router->streams(head.method, pathOf(head.target))) {
                return Error(ErrorCode::Unauthenticated);
            }
            return Error(ErrorCode::PayloadTooLarge,
                         "A request body over 64 KiB needs a bearer token.");
        }
        try {
            _auth->authenticate(*authorization);
            return std::nullopt;
        } catch (const Error& e) {
            return e;
        }
    };
    // Upload routes take their bodies in pieces: spooled to disk as they arrive.
    options.streamBody = [this](const ParsedRequest& head) {
        return _router->streams(head.method, pathOf(head.target));
    };
    options.spoolDirectory = Poco::Path(_config.dataDir).append("spool").toString();
    _listener = std::make_unique<HttpListener>(std::move(socket), tls, *_dispatcher, options);
    _listener->start();
    if (!_config.portFile.empty()) {
        writePortFile(_config.portFile, _port);
    }
}

void SyncServer::stop() {
    if (_listener) {
        _dispatcher->beginShutdown();
        _listener->stop(std::chrono::seconds(_config.shutdownGraceSeconds));
        _listener.reset();
        _dispatcher.reset();
    }
    if (_stores) {
        _stores->closeAll();
    }
    if (_backends) {
        _backends->close();
    }
}

int SyncServer::openConnections() const {
    return _listener ? _listener->openConnections() : 0;
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
