#include "verdant/server/http/HttpListener.hpp"

#include "BufferedExchange.hpp"
#include "FilePart.hpp"
#include "ListenerConnection.hpp"
#include "SpoolFile.hpp"
#include "WorkerPool.hpp"

#include "verdant/server/http/RequestDispatcher.hpp"

#include <Poco/DateTimeFormat.h>
#include <Poco/DateTimeFormatter.h>
#include <Poco/Logger.h>
#include <Poco/Timestamp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include <atomic>
#include <cerrno>
#include <mutex>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string_view>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>
#include <unordered_map>
#include <vector>

namespace verdant::server {

using shared::ErrorCode;
using Clock = std::chrono::steady_clock;

using listener::Completion;
using listener::Connection;
using listener::Job;

namespace {

constexpr std::uint64_t kListenKey = 0;
constexpr std::uint64_t kWakeKey = 1;
constexpr std::size_t kReadChunk = 64 * 1024;
constexpr std::size_t kFilePiece = 128 * 1024;  ///< What a file-backed answer reads at a time.
constexpr auto kLingerTime = std::chrono::seconds(2);
constexpr std::size_t kMaxLingerBytes = 64 << 20;
constexpr auto kSweepInterval = std::chrono::milliseconds(100);
constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";

std::string httpDate() {
    return Poco::DateTimeFormatter::format(Poco::Timestamp(), Poco::DateTimeFormat::HTTP_FORMAT);
}

}  // namespace

class HttpListener::Loop {
public:
    Loop(Poco::Net::ServerSocket socket, Poco::Net::Context::Ptr tls, RequestDispatcher& dispatcher,
         Options options);
    ~Loop();

    void start();
    void stop(std::chrono::milliseconds grace);
    int openConnections() const { return _open.load(); }
    std::int64_t bodyBytesInMemory() const { return _bodyBytes.load(); }

private:
    void run();
    void acceptAll();
    void onEvent(Connection& connection, std::uint32_t events);
    void handshake(Connection& connection);
    bool answeredPlainHttp(Connection& connection);
    void readInput(Connection& connection);
    bool onParsed(Connection& connection, HttpRequestParser::Status status);
    bool admitHead(Connection& connection);
    bool chargeBody(Connection& connection);
    bool spoolBody(Connection& connection);
    void dispatch(Connection& connection);
    void dispatchBrokenBody(Connection& connection);
    void serve(std::uint64_t id, const std::shared_ptr<Job>& job, bool secure,
               const Poco::Net::SocketAddress& peer, std::int64_t reserved, bool answered);
    void refuse(Connection& connection, ErrorCode code, const std::string& message,
                const ParsedRequest* head = nullptr);
    void decorate(BufferedResponse& response, bool keepAlive) const;
    void takeCompletions();
    void writeOutput(Connection& connection);
    void afterAnswer(Connection& connection);
    void beginLinger(Connection& connection);
    void linger(Connection& connection);
    void sweep();
    void beginShutdown();
    bool busy() const;
    void close(Connection& connection);
    void setInterest(Connection& connection, std::uint32_t events);
    long receive(Connection& connection, char* buffer, std::size_t size);
    long transmit(Connection& connection, const char* data, std::size_t size);
    void wake();

