#pragma once

#include <string>

namespace verdant::server {

/// The server's storage backend, behind one interface so that no handler knows which database it
/// talks to. SQLite is the embedded default; PostgreSQL is planned for several server nodes.
///
/// Implementations must be safe to call from all worker threads at once.
class Storage {
public:
    virtual ~Storage() = default;

    /// A short name of the backend, e.g. "sqlite", reported by `/v1/health`.
    virtual std::string backendName() const = 0;

    /// Whether the backend answers a trivial query right now. Never throws.
    virtual bool isHealthy() noexcept = 0;

    /// Flushes and closes the backend; later calls to `isHealthy` return false.
    virtual void close() noexcept = 0;
};

}  // namespace verdant::server
