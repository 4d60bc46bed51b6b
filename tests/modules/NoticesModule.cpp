#include "NoticesModule.hpp"

#include "verdant/server/app/BuiltInModules.hpp"
#include "verdant/server/auth/AuthService.hpp"
#include "verdant/server/http/Router.hpp"
#include "verdant/server/storage/TenantStores.hpp"
#include "verdant/server/sync/RecordJson.hpp"
#include "verdant/shared/FieldSpecs.hpp"

#include <Poco/JSON/Array.h>

namespace verdant::test {

namespace {

/// A notice needs a title; the server stamps new notices with their posting time.
class NoticeRules final : public server::BatchRules {
public:
    std::optional<shared::ValidationError> checkContent(const shared::Change& change) override {
        if (change.collection != NoticesModule::kNotices) {
            return std::nullopt;
        }
        _touched.insert(change.recordId);
        if (change.field == "title" && (change.value.kind() != shared::ValueKind::String ||
                                        change.value.as<std::string>().empty())) {
            return shared::ValidationError{shared::ErrorCode::InvalidChange,
                                           "A notice needs a title."};
        }
        return std::nullopt;
    }

    std::vector<server::ServerWrite> followUps(const sync::Store& after,
                                               std::int64_t nowMs) override {
        std::vector<server::ServerWrite> writes;
        for (const auto& id : _touched) {
            const auto notice = after.record(NoticesModule::kNotices, id);
            if (notice && notice->fields.count("posted_at") == 0) {
                writes.push_back({NoticesModule::kNotices, id, "posted_at", shared::Operation::Set,
                                  shared::Value::timestamp(nowMs)});
            }
        }
        return writes;
    }

private:
    std::set<shared::RecordId> _touched;
};

}  // namespace

/// GET /v1/notices: the tenant's notices, for any signed-in user.
class NoticesModule::Routes {
public:
    explicit Routes(const server::ModuleServices& services) : _services(services) {}

    void list(server::HttpExchange& exchange) const {
        const auto principal = _services.auth.authenticate(exchange.header("Authorization"));
        Poco::JSON::Array notices;
        _services.stores.read(principal.tenantId, [&](const sync::Store& store) {
            for (const auto& id : store.recordIds(kNotices)) {
                const auto notice = store.record(kNotices, id);
                Poco::JSON::Object item;
                item.set("id", id.toString());
                for (const char* field : {"title", "posted_at"}) {
                    const auto found = notice->fields.find(field);
                    if (found != notice->fields.end()) {
                        item.set(field, server::plainJson(found->second.value));
                    }
                }
                notices.add(item);
            }
        });
        Poco::JSON::Object body;
        body.set("notices", notices);
        exchange.sendJson(Poco::Net::HTTPResponse::HTTP_OK, body);
    }

private:
    server::ModuleServices _services;
};

NoticesModule::NoticesModule() = default;
NoticesModule::~NoticesModule() = default;

void NoticesModule::addCollections(shared::Schema& schema) const {
    using shared::specs::field;
    using F = shared::FieldType;
    using M = shared::MergeKind;
    schema.add(
        shared::CollectionSpec(kNotices, {
                                             field("title", F::String, M::LastWriterWins),
                                             field("body", F::String, M::LastWriterWins),
                                             field("expires_at", F::Timestamp, M::LastWriterWins),
                                             field("posted_at", F::Timestamp, M::Min),
                                         }));
}

std::unique_ptr<server::BatchRules> NoticesModule::batchRules(server::PushBatch&,
                                                              const server::Principal&) const {
    return std::make_unique<NoticeRules>();
}

void NoticesModule::addReadableScopes(const server::Principal&, const sync::Store& store,
                                      std::set<std::string>& scopes) const {
    for (const auto& id : store.recordIds(kNotices)) {
        scopes.insert(shared::scopeKey(kNotices, id));
    }
}

void NoticesModule::mountRoutes(server::Router& router, const server::ModuleServices& services) {
    _routes = std::make_unique<Routes>(services);
    router.add("GET", "/v1/notices", [this](server::HttpExchange& e) { _routes->list(e); });
}

std::vector<std::unique_ptr<server::DomainModule>> modulesWithNotices() {
    auto modules = server::builtInModules();
    modules.push_back(std::make_unique<NoticesModule>());
    return modules;
}

const shared::Schema& schemaWithNotices() {
    static const server::DomainModules kModules(modulesWithNotices());
    return kModules.schema();
}

}  // namespace verdant::test
