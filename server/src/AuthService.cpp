#include "verdant/server/AuthService.hpp"

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

}  // namespace

AuthService::AuthService(AccountStore& accounts, PasswordHasher hasher, TokenService& tokens)
    : _accounts(accounts),
      _hasher(hasher),
      _tokens(tokens),
      _dummyHash(_hasher.hash("not-a-real-password")) {}

TokenPair AuthService::login(const std::string& tenantSlug, const std::string& username,
                             const std::string& password, const std::string& givenDeviceId,
                             const std::string& deviceName) {
    const auto tenant = _accounts.tenantBySlug(tenantSlug);
    const auto user = tenant ? _accounts.userByName(tenant->id, username) : std::nullopt;
    const bool passwordOk = _hasher.verify(password, user ? user->passwordHash : _dummyHash);
    if (!user || !passwordOk || user->disabled) {
        throw Error(ErrorCode::InvalidCredentials);
    }
    // One spelling per device (iOS writes UUIDs in upper case): the canonical lower-case form
    // is what is registered, signed into the token and compared at every sync.
    std::string deviceId;
    if (!givenDeviceId.empty()) {
        const auto parsed = shared::DeviceId::parse(givenDeviceId);
        if (!parsed) {
            throw Error(ErrorCode::InvalidParameter, "'device_id' must be a UUID.");
        }
        deviceId = parsed->toString();
        try {
            _accounts.registerDevice(tenant->id, user->id, deviceId,
                                     deviceName.empty() ? "device" : deviceName);
        } catch (const Error& e) {
            if (e.code() != ErrorCode::AlreadyExists) {
                throw;
            }
            throw Error(ErrorCode::DeviceNotRegistered,
                        "This device is registered to another user.");
        }
    }
    const Principal principal{tenant->id, user->id, user->username, user->role, deviceId};
    return issuePair(principal, Poco::UUIDGenerator::defaultGenerator().createRandom().toString());
}

TokenPair AuthService::refresh(const std::string& refreshToken) {
    const auto hash = sha256Hex(refreshToken);
    const auto record = _accounts.refreshToken(hash);
    if (!record) {
        throw Error(ErrorCode::TokenInvalid);
    }
    const auto now = _tokens.nowMs();
    if (record->revoked || !_accounts.revokeRefreshToken(hash, now)) {
        _accounts.revokeFamily(record->family, now);
        throw Error(ErrorCode::TokenRevoked);
    }
    if (record->expiresAtMs <= now) {
        throw Error(ErrorCode::TokenExpired, "The refresh token has expired; sign in again.");
    }
    const auto user = _accounts.userById(record->tenantId, record->userId);
    if (!user || user->disabled) {
        _accounts.revokeFamily(record->family, now);
        throw Error(ErrorCode::TokenRevoked);
    }
    const Principal principal{user->tenantId, user->id, user->username, user->role,
                              record->deviceId};
    return issuePair(principal, record->family);
}

void AuthService::logout(const std::string& refreshToken) {
    if (const auto record = _accounts.refreshToken(sha256Hex(refreshToken))) {
        _accounts.revokeFamily(record->family, _tokens.nowMs());
    }
}

Principal AuthService::authenticate(const std::string& authorizationHeader) const {
    constexpr std::string_view kScheme = "Bearer ";
    if (authorizationHeader.size() <= kScheme.size() ||
        authorizationHeader.compare(0, kScheme.size(), kScheme) != 0) {
        throw Error(ErrorCode::Unauthenticated);
    }
    return _tokens.verify(std::string_view(authorizationHeader).substr(kScheme.size()));
}

TokenPair AuthService::issuePair(const Principal& principal, const std::string& family) {
    const auto refreshToken = newRefreshToken();
    _accounts.storeRefreshToken(sha256Hex(refreshToken),
                                {principal.tenantId, principal.userId, principal.deviceId, family,
                                 _tokens.nowMs() + kRefreshTtlSeconds * 1000, false});
    return {_tokens.issue(principal), _tokens.accessTtlSeconds(), refreshToken, principal};
}

}  // namespace verdant::server
