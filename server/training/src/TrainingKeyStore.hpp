#pragma once

#include "verdant/training/SigningKey.hpp"

#include <map>
#include <mutex>
#include <string>

namespace verdant::server {

/// The tenants' Ed25519 training keys (they sign check-in tokens), kept by the server alone: one
/// file per tenant, `<data directory>/training-keys/<tenant id>.key`, holding the base64url of
/// the 32 private bytes, readable by the server's user only (0600, in a 0700 folder).
///
/// A file in the data directory rather than a table of the accounts database: the key must never
/// reach a replica or a backup of the synced stores, it sits beside the server's other secret
/// (the access-token key) and its device id, and it needs no migration of a database other
/// rooms own. Backing up the data directory backs it up; losing it means new keys (and badges).
///
/// A key is made on first need and kept for good: keyOf() returns the same key across restarts.
/// Thread-safe: keys are cached in memory, and the first use of a tenant's key makes it once.
class TrainingKeyStore {
public:
    /// Keeps the keys under `dataDir`, which must exist.
    explicit TrainingKeyStore(std::string dataDir);

    /// The tenant's signing key, made and written on first need. Throws
    /// shared::Error(InvalidParameter) for a tenant id that is not a UUID,
    /// shared::Error(StorageUnavailable) when the file cannot be written, and
    /// shared::Error(InternalError) when a stored file is damaged (never replaced silently:
    /// badges signed with it exist).
    training::SigningKey keyOf(const std::string& tenantId);

private:
    training::SigningKey loadOrCreate(const std::string& tenantId);

    std::string _folder;
    std::mutex _mutex;
    std::map<std::string, training::SigningKey> _keys;
};

}  // namespace verdant::server
