#include "verdant/server/sync/DomainModule.hpp"

#include "verdant/shared/Role.hpp"

namespace verdant::server {

std::optional<shared::ValidationError> BatchRules::checkContent(const shared::Change&) {
    return std::nullopt;
}

std::optional<std::string> BatchRules::scopeOf(const shared::Change&) const {
    return std::nullopt;
}

std::optional<shared::ValidationError> BatchRules::checkStep(const shared::Change&) {
    return std::nullopt;
}

std::vector<ServerWrite> BatchRules::followUps(const sync::Store&, std::int64_t) {
    return {};
}

std::unique_ptr<BatchRules> DomainModule::batchRules(PushBatch&, const Principal&) const {
    return nullptr;
}

std::vector<ServerWrite> DomainModule::acceptedFollowUps(const sync::Store&, const shared::Change&,
                                                         std::int64_t) const {
    return {};
}

void DomainModule::addReadableScopes(const Principal&, const sync::Store&,
                                     std::set<std::string>&) const {}

void DomainModule::addWritableScopes(const Principal&, const std::set<std::string>&, PushBatch&,
                                     std::set<std::string>&) const {}

void DomainModule::mountRoutes(Router&, const ModuleServices&) {}

void DomainModule::seedDemo(const DemoTenant&, std::ostream&) const {}

DomainModules::DomainModules(std::vector<std::unique_ptr<DomainModule>> modules)
    : _modules(std::move(modules)) {
    for (const auto& module : _modules) {
        module->addCollections(_schema);
    }
}

std::vector<std::unique_ptr<BatchRules>> DomainModules::batchRules(
    PushBatch& batch, const Principal& principal) const {
    std::vector<std::unique_ptr<BatchRules>> rules;
    for (const auto& module : _modules) {
        if (auto made = module->batchRules(batch, principal)) {
            rules.push_back(std::move(made));
        }
    }
    return rules;
}

std::vector<ServerWrite> DomainModules::acceptedFollowUps(const sync::Store& after,
                                                          const shared::Change& accepted,
                                                          std::int64_t nowMs) const {
    std::vector<ServerWrite> writes;
    for (const auto& module : _modules) {
        auto more = module->acceptedFollowUps(after, accepted, nowMs);
        writes.insert(writes.end(), more.begin(), more.end());
    }
    return writes;
}

std::optional<std::set<std::string>> DomainModules::readableScopes(const Principal& principal,
                                                                   const sync::Store& store) const {
    if (shared::isHq(principal.role)) {
        return std::nullopt;
    }
    std::set<std::string> scopes;
    for (const auto& module : _modules) {
        module->addReadableScopes(principal, store, scopes);
    }
    return scopes;
}

std::optional<std::set<std::string>> DomainModules::writableScopesAmong(
    const Principal& principal, const std::set<std::string>& candidates, PushBatch& batch) const {
    if (shared::isHq(principal.role)) {
        return std::nullopt;
    }
    std::set<std::string> writable;
    for (const auto& module : _modules) {
        module->addWritableScopes(principal, candidates, batch, writable);
    }
    return writable;
}

void DomainModules::mountRoutes(Router& router, const ModuleServices& services) const {
    for (const auto& module : _modules) {
        module->mountRoutes(router, services);
    }
}

void DomainModules::seedDemo(const DemoTenant& tenant, std::ostream& out) const {
    for (const auto& module : _modules) {
        module->seedDemo(tenant, out);
    }
}

}  // namespace verdant::server