    Poco::Net::ServerSocket _socket;
    Poco::Net::SocketAddress _serverAddress;
    Poco::Net::Context::Ptr _tls;
    RequestDispatcher& _dispatcher;
    Options _options;
    Poco::Net::HTTPServerParams::Ptr _params;
    std::unique_ptr<WorkerPool> _workers;
    int _epoll = -1;
    int _wake = -1;
    bool _listening = false;
    Clock::time_point _acceptPausedUntil{};
    std::unordered_map<std::uint64_t, std::unique_ptr<Connection>> _connections;
    std::uint64_t _nextId = 2;
    std::vector<char> _readBuffer = std::vector<char>(kReadChunk);
    std::atomic<int> _open{0};
    std::atomic<std::int64_t> _bodyBytes{0};
    mutable std::mutex _completionMutex;
    std::vector<Completion> _completions;
    std::atomic<bool> _stopping{false};
    Clock::time_point _graceDeadline{};
    std::thread _thread;
    Poco::Logger& _log = Poco::Logger::get("verdant.http");
};

HttpListener::Loop::Loop(Poco::Net::ServerSocket socket, Poco::Net::Context::Ptr tls,
                         RequestDispatcher& dispatcher, Options options)
    : _socket(std::move(socket)),
      _serverAddress(_socket.address()),
      _tls(std::move(tls)),
      _dispatcher(dispatcher),
      _options(options),
      _params(new Poco::Net::HTTPServerParams) {
    _params->setMaxThreads(_options.threads);
    _params->setMaxQueued(static_cast<int>(_options.maxQueued));
    _params->setKeepAliveTimeout(Poco::Timespan(_options.keepAliveTimeoutSeconds, 0));
    _params->setTimeout(Poco::Timespan(_options.requestTimeoutSeconds, 0));
    _params->setServerName("verdant");
}

HttpListener::Loop::~Loop() {
    stop(std::chrono::milliseconds(0));
    if (_epoll >= 0) {
        ::close(_epoll);
    }
    if (_wake >= 0) {
        ::close(_wake);
    }
}

void HttpListener::Loop::start() {
    if (!_options.spoolDirectory.empty()) {
        try {
            SpoolFile::prepareDirectory(_options.spoolDirectory);
        } catch (const std::runtime_error& e) {
            throw shared::Error(ErrorCode::StorageUnavailable, e.what());
        }
    }
    _epoll = epoll_create1(EPOLL_CLOEXEC);
    _wake = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (_epoll < 0 || _wake < 0) {
        throw shared::Error(ErrorCode::InternalError, "cannot create the event loop");
    }
    _socket.setBlocking(false);
    epoll_event event{};
    event.events = EPOLLIN;
    event.data.u64 = kListenKey;
    epoll_ctl(_epoll, EPOLL_CTL_ADD, _socket.impl()->sockfd(), &event);
    event.data.u64 = kWakeKey;
    epoll_ctl(_epoll, EPOLL_CTL_ADD, _wake, &event);
    _listening = true;
    _workers = std::make_unique<WorkerPool>(_options.threads, _options.maxQueued);
    _thread = std::thread([this] { run(); });
}

void HttpListener::Loop::stop(std::chrono::milliseconds grace) {
    if (!_thread.joinable()) {
        return;
    }
    _graceDeadline = Clock::now() + grace;
    _stopping = true;
    wake();
    _thread.join();
    _workers->stop();
    if (!_options.spoolDirectory.empty()) {
        try {
            SpoolFile::prepareDirectory(_options.spoolDirectory);  // nothing should be left
        } catch (const std::runtime_error& e) {
            _log.warning("spool directory not emptied: %s", std::string(e.what()));
        }
    }
}

void HttpListener::Loop::wake() {
    const std::uint64_t one = 1;
    [[maybe_unused]] const auto written = ::write(_wake, &one, sizeof one);
}

void HttpListener::Loop::run() {
    std::vector<epoll_event> events(256);
    auto nextSweep = Clock::now() + kSweepInterval;
    bool shuttingDown = false;
    for (;;) {
        const int count = epoll_wait(_epoll, events.data(), static_cast<int>(events.size()), 50);
        for (int i = 0; i < count; ++i) {
            const auto key = events[static_cast<std::size_t>(i)].data.u64;
            if (key == kListenKey) {
                acceptAll();
            } else if (key == kWakeKey) {
                std::uint64_t value = 0;
                [[maybe_unused]] const auto read = ::read(_wake, &value, sizeof value);
                takeCompletions();
            } else if (const auto found = _connections.find(key); found != _connections.end()) {
                try {
                    onEvent(*found->second, events[static_cast<std::size_t>(i)].events);
                } catch (const std::exception& e) {
                    // One connection's failure (out of memory) must not end the loop for all.
                    _log.error("closing a connection after an error: %s", std::string(e.what()));
                    if (const auto still = _connections.find(key); still != _connections.end()) {
                        close(*still->second);
                    }
                }
            }
        }
        if (Clock::now() >= nextSweep) {
            sweep();
            nextSweep = Clock::now() + kSweepInterval;
        }
        if (_stopping) {
            if (!shuttingDown) {
                beginShutdown();
                shuttingDown = true;
            }
            takeCompletions();
            if (!busy() || Clock::now() >= _graceDeadline) {
                break;
            }
        }
    }
    if (busy()) {
        _log.warning("shutdown grace period over: closing %d open connection(s)", _open.load());
    }
    while (!_connections.empty()) {
        close(*_connections.begin()->second);
    }
}

void HttpListener::Loop::acceptAll() {
    if (Clock::now() < _acceptPausedUntil) {
        return;
    }
    for (;;) {
        sockaddr_storage address{};
        socklen_t length = sizeof address;
        const int fd = accept4(_socket.impl()->sockfd(), reinterpret_cast<sockaddr*>(&address),
                               &length, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
                // Out of descriptors: stop accepting for a moment rather than spin on the socket.
                _log.warning("cannot accept a connection (out of file descriptors)");
                _acceptPausedUntil = Clock::now() + std::chrono::milliseconds(100);
                epoll_ctl(_epoll, EPOLL_CTL_DEL, _socket.impl()->sockfd(), nullptr);
                _listening = false;
            }
            return;  // EAGAIN: all accepted; other errors concern that one connection
        }
        if (_connections.size() >= _options.maxConnections) {
            ::close(fd);
            continue;
        }
        const int on = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
        const auto id = _nextId++;
        auto connection = std::make_unique<Connection>(
            id, fd, Poco::Net::SocketAddress(reinterpret_cast<sockaddr*>(&address), length),
            _options.limits, _options.spoolDirectory.empty() ? nullptr : _options.streamBody);
        connection->deadline = Clock::now() + std::chrono::seconds(_options.headerTimeoutSeconds);
        if (_tls) {
            connection->ssl = SSL_new(_tls->sslContext());
            SSL_set_fd(connection->ssl, fd);
            SSL_set_accept_state(connection->ssl);
            SSL_set_mode(connection->ssl, SSL_MODE_ENABLE_PARTIAL_WRITE |
                                              SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
                                              SSL_MODE_RELEASE_BUFFERS);
            connection->phase = Connection::Phase::Handshake;
        }
        auto& added = *connection;
        _connections.emplace(id, std::move(connection));
        ++_open;
        setInterest(added, EPOLLIN | EPOLLRDHUP);
    }
}

