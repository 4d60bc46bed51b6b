#include "verdant/server/auth/AuthService.hpp"

#include "verdant/server/auth/SecurityLog.hpp"
#include "verdant/shared/ErrorCode.hpp"
#include "verdant/shared/Id.hpp"

#include <Poco/SHA2Engine.h>
#include <Poco/UUIDGenerator.h>
#include <openssl/rand.h>

#include <array>

namespace verdant::server {

using shared::Error;
using shared::ErrorCode;

namespace {

std::string sha256Hex(const std::string& text) {
    Poco::SHA2Engine engine(Poco::SHA2Engine::SHA_256);
    engine.update(text);
    return Poco::DigestEngine::digestToHex(engine.digest());
}

std::string newRefreshToken() {
    std::array<unsigned char, 32> bytes{};
    if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) {
        throw Error(ErrorCode::InternalError, "no randomness for a token");
    }
    return Poco::DigestEngine::digestToHex(Poco::DigestEngine::Digest(bytes.begin(), bytes.end()));
}

/// authenticate() remembers at most this many active sign-ins.
constexpr std::size_t kMaxRememberedSignIns = 10000;

}  // namespace

AuthService::AuthService(AccountStore& accounts, PasswordHasher hasher, TokenService& tokens,
                         SignInThrottle::Policy throttle)
    : _accounts(accounts),
      _hasher(hasher),
      _tokens(tokens),
      _throttle(tokens.clock(), throttle),
      _dummyHash(_hasher.hash("not-a-real-password")) {}

TokenPair AuthService::login(const std::string& tenantSlug, const std::string& username,
                             const std::string& password, const std::string& givenDeviceId,
                             const std::string& deviceName) {
    SecurityLog::Subject who{tenantSlug, username, {}, givenDeviceId};
    // Before any lookup or hash: a locked account costs the server nothing, known or not.
    auto attempt = [&] {
        try {
            return _throttle.begin(tenantSlug, username);
        } catch (const SignInThrottled& e) {
            SecurityLog::warning("sign_in_throttled", who,
                                 "retry_after=" + std::to_string(e.retryAfterSeconds()));
            throw;
        }
    }();
    const auto tenant = _accounts.tenantBySlug(tenantSlug);
    const auto user = tenant ? _accounts.userByName(tenant->id, username) : std::nullopt;
    const bool passwordOk = _hasher.verify(password, user ? user->passwordHash : _dummyHash);
    if (user) {
        who.userId = user->id;
    }
    if (!user || !passwordOk || user->disabled) {
        attempt.failed();
        SecurityLog::warning("sign_in_failed", who,
                             !user         ? "unknown account"
                             : !passwordOk ? "wrong password"
                                           : "user disabled");
        throw Error(ErrorCode::InvalidCredentials);
    }
    attempt.succeeded();
    // One spelling per device (iOS writes UUIDs in upper case): the canonical lower-case form
    // is what is registered, signed into the token and compared at every sync.
    std::string deviceId;
    if (!givenDeviceId.empty()) {
        const auto parsed = shared::DeviceId::parse(givenDeviceId);
        if (!parsed) {
            throw Error(ErrorCode::InvalidParameter, "'device_id' must be a UUID.");
        }
        deviceId = parsed->toString();
        who.deviceId = deviceId;
        try {
            _accounts.registerDevice(tenant->id, user->id, deviceId,
                                     deviceName.empty() ? "device" : deviceName);
        } catch (const Error& e) {
            if (e.code() != ErrorCode::AlreadyExists) {
                throw;
            }
            SecurityLog::warning("sign_in_refused", who, "device registered to another user");
            throw Error(ErrorCode::DeviceNotRegistered,
                        "This device is registered to another user.");
        }
    }
    const Principal principal{
        tenant->id, user->id, user->username,
        user->role, deviceId, Poco::UUIDGenerator::defaultGenerator().createRandom().toString()};
    auto refreshToken = newRefreshToken();
    _accounts.storeRefreshToken(
        sha256Hex(refreshToken),
        {principal.tenantId, principal.userId, principal.deviceId, principal.signInId,
         _tokens.nowMs() + kRefreshTtlSeconds * 1000, false});
    SecurityLog::notice("sign_in", who);
    return pairFor(principal, std::move(refreshToken));
}

