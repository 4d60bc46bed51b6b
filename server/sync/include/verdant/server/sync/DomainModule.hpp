#pragma once

#include "verdant/server/auth/TokenService.hpp"
#include "verdant/server/sync/PushBatch.hpp"
#include "verdant/server/sync/ServerWriter.hpp"
#include "verdant/shared/Change.hpp"
#include "verdant/shared/Clock.hpp"
#include "verdant/shared/HlcClock.hpp"
#include "verdant/shared/Id.hpp"
#include "verdant/shared/Schema.hpp"
#include "verdant/sync/Store.hpp"

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <ostream>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace verdant::server {

class AuthService;
class DomainModules;
class Router;
class TenantStores;

/// The server's limits on uploaded files (the photos module's blobs), from its configuration.
struct UploadLimits {
    std::int64_t maxBlobBytes = 32LL << 20;  ///< The largest blob (`max-blob-bytes`).
    /// A tenant's stored blobs plus its unfinished uploads (`photo-quota-bytes`).
    std::int64_t quotaBytes = 50LL << 30;
    int expiryHours = 24;  ///< An unfinished upload expires this long after its last chunk.
};

/// What a module's routes may use: the services every route of the server shares. Every
/// reference outlives the module's routes.
struct ModuleServices {
    AuthService& auth;
    TenantStores& stores;
    shared::HlcClock& hlc;          ///< For writes under the server's device (ServerWriter).
    const shared::Clock& clock;     ///< Physical time.
    shared::DeviceId serverDevice;  ///< The device id the server writes under.
    /// The server's data directory, for what a module keeps outside the stores (the training
    /// module's signing keys).
    std::string dataDir;
    UploadLimits uploads{};  ///< Limits of uploaded files.
    /// Every module the server runs: a route that serves what a user may read asks them which
    /// scopes that is (DomainModules::readableScopes), as the pull does.
    const DomainModules& modules;
};

/// A tenant the demo seeds: where its data lives, its users' ids by user name ("expert",
/// "reviewer", "coordinator", …) and the schema its store is opened with (every module's).
struct DemoTenant {
    std::string dataDir;
    std::string tenantId;
    std::map<std::string, std::string> userIds;
    const shared::Schema& schema;
};

/// One module's rules over one push batch, made by DomainModule::batchRules before the batch is
/// applied (it may read the store then, through the batch, never while the batch applies). The
/// push calls, for each change in order: checkContent() of every module; then, for a user who
/// does not hold the whole tenant, the scope check (scopeOf() names the scope of a record the
/// store cannot place); then checkStep() of every module. The first refusal quarantines the
/// change with its code. Not thread-safe; used for one batch.
class BatchRules {
public:
    virtual ~BatchRules() = default;

    /// Whether the change fits the module's rules for its content and its author's role (e.g. a
    /// checklist answer fits its template; an HQ-only field); checked for every user, HQ too.
    virtual std::optional<shared::ValidationError> checkContent(const shared::Change& change);

    /// The scope of the change's record when the store gives none (e.g. the write that would have
    /// placed it was refused), or nullopt.
    virtual std::optional<std::string> scopeOf(const shared::Change& change) const;

    /// Whether the step the change takes is allowed now (e.g. a workflow transition); checked
    /// last, and may move the module's view of a record on when it lets the change through.
    virtual std::optional<shared::ValidationError> checkStep(const shared::Change& change);

    /// The writes the server adds after the batch applied, in the same transaction (e.g. the
    /// score snapshot of an audit the batch submitted). `after` is the store with the batch in.
    virtual std::vector<ServerWrite> followUps(const sync::Store& after, std::int64_t nowMs);
};

/// One domain (audit, training, …) as the server runs it: its collections, the rules of a push,
/// the follow-up writes, the scopes a user holds, its routes and its demo data. The sync, auth and
/// HTTP code know modules only through this interface, so adding a domain adds no line there:
/// the server is given its modules (the built-in ones, or a test's) and asks each in turn.
class DomainModule {
public:
    virtual ~DomainModule() = default;

    /// A short name, e.g. "audit".
    virtual std::string_view name() const = 0;

    /// Adds the module's collections (fields and merge kinds) to the server's schema.
    virtual void addCollections(shared::Schema& schema) const = 0;

    /// The module's rules for one batch pushed by `principal`, or null when it has none.
    virtual std::unique_ptr<BatchRules> batchRules(PushBatch& batch,
                                                   const Principal& principal) const;

    /// The writes that follow HQ's acceptance of a quarantined change, applied with it (e.g. a
    /// late submission's score snapshot). `after` holds the accepted change.
    virtual std::vector<ServerWrite> acceptedFollowUps(const sync::Store& after,
                                                       const shared::Change& accepted,
                                                       std::int64_t nowMs) const;

    /// Adds the module's scopes that `principal` (who does not hold the whole tenant) reads.
    virtual void addReadableScopes(const Principal& principal, const sync::Store& store,
                                   std::set<std::string>& scopes) const;

    /// Adds those of `candidates` that `principal` (who does not hold the whole tenant) may write
    /// in, reading each scope's root through `batch`: a push costs what it names.
    virtual void addWritableScopes(const Principal& principal,
                                   const std::set<std::string>& candidates, PushBatch& batch,
                                   std::set<std::string>& writable) const;

    /// Registers the module's routes; the module keeps what serves them.
    virtual void mountRoutes(Router& router, const ModuleServices& services);

    /// Writes the module's demo records for `tenant` (once: nothing when they are there), and
    /// says what it made on `out`.
    virtual void seedDemo(const DemoTenant& tenant, std::ostream& out) const;
};

/// The modules a server runs, in order, and the schema they make together. Asks each module in
/// turn; holds no other state. Thread-safe to read once built.
class DomainModules {
public:
    /// Takes the modules and builds their schema (a collection declared twice throws, as
    /// shared::Schema::add does).
    explicit DomainModules(std::vector<std::unique_ptr<DomainModule>> modules);

    /// Every module's collections.
    const shared::Schema& schema() const noexcept { return _schema; }

    /// The modules, in order.
    const std::vector<std::unique_ptr<DomainModule>>& all() const noexcept { return _modules; }

    /// Every module's rules for one batch.
    std::vector<std::unique_ptr<BatchRules>> batchRules(PushBatch& batch,
                                                        const Principal& principal) const;

    /// Every module's writes after HQ accepted `accepted`.
    std::vector<ServerWrite> acceptedFollowUps(const sync::Store& after,
                                               const shared::Change& accepted,
                                               std::int64_t nowMs) const;

    /// The scopes `principal`'s devices receive, or nullopt for the whole tenant (HQ).
    std::optional<std::set<std::string>> readableScopes(const Principal& principal,
                                                        const sync::Store& store) const;

    /// Those of `candidates` `principal` may write in, or nullopt for all (HQ).
    std::optional<std::set<std::string>> writableScopesAmong(
        const Principal& principal, const std::set<std::string>& candidates,
        PushBatch& batch) const;

    /// Every module's routes.
    void mountRoutes(Router& router, const ModuleServices& services) const;

    /// Every module's demo records.
    void seedDemo(const DemoTenant& tenant, std::ostream& out) const;

private:
    std::vector<std::unique_ptr<DomainModule>> _modules;
    shared::Schema _schema;
};

}  // namespace verdant::server
