#pragma once

#include "verdant/shared/Role.hpp"

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace verdant::sync::sqlite {
class Database;
}

namespace verdant::server {

/// What a user may do (shared with the tablet, which runs the same role rules at the write).
using shared::Role;
using shared::roleFromWireName;
using shared::wireName;

/// A buying organisation; all of its data is invisible to every other tenant.
struct Tenant {
    std::string id;    ///< Opaque, stable (UUID).
    std::string slug;  ///< Short name people type at sign-in, e.g. "demo".
    std::string name;  ///< Display name.
};

/// A person who signs in.
struct User {
    std::string id;
    std::string tenantId;
    std::string username;
    std::string displayName;
    Role role = Role::FieldExpert;
    std::string passwordHash;  ///< PHC string (Argon2id); never leaves the server.
    bool disabled = false;
};

/// A stored refresh token (the token itself is kept only as its SHA-256).
struct RefreshTokenRecord {
    std::string tenantId;
    std::string userId;
    std::string deviceId;  ///< Empty when signed in without a device.
    std::string family;    ///< All tokens rotated from one sign-in share a family.
    std::int64_t expiresAtMs = 0;
    bool revoked = false;
};

/// What presenting a refresh token for rotation did (AccountStore::rotateRefreshToken).
enum class Rotation : std::uint8_t {
    Rotated,  ///< The token was live: it is used now, and the successor is stored.
    /// The token was rotated moments ago and its successor never used: the answer carrying the
    /// successor was lost. The unused successor is revoked and the new one takes its place.
    RetriedWithinGrace,
    /// Used or revoked before, and not a retry within the grace window: a stolen copy is in
    /// play. The whole family is revoked.
    Replayed,
};

/// Tenants, users, devices and refresh tokens, in their own SQLite database (accounts.db) beside
/// the tenants' sync stores.
///
/// Every lookup of a user or device takes the tenant id, so no call can cross tenants.
/// Thread-safe: one connection behind a mutex (sign-ins are rare next to sync traffic).
/// Errors: AlreadyExists for a duplicate slug, user name or device; StorageUnavailable for
/// storage failures.
class AccountStore {
public:
    /// Opens (creating and migrating if needed) the database at `path` (":memory:" for tests).
    explicit AccountStore(const std::string& path);
    ~AccountStore();
    AccountStore(const AccountStore&) = delete;
    AccountStore& operator=(const AccountStore&) = delete;

    /// Creates a tenant with a fresh id.
    Tenant createTenant(const std::string& slug, const std::string& name);
    std::optional<Tenant> tenantBySlug(std::string_view slug);
    std::optional<Tenant> tenantById(std::string_view id);
    /// All tenants by slug.
    std::vector<Tenant> tenants();

    /// Creates a user in a tenant with a fresh id; `passwordHash` from PasswordHasher.
    User createUser(const std::string& tenantId, const std::string& username,
                    const std::string& displayName, Role role, const std::string& passwordHash);
    std::optional<User> userByName(std::string_view tenantId, std::string_view username);
    std::optional<User> userById(std::string_view tenantId, std::string_view userId);
    /// The users of a tenant by user name.
    std::vector<User> users(std::string_view tenantId);
    /// Disables (or enables again) a user. Disabling also revokes every refresh token of the
    /// user, so each of the user's sign-ins ends. NotFound when there is no such user.
    void setUserDisabled(std::string_view tenantId, std::string_view userId, bool disabled,
                         std::int64_t nowMs);
    /// Whether a sign-in may still act: the user exists and is enabled, and (when `family` is not
    /// empty) the family still holds a token that is not revoked (neither signed out nor ended by
    /// a replay).
    bool signInActive(std::string_view tenantId, std::string_view userId, std::string_view family);

    /// Binds a device id to a user. Registering a device again for the same user is a no-op;
    /// for another user it is AlreadyExists.
    void registerDevice(const std::string& tenantId, const std::string& userId,
                        const std::string& deviceId, const std::string& name);
    /// The user a device is bound to in a tenant, or nullopt.
    std::optional<std::string> deviceOwner(std::string_view tenantId, std::string_view deviceId);

    /// Stores a refresh token by its hash.
    void storeRefreshToken(const std::string& tokenHash, const RefreshTokenRecord& record);
    /// The refresh token with that hash, or nullopt.
    std::optional<RefreshTokenRecord> refreshToken(std::string_view tokenHash);
    /// Rotates the token with hash `tokenHash` into `successor` (stored under `successorHash`),
    /// in one transaction: see Rotation. A token rotated at most `graceMs` ago whose successor
    /// was never used may be presented again (RetriedWithinGrace); the window runs from the first
    /// rotation, so retries cannot stretch it. The token must exist.
    Rotation rotateRefreshToken(std::string_view tokenHash, const std::string& successorHash,
                                const RefreshTokenRecord& successor, std::int64_t nowMs,
                                std::int64_t graceMs);
    /// Revokes every token of a family (sign-out everywhere that sign-in reached).
    void revokeFamily(std::string_view family, std::int64_t nowMs);

private:
    std::mutex _mutex;
    std::unique_ptr<sync::sqlite::Database> _db;
};

}  // namespace verdant::server
