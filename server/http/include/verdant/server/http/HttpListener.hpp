#pragma once

#include "verdant/server/http/HttpRequestParser.hpp"

#include <Poco/Net/Context.h>
#include <Poco/Net/ServerSocket.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

namespace verdant::server {

class RequestDispatcher;

/// The server's front door: accepts connections, runs their TLS handshakes and reads their
/// requests on one event loop (epoll, non-blocking OpenSSL), and hands each request to a worker
/// thread only once it has arrived whole (a streamed body: also when it broke off); the worker's
/// answer is written back by the loop, a file-backed answer in pieces as the socket drains.
///
/// Why not Poco's HTTPServer: it gives every open connection a worker thread for as long as it
/// is open, and runs the TLS handshake and the reading of headers on that thread, so a few dozen
/// idle or slow (slowloris) connections took every worker and kept every other client out. Here
/// an idle or slow connection costs a socket and a little memory, never a thread; deadlines bound
/// how long it may take to shake hands, send a head, send a body and read an answer.
///
/// Every malformed request is answered through the dispatcher (JSON error body, X-Request-Id,
/// one log line). Thread-safe: start() and stop() from one thread; openConnections() from any.
class HttpListener {
public:
    struct Options {
        int threads = 32;                          ///< Workers: requests handled at once.
        std::size_t maxQueued = 128;               ///< Complete requests waiting for a worker.
        std::size_t maxConnections = 10000;        ///< Open connections; more are closed at accept.
        int keepAliveTimeoutSeconds = 5;           ///< Idle time between requests.
        int headerTimeoutSeconds = 10;             ///< Handshake, then a whole request head.
        int requestTimeoutSeconds = 30;            ///< Longest pause while a body or answer moves.
        std::int64_t bodyBudgetBytes = 256 << 20;  ///< Request bodies held at once, all clients.
        HttpRequestParser::Limits limits;
        /// Bodies larger than this are read only for a client the gate lets in.
        std::int64_t anonymousBodyBytes = 64 * 1024;
        /// Asked with the head of a request whose body is larger than `anonymousBodyBytes`
        /// (or chunked), before any of the body is read: an error refuses the request (e.g. no
        /// valid bearer token), so nobody can make the server hold large bodies it would refuse
        /// anyway; a chunked body it refuses may still come, up to `anonymousBodyBytes`. Called
        /// on the event loop: it must be quick. Empty = every body is read.
        std::function<std::optional<shared::Error>(const ParsedRequest& head)> bodyGate;
        /// Asked with each request head (on the event loop: it must be quick): whether its body
        /// is streamed (an upload). A streamed body, once its head is admitted (bodyGate first),
        /// is written to a file in `spoolDirectory` as it arrives, never held in memory nor
        /// charged to `bodyBudgetBytes`, and bounded by `limits.maxStreamedBodyBytes` instead
        /// of `limits.maxBodyBytes`. If the connection breaks or times out mid-body, the request
        /// is still handed to a worker with the bytes that arrived (HttpExchange::bodyComplete()
        /// is false) and its answer is dropped. Empty, or no spool directory = nothing streamed.
        std::function<bool(const ParsedRequest& head)> streamBody;
        /// Where streamed bodies are written; created at start, and spool files left there by an
        /// earlier process are removed at start and stop.
        std::string spoolDirectory;
        /// Streamed bodies on disk at once, all clients: past it a new one (by its declared
        /// length) or a growing one is refused 503 `server_busy`, so many uploads at once
        /// cannot fill the disk.
        std::int64_t spoolBudgetBytes = std::int64_t{4} << 30;
    };

    /// `socket` is bound and listening; `tls` is null for plain HTTP. The dispatcher must outlive
    /// the listener.
    HttpListener(Poco::Net::ServerSocket socket, Poco::Net::Context::Ptr tls,
                 RequestDispatcher& dispatcher, Options options);
    /// Stops (with no grace) if still running.
    ~HttpListener();
    HttpListener(const HttpListener&) = delete;
    HttpListener& operator=(const HttpListener&) = delete;

    /// Starts the event loop and the workers.
    void start();

    /// Stops accepting, closes idle connections, lets requests in progress finish and their
    /// answers go out (for at most `grace`), then closes everything and joins the workers.
    void stop(std::chrono::milliseconds grace);

    /// Connections open now.
    int openConnections() const;

    /// Request body bytes held in memory now, all connections (what `bodyBudgetBytes` bounds;
    /// streamed bodies are on disk and not counted).
    std::int64_t bodyBytesInMemory() const;

private:
    class Loop;
    std::unique_ptr<Loop> _loop;
};

}  // namespace verdant::server
