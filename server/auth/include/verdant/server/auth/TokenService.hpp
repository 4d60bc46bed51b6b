#pragma once

#include "verdant/server/auth/AccountStore.hpp"
#include "verdant/shared/Clock.hpp"

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

namespace verdant::server {

/// Who is making a request, as proven by an access token.
struct Principal {
    std::string tenantId;
    std::string userId;
    std::string username;
    Role role = Role::FieldExpert;
    std::string deviceId;  ///< Empty when the token was issued without a device.
    /// The sign-in the token belongs to (the refresh-token family, claim `sid`): signing out or
    /// a detected replay ends it, and with it the access tokens issued for it. Empty in tokens
    /// issued before the claim existed.
    std::string signInId;
};

/// Issues and verifies access tokens: JWTs signed with HS256 under a server key, carrying the
/// tenant, user, role and device. Only HS256 is accepted, so `alg: none` and algorithm-confusion
/// tokens are refused. Short-lived (15 minutes by default); AuthService refuses the access tokens
/// of an ended sign-in before they run out.
///
/// Thread-safe after construction.
class TokenService {
public:
    /// `signingKey` is the HMAC secret (at least 32 bytes); `clock` (which must outlive the
    /// service) decides issue and expiry times; `accessTtlSeconds` is an access token's lifetime.
    TokenService(std::string signingKey, const shared::Clock& clock,
                 std::int64_t accessTtlSeconds = 900);

    /// The signing key kept in `dataDir`/token-signing.key (mode 0600), created with 32 random
    /// bytes on first use. Throws shared::Error(StorageUnavailable) if it cannot be read or made.
    static std::string loadOrCreateSigningKey(const std::string& dataDir);

    /// A signed access token for the principal.
    std::string issue(const Principal& principal) const;

    /// The principal of a valid token. Throws shared::Error: TokenExpired for an expired token,
    /// TokenInvalid for anything else that is wrong (bad signature or algorithm, malformed or
    /// extra segments, missing claims, another issuer). Whether the sign-in is still live is
    /// AuthService's check, not this one's.
    Principal verify(std::string_view token) const;

    /// Seconds an access token lives.
    std::int64_t accessTtlSeconds() const { return _accessTtlSeconds; }

    /// The current time of the service's clock, in milliseconds.
    std::int64_t nowMs() const { return _clock.nowMs(); }

    /// The clock the service reads.
    const shared::Clock& clock() const { return _clock; }

private:
    std::string _signingKey;
    const shared::Clock& _clock;
    std::int64_t _accessTtlSeconds;
};

}  // namespace verdant::server
