#pragma once

#include "verdant/server/auth/TokenService.hpp"
#include "verdant/server/sync/ReadableScopeCache.hpp"
#include "verdant/shared/Id.hpp"
#include "verdant/sync/Store.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace verdant::server {

class DomainModules;

/// Which `photos` records and audits a user may read: exactly what the pull would give their
/// devices, by the scopes the domain modules declare (DomainModules::readableScopes: an expert
/// their audits, HQ and tenant admins the whole tenant, a coordinator what their module grants).
/// Remembers each user's scopes per log position, as the pull does. Thread-safe.
class PhotoReadAccess {
public:
    /// `modules` must outlive the access.
    explicit PhotoReadAccess(const DomainModules& modules);

    /// Whether `principal` may read the records of `scopeKey` (none: a record whose scope is not
    /// known, which only the whole tenant reads) in `store`.
    bool mayRead(const Principal& principal, const sync::Store& store,
                 const std::optional<std::string>& scopeKey);

private:
    const DomainModules& _modules;
    ReadableScopeCache _scopes;
};

/// The `photos` record `id` of `store` when it is stored, not deleted, and names `sha256` as its
/// bytes; nullopt otherwise.
std::optional<sync::Record> photoNaming(const sync::Store& store, const shared::RecordId& id,
                                        const std::string& sha256);

/// The visible text of `field` of `record`, or nullopt when it holds no string.
std::optional<std::string> photoText(const sync::Record& record, std::string_view field);

/// Whether `text` is a SHA-256 as blobs are named: 64 lower-case hexadecimal characters.
bool isBlobName(std::string_view text);

}  // namespace verdant::server