TokenPair AuthService::refresh(const std::string& refreshToken) {
    const auto hash = sha256Hex(refreshToken);
    const auto record = _accounts.refreshToken(hash);
    if (!record) {
        SecurityLog::warning("refresh_refused", {}, "unknown refresh token");
        throw Error(ErrorCode::TokenInvalid);
    }
    const SecurityLog::Subject who{record->tenantId, {}, record->userId, record->deviceId};
    const auto now = _tokens.nowMs();
    if (!record->revoked && record->expiresAtMs <= now) {
        SecurityLog::notice("refresh_refused", who, "expired");
        throw Error(ErrorCode::TokenExpired, "The refresh token has expired; sign in again.");
    }
    const auto user = _accounts.userById(record->tenantId, record->userId);
    if (!user || user->disabled) {
        _accounts.revokeFamily(record->family, now);
        forgetSignIn(record->family);
        SecurityLog::warning("refresh_refused", who, "user disabled");
        throw Error(ErrorCode::TokenRevoked);
    }
    // Each use extends the sign-in: the successor lives 30 days from now.
    auto successor = newRefreshToken();
    const RefreshTokenRecord successorRecord{record->tenantId,
                                             record->userId,
                                             record->deviceId,
                                             record->family,
                                             now + kRefreshTtlSeconds * 1000,
                                             false};
    const auto rotation = _accounts.rotateRefreshToken(hash, sha256Hex(successor), successorRecord,
                                                       now, kRefreshGraceSeconds * 1000);
    if (rotation == Rotation::Replayed) {
        forgetSignIn(record->family);
        SecurityLog::warning("refresh_replayed", who, "sign-in revoked");
        throw Error(ErrorCode::TokenRevoked);
    }
    SecurityLog::notice(rotation == Rotation::Rotated ? "refresh" : "refresh_retried", who);
    const Principal principal{user->tenantId, user->id,         user->username,
                              user->role,     record->deviceId, record->family};
    return pairFor(principal, std::move(successor));
}

void AuthService::logout(const std::string& refreshToken) {
    if (const auto record = _accounts.refreshToken(sha256Hex(refreshToken))) {
        _accounts.revokeFamily(record->family, _tokens.nowMs());
        forgetSignIn(record->family);
        SecurityLog::notice("sign_out", {record->tenantId, {}, record->userId, record->deviceId});
    }
}

Principal AuthService::authenticate(const std::string& authorizationHeader) const {
    constexpr std::string_view kScheme = "Bearer ";
    if (authorizationHeader.size() <= kScheme.size() ||
        authorizationHeader.compare(0, kScheme.size(), kScheme) != 0) {
        throw Error(ErrorCode::Unauthenticated);
    }
    auto principal = _tokens.verify(std::string_view(authorizationHeader).substr(kScheme.size()));
    if (!signInActive(principal)) {
        throw Error(ErrorCode::TokenRevoked,
                    "This sign-in has ended (signed out, or the user is disabled); sign in again.");
    }
    return principal;
}

TokenPair AuthService::pairFor(const Principal& principal, std::string refreshToken) const {
    return {_tokens.issue(principal), _tokens.accessTtlSeconds(), std::move(refreshToken),
            principal};
}

bool AuthService::signInActive(const Principal& principal) const {
    const auto key = principal.signInId + '\n' + principal.tenantId + '\n' + principal.userId;
    const auto now = _tokens.nowMs();
    {
        std::lock_guard lock(_activeMutex);
        const auto found = _activeSignIns.find(key);
        if (found != _activeSignIns.end() && now - found->second < kSignInRecheckMs &&
            now >= found->second) {
            return true;
        }
    }
    // A sign-out between the look-up below and remembering its answer must not be undone by it:
    // the answer is remembered only if no sign-in was forgotten meanwhile.
    const auto generation = _forgotten.load();
    // Tokens issued before the `sid` claim existed carry no sign-in: only the user is checked.
    if (!_accounts.signInActive(principal.tenantId, principal.userId, principal.signInId)) {
        return false;
    }
    std::lock_guard lock(_activeMutex);
    if (_forgotten.load() != generation) {
        return true;  // true when looked up, not remembered
    }
    if (_activeSignIns.size() >= kMaxRememberedSignIns) {
        _activeSignIns.clear();  // a bound, not a policy: the next looks refill it
    }
    _activeSignIns[key] = now;
    return true;
}

void AuthService::forgetSignIn(const std::string& family) const {
    const auto prefix = family + '\n';
    std::lock_guard lock(_activeMutex);
    ++_forgotten;
    auto it = _activeSignIns.lower_bound(prefix);
    while (it != _activeSignIns.end() && it->first.compare(0, prefix.size(), prefix) == 0) {
        it = _activeSignIns.erase(it);
    }
}

}  // namespace verdant::server
