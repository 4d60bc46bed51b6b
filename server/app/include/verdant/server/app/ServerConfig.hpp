#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace verdant::server {

/// Everything `verdant-server` needs to start, with the defaults of a development install.
///
/// Sources, lowest to highest precedence: built-in defaults, a properties file (`key = value`),
/// environment variables (`VERDANT_<KEY>` with dashes as underscores, e.g. `VERDANT_DATA_DIR`),
/// command-line flags (`--key=value`). Every key is listed in `ServerConfig::settings()`.
///
/// Threading note: connections do not hold threads. One event loop accepts connections, runs TLS
/// handshakes and reads requests; `threads` workers run the handlers of requests that have
/// arrived whole, `maxQueued` more wait for one, and beyond that a request gets 503 server_busy.
/// `maxConnections` bounds open connections (idle ones cost a socket and a few KiB).
struct ServerConfig {
    std::string dataDir = "data";            ///< Directory of the database and server keys.
    std::string host = "127.0.0.1";          ///< Listen address; 0.0.0.0 to serve the network.
    std::uint16_t port = 8443;               ///< Listen port; 0 picks a free one.
    std::string tlsCertificate;              ///< PEM certificate chain (server first).
    std::string tlsPrivateKey;               ///< PEM private key of the certificate.
    int threads = 32;                        ///< Worker threads = requests handled at once.
    int maxQueued = 128;                     ///< Complete requests waiting for a worker.
    int maxConnections = 10000;              ///< Open connections; more are closed at accept.
    int keepAliveTimeoutSeconds = 5;         ///< Idle time before a keep-alive connection closes.
    int headerTimeoutSeconds = 10;           ///< For the TLS handshake, then for a request head.
    int requestTimeoutSeconds = 30;          ///< Longest pause while a body or an answer moves.
    int shutdownGraceSeconds = 10;           ///< How long shutdown waits for in-flight requests.
    std::int64_t maxBodyBytes = 16 << 20;    ///< Largest request body accepted (413 beyond).
    bool insecureHttp = false;               ///< Plain HTTP, for local debugging only.
    std::string portFile;                    ///< If set, the bound port is written here on start.
    int accessTokenTtlSeconds = 900;         ///< Lifetime of an access token (JWT).
    int passwordMemoryKiB = 19 * 1024;       ///< Argon2id memory cost per password hash.
    std::string metricsToken;                ///< Bearer token for /metrics; empty = loopback only.
    std::int64_t maxBlobBytes = 32LL << 20;  ///< Largest photo blob (413 blob_too_large).
    std::int64_t photoQuotaBytes = 50LL << 30;  ///< A tenant's blobs + open uploads (403).
    int uploadExpiryHours = 24;                 ///< Unfinished uploads expire after this.

    /// One configurable key: its name (as used in files and flags), its environment variable
    /// and a one-line description for `--help`.
    struct Setting {
        std::string key;
        std::string environmentVariable;
        std::string description;
        bool isFlag = false;  ///< A boolean that may be given as a bare `--key`.
    };

    /// All keys, in the order `--help` lists them.
    static const std::vector<Setting>& settings();

    /// Builds a configuration from the layered sources. `file` may be empty (no file);
    /// `environment` holds the process environment (name → value); `flags` holds command-line
    /// values by key. Throws verdant::shared::Error(InvalidParameter) naming the key and source
    /// for an unknown key in the file, an unreadable file, or a value that is out of range or
    /// of the wrong form.
    static ServerConfig load(const std::string& file,
                             const std::map<std::string, std::string>& environment,
                             const std::map<std::string, std::string>& flags);

    /// The process environment as a map, for `load`.
    static std::map<std::string, std::string> processEnvironment();
};

}  // namespace verdant::server
