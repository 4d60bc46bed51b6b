#include "TestDevice.hpp"

#include "verdant/domain/DomainSchema.hpp"
#include "verdant/server/auth/AccountStore.hpp"
#include "verdant/server/auth/PasswordHasher.hpp"
#include "verdant/shared/IdGenerator.hpp"

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <set>
#include <sstream>
#include <stdexcept>

namespace verdant::test {

using shared::SyncMessageCodec;

TestDevice::TestDevice(const client::ServerEndpoint& server, const std::string& tenant,
                       const std::string& username, const std::string& password,
                       const shared::Clock& clock, const shared::Schema& schema)
    : _clock(clock), _endpoint(server), _deviceId(shared::IdGenerator(clock).nextDeviceId()) {
    // A device accepts whatever its server accepted: no drift bound on the device side.
    _hlc = std::make_unique<shared::HlcClock>(_clock, _deviceId.low64(), std::nullopt);
    sync::StoreOptions options;
    options.clock = _hlc.get();
    options.durable = false;
    _replica = std::make_unique<sync::Store>(":memory:", schema, options);
    _transport = std::make_unique<client::HttpsTransport>(server);

    Poco::JSON::Object body;
    body.set("tenant", tenant);
    body.set("username", username);
    body.set("password", password);
    body.set("device_id", _deviceId.toString());
    body.set("device_name", "test tablet");
    std::ostringstream text;
    body.stringify(text);
    const auto response =
        _transport->send("POST", "/v1/auth/login", "application/json", text.str());
    if (response.status != 200) {
        throw std::runtime_error("sign-in failed: " + response.body);
    }
    Poco::JSON::Parser parser;
    const auto tokens = parser.parse(response.body).extract<Poco::JSON::Object::Ptr>();
    _accessToken = tokens->getValue<std::string>("access_token");
    _userId = tokens->getObject("user")->getValue<std::string>("id");
}

void TestDevice::reconnect(const client::ServerEndpoint& server) {
    _endpoint = server;
    _transport = std::make_unique<client::HttpsTransport>(server);
}

shared::Change TestDevice::set(const std::string& collection, const shared::RecordId& record,
                               const std::string& field, shared::Value value) {
    shared::Change change;
    change.collection = collection;
    change.recordId = record;
    change.field = field;
    change.operation = shared::Operation::Set;
    change.value = std::move(value);
    return write(std::move(change));
}

shared::Change TestDevice::add(const std::string& collection, const shared::RecordId& record,
                               const std::string& field, const std::string& element) {
    shared::Change change;
    change.collection = collection;
    change.recordId = record;
    change.field = field;
    change.operation = shared::Operation::Add;
    change.value = shared::Value::string(element);
    return write(std::move(change));
}

shared::Change TestDevice::reopen(const std::string& collection, const shared::RecordId& record,
                                  const std::string& field, const std::string& state) {
    shared::Change change;
    change.collection = collection;
    change.recordId = record;
    change.field = field;
    change.operation = shared::Operation::Reopen;
    change.value = shared::Value::string(state);
    return write(std::move(change));
}

shared::Change TestDevice::write(shared::Change change) {
    change.hlc = _hlc->now();
    change.baseVersion = _replica->fieldVersion(change.collection, change.recordId, change.field);
    change.deviceId = _deviceId;
    change.deviceSeq = _nextSeq++;
    change.author = _userId;
    const auto result = _replica->apply(std::vector<shared::Change>{change});
    if (result.results.front().outcome == sync::ChangeOutcome::Refused) {
        throw std::runtime_error("local write refused: " + result.results.front().message);
    }
    _outbox.push_back(change);
    return change;
}

client::HttpResponse TestDevice::send(const std::string& method, const std::string& path,
                                      const std::string& contentType, const std::string& body,
                                      std::map<std::string, std::string> headers) {
    headers["Authorization"] = "Bearer " + _accessToken;
    return _transport->send(method, path, contentType, body, headers);
}

shared::PushResponse TestDevice::push() {
    const shared::PushRequest request{_deviceId, _outbox};
    const auto response =
        _binary
            ? send("POST", "/v1/sync/push", std::string(SyncMessageCodec::kBinaryContentType),
                   SyncMessageCodec::toBinary(request))
            : send("POST", "/v1/sync/push", "application/json", SyncMessageCodec::toJson(request));
    if (response.status != 200) {
        throw std::runtime_error("push failed: " + std::to_string(response.status) + " " +
                                 response.body);
    }
    auto result = _binary ? SyncMessageCodec::pushResponseFromBinary(response.body)
                          : SyncMessageCodec::pushResponseFromJson(response.body);
    // Acknowledged changes leave the outbox, except those refused for clock skew: those were
    // not kept and must be re-stamped and sent again.
    std::set<std::uint64_t> skewed;
    for (const auto& item : result.results) {
        if (item.error == shared::ErrorCode::ClockSkew) {
            skewed.insert(item.deviceSeq);
        }
    }
    std::erase_if(_outbox, [&](const shared::Change& change) {
        return change.deviceSeq <= result.highWaterMark && skewed.count(change.deviceSeq) == 0;
    });
    return result;
}

std::vector<shared::PullResponse> TestDevice::pull() {
    std::vector<shared::PullResponse> responses;
    for (int round = 0; round < 1000; ++round) {
        shared::PullRequest request;
        request.deviceId = _deviceId;
        request.cursors = _cursors;
        request.limit = _pullLimit;
        const auto http = _binary ? send("POST", "/v1/sync/pull",
                                         std::string(SyncMessageCodec::kBinaryContentType),
                                         SyncMessageCodec::toBinary(request))
                                  : send("POST", "/v1/sync/pull", "application/json",
                                         SyncMessageCodec::toJson(request));
        if (http.status != 200) {
            throw std::runtime_error("pull failed: " + std::to_string(http.status) + " " +
                                     http.body);
        }
        auto response = _binary ? SyncMessageCodec::pullResponseFromBinary(http.body)
                                : SyncMessageCodec::pullResponseFromJson(http.body);
        for (const auto& scope : response.purge) {
            _replica->purgeScope(scope);
            _cursors.erase(scope);
        }
        for (const auto& page : response.scopes) {
            std::vector<shared::Change> changes;
            for (const auto& pulled : page.changes) {
                changes.push_back(pulled.change);
            }
            if (!changes.empty()) {
                _replica->apply(changes);
            }
            _cursors[page.scope] = page.cursor;
        }
        const bool more = response.more;
        responses.push_back(std::move(response));
        if (!more) {
            return responses;
        }
    }
    throw std::runtime_error("pull did not finish in 1000 rounds");
}

std::string seedTenant(ServerHarness& server, const std::string& slug,
                       const std::vector<std::pair<std::string, server::Role>>& users) {
    auto& accounts = server.server().accounts();
    const auto tenant = accounts.createTenant(slug, slug + " buying organisation");
    const server::PasswordHasher hasher({8 * 1024, 1, 1});
    for (const auto& [username, role] : users) {
        accounts.createUser(tenant.id, username, username, role,
                            hasher.hash(username + "-password"));
    }
    return tenant.id;
}

}  // namespace verdant::test
