#include "verdant/server/app/ServerConfig.hpp"

#include "verdant/shared/ErrorCode.hpp"

#include <Poco/AutoPtr.h>
#include <Poco/Exception.h>
#include <Poco/File.h>
#include <Poco/NumberParser.h>
#include <Poco/String.h>
#include <Poco/Util/PropertyFileConfiguration.h>

#include <algorithm>
#include <limits>

extern char** environ;  // NOLINT: POSIX

namespace verdant::server {

using shared::Error;
using shared::ErrorCode;

namespace {

std::string environmentName(const std::string& key) {
    std::string name = "VERDANT_" + Poco::toUpper(key);
    for (auto& c : name) {
        if (c == '-') {
            c = '_';
        }
    }
    return name;
}

ServerConfig::Setting setting(const std::string& key, const std::string& description,
                              bool isFlag = false) {
    return {key, environmentName(key), description, isFlag};
}

/// A value together with where it came from, so that errors can say which source to fix.
struct Source {
    std::string value;
    std::string origin;
};

std::int64_t parseInteger(const std::string& key, const Source& source, std::int64_t min,
                          std::int64_t max) {
    Poco::Int64 value = 0;
    if (!Poco::NumberParser::tryParse64(Poco::trim(source.value), value) || value < min ||
        value > max) {
        throw Error(ErrorCode::InvalidParameter,
                    "'" + key + "' (from " + source.origin + ") must be a whole number from " +
                        std::to_string(min) + " to " + std::to_string(max) + ", not '" +
                        source.value + "'");
    }
    return value;
}

bool parseBoolean(const std::string& key, const Source& source) {
    const auto value = Poco::toLower(Poco::trim(source.value));
    if (value.empty() || value == "true" || value == "yes" || value == "1" || value == "on") {
        return true;
    }
    if (value == "false" || value == "no" || value == "0" || value == "off") {
        return false;
    }
    throw Error(ErrorCode::InvalidParameter, "'" + key + "' (from " + source.origin +
                                                 ") must be true or false, not '" + source.value +
                                                 "'");
}

}  // namespace

const std::vector<ServerConfig::Setting>& ServerConfig::settings() {
    static const std::vector<Setting> kSettings = {
        setting("data-dir", "directory for the database and server keys (default: data)"),
        setting("host", "listen address (default: 127.0.0.1; 0.0.0.0 serves the network)"),
        setting("port", "listen port, 0 for any free port (default: 8443)"),
        setting("tls-cert", "PEM certificate chain of the server (required for HTTPS)"),
        setting("tls-key", "PEM private key of the certificate (required for HTTPS)"),
        setting("threads", "worker threads = requests handled at once (default: 32)"),
        setting("max-queued",
                "complete requests waiting for a worker; more get 503 (default: 128)"),
        setting("max-connections", "open connections; more are closed at once (default: 10000)"),
        setting("keep-alive-timeout", "seconds an idle keep-alive connection is kept (default: 5)"),
        setting("header-timeout",
                "seconds for a TLS handshake, then for a request head (default: 10)"),
        setting("request-timeout",
                "longest pause in seconds while a body or answer moves (default: 30)"),
        setting("shutdown-grace", "seconds shutdown waits for in-flight requests (default: 10)"),
        setting("max-body-bytes", "largest request body accepted (default: 16777216)"),
        setting("insecure-http", "serve plain HTTP instead of HTTPS: local debugging ONLY", true),
        setting("port-file", "write the bound port to this file once listening"),
        setting("access-token-ttl", "seconds an access token is valid (default: 900)"),
        setting("password-memory-kib", "Argon2id memory per password hash in KiB (default: 19456)"),
        setting("metrics-token", "bearer token for GET /metrics (default: none, loopback only)"),
        setting("max-blob-bytes", "largest photo or document upload (default: 33554432)"),
        setting("photo-quota-bytes",
                "a tenant's stored photos plus open uploads (default: 53687091200)"),
        setting("upload-expiry-hours",
                "hours an unfinished upload is kept after its last chunk (default: 24)"),
    };
    return kSettings;
}

std::map<std::string, std::string> ServerConfig::processEnvironment() {
    std::map<std::string, std::string> result;
    for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
        const std::string text(*entry);
        const auto equals = text.find('=');
        if (equals != std::string::npos) {
            result.emplace(text.substr(0, equals), text.substr(equals + 1));
        }
    }
    return result;
}

