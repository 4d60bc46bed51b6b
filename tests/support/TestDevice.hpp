#pragma once

#include "ServerHarness.hpp"

#include "verdant/domain/DomainSchema.hpp"
#include "verdant/shared/Clock.hpp"
#include "verdant/shared/HlcClock.hpp"
#include "verdant/shared/SyncMessages.hpp"
#include "verdant/sync/Store.hpp"

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace verdant::test {

/// A tablet for integration tests: signs in with its own device id, keeps a local replica (an
/// in-memory sync::Store with the domain schema) and an outbox, and pushes and pulls over real
/// TLS with the JSON or the binary encoding. A stand-in for the device SDK, small enough to read.
class TestDevice {
public:
    /// Signs `username` of tenant `tenant` in with a fresh device id. `clock` (which must outlive
    /// the device) is the tablet's own clock, so a test can set it wrong. The replica holds
    /// `schema` (which must outlive the device): the built-in domains' unless a test adds some.
    TestDevice(const client::ServerEndpoint& server, const std::string& tenant,
               const std::string& username, const std::string& password, const shared::Clock& clock,
               const shared::Schema& schema = domain::domainSchema());

    /// Talks to another server address from now on (a restarted server on a new port).
    void reconnect(const client::ServerEndpoint& server);

    /// The server address this device talks to.
    const client::ServerEndpoint& endpoint() const { return _endpoint; }

    /// Writes a field locally (applied to the replica, queued in the outbox) and returns the
    /// change. The base version is the field version the replica holds.
    shared::Change set(const std::string& collection, const shared::RecordId& record,
                       const std::string& field, shared::Value value);

    /// Adds an element to a string-set field locally, as set() does.
    shared::Change add(const std::string& collection, const shared::RecordId& record,
                       const std::string& field, const std::string& element);

    /// Moves a monotone state back to `state` locally (an explicit reopen), as set() does.
    shared::Change reopen(const std::string& collection, const shared::RecordId& record,
                          const std::string& field, const std::string& state);

    /// Pulls ask for at most this many changes per answer (default 200).
    void setPullLimit(std::uint32_t limit) { _pullLimit = limit; }

    /// Pushes the outbox; changes the server acknowledged (up to its high-water mark) leave it,
    /// except those refused for clock skew.
    shared::PushResponse push();

    /// Pulls until nothing more is waiting, applying pages to the replica and purging scopes the
    /// server took away. Returns every response.
    std::vector<shared::PullResponse> pull();

    /// A request with this device's access token (and `headers`, if any).
    client::HttpResponse send(const std::string& method, const std::string& path,
                              const std::string& contentType = "", const std::string& body = "",
                              std::map<std::string, std::string> headers = {});

    /// Uses the binary (cereal) encoding for push and pull instead of JSON.
    void useBinary(bool binary) { _binary = binary; }

    sync::Store& replica() { return *_replica; }
    const std::vector<shared::Change>& outbox() const { return _outbox; }
    const std::map<std::string, std::uint64_t>& cursors() const { return _cursors; }
    const shared::DeviceId& deviceId() const { return _deviceId; }
    const std::string& userId() const { return _userId; }
    const std::string& accessToken() const { return _accessToken; }

    /// Makes the next deviceSeq start after `seq` (to model a reinstall that lost its counter).
    void setNextSeq(std::uint64_t seq) { _nextSeq = seq; }

private:
    shared::Change write(shared::Change change);

    const shared::Clock& _clock;
    client::ServerEndpoint _endpoint;
    shared::DeviceId _deviceId;
    std::unique_ptr<shared::HlcClock> _hlc;
    std::unique_ptr<sync::Store> _replica;
    std::unique_ptr<client::HttpsTransport> _transport;
    std::string _accessToken;
    std::string _userId;
    std::vector<shared::Change> _outbox;
    std::map<std::string, std::uint64_t> _cursors;
    std::uint64_t _nextSeq = 1;
    bool _binary = false;
    std::uint32_t _pullLimit = 200;
};

/// Creates a tenant and users (one per given role) directly in the server's accounts, with the
/// password "<username>-password"; returns the tenant's id.
std::string seedTenant(ServerHarness& server, const std::string& slug,
                       const std::vector<std::pair<std::string, server::Role>>& users);

}  // namespace verdant::test
