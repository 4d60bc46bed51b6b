#pragma once

#include "TemporaryDirectory.hpp"

#include "verdant/client/HttpsTransport.hpp"
#include "verdant/server/app/SyncServer.hpp"

#include <functional>
#include <memory>

namespace verdant::test {

/// The real server, in-process, on 127.0.0.1 port 0 with the test certificates and a fresh data
/// directory; stopped and cleaned up on destruction.
class ServerHarness {
public:
    /// `adjust` may change the test configuration before the server starts.
    explicit ServerHarness(const std::function<void(server::ServerConfig&)>& adjust = {},
                           server::SyncServer::Seams seams = server::SyncServer::Seams{});
    ~ServerHarness();

    server::SyncServer& server() { return *_server; }
    std::uint16_t port() const { return _server->port(); }

    /// "https://localhost:<port>": the name the certificate is issued to.
    std::string baseUrl() const;

    /// The address and CA a client of this server uses.
    client::ServerEndpoint endpoint() const;

    /// A client that trusts the test CA (and so verifies the server's chain and name).
    client::HttpsTransport client() const;

    /// The configuration tests start from.
    static server::ServerConfig testConfig(const std::string& dataDir);

private:
    TemporaryDirectory _dataDir;
    std::unique_ptr<server::SyncServer> _server;
};

}  // namespace verdant::test