void HttpListener::Loop::onEvent(Connection& connection, std::uint32_t events) {
    if ((events & EPOLLERR) != 0) {
        close(connection);
        return;
    }
    switch (connection.phase) {
        case Connection::Phase::Handshake:
            handshake(connection);
            break;
        case Connection::Phase::Reading:
            readInput(connection);
            break;
        case Connection::Phase::Writing:
            writeOutput(connection);
            break;
        case Connection::Phase::Lingering:
            linger(connection);
            break;
        case Connection::Phase::Dispatched:
            // The client hung up while its request runs: nothing to wait for from it now.
            setInterest(connection, 0);
            break;
    }
}

bool HttpListener::Loop::answeredPlainHttp(Connection& connection) {
    char first = 0;
    const auto count = ::recv(connection.fd, &first, 1, MSG_PEEK);
    if (count <= 0) {
        if (count == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
            close(connection);
        }
        return true;  // nothing to look at yet, or gone
    }
    connection.firstBytesSeen = true;
    if (first < 'A' || first > 'Z') {
        return false;  // a TLS record (a ClientHello starts with 0x16)
    }
    // Plain HTTP sent to the HTTPS port (as nginx does, say so rather than hang up).
    SSL_free(connection.ssl);
    connection.ssl = nullptr;
    connection.phase = Connection::Phase::Reading;
    refuse(connection, ErrorCode::InvalidRequest,
           "This port speaks HTTPS: send the request over TLS.");
    return true;
}

