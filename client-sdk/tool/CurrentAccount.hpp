#pragma once

#include <optional>
#include <string>

namespace verdant::cli {

/// The account the tool works as: recorded by `verdant login` in a small file of the data
/// directory (`current-account.json`, mode 0600, no secret in it), read by every later command
/// to re-open that user's local store offline. The tokens stay in the SDK's own store.
struct CurrentAccount {
    std::string tenant;    ///< Tenant slug.
    std::string username;  ///< User name within the tenant.
    std::string server;    ///< Server URL signed in to (used when no --server is given).
    std::string caFile;    ///< CA file trusted then (absolute path; empty = system CAs).

    /// The file's path in `dataDirectory`.
    static std::string path(const std::string& dataDirectory);

    /// The account recorded in `dataDirectory`, or nullopt if there is none (never signed in).
    /// Throws shared::Error(StorageUnavailable) for an unreadable or corrupt file.
    static std::optional<CurrentAccount> load(const std::string& dataDirectory);

    /// Records this account in `dataDirectory` (which must exist), replacing the file atomically.
    /// Throws shared::Error(StorageUnavailable) when it cannot be written.
    void save(const std::string& dataDirectory) const;
};

}  // namespace verdant::cli
