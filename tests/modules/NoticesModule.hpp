#pragma once

#include "verdant/server/sync/DomainModule.hpp"

#include <memory>

namespace verdant::test {

/// A tiny domain module that exists to prove the walk-through of docs/architecture.md: site
/// notices that HQ posts and every device of the tenant receives. It brings everything a module
/// can, from this one folder, and is registered without a line of the sync, auth or HTTP code:
///  - a collection, `notices` (title, body, expires_at; posted_at written by the server);
///  - a rule: a notice needs a title (`invalid_change` otherwise);
///  - a follow-up write: the server stamps `posted_at` on a new notice, in the push's transaction;
///  - a scope rule: every user reads every notice; only HQ (the whole tenant) writes them;
///  - a route: `GET /v1/notices`, the tenant's notices for any signed-in user.
class NoticesModule final : public server::DomainModule {
public:
    static constexpr const char* kNotices = "notices";

    NoticesModule();
    ~NoticesModule() override;

    std::string_view name() const override { return "notices"; }
    void addCollections(shared::Schema& schema) const override;
    std::unique_ptr<server::BatchRules> batchRules(
        server::PushBatch& batch, const server::Principal& principal) const override;
    void addReadableScopes(const server::Principal& principal, const sync::Store& store,
                           std::set<std::string>& scopes) const override;
    void mountRoutes(server::Router& router, const server::ModuleServices& services) override;

private:
    class Routes;
    std::unique_ptr<Routes> _routes;
};

/// The built-in modules and the notices module, for a test server (SyncServer::Seams::modules).
std::vector<std::unique_ptr<server::DomainModule>> modulesWithNotices();

/// The schema of those modules, for a test device's replica.
const shared::Schema& schemaWithNotices();

}  // namespace verdant::test