void HttpListener::Loop::handshake(Connection& connection) {
    if (!connection.firstBytesSeen && answeredPlainHttp(connection)) {
        return;
    }
    ERR_clear_error();
    const int result = SSL_do_handshake(connection.ssl);
    if (result == 1) {
        connection.phase = Connection::Phase::Reading;
        setInterest(connection, EPOLLIN | EPOLLRDHUP);
        readInput(connection);
        return;
    }
    switch (SSL_get_error(connection.ssl, result)) {
        case SSL_ERROR_WANT_READ:
            setInterest(connection, EPOLLIN | EPOLLRDHUP);
            break;
        case SSL_ERROR_WANT_WRITE:
            setInterest(connection, EPOLLOUT | EPOLLRDHUP);
            break;
        default:  // not TLS, an untrusting client, a reset: nobody to answer
            close(connection);
            break;
    }
}

long HttpListener::Loop::receive(Connection& connection, char* buffer, std::size_t size) {
    if (connection.ssl == nullptr) {
        const auto count = ::recv(connection.fd, buffer, size, 0);
        if (count > 0) {
            return count;
        }
        return count < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) ? 0 : -1;
    }
    ERR_clear_error();
    std::size_t count = 0;
    if (SSL_read_ex(connection.ssl, buffer, size, &count) == 1) {
        return static_cast<long>(count);
    }
    const int error = SSL_get_error(connection.ssl, 0);
    return error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE ? 0 : -1;
}

long HttpListener::Loop::transmit(Connection& connection, const char* data, std::size_t size) {
    if (connection.ssl == nullptr) {
        const auto count = ::send(connection.fd, data, size, MSG_NOSIGNAL);
        if (count >= 0) {
            return count;
        }
        return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? 0 : -1;
    }
    ERR_clear_error();
    std::size_t count = 0;
    if (SSL_write_ex(connection.ssl, data, size, &count) == 1) {
        return static_cast<long>(count);
    }
    const int error = SSL_get_error(connection.ssl, 0);
    return error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE ? 0 : -1;
}

void HttpListener::Loop::readInput(Connection& connection) {
    for (;;) {
        const auto count = receive(connection, _readBuffer.data(), _readBuffer.size());
        if (count < 0) {
            close(connection);  // the client closed or the connection broke
            return;
        }
        if (count == 0) {
            return;  // wait for more
        }
        const auto status = connection.parser.feed(
            std::string_view(_readBuffer.data(), static_cast<std::size_t>(count)));
        if (!onParsed(connection, status)) {
            return;
        }
    }
}

bool HttpListener::Loop::onParsed(Connection& connection, HttpRequestParser::Status status) {
    if (status == HttpRequestParser::Status::Failed) {
        const auto& error = connection.parser.error();
        refuse(connection, error.code(), error.what());
        return false;
    }
    const auto now = Clock::now();
    if (connection.awaitingRequest && connection.parser.started()) {
        // The first byte of a request starts the clock for its whole head (slowloris).
        connection.awaitingRequest = false;
        connection.deadline = now + std::chrono::seconds(_options.headerTimeoutSeconds);
    }
    if (connection.parser.headComplete() && !connection.headSeen && !admitHead(connection)) {
        return false;
    }
    if (connection.headSeen &&
        !(connection.spool ? spoolBody(connection) : chargeBody(connection))) {
        return false;
    }
    if (status == HttpRequestParser::Status::Complete) {
        dispatch(connection);
        return false;
    }
    if (connection.headSeen) {
        connection.deadline = now + std::chrono::seconds(_options.requestTimeoutSeconds);
    }
    return true;
}

