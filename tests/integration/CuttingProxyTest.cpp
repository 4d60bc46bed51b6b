// The relay the photo tests put between a device and the server to play a weak network: it
// passes TLS through unchanged, counts what crosses, and cuts a connection exactly when it has
// carried its share.

#include "CuttingProxy.hpp"
#include "ServerHarness.hpp"

#include "verdant/shared/ErrorCode.hpp"

#include <gtest/gtest.h>

namespace verdant {
namespace {

client::ServerEndpoint through(const test::CuttingProxy& proxy, const test::ServerHarness& server) {
    auto endpoint = server.endpoint();
    endpoint.baseUrl = "https://localhost:" + std::to_string(proxy.port());
    endpoint.timeoutSeconds = 5;
    return endpoint;
}

TEST(CuttingProxy, RelaysTlsUnchangedAndCountsBothWays) {
    test::ServerHarness server;
    test::CuttingProxy proxy(server.port());
    client::HttpsTransport device(through(proxy, server));
    EXPECT_EQ(device.send("GET", "/v1/health").status, 200);
    EXPECT_EQ(device.send("GET", "/v1/health").status, 200);
    EXPECT_EQ(proxy.connections(), 1);  // kept alive through the relay
    EXPECT_EQ(proxy.cuts(), 0);
    EXPECT_GT(proxy.bytesUp(), 0);
    EXPECT_GT(proxy.bytesDown(), 0);
    EXPECT_EQ(proxy.bytesRelayed(), proxy.bytesUp() + proxy.bytesDown());
}

TEST(CuttingProxy, CutsAConnectionOnceItCarriedItsShare) {
    test::ServerHarness server;
    test::CuttingProxy proxy(server.port(), 600);  // less than a TLS handshake
    client::HttpsTransport device(through(proxy, server));
    EXPECT_THROW(device.send("GET", "/v1/health"), shared::Error);
    EXPECT_GE(proxy.cuts(), 1);
    EXPECT_EQ(proxy.bytesRelayed(), 600L * proxy.cuts());
}

}  // namespace
}  // namespace verdant
