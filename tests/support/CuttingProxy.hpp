#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace verdant::test {

/// A TCP relay on 127.0.0.1, port 0, in front of a local server: a bad network for tests and
/// benchmarks. It forwards bytes both ways unchanged (TLS passes through), counts them, and can
/// cut every connection once it has carried a number of bytes, the way a weak 3G link drops. A
/// cut closes both sides at once, mid-request if need be. Thread-safe; stops on destruction.
class CuttingProxy {
public:
    /// Relays to 127.0.0.1:`targetPort`; `cutAfterBytes` (both directions together, per
    /// connection) of 0 never cuts.
    explicit CuttingProxy(std::uint16_t targetPort, std::int64_t cutAfterBytes = 0);
    ~CuttingProxy();
    CuttingProxy(const CuttingProxy&) = delete;
    CuttingProxy& operator=(const CuttingProxy&) = delete;

    /// The port clients connect to.
    std::uint16_t port() const { return _port; }

    /// Changes the cut for connections opened from now on (0 = never).
    void setCutAfterBytes(std::int64_t bytes) { _cutAfter.store(bytes); }

    /// Bytes relayed from clients to the server, and back, since the start.
    std::int64_t bytesUp() const { return _up.load(); }
    std::int64_t bytesDown() const { return _down.load(); }
    /// Both directions together.
    std::int64_t bytesRelayed() const { return bytesUp() + bytesDown(); }

    /// Connections accepted, and those the proxy cut.
    int connections() const { return _connections.load(); }
    int cuts() const { return _cuts.load(); }

private:
    void acceptLoop();
    void relay(int client, std::int64_t cutAfter);

    std::uint16_t _targetPort;
    std::uint16_t _port = 0;
    int _listener = -1;
    int _wake[2] = {-1, -1};
    std::atomic<std::int64_t> _cutAfter;
    std::atomic<std::int64_t> _up{0};
    std::atomic<std::int64_t> _down{0};
    std::atomic<int> _connections{0};
    std::atomic<int> _cuts{0};
    std::atomic<bool> _stopping{false};
    std::mutex _threadsMutex;
    std::vector<std::thread> _threads;
    std::thread _acceptor;
};

}  // namespace verdant::test