bool HttpListener::Loop::admitHead(Connection& connection) {
    connection.headSeen = true;
    const auto& request = connection.parser.current();
    const std::int64_t declared = connection.parser.declaredLength();
    const bool chunked = request.hasBody && declared == 0 && request.header("Transfer-Encoding");
    if ((chunked || declared > _options.anonymousBodyBytes) && _options.bodyGate) {
        if (const auto refusal = _options.bodyGate(request)) {
            if (!chunked) {
                refuse(connection, refusal->code(), refusal->what());
                return false;
            }
            connection.parser.limitBody(_options.anonymousBodyBytes);  // its size is unknown yet
        }
    }
    if (connection.parser.streaming()) {
        if (SpoolFile::bytesHeld() + declared > _options.spoolBudgetBytes) {
            refuse(connection, ErrorCode::ServerBusy,
                   "The server is receiving too many uploads at once; retry shortly.");
            return false;
        }
        // Admitted: from here on the body goes to disk as it arrives, outside the budget.
        try {
            connection.spool = SpoolFile::create(_options.spoolDirectory);
        } catch (const std::runtime_error& e) {
            _log.error("%s", std::string(e.what()));
            refuse(connection, ErrorCode::StorageUnavailable,
                   "The server cannot store the request body now; retry shortly.");
            return false;
        }
    } else if (declared > 0 && _bodyBytes.load() + declared > _options.bodyBudgetBytes) {
        refuse(connection, ErrorCode::ServerBusy,
               "The server is receiving too many request bodies at once; retry shortly.");
        return false;
    }
    connection.parser.reserveBody();
    if (request.expectContinue && request.hasBody && request.version == "HTTP/1.1") {
        // The client waits for this before it sends the body, so its socket has room for 25
        // bytes; one that does not read what it asked for is not served.
        if (transmit(connection, kContinue.data(), kContinue.size()) !=
            static_cast<long>(kContinue.size())) {
            close(connection);
            return false;
        }
    }
    return true;
}

bool HttpListener::Loop::chargeBody(Connection& connection) {
    // Charged as bytes arrive, not as declared: a client trickling a body it claims is 16 MB
    // holds what it sent, not the budget of 16 MB.
    const auto size = static_cast<std::int64_t>(connection.parser.current().body.size());
    if (size > connection.reserved) {
        _bodyBytes.fetch_add(size - connection.reserved);
        connection.reserved = size;
        if (_bodyBytes.load() > _options.bodyBudgetBytes) {
            refuse(connection, ErrorCode::ServerBusy,
                   "The server is receiving too many request bodies at once; retry shortly.");
            return false;
        }
    }
    return true;
}

bool HttpListener::Loop::spoolBody(Connection& connection) {
    if (!connection.spool->append(connection.parser.takeBodyBytes())) {
        _log.error("a request body could not be written to the spool directory");
        refuse(connection, ErrorCode::StorageUnavailable,
               "The server cannot store the request body now; retry shortly.");
        return false;
    }
    if (SpoolFile::bytesHeld() > _options.spoolBudgetBytes) {  // chunked: no length declared
        refuse(connection, ErrorCode::ServerBusy,
               "The server is receiving too many uploads at once; retry shortly.");
        return false;
    }
    return true;
}

void HttpListener::Loop::dispatch(Connection& connection) {
    auto job = std::make_shared<Job>();
    job->request = connection.parser.take();
    job->spool = std::move(connection.spool);
    if (job->spool) {
        job->spool->finish(true);
    }
    const auto reserved = connection.reserved;
    connection.reserved = 0;
    connection.headSeen = false;
    connection.phase = Connection::Phase::Dispatched;
    setInterest(connection, 0);
    const bool secure = connection.ssl != nullptr;
    const auto id = connection.id;
    const auto peer = connection.peer;
    const bool queued = _workers->trySubmit(
        [this, id, job, secure, peer, reserved] { serve(id, job, secure, peer, reserved, true); });
    if (!queued) {
        _bodyBytes.fetch_sub(reserved);
        connection.phase = Connection::Phase::Reading;
        refuse(connection, ErrorCode::ServerBusy, "Every worker is busy; retry shortly.",
               &job->request);
    }
}

