#pragma once

#include "ChildProcess.hpp"

#include "verdant/client/HttpsTransport.hpp"

#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace verdant::test {

/// A real verdant-server process on a data directory that outlives it: started on a free port of
/// 127.0.0.1 with the test certificates, SIGKILLed and started again on the same data (on a new
/// port; endpoint() tells clients where it is now). Thread-safe: a fault thread may kill and
/// restart it while clients read endpoint(). Killed on destruction if still running.
class ServerProcess {
public:
    /// `directory` holds `data/` (the server's data directory) and the server's log file.
    /// `extraFlags` are added to every start (e.g. "--access-token-ttl=10").
    ServerProcess(std::string binary, std::string directory, std::vector<std::string> extraFlags);
    ~ServerProcess();
    ServerProcess(const ServerProcess&) = delete;
    ServerProcess& operator=(const ServerProcess&) = delete;

    /// The server's data directory (seed accounts here before the first start).
    std::string dataDir() const;

    /// Starts the server and waits until it listens. Throws std::runtime_error with the log's
    /// tail if it does not within 30 s.
    void start();

    /// SIGKILLs the server (no clean shutdown) and waits for it to die.
    void kill();

    /// SIGTERMs the server and waits for its clean exit; returns its exit code (or -1 if it
    /// did not end within 30 s, after which it is SIGKILLed).
    int stop();

    /// Whether a server process was started and not killed or stopped since.
    bool running() const;

    /// Where the server listens now (the last start's port), with the test CA to trust.
    client::ServerEndpoint endpoint() const;

    /// How many times start() has succeeded.
    int starts() const;

    /// The server's log (every start appends to it).
    std::string log() const;

private:
    std::string _binary;
    std::string _directory;
    std::vector<std::string> _extraFlags;
    mutable std::mutex _mutex;
    std::unique_ptr<ChildProcess> _process;
    client::ServerEndpoint _endpoint;
    int _starts = 0;
};

}  // namespace verdant::test
