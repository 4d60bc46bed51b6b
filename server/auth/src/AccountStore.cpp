#include "verdant/server/auth/AccountStore.hpp"

#include "verdant/shared/ErrorCode.hpp"
#include "verdant/sync/Sqlite.hpp"

#include <Poco/UUIDGenerator.h>

#include <array>
#include <chrono>

namespace verdant::server {

using shared::Error;
using shared::ErrorCode;
using sync::sqlite::Transaction;

namespace {

/// Ordered, named migration steps; step i brings the database to user_version i + 1.
constexpr std::array<std::pair<std::string_view, std::string_view>, 2> kMigrations = {{
    {"create accounts",
     R"sql(
CREATE TABLE tenants (
    id TEXT PRIMARY KEY,
    slug TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    created_at_ms INTEGER NOT NULL
);
CREATE TABLE users (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL REFERENCES tenants(id),
    username TEXT NOT NULL,
    display_name TEXT NOT NULL,
    role TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    disabled INTEGER NOT NULL DEFAULT 0,
    created_at_ms INTEGER NOT NULL,
    UNIQUE (tenant_id, username)
);
CREATE TABLE devices (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL REFERENCES tenants(id),
    user_id TEXT NOT NULL REFERENCES users(id),
    name TEXT NOT NULL,
    registered_at_ms INTEGER NOT NULL
);
CREATE TABLE refresh_tokens (
    token_hash TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    device_id TEXT NOT NULL,
    family TEXT NOT NULL,
    expires_at_ms INTEGER NOT NULL,
    revoked_at_ms INTEGER
);
CREATE INDEX refresh_tokens_by_family ON refresh_tokens (family);
)sql"},
    // A rotated token remembers the hash of the token it was rotated into (revoked_at_ms is
    // then the rotation time), so a retry after a lost answer can be told from a replay.
    {"refresh token successors",
     R"sql(
ALTER TABLE refresh_tokens ADD COLUMN successor_hash TEXT;
CREATE INDEX refresh_tokens_by_user ON refresh_tokens (user_id);
)sql"},
}};

std::int64_t nowMs() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

std::string newId() {
    return Poco::UUIDGenerator::defaultGenerator().createRandom().toString();
}

Tenant readTenant(sync::sqlite::Statement& row) {
    return {std::string(row.text(0)), std::string(row.text(1)), std::string(row.text(2))};
}

constexpr std::string_view kUserColumns =
    "id, tenant_id, username, display_name, role, password_hash, disabled";

User readUser(sync::sqlite::Statement& row) {
    User user;
    user.id = row.text(0);
    user.tenantId = row.text(1);
    user.username = row.text(2);
    user.displayName = row.text(3);
    user.role = roleFromWireName(row.text(4)).value_or(Role::FieldExpert);
    user.passwordHash = row.text(5);
    user.disabled = row.integer(6) != 0;
    return user;
}

}  // namespace

AccountStore::AccountStore(const std::string& path)
    : _db(std::make_unique<sync::sqlite::Database>(path)) {
    _db->exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;");
    const auto version = _db->queryInteger("PRAGMA user_version");
    if (version > static_cast<std::int64_t>(kMigrations.size())) {
        throw Error(ErrorCode::UnsupportedStoreVersion,
                    "accounts database '" + path + "' was written by a newer Verdant");
    }
    for (auto step = static_cast<std::size_t>(version); step < kMigrations.size(); ++step) {
        Transaction transaction(*_db);
        _db->exec(std::string(kMigrations[step].second));
        _db->exec("PRAGMA user_version = " + std::to_string(step + 1));
        transaction.commit();
    }
}

AccountStore::~AccountStore() = default;

Tenant AccountStore::createTenant(const std::string& slug, const std::string& name) {
    std::lock_guard lock(_mutex);
    {
        auto existing = _db->cached("SELECT 1 FROM tenants WHERE slug = ?1");
        existing->bind(1, slug);
        if (existing->step()) {
            throw Error(ErrorCode::AlreadyExists, "a tenant '" + slug + "' exists already");
        }
    }
    Tenant tenant{newId(), slug, name};
    auto insert =
        _db->cached("INSERT INTO tenants (id, slug, name, created_at_ms) VALUES (?1, ?2, ?3, ?4)");
    insert->bind(1, tenant.id);
    insert->bind(2, tenant.slug);
    insert->bind(3, tenant.name);
    insert->bind(4, nowMs());
    insert->run();
    return tenant;
}

std::optional<Tenant> AccountStore::tenantBySlug(std::string_view slug) {
    std::lock_guard lock(_mutex);
    auto query = _db->cached("SELECT id, slug, name FROM tenants WHERE slug = ?1");
    query->bind(1, slug);
    if (!query->step()) {
        return std::nullopt;
    }
    return readTenant(*query);
}

std::optional<Tenant> AccountStore::tenantById(std::string_view id) {
    std::lock_guard lock(_mutex);
    auto query = _db->cached("SELECT id, slug, name FROM tenants WHERE id = ?1");
    query->bind(1, id);
    if (!query->step()) {
        return std::nullopt;
    }
    return readTenant(*query);
}

std::vector<Tenant> AccountStore::tenants() {
    std::lock_guard lock(_mutex);
    auto query = _db->cached("SELECT id, slug, name FROM tenants ORDER BY slug");
    std::vector<Tenant> result;
    while (query->step()) {
        result.push_back(readTenant(*query));
    }
    return result;
}

User AccountStore::createUser(const std::string& tenantId, const std::string& username,
                              const std::string& displayName, Role role,
                              const std::string& passwordHash) {
    std::lock_guard lock(_mutex);
    auto existing = _db->cached("SELECT 1 FROM users WHERE tenant_id = ?1 AND username = ?2");
    existing->bind(1, tenantId);
    existing->bind(2, username);
    if (existing->step()) {
        throw Error(ErrorCode::AlreadyExists, "a user '" + username + "' exists already");
    }
    User user{newId(), tenantId, username, displayName, role, passwordHash, false};
    auto insert = _db->cached(
        "INSERT INTO users (id, tenant_id, username, display_name, role, password_hash, "
        "created_at_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
    insert->bind(1, user.id);
    insert->bind(2, tenantId);
    insert->bind(3, username);
    insert->bind(4, displayName);
    insert->bind(5, wireName(role));
    insert->bind(6, passwordHash);
    insert->bind(7, nowMs());
    insert->run();
    return user;
}

std::optional<User> AccountStore::userByName(std::string_view tenantId, std::string_view username) {
    std::lock_guard lock(_mutex);
    auto query = _db->cached("SELECT " + std::string(kUserColumns) +
                             " FROM users WHERE tenant_id = ?1 AND username = ?2");
    query->bind(1, tenantId);
    query->bind(2, username);
    if (!query->step()) {
        return std::nullopt;
    }
    return readUser(*query);
}

std::optional<User> AccountStore::userById(std::string_view tenantId, std::string_view userId) {
    std::lock_guard lock(_mutex);
    auto query = _db->cached("SELECT " + std::string(kUserColumns) +
                             " FROM users WHERE tenant_id = ?1 AND id = ?2");
    query->bind(1, tenantId);
    query->bind(2, userId);
    if (!query->step()) {
        return std::nullopt;
    }
    return readUser(*query);
}

std::vector<User> AccountStore::users(std::string_view tenantId) {
    std::lock_guard lock(_mutex);
    auto query = _db->cached("SELECT " + std::string(kUserColumns) +
                             " FROM users WHERE tenant_id = ?1 ORDER BY username");
    query->bind(1, tenantId);
    std::vector<User> result;
    while (query->step()) {
        result.push_back(readUser(*query));
    }
    return result;
}

void AccountStore::setUserDisabled(std::string_view tenantId, std::string_view userId,
                                   bool disabled, std::int64_t now) {
    std::lock_guard lock(_mutex);
    Transaction transaction(*_db);
    auto update = _db->cached("UPDATE users SET disabled = ?3 WHERE tenant_id = ?1 AND id = ?2");
    update->bind(1, tenantId);
    update->bind(2, userId);
    update->bind(3, std::int64_t{disabled ? 1 : 0});
    update->run();
    if (_db->changes() != 1) {
        throw Error(ErrorCode::NotFound, "no such user");
    }
    if (disabled) {
        auto revoke = _db->cached(
            "UPDATE refresh_tokens SET revoked_at_ms = ?3 "
            "WHERE user_id = ?2 AND tenant_id = ?1 AND revoked_at_ms IS NULL");
        revoke->bind(1, tenantId);
        revoke->bind(2, userId);
        revoke->bind(3, now);
        revoke->run();
    }
    transaction.commit();
}

bool AccountStore::signInActive(std::string_view tenantId, std::string_view userId,
                                std::string_view family) {
    std::lock_guard lock(_mutex);
    auto query = _db->cached(
        "SELECT disabled = 0 AND (?3 = '' OR EXISTS (SELECT 1 FROM refresh_tokens "
        "WHERE family = ?3 AND user_id = ?2 AND revoked_at_ms IS NULL)) "
        "FROM users WHERE tenant_id = ?1 AND id = ?2");
    query->bind(1, tenantId);
    query->bind(2, userId);
    query->bind(3, family);
    return query->step() && query->integer(0) != 0;
}

void AccountStore::registerDevice(const std::string& tenantId, const std::string& userId,
                                  const std::string& deviceId, const std::string& name) {
    std::lock_guard lock(_mutex);
    Transaction transaction(*_db);
    auto owner = _db->cached("SELECT tenant_id, user_id FROM devices WHERE id = ?1");
    owner->bind(1, deviceId);
    if (owner->step()) {
        if (owner->text(0) == tenantId && owner->text(1) == userId) {
            return;  // already registered to this user
        }
        throw Error(ErrorCode::AlreadyExists, "the device is registered to another user");
    }
    auto insert = _db->cached(
        "INSERT INTO devices (id, tenant_id, user_id, name, registered_at_ms) "
        "VALUES (?1, ?2, ?3, ?4, ?5)");
    insert->bind(1, deviceId);
    insert->bind(2, tenantId);
    insert->bind(3, userId);
    insert->bind(4, name);
    insert->bind(5, nowMs());
    insert->run();
    transaction.commit();
}

std::optional<std::string> AccountStore::deviceOwner(std::string_view tenantId,
                                                     std::string_view deviceId) {
    std::lock_guard lock(_mutex);
    auto query = _db->cached("SELECT user_id FROM devices WHERE tenant_id = ?1 AND id = ?2");
    query->bind(1, tenantId);
    query->bind(2, deviceId);
    if (!query->step()) {
        return std::nullopt;
    }
    return std::string(query->text(0));
}

void AccountStore::storeRefreshToken(const std::string& tokenHash,
                                     const RefreshTokenRecord& record) {
    std::lock_guard lock(_mutex);
    auto insert = _db->cached(
        "INSERT INTO refresh_tokens (token_hash, tenant_id, user_id, device_id, family, "
        "expires_at_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
    insert->bind(1, tokenHash);
    insert->bind(2, record.tenantId);
    insert->bind(3, record.userId);
    insert->bind(4, record.deviceId);
    insert->bind(5, record.family);
    insert->bind(6, record.expiresAtMs);
    insert->run();
}

std::optional<RefreshTokenRecord> AccountStore::refreshToken(std::string_view tokenHash) {
    std::lock_guard lock(_mutex);
    auto query = _db->cached(
        "SELECT tenant_id, user_id, device_id, family, expires_at_ms, revoked_at_ms "
        "FROM refresh_tokens WHERE token_hash = ?1");
    query->bind(1, tokenHash);
    if (!query->step()) {
        return std::nullopt;
    }
    return RefreshTokenRecord{std::string(query->text(0)), std::string(query->text(1)),
                              std::string(query->text(2)), std::string(query->text(3)),
                              query->integer(4),           !query->isNull(5)};
}

Rotation AccountStore::rotateRefreshToken(std::string_view tokenHash,
                                          const std::string& successorHash,
                                          const RefreshTokenRecord& successor, std::int64_t now,
                                          std::int64_t graceMs) {
    std::lock_guard lock(_mutex);
    Transaction transaction(*_db);
    std::optional<std::int64_t> rotatedAt;
    std::string previousSuccessor;
    {
        auto query = _db->cached(
            "SELECT revoked_at_ms, successor_hash FROM refresh_tokens WHERE token_hash = ?1");
        query->bind(1, tokenHash);
        if (!query->step()) {
            throw Error(ErrorCode::TokenInvalid);
        }
        if (!query->isNull(0)) {
            rotatedAt = query->integer(0);
        }
        if (!query->isNull(1)) {
            previousSuccessor = query->text(1);
        }
    }
    auto outcome = Rotation::Rotated;
    if (rotatedAt) {
        // Within the window, and only while the successor is unused: once the client has used
        // it, the client had the answer, so the old token can only be a copy.
        auto unused = _db->cached(
            "SELECT 1 FROM refresh_tokens WHERE token_hash = ?1 AND revoked_at_ms IS NULL");
        unused->bind(1, previousSuccessor);
        const bool retry =
            !previousSuccessor.empty() && now - *rotatedAt <= graceMs && unused->step();
        if (!retry) {
            auto family = _db->cached(
                "UPDATE refresh_tokens SET revoked_at_ms = ?2 "
                "WHERE family = (SELECT family FROM refresh_tokens WHERE token_hash = ?1) "
                "AND revoked_at_ms IS NULL");
            family->bind(1, tokenHash);
            family->bind(2, now);
            family->run();
            transaction.commit();
            return Rotation::Replayed;
        }
        // The lost successor stays revoked with no successor of its own: if it ever shows up,
        // it is a replay.
        auto supersede =
            _db->cached("UPDATE refresh_tokens SET revoked_at_ms = ?2 WHERE token_hash = ?1");
        supersede->bind(1, previousSuccessor);
        supersede->bind(2, now);
        supersede->run();
        outcome = Rotation::RetriedWithinGrace;
    }
    auto rotate = _db->cached(
        "UPDATE refresh_tokens SET revoked_at_ms = COALESCE(revoked_at_ms, ?2), "
        "successor_hash = ?3 WHERE token_hash = ?1");
    rotate->bind(1, tokenHash);
    rotate->bind(2, now);
    rotate->bind(3, successorHash);
    rotate->run();
    auto insert = _db->cached(
        "INSERT INTO refresh_tokens (token_hash, tenant_id, user_id, device_id, family, "
        "expires_at_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
    insert->bind(1, successorHash);
    insert->bind(2, successor.tenantId);
    insert->bind(3, successor.userId);
    insert->bind(4, successor.deviceId);
    insert->bind(5, successor.family);
    insert->bind(6, successor.expiresAtMs);
    insert->run();
    transaction.commit();
    return outcome;
}

void AccountStore::revokeFamily(std::string_view family, std::int64_t now) {
    std::lock_guard lock(_mutex);
    auto update = _db->cached(
        "UPDATE refresh_tokens SET revoked_at_ms = ?2 WHERE family = ?1 AND revoked_at_ms IS NULL");
    update->bind(1, family);
    update->bind(2, now);
    update->run();
}

}  // namespace verdant::server