void HttpListener::Loop::dispatchBrokenBody(Connection& connection) {
    // The client went away (or stalled) mid-body of a streamed request it was admitted for: the
    // handler still gets the bytes that arrived (an upload keeps them). Nobody reads its answer,
    // and the job holds no reference to the connection, which is closed now.
    auto job = std::make_shared<Job>();
    job->request = connection.parser.current();  // the head; the body bytes are in the spool
    job->spool = std::move(connection.spool);
    job->spool->finish(false);
    const bool secure = connection.ssl != nullptr;
    const auto peer = connection.peer;
    if (!_workers->trySubmit(
            [this, job, secure, peer] { serve(0, job, secure, peer, 0, false); })) {
        _log.warning("every worker is busy: the part of a body that arrived is dropped");
    }
}

void HttpListener::Loop::serve(std::uint64_t id, const std::shared_ptr<Job>& job, bool secure,
                               const Poco::Net::SocketAddress& peer, std::int64_t reserved,
                               bool answered) {
    const bool head = job->request.method == "HEAD";
    std::string bytes;
    std::unique_ptr<FilePart> file;
    bool keepAlive = false;
    try {
        BufferedResponse response;
        // The request owns the spool file from here: it is removed when the request is
        // destroyed, right after the handler returned (or threw), unless the handler took it.
        BufferedRequest request(std::move(job->request), peer, _serverAddress, secure, *_params,
                                response, std::move(job->spool));
        _dispatcher.dispatch(request, response);
        keepAlive = request.getKeepAlive() && response.getKeepAlive() && !_stopping;
        decorate(response, keepAlive);
        bytes = response.serialize(head);
        file = head ? nullptr : response.takeFilePart();
    } catch (...) {
        // The dispatcher answers every failure itself; reaching here (out of memory while
        // building the answer) must still free the connection and the budget: an empty answer
        // closes it.
        _log.error("an answer could not be built; closing the connection");
        bytes.clear();
        file.reset();
        keepAlive = false;
    }
    _bodyBytes.fetch_sub(reserved);
    if (!answered) {
        return;
    }
    {
        std::lock_guard lock(_completionMutex);
        _completions.push_back({id, std::move(bytes), keepAlive, std::move(file)});
    }
    wake();
}

void HttpListener::Loop::decorate(BufferedResponse& response, bool keepAlive) const {
    response.setKeepAlive(keepAlive);
    response.set("Server", "verdant");
    response.set("Date", httpDate());
    response.set("X-Content-Type-Options", "nosniff");
    if (_tls) {
        response.set("Strict-Transport-Security", "max-age=31536000");  // ignored over plain HTTP
    }
}

void HttpListener::Loop::refuse(Connection& connection, ErrorCode code, const std::string& message,
                                const ParsedRequest* reported) {
    const auto& partial = reported != nullptr ? *reported : connection.parser.current();
    ParsedRequest head;
    head.method = partial.method.empty() ? "-" : partial.method;
    head.target = partial.target.empty() ? "/" : partial.target;
    head.version = "HTTP/1.1";
    head.headers = partial.headers;
    BufferedResponse response;
    BufferedRequest request(std::move(head), connection.peer, _serverAddress,
                            connection.ssl != nullptr, *_params, response);
    if (code == ErrorCode::ServerBusy) {
        response.set("Retry-After", "1");
    }
    _dispatcher.refuse(request, response, code, message);
    decorate(response, false);
    _bodyBytes.fetch_sub(connection.reserved);
    connection.reserved = 0;
    connection.spool.reset();  // a refused body is not handed to anyone
    connection.out = response.serialize(false);
    connection.outSent = 0;
    connection.closeAfterWrite = true;
    connection.phase = Connection::Phase::Writing;
    writeOutput(connection);
}

