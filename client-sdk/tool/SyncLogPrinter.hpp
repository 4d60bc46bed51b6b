#pragma once

#include "verdant/client/Client.hpp"

#include <mutex>
#include <ostream>

namespace verdant::cli {

/// Prints the SDK's log entries (--verbose) as one line each, e.g.
/// `verdant: info push.acknowledged: The server acknowledged 3 of 3 changes. (changes=3
/// bytes=1204 ms=12)`: level, stable event name, message, then the numbers that are set.
/// Thread-safe: the SDK may log from the thread fetching the next pull page.
class SyncLogPrinter {
public:
    /// Prints to `out` (stderr: stdout stays for the command's output and --json).
    explicit SyncLogPrinter(std::ostream& out) : _out(out) {}

    /// Prints one entry (the ClientOptions::log callback).
    void print(const client::LogEntry& entry);

private:
    std::ostream& _out;
    std::mutex _mutex;
};

}  // namespace verdant::cli
