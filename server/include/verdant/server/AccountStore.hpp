#pragma once

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

/// What a user may do; decides scopes and permissions.
enum class Role : std::uint8_t {
    FieldExpert,          ///< Audits and coaches at suppliers' sites, on a tablet.
    TrainingCoordinator,  ///< Plans training sessions and checks people in.
    HqReviewer,           ///< Reviews, returns and approves audits; sees the whole tenant.
    TenantAdmin,          ///< Manages the tenant's users; sees the whole tenant.
};

/// "field_expert", "training_coordinator", "hq_reviewer", "tenant_admin".
std::string_view wireName(Role role) noexcept;
/// The role with that wire name, or nullopt.
std::optional<Role> roleFromWireName(std::string_view name) noexcept;

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
    /// Marks the token revoked; false if it was revoked already (a replay).
    bool revokeRefreshToken(std::string_view tokenHash, std::int64_t nowMs);
    /// Revokes every token of a family (sign-out everywhere that sign-in reached).
    void revokeFamily(std::string_view family, std::int64_t nowMs);

private:
    std::mutex _mutex;
    std::unique_ptr<sync::sqlite::Database> _db;
};

}  // namespace verdant::server
