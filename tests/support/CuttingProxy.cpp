#include "CuttingProxy.hpp"

#include <algorithm>
#include <arpa/inet.h>
#include <cerrno>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdexcept>
#include <sys/socket.h>
#include <unistd.h>

namespace verdant::test {

namespace {

constexpr std::size_t kBufferBytes = 16 * 1024;

sockaddr_in loopback(std::uint16_t port) {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return address;
}

bool writeAll(int socket, const char* data, std::size_t size) {
    while (size > 0) {
        const auto sent = ::send(socket, data, size, MSG_NOSIGNAL);
        if (sent < 0 && errno == EINTR) {
            continue;
        }
        if (sent <= 0) {
            return false;
        }
        data += sent;
        size -= static_cast<std::size_t>(sent);
    }
    return true;
}

void noDelay(int socket) {
    const int on = 1;
    ::setsockopt(socket, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
}

}  // namespace

CuttingProxy::CuttingProxy(std::uint16_t targetPort, std::int64_t cutAfterBytes)
    : _targetPort(targetPort), _cutAfter(cutAfterBytes) {
    _listener = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    auto address = loopback(0);
    socklen_t length = sizeof address;
    if (_listener < 0 || ::bind(_listener, reinterpret_cast<sockaddr*>(&address), length) != 0 ||
        ::listen(_listener, 128) != 0 ||
        ::getsockname(_listener, reinterpret_cast<sockaddr*>(&address), &length) != 0 ||
        ::pipe(_wake) != 0) {
        throw std::runtime_error("the test proxy could not listen on loopback");
    }
    _port = ntohs(address.sin_port);
    _acceptor = std::thread([this] { acceptLoop(); });
}

CuttingProxy::~CuttingProxy() {
    _stopping = true;
    (void)::write(_wake[1], "x", 1);
    _acceptor.join();
    std::vector<std::thread> threads;
    {
        std::lock_guard lock(_threadsMutex);
        threads.swap(_threads);
    }
    for (auto& thread : threads) {
        thread.join();
    }
    ::close(_listener);
    ::close(_wake[0]);
    ::close(_wake[1]);
}

void CuttingProxy::acceptLoop() {
    for (;;) {
        pollfd fds[2] = {{_listener, POLLIN, 0}, {_wake[0], POLLIN, 0}};
        if (::poll(fds, 2, -1) < 0 && errno != EINTR) {
            return;
        }
        if (_stopping) {
            return;
        }
        if ((fds[0].revents & POLLIN) == 0) {
            continue;
        }
        const int client = ::accept4(_listener, nullptr, nullptr, SOCK_CLOEXEC);
        if (client < 0) {
            continue;
        }
        ++_connections;
        const auto cutAfter = _cutAfter.load();
        std::lock_guard lock(_threadsMutex);
        _threads.emplace_back([this, client, cutAfter] { relay(client, cutAfter); });
    }
}

void CuttingProxy::relay(int client, std::int64_t cutAfter) {
    const int server = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    const auto target = loopback(_targetPort);
    if (server < 0 ||
        ::connect(server, reinterpret_cast<const sockaddr*>(&target), sizeof target) != 0) {
        ::close(client);
        if (server >= 0) {
            ::close(server);
        }
        return;
    }
    noDelay(client);
    noDelay(server);
    char buffer[kBufferBytes];
    std::int64_t carried = 0;
    bool open = true;
    while (open && !_stopping) {
        pollfd fds[3] = {{client, POLLIN, 0}, {server, POLLIN, 0}, {_wake[0], POLLIN, 0}};
        if (::poll(fds, 3, 200) < 0 && errno != EINTR) {
            break;
        }
        for (int side = 0; side < 2 && open; ++side) {
            if ((fds[side].revents & (POLLIN | POLLHUP | POLLERR)) == 0) {
                continue;
            }
            // Read no more than the cut leaves, so the cut falls exactly on its byte.
            auto want = static_cast<std::int64_t>(kBufferBytes);
            if (cutAfter > 0) {
                want = std::min(want, cutAfter - carried);
            }
            const auto count = ::recv(fds[side].fd, buffer, static_cast<std::size_t>(want), 0);
            if (count <= 0) {
                open = false;
                break;
            }
            const int to = side == 0 ? server : client;
            if (!writeAll(to, buffer, static_cast<std::size_t>(count))) {
                open = false;
                break;
            }
            (side == 0 ? _up : _down) += count;
            carried += count;
            if (cutAfter > 0 && carried >= cutAfter) {
                ++_cuts;
                open = false;
            }
        }
    }
    ::shutdown(client, SHUT_RDWR);
    ::shutdown(server, SHUT_RDWR);
    ::close(client);
    ::close(server);
}

}  // namespace verdant::test
