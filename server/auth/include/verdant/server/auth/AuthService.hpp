#pragma once

#include "verdant/server/auth/AccountStore.hpp"
#include "verdant/server/auth/PasswordHasher.hpp"
#include "verdant/server/auth/SignInThrottle.hpp"
#include "verdant/server/auth/TokenService.hpp"

#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
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
/// ends both sessions rather than silently keeping one. One exception keeps a lost answer from
/// signing a device out: within kRefreshGraceSeconds of its rotation, a token whose successor was
/// never used may be presented again (see refresh()).
///
/// Sign-ins are throttled per account (SignInThrottle); access tokens stop working as soon as
/// their sign-in ends (signed out, replay detected, user disabled), not only when they expire.
/// Every sign-in, refresh and sign-out goes to the SecurityLog.
///
/// Thread-safe (the store and services it uses are).
class AuthService {
public:
    /// Refresh tokens live this long.
    static constexpr std::int64_t kRefreshTtlSeconds = 30LL * 24 * 3600;
    /// How long after a rotation the rotated token may be presented again, as the retry of a
    /// refresh whose answer was lost.
    static constexpr std::int64_t kRefreshGraceSeconds = 60;
    /// How long authenticate() trusts its last look at a sign-in in the accounts database. Ends
    /// decided by this server act at once; a user disabled by `verdant-server admin` (another
    /// process) is refused within this time.
    static constexpr std::int64_t kSignInRecheckMs = 2000;

    /// All references must outlive the service. `throttle` sets the sign-in throttle's policy.
    AuthService(AccountStore& accounts, PasswordHasher hasher, TokenService& tokens,
                SignInThrottle::Policy throttle = {});

    /// Signs a user in, binding `deviceId` (a UUID) to the user when given. Throws
    /// shared::Error: InvalidCredentials for an unknown tenant or user, a wrong password or a
    /// disabled user (one code for all, so the answer does not tell which); SignInThrottled
    /// (TooManyAttempts) while the account is locked after repeated failures, checked before the
    /// password is hashed; InvalidParameter for a device id that is not a UUID;
    /// DeviceNotRegistered for a device bound to another user.
    TokenPair login(const std::string& tenantSlug, const std::string& username,
                    const std::string& password, const std::string& deviceId,
                    const std::string& deviceName);

    /// Exchanges a refresh token for a new pair (the old token stops working). A token rotated
    /// at most kRefreshGraceSeconds ago whose successor was never used gives a new pair again
    /// and revokes the unused successor: at most one refresh token of a sign-in is ever live.
    /// Throws shared::Error: TokenInvalid (unknown), TokenExpired, TokenRevoked (used before
    /// outside the grace window, signed out, or the user was disabled).
    TokenPair refresh(const std::string& refreshToken);

    /// Revokes the refresh token's whole family, and with it the access tokens issued for that
    /// sign-in. Unknown tokens are ignored (sign-out is idempotent).
    void logout(const std::string& refreshToken);

    /// The principal of an `Authorization` header value ("Bearer <jwt>"). Throws shared::Error:
    /// Unauthenticated when the header is missing or not a bearer token; TokenRevoked when the
    /// token's sign-in has ended or its user is disabled; as TokenService::verify otherwise.
    Principal authenticate(const std::string& authorizationHeader) const;

private:
    TokenPair pairFor(const Principal& principal, std::string refreshToken) const;
    bool signInActive(const Principal& principal) const;
    void forgetSignIn(const std::string& family) const;

    AccountStore& _accounts;
    PasswordHasher _hasher;
    TokenService& _tokens;
    SignInThrottle _throttle;
    std::string _dummyHash;  ///< Verified against for unknown users, to keep timing uniform.
    /// Sign-ins found active, by "family\ntenant\nuser", with the time of the look.
    mutable std::mutex _activeMutex;
    mutable std::atomic<std::uint64_t> _forgotten{0};  ///< Sign-ins forgotten so far.
    mutable std::map<std::string, std::int64_t> _activeSignIns;
};

}  // namespace verdant::server