void HttpListener::Loop::takeCompletions() {
    std::vector<Completion> done;
    {
        std::lock_guard lock(_completionMutex);
        done.swap(_completions);
    }
    for (auto& completion : done) {
        const auto found = _connections.find(completion.connection);
        if (found == _connections.end()) {
            continue;  // the connection was closed meanwhile
        }
        auto& connection = *found->second;
        if (completion.bytes.empty()) {
            close(connection);
            continue;
        }
        connection.out = std::move(completion.bytes);
        connection.outSent = 0;
        connection.outFile = std::move(completion.file);
        connection.closeAfterWrite = !completion.keepAlive || _stopping;
        connection.phase = Connection::Phase::Writing;
        connection.deadline = Clock::now() + std::chrono::seconds(_options.requestTimeoutSeconds);
        writeOutput(connection);
    }
}

void HttpListener::Loop::writeOutput(Connection& connection) {
    for (;;) {
        while (connection.outSent < connection.out.size()) {
            const auto count = transmit(connection, connection.out.data() + connection.outSent,
                                        connection.out.size() - connection.outSent);
            if (count < 0) {
                close(connection);
                return;
            }
            if (count == 0) {
                setInterest(connection, EPOLLOUT);
                return;
            }
            connection.outSent += static_cast<std::size_t>(count);
            connection.deadline =
                Clock::now() + std::chrono::seconds(_options.requestTimeoutSeconds);
        }
        if (!connection.outFile || connection.outFile->remaining() == 0) {
            break;
        }
        // A file-backed body: the next piece only once the last one is sent (TLS retries a
        // write with the same bytes), so a download holds one piece in memory.
        connection.out.clear();
        connection.outSent = 0;
        if (!connection.outFile->readNext(connection.out, kFilePiece)) {
            _log.error("a file being sent could not be read; closing the connection");
            close(connection);
            return;
        }
    }
    connection.outFile.reset();
    std::string().swap(connection.out);
    connection.outSent = 0;
    afterAnswer(connection);
}

void HttpListener::Loop::afterAnswer(Connection& connection) {
    if (connection.closeAfterWrite) {
        beginLinger(connection);
        return;
    }
    connection.phase = Connection::Phase::Reading;
    connection.awaitingRequest = true;
    connection.deadline = Clock::now() + std::chrono::seconds(_options.keepAliveTimeoutSeconds);
    setInterest(connection, EPOLLIN | EPOLLRDHUP);
    // Pipelined bytes may hold the next request already, and TLS may hold decrypted bytes that
    // epoll cannot see.
    if (connection.parser.started() && !onParsed(connection, connection.parser.resume())) {
        return;
    }
    readInput(connection);
}

void HttpListener::Loop::beginLinger(Connection& connection) {
    // Lingering close (as nginx does): a client still sending a body we refused gets to read the
    // answer instead of a reset. What it sends is read raw and dropped, bounded in time and bytes.
    if (connection.ssl != nullptr) {
        ERR_clear_error();
        SSL_shutdown(connection.ssl);
    }
    ::shutdown(connection.fd, SHUT_WR);
    connection.phase = Connection::Phase::Lingering;
    connection.deadline = Clock::now() + kLingerTime;
    setInterest(connection, EPOLLIN | EPOLLRDHUP);
    linger(connection);
}

void HttpListener::Loop::linger(Connection& connection) {
    for (;;) {
        const auto count = ::recv(connection.fd, _readBuffer.data(), _readBuffer.size(), 0);
        if (count > 0) {
            connection.lingered += static_cast<std::size_t>(count);
            if (connection.lingered > kMaxLingerBytes) {
                close(connection);
                return;
            }
            continue;
        }
        if (count < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
            return;
        }
        close(connection);  // the client has closed its side too
        return;
    }
}

