#pragma once

#include "FilePart.hpp"
#include "SpoolFile.hpp"

#include "verdant/server/http/HttpRequestParser.hpp"

#include <Poco/Net/SocketAddress.h>
#include <openssl/ssl.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <unistd.h>

/// The state the listener's event loop keeps: one client connection, a request on its way to a
/// worker, and a finished answer on its way back. Internal to HttpListener.cpp.
namespace verdant::server::listener {

using Clock = std::chrono::steady_clock;

/// One client connection, owned by the event loop thread.
struct Connection {
    enum class Phase { Handshake, Reading, Dispatched, Writing, Lingering };

    Connection(std::uint64_t connectionId, int socket, Poco::Net::SocketAddress client,
               HttpRequestParser::Limits limits, HttpRequestParser::StreamPredicate streamBody)
        : id(connectionId),
          fd(socket),
          peer(std::move(client)),
          parser(limits, std::move(streamBody)) {}
    ~Connection() {
        if (ssl != nullptr) {
            SSL_free(ssl);
        }
        ::close(fd);
    }
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;

    std::uint64_t id;
    int fd;
    SSL* ssl = nullptr;
    Poco::Net::SocketAddress peer;
    Phase phase = Phase::Reading;
    HttpRequestParser parser;
    std::unique_ptr<SpoolFile> spool;  ///< The streamed body being received.
    std::string out;
    std::size_t outSent = 0;
    std::unique_ptr<FilePart> outFile;  ///< The rest of a file-backed answer, sent after `out`.
    bool closeAfterWrite = false;
    bool headSeen = false;        ///< The current request's head was admitted.
    bool firstBytesSeen = false;  ///< The first bytes were checked for plain HTTP.
    bool awaitingRequest = true;  ///< No byte of the next request yet (keep-alive idle).
    std::int64_t reserved = 0;    ///< Body budget held for the request being read.
    std::size_t lingered = 0;
    std::uint32_t interest = 0;
    Clock::time_point deadline;
};

/// A finished answer on its way back from a worker to the event loop.
struct Completion {
    std::uint64_t connection;
    std::string bytes;
    bool keepAlive;
    std::unique_ptr<FilePart> file;  ///< The body, when it is a file's (sent after `bytes`).
};

/// A request on its way to a worker: with its streamed body's file, if any.
struct Job {
    ParsedRequest request;
    std::unique_ptr<SpoolFile> spool;
};

}  // namespace verdant::server::listener