namespace {

/// The settings of a properties file, each with where it came from; unknown keys are refused.
void readFileSettings(const std::string& file, std::map<std::string, Source>& values) {
    if (file.empty()) {
        return;
    }
    Poco::AutoPtr<Poco::Util::PropertyFileConfiguration> properties;
    try {
        properties = new Poco::Util::PropertyFileConfiguration(file);
    } catch (const Poco::Exception&) {
        throw Error(ErrorCode::InvalidParameter,
                    "cannot read the configuration file '" + file + "'");
    }
    Poco::Util::AbstractConfiguration::Keys keys;
    properties->keys(keys);
    for (const auto& key : keys) {
        const bool known =
            std::any_of(ServerConfig::settings().begin(), ServerConfig::settings().end(),
                        [&](const ServerConfig::Setting& s) { return s.key == key; });
        if (!known) {
            throw Error(ErrorCode::InvalidParameter,
                        "unknown key '" + key + "' in configuration file '" + file + "'");
        }
        values[key] = {properties->getString(key), "file " + file};
    }
}

/// Sets the field of `config` that `key` names, from `source`.
void applySetting(ServerConfig& config, const std::string& key, const Source& source) {
    constexpr auto kIntMax = std::numeric_limits<int>::max();
    if (key == "data-dir") {
        config.dataDir = source.value;
    } else if (key == "host") {
        config.host = source.value;
    } else if (key == "port") {
        config.port = static_cast<std::uint16_t>(parseInteger(key, source, 0, 65535));
    } else if (key == "tls-cert") {
        config.tlsCertificate = source.value;
    } else if (key == "tls-key") {
        config.tlsPrivateKey = source.value;
    } else if (key == "threads") {
        config.threads = static_cast<int>(parseInteger(key, source, 1, 4096));
    } else if (key == "max-queued") {
        config.maxQueued = static_cast<int>(parseInteger(key, source, 1, 65536));
    } else if (key == "max-connections") {
        config.maxConnections = static_cast<int>(parseInteger(key, source, 16, 1000000));
    } else if (key == "header-timeout") {
        config.headerTimeoutSeconds = static_cast<int>(parseInteger(key, source, 1, 3600));
    } else if (key == "keep-alive-timeout") {
        config.keepAliveTimeoutSeconds = static_cast<int>(parseInteger(key, source, 1, 3600));
    } else if (key == "request-timeout") {
        config.requestTimeoutSeconds = static_cast<int>(parseInteger(key, source, 1, 3600));
    } else if (key == "shutdown-grace") {
        config.shutdownGraceSeconds = static_cast<int>(parseInteger(key, source, 0, 3600));
    } else if (key == "max-body-bytes") {
        config.maxBodyBytes = parseInteger(key, source, 1024, kIntMax);
    } else if (key == "insecure-http") {
        config.insecureHttp = parseBoolean(key, source);
    } else if (key == "port-file") {
        config.portFile = source.value;
    } else if (key == "metrics-token") {
        config.metricsToken = source.value;
    } else if (key == "access-token-ttl") {
        config.accessTokenTtlSeconds = static_cast<int>(parseInteger(key, source, 10, 86400));
    } else if (key == "password-memory-kib") {
        config.passwordMemoryKiB =
            static_cast<int>(parseInteger(key, source, 8 * 1024, 4 * 1024 * 1024));
    } else if (key == "max-blob-bytes") {
        config.maxBlobBytes = parseInteger(key, source, 1, std::int64_t{1} << 40);
    } else if (key == "photo-quota-bytes") {
        config.photoQuotaBytes = parseInteger(key, source, 0, std::int64_t{1} << 50);
    } else if (key == "upload-expiry-hours") {
        config.uploadExpiryHours = static_cast<int>(parseInteger(key, source, 1, 24 * 365));
    } else {
        throw Error(ErrorCode::InvalidParameter, "unknown setting '" + key + "'");
    }
}

}  // namespace

ServerConfig ServerConfig::load(const std::string& file,
                                const std::map<std::string, std::string>& environment,
                                const std::map<std::string, std::string>& flags) {
    std::map<std::string, Source> values;
    readFileSettings(file, values);
    for (const auto& s : settings()) {
        if (auto it = environment.find(s.environmentVariable); it != environment.end()) {
            values[s.key] = {it->second, "environment variable " + s.environmentVariable};
        }
    }
    for (const auto& [key, value] : flags) {
        values[key] = {value, "flag --" + key};
    }
    ServerConfig config;
    for (const auto& [key, source] : values) {
        applySetting(config, key, source);
    }
    if (config.dataDir.empty()) {
        throw Error(ErrorCode::InvalidParameter, "'data-dir' must not be empty");
    }
    if (!config.insecureHttp && (config.tlsCertificate.empty() || config.tlsPrivateKey.empty())) {
        throw Error(ErrorCode::InvalidParameter,
                    "HTTPS needs 'tls-cert' and 'tls-key' (see certs/README.md to make "
                    "development certificates)");
    }
    return config;
}

}  // namespace verdant::server
