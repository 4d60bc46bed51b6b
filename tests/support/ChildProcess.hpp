#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <sys/types.h>
#include <vector>

namespace verdant::test {

/// A real child process (fork + exec), for tests about signals, crashes and restarts. Its stdout
/// and stderr go to `logFile`. Killed with SIGKILL on destruction if still running.
class ChildProcess {
public:
    ChildProcess(const std::string& program, const std::vector<std::string>& arguments,
                 const std::string& logFile);
    ~ChildProcess();
    ChildProcess(const ChildProcess&) = delete;
    ChildProcess& operator=(const ChildProcess&) = delete;

    pid_t pid() const { return _pid; }

    /// Sends a signal (SIGTERM, SIGKILL, ...).
    void signal(int number) const;

    /// Waits up to `timeout` for the process to end. Returns its exit code (128 + signal number
    /// when killed by a signal), or nullopt if it is still running.
    std::optional<int> waitFor(std::chrono::milliseconds timeout);

private:
    pid_t _pid = -1;
    std::optional<int> _exitCode;
};

/// Waits up to `timeout` for `path` to hold a port number (as written by --port-file).
std::optional<int> waitForPortFile(const std::string& path, std::chrono::milliseconds timeout);

}  // namespace verdant::test
