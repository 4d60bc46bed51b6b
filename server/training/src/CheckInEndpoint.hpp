#pragma once

#include "TrainingKeyStore.hpp"

#include "verdant/server/sync/DomainModule.hpp"
#include "verdant/training/CheckInToken.hpp"
#include "verdant/training/SigningKey.hpp"

#include <Poco/JSON/Array.h>

#include <cstdint>
#include <mutex>
#include <optional>
#include <set>
#include <string>

namespace verdant::server {

class HttpExchange;

/// How long a check-in token is valid around its session: from 12 hours before it starts to 12
/// hours after it ends (a badge works on the day, early arrivals and a late check-out included,
/// and not at another session of the course a week later).
inline constexpr std::int64_t kCheckInWindowMarginMs = 12LL * 60 * 60 * 1000;

/// The training routes of the tenant's key and the check-in tokens:
///  - GET /v1/training/keys: the tenant's public key (any signed-in user);
///  - GET /v1/training/sessions/{id}/tokens: each registration's signed check-in token (HQ, and
///    the session's coordinator);
///  - GET /v1/training/sessions/{id}/badges: the same tokens as a printable HTML badge sheet, a QR
///    code and the name on each badge (same callers);
///  - POST /v1/training/sessions/{id}/certificates: a signed certificate (Certificate.hpp) for
///    each person who came, written as their `certificates` record (same callers); a person who
///    has one keeps it.
/// Both make the tenant's key on first need and publish its public key as the tenant's
/// `training_keys` record (written by the server, synced to every device) before answering, so a
/// token never exists whose key a tablet cannot receive. Thread-safe.
class CheckInEndpoint {
public:
    /// Keeps the services (they outlive the routes) and the keys under services.dataDir.
    explicit CheckInEndpoint(const ModuleServices& services);

    /// Registers the routes.
    void registerRoutes(Router& router);

private:
    void showKey(HttpExchange& exchange);
    void listTokens(HttpExchange& exchange);
    void printBadges(HttpExchange& exchange);
    void issueCertificates(HttpExchange& exchange);

    /// The session of the route's {id} (as the caller may see it) and its registrations' tokens.
    struct SessionTokens {
        std::optional<sync::Record> session;
        training::CheckInClaims claims;  ///< Without registration and name.
        std::string publicKey;
        Poco::JSON::Array::Ptr tokens;  ///< tokenEntry()s.
    };
    SessionTokens sessionTokens(HttpExchange& exchange);

    /// The tenant's key, its public half published in the tenant's store.
    training::SigningKey publishedKey(const std::string& tenantId);

    ModuleServices _services;
    TrainingKeyStore _keys;
    std::mutex _mutex;                 // guards _published
    std::set<std::string> _published;  // tenants whose key record this process has seen
};

}  // namespace verdant::server
