#pragma once

#include "verdant/server/AccountStore.hpp"
#include "verdant/server/PasswordHasher.hpp"
#include "verdant/server/TokenService.hpp"

#include <cstdint>
#include <string>

namespace verdant::server {

/// What a successful sign-in or refresh hands the client.
struct TokenPair {
    std::string accessToken;        ///< JWT for `Authorization: Bearer`.
    std::int64_t expiresInSeconds;  ///< Lifetime of the access token.
    std::string refreshToken;       ///< Opaque; exchange it for a new pair before it expires.
    Principal principal;            ///< Who signed in.
};

/// Sign-in, token refresh with rotation, sign-out, and request authentication.
///
/// Refresh tokens are random 256-bit strings stored only as SHA-256 hashes, valid 30 days, and
/// rotated at every use. Presenting a refresh token that was already used or revoked revokes its
/// whole family (every token descended from that sign-in): a stolen token that races its owner
/// ends both sessions rather than silently keeping one.
///
/// Thread-safe (the store and services it uses are).
class AuthService {
public:
    /// Refresh tokens live this long.
    static constexpr std::int64_t kRefreshTtlSeconds = 30LL * 24 * 3600;

    /// All references must outlive the service.
    AuthService(AccountStore& accounts, PasswordHasher hasher, TokenService& tokens);

    /// Signs a user in, binding `deviceId` (a UUID) to the user when given. Throws
    /// shared::Error: InvalidCredentials for an unknown tenant or user, a wrong password or a
    /// disabled user (one code for all, so the answer does not tell which); InvalidParameter for a
    /// device id that is not a UUID; DeviceNotRegistered for a device bound to another user.
    TokenPair login(const std::string& tenantSlug, const std::string& username,
                    const std::string& password, const std::string& deviceId,
                    const std::string& deviceName);

    /// Exchanges a refresh token for a new pair (the old token stops working). Throws
    /// shared::Error: TokenInvalid (unknown), TokenExpired, TokenRevoked (used before, signed out,
    /// or the user was disabled).
    TokenPair refresh(const std::string& refreshToken);

    /// Revokes the refresh token's whole family. Unknown tokens are ignored (sign-out is
    /// idempotent).
    void logout(const std::string& refreshToken);

    /// The principal of an `Authorization` header value ("Bearer <jwt>"). Throws shared::Error:
    /// Unauthenticated when the header is missing or not a bearer token, and as
    /// TokenService::verify otherwise.
    Principal authenticate(const std::string& authorizationHeader) const;

private:
    TokenPair issuePair(const Principal& principal, const std::string& family);

    AccountStore& _accounts;
    PasswordHasher _hasher;
    TokenService& _tokens;
    std::string _dummyHash;  ///< Verified against for unknown users, to keep timing uniform.
};

}  // namespace verdant::server