void HttpListener::Loop::sweep() {
    const auto now = Clock::now();
    if (!_listening && !_stopping && now >= _acceptPausedUntil) {
        epoll_event event{};
        event.events = EPOLLIN;
        event.data.u64 = kListenKey;
        _listening = epoll_ctl(_epoll, EPOLL_CTL_ADD, _socket.impl()->sockfd(), &event) == 0;
    }
    std::vector<Connection*> late;
    for (auto& [id, connection] : _connections) {
        if (connection->phase != Connection::Phase::Dispatched && connection->deadline <= now) {
            late.push_back(connection.get());
        }
    }
    for (auto* connection : late) {
        if (connection->phase == Connection::Phase::Reading && connection->spool) {
            dispatchBrokenBody(*connection);
        }
        if (connection->phase == Connection::Phase::Reading && connection->parser.started()) {
            refuse(*connection, ErrorCode::RequestTimeout,
                   "The request did not arrive in time; send it again.");
        } else {
            close(*connection);  // an idle keep-alive, a stalled handshake, answer or linger
        }
    }
}

void HttpListener::Loop::beginShutdown() {
    epoll_ctl(_epoll, EPOLL_CTL_DEL, _socket.impl()->sockfd(), nullptr);
    _listening = false;
    _socket.close();
    std::vector<Connection*> idle;
    for (auto& [id, connection] : _connections) {
        if (connection->phase == Connection::Phase::Handshake ||
            connection->phase == Connection::Phase::Reading) {
            idle.push_back(connection.get());
        }
    }
    for (auto* connection : idle) {
        close(*connection);
    }
}

bool HttpListener::Loop::busy() const {
    for (const auto& [id, connection] : _connections) {
        if (connection->phase == Connection::Phase::Dispatched ||
            connection->phase == Connection::Phase::Writing) {
            return true;
        }
    }
    std::lock_guard lock(_completionMutex);
    return !_completions.empty();
}

void HttpListener::Loop::close(Connection& connection) {
    if (connection.phase == Connection::Phase::Reading && connection.spool && !_stopping) {
        try {
            dispatchBrokenBody(connection);  // broke mid-body; at shutdown nobody would serve it
        } catch (const std::exception& e) {
            _log.error("the part of a body that arrived is dropped: %s", std::string(e.what()));
        }
    }
    _bodyBytes.fetch_sub(connection.reserved);
    if (connection.interest != 0) {
        epoll_ctl(_epoll, EPOLL_CTL_DEL, connection.fd, nullptr);
    }
    --_open;
    _connections.erase(connection.id);
}

void HttpListener::Loop::setInterest(Connection& connection, std::uint32_t events) {
    if (events == connection.interest) {
        return;
    }
    epoll_event event{};
    event.events = events;
    event.data.u64 = connection.id;
    if (events == 0) {
        epoll_ctl(_epoll, EPOLL_CTL_DEL, connection.fd, nullptr);
    } else {
        epoll_ctl(_epoll, connection.interest == 0 ? EPOLL_CTL_ADD : EPOLL_CTL_MOD, connection.fd,
                  &event);
    }
    connection.interest = events;
}

HttpListener::HttpListener(Poco::Net::ServerSocket socket, Poco::Net::Context::Ptr tls,
                           RequestDispatcher& dispatcher, Options options)
    : _loop(std::make_unique<Loop>(std::move(socket), std::move(tls), dispatcher, options)) {}

HttpListener::~HttpListener() = default;

void HttpListener::start() {
    _loop->start();
}

void HttpListener::stop(std::chrono::milliseconds grace) {
    _loop->stop(grace);
}

int HttpListener::openConnections() const {
    return _loop->openConnections();
}

std::int64_t HttpListener::bodyBytesInMemory() const {
    return _loop->bodyBytesInMemory();
}

}  // namespace verdant::server
