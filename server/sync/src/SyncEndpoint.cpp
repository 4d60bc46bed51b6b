#include "verdant/server/sync/SyncEndpoint.hpp"

#include "verdant/server/http/QueryParameters.hpp"
#include "verdant/server/http/RequestJson.hpp"
#include "verdant/server/sync/PushGate.hpp"
#include "verdant/server/sync/RecordJson.hpp"
#include "verdant/server/sync/ScopeResolver.hpp"
#include "verdant/server/sync/ServerWriter.hpp"
#include "verdant/shared/ChangeCodec.hpp"
#include "verdant/shared/SyncMessages.hpp"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Parser.h>

#include <algorithm>
#include <map>
#include <set>

namespace verdant::server {

using shared::Error;
using shared::ErrorCode;
using shared::SyncMessageCodec;

namespace {

/// The encoding of a request body, which its answer uses too: JSON or one of the binary forms.
struct Encoding {
    bool json = false;
    shared::BinaryFormat format = shared::BinaryFormat::V1;
};

/// The encoding of a request body, from its Content-Type; a body of any other type, or of none,
/// is unsupported_media_type. Devices of every build are answered in the form they sent.
Encoding requestEncoding(const HttpExchange& exchange) {
    const auto type = exchange.header("Content-Type");
    for (const auto format : {shared::BinaryFormat::V2, shared::BinaryFormat::V1}) {
        if (hasMediaType(type, SyncMessageCodec::contentTypeOf(format))) {
            return Encoding{false, format};
        }
    }
    if (hasMediaType(type, SyncMessageCodec::kJsonContentType)) {
        return Encoding{true};
    }
    throw Error(ErrorCode::UnsupportedMediaType,
                "Send application/json, " + std::string(SyncMessageCodec::kCompactContentType) +
                    " or " + std::string(SyncMessageCodec::kBinaryContentType) +
                    " (with a Content-Type header).");
}

template <class Message>
void sendMessage(HttpExchange& exchange, Encoding encoding, const Message& message) {
    if (!encoding.json) {
        exchange.send(Poco::Net::HTTPResponse::HTTP_OK,
                      std::string(SyncMessageCodec::contentTypeOf(encoding.format)),
                      SyncMessageCodec::toBinary(message, encoding.format));
    } else {
        exchange.send(Poco::Net::HTTPResponse::HTTP_OK, "application/json; charset=utf-8",
                      SyncMessageCodec::toJson(message));
    }
}

void requireHq(const Principal& principal) {
    if (!shared::isHq(principal.role)) {
        throw Error(ErrorCode::Forbidden, "Only HQ reviewers and tenant admins may do this.");
    }
}

/// Push and pull act for one device: the token must have been issued to it.
void requireDevice(const Principal& principal, const shared::DeviceId& device) {
    if (principal.deviceId.empty()) {
        throw Error(ErrorCode::DeviceMismatch,
                    "Sign in with a device_id to sync; this token belongs to no device.");
    }
    if (principal.deviceId != device.toString()) {
        throw Error(ErrorCode::DeviceMismatch,
                    "The request names another device than the one this sign-in belongs to.");
    }
}

/// Reads and decodes a push or pull body in its encoding, and checks that it speaks for the
/// device the token was issued to.
template <class Request>
Request readSyncRequest(HttpExchange& exchange, Encoding encoding, const Principal& principal,
                        Request (*fromBinary)(std::string_view, shared::BinaryFormat),
                        Request (*fromJson)(std::string_view)) {
    const auto body = exchange.readBody();
    auto request = encoding.json ? fromJson(body) : fromBinary(body, encoding.format);
    requireDevice(principal, request.deviceId);
    return request;
}

Poco::JSON::Object::Ptr changeJson(const shared::Change& change) {
    Poco::JSON::Parser parser;
    return parser.parse(shared::ChangeCodec::toJson(change)).extract<Poco::JSON::Object::Ptr>();
}

/// The open conflict addressed by the route's {collection}/{record}/{field}, or not_found.
sync::Conflict findConflict(const sync::Store& store, const HttpExchange& exchange) {
    const auto& parameters = exchange.pathParameters();
    const auto record = shared::RecordId::parse(parameters.at("record"));
    if (record) {
        for (auto& conflict : store.openConflicts()) {
            if (conflict.collection == parameters.at("collection") &&
                conflict.recordId == *record && conflict.field == parameters.at("field")) {
                return conflict;
            }
        }
    }
    throw Error(ErrorCode::NotFound, "There is no open conflict on that field.");
}

/// GET /v1/quarantine's page size when none is asked for, and the largest it serves.
constexpr std::int64_t kDefaultQuarantinePage = 100;
constexpr std::int64_t kMaxQuarantinePage = 1000;

/// The longest scope name a pull may carry (scope keys are "collection:uuid", far shorter):
/// the purge list echoes unknown scopes back, so a client must not name huge ones.
constexpr std::size_t kMaxScopeBytes = 256;

/// A device sequence number written in a path or cursor: 1 to 2^63-1 in decimal digits, no
/// sign, spaces or trailing characters (std::stoull would read "1abc" as 1); nullopt otherwise.
std::optional<std::uint64_t> deviceSeqFrom(const std::string& text) {
    const bool digits =
        !text.empty() && text.size() <= 19 &&
        std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
    if (!digits) {
        return std::nullopt;
    }
    const auto value = std::stoull(text);
    if (value == 0 || value > static_cast<std::uint64_t>(INT64_MAX)) {
        return std::nullopt;
    }
    return value;
}

/// The `next` cursor after `entry`: "<device id>:<device seq>" (opaque to clients).
std::string quarantineCursorOf(const sync::QuarantinedChange& entry) {
    return entry.change.deviceId.toString() + ":" + std::to_string(entry.change.deviceSeq);
}

/// The position a cursor of quarantineCursorOf() names; throws InvalidParameter otherwise.
sync::QuarantinePosition quarantineCursorFrom(const std::string& cursor) {
    const auto colon = cursor.find(':');
    const auto device = shared::DeviceId::parse(cursor.substr(0, colon));
    const auto seq = deviceSeqFrom(colon == std::string::npos ? "" : cursor.substr(colon + 1));
    if (!device || !seq) {
        throw Error(ErrorCode::InvalidParameter,
                    "'after' must be the 'next' cursor of an earlier quarantine page.");
    }
    return sync::QuarantinePosition{*device, *seq};
}

/// One quarantine entry as GET /v1/quarantine lists it.
Poco::JSON::Object quarantineJson(const sync::QuarantinedChange& entry) {
    Poco::JSON::Object item;
    item.set("device_id", entry.change.deviceId.toString());
    item.set("device_seq", entry.change.deviceSeq);
    item.set("code", std::string(shared::wireName(entry.code)));
    item.set("message", entry.message);
    item.set("change", changeJson(entry.change));
    item.set("truncated", entry.truncated);
    if (entry.truncated && !entry.valueSha256.empty()) {
        item.set("value_bytes", entry.valueBytes);
        item.set("value_sha256", entry.valueSha256);
    }
    if (entry.decision) {
        item.set("decision", std::string(sync::wireName(*entry.decision)));
        item.set("decided_by", entry.decidedBy);
        item.set("decided_at", entry.decidedAtMs);
    } else {
        item.set("decision", Poco::Dynamic::Var());
    }
    return item;
}

}  // namespace

SyncEndpoint::SyncEndpoint(const DomainModules& modules, AuthService& auth, TenantStores& stores,
                           Metrics& metrics, shared::HlcClock& hlc, const shared::Clock& clock,
                           shared::DeviceId serverDevice, Limits limits)
    : _modules(modules),
      _auth(auth),
      _stores(stores),
      _metrics(metrics),
      _hlc(hlc),
      _clock(clock),
      _serverDevice(serverDevice),
      _limits(limits) {}

void SyncEndpoint::registerRoutes(Router& router) {
    router.add("POST", "/v1/sync/push", [this](HttpExchange& e) { push(e); });
    router.add("POST", "/v1/sync/pull", [this](HttpExchange& e) { pull(e); });
    router.add("GET", "/v1/conflicts", [this](HttpExchange& e) { listConflicts(e); });
    router.add("GET", "/v1/conflicts/{collection}/{record}/{field}",
               [this](HttpExchange& e) { showConflict(e); });
    router.add("POST", "/v1/conflicts/{collection}/{record}/{field}/resolve",
               [this](HttpExchange& e) { resolveConflict(e); });
    router.add("GET", "/v1/quarantine", [this](HttpExchange& e) { listQuarantine(e); });
    router.add("POST", "/v1/quarantine/{device}/{seq}/accept", [this](HttpExchange& e) {
        decideQuarantined(e, sync::QuarantineDecision::Accepted);
    });
    router.add("POST", "/v1/quarantine/{device}/{seq}/discard", [this](HttpExchange& e) {
        decideQuarantined(e, sync::QuarantineDecision::Discarded);
    });
}

void SyncEndpoint::push(HttpExchange& exchange) {
    const auto principal = _auth.authenticate(exchange.header("Authorization"));
    const auto encoding = requestEncoding(exchange);
    const auto request = readSyncRequest<shared::PushRequest>(
        exchange, encoding, principal, SyncMessageCodec::pushRequestFromBinary,
        SyncMessageCodec::pushRequestFromJson);
    if (request.changes.size() > _limits.maxPushChanges) {
        throw Error(ErrorCode::BatchTooLarge, "A push may carry at most " +
                                                  std::to_string(_limits.maxPushChanges) +
                                                  " changes; split the batch.");
    }
    for (std::size_t i = 0; i < request.changes.size(); ++i) {
        const auto& change = request.changes[i];
        if (change.deviceId != request.deviceId) {
            throw Error(ErrorCode::DeviceMismatch,
                        "Change " + std::to_string(i) + " was made on another device.");
        }
        if (change.author != principal.userId) {
            throw Error(ErrorCode::DeviceMismatch,
                        "Change " + std::to_string(i) + " names another author than you.");
        }
    }

    shared::PushResponse response;
    _stores.with(principal.tenantId, [&](sync::Store& store) {
        // Read before applying: the gate runs inside the store's transaction.
        PushGate checks(_modules, store, request.changes, principal);
        const sync::ChangeGate gate = [&](const shared::Change& change,
                                          const std::optional<std::string>& scope) {
            return checks.check(change, scope);
        };
        // The modules' follow-up writes (e.g. a submission's score snapshot) commit with the
        // batch (Store::FollowUp).
        const auto applied = store.apply(request.changes, gate, [&](const sync::Store& after) {
            return ServerWriter(_hlc, _serverDevice)
                .prepare(after, "server", checks.followUps(after, _clock.nowMs()));
        });
        for (std::size_t i = 0; i < applied.results.size(); ++i) {
            const auto& result = applied.results[i];
            response.results.push_back({request.changes[i].deviceSeq,
                                        std::string(sync::wireName(result.outcome)), result.error,
                                        result.message, result.serverSeq});
            _metrics.recordPushedChanges(std::string(sync::wireName(result.outcome)), 1);
        }
        response.highWaterMark = store.highWaterMark(request.deviceId);
    });
    sendMessage(exchange, encoding, response);
}

namespace {

/// One scope's page: up to `budget` changes after `after` (more when the last position's group
/// runs on), its cursor, and its checksum when it brings the scope up to date.
shared::ScopePage scopePage(const sync::Store& store, const std::string& scope, std::uint64_t after,
                            std::size_t budget, std::uint64_t last) {
    shared::ScopePage page;
    page.scope = scope;
    const bool tenant = scope == ScopeResolver::kTenantScope;
    auto changes = tenant ? store.changesSince(after, budget + 1)
                          : store.changesSince(after, budget + 1, {scope});
    // Cut only where the position changes: changes of a record that joined its scope late
    // share one position, and a cut inside that group would lose the rest. Whether more is
    // waiting is known from the extra row fetched, before any cut.
    page.more = changes.size() > budget;
    std::size_t count = std::min(budget, changes.size());
    while (count > 0 && count < changes.size() &&
           changes[count].serverSeq == changes[count - 1].serverSeq) {
        ++count;
    }
    changes.resize(count);
    for (auto& logged : changes) {
        page.changes.push_back({logged.serverSeq, std::move(logged.change)});
    }
    page.cursor = page.more ? (page.changes.empty() ? after : page.changes.back().serverSeq) : last;
    return page;
}

}  // namespace

void SyncEndpoint::pull(HttpExchange& exchange) {
    const auto principal = _auth.authenticate(exchange.header("Authorization"));
    const auto encoding = requestEncoding(exchange);
    const auto request = readSyncRequest<shared::PullRequest>(
        exchange, encoding, principal, SyncMessageCodec::pullRequestFromBinary,
        SyncMessageCodec::pullRequestFromJson);
    shared::PullResponse response;
    _stores.read(principal.tenantId, [&](const sync::Store& store) {
        pullScopes(store, principal, request, response);
    });
    response.serverTimeMs = _clock.nowMs();
    sendMessage(exchange, encoding, response);
}

void SyncEndpoint::pullScopes(const sync::Store& store, const Principal& principal,
                              const shared::PullRequest& request, shared::PullResponse& response) {
    const auto last = store.lastServerSeq();
    const auto readable = _readableScopes.get(
        principal, last, [&] { return _modules.readableScopes(principal, store); });
    const std::set<std::string> tenantOnly{ScopeResolver::kTenantScope};
    const std::set<std::string>& scopes = *readable ? **readable : tenantOnly;
    bool allAtEnd = true;
    for (const auto& [scope, cursor] : request.cursors) {
        if (scope.size() > kMaxScopeBytes) {
            throw Error(ErrorCode::InvalidCursor, "A scope is named by at most " +
                                                      std::to_string(kMaxScopeBytes) + " bytes ('" +
                                                      shared::quotedInput(scope) + "').");
        }
        if (cursor > last) {
            throw Error(ErrorCode::InvalidCursor,
                        "The cursor of scope '" + shared::quotedInput(scope) +
                            "' is ahead of this server; pull that scope again from 0.");
        }
        if (scopes.count(scope) == 0) {
            response.purge.push_back(scope);
        }
        allAtEnd = allAtEnd && cursor == last;
    }
    // Caught up: the device holds exactly the scopes it may read (none to purge, none new), each
    // at the log's end, and wants no repair. Nothing can be after its cursors, so no scope needs
    // a look in the store: the answer is empty, whatever the number of scopes.
    if (allAtEnd && response.purge.empty() && request.repair.empty() &&
        request.cursors.size() == scopes.size()) {
        _metrics.setDeviceLag(principal.tenantId, principal.deviceId, 0);
        return;
    }
    std::size_t budget = std::clamp<std::uint32_t>(request.limit, 1, _limits.maxPullChanges);
    std::uint64_t oldestCursor = last;
    for (const auto& scope : scopes) {
        const auto cursor = request.cursors.find(scope);
        const bool snapshot =
            cursor == request.cursors.end() ||
            std::find(request.repair.begin(), request.repair.end(), scope) != request.repair.end();
        const std::uint64_t after = snapshot ? 0 : cursor->second;
        // A scope costs one lookup unless it has something after its cursor: one already
        // current is left out, one with news but no budget left waits for the next round.
        const auto feedEnd =
            scope == ScopeResolver::kTenantScope ? last : store.scopeFeedEnd(scope);
        if (!snapshot && (feedEnd <= after || budget == 0)) {
            if (feedEnd > after) {
                response.more = true;
                oldestCursor = std::min(oldestCursor, after);
            } else if (after != last) {
                shared::ScopePage current;
                current.scope = scope;
                current.cursor = last;
                response.scopes.push_back(std::move(current));
            }
            continue;
        }
        if (snapshot && budget == 0 && feedEnd > 0) {
            // Taken whole from the next round on: the device starts the scope's cursor at 0.
            shared::ScopePage start;
            start.scope = scope;
            start.snapshot = true;
            start.more = true;
            response.more = true;
            oldestCursor = 0;
            response.scopes.push_back(std::move(start));
            continue;
        }
        auto page = scopePage(store, scope, after, budget, last);
        page.snapshot = snapshot;
        budget -= std::min(budget, page.changes.size());
        // Only a page that changed the device's copy needs checking: a caught-up scope that got
        // nothing was checked when it last changed.
        if (!page.more && (page.snapshot || !page.changes.empty())) {
            page.checksum = scope == ScopeResolver::kTenantScope ? store.checksum()
                                                                 : store.scopeChecksum(scope);
        }
        response.more = response.more || page.more;
        oldestCursor = std::min(oldestCursor, page.cursor);
        _metrics.recordPulledChanges(page.changes.size());
        response.scopes.push_back(std::move(page));
    }
    _metrics.setDeviceLag(principal.tenantId, principal.deviceId, last - oldestCursor);
}

void SyncEndpoint::listConflicts(HttpExchange& exchange) {
    const auto principal = _auth.authenticate(exchange.header("Authorization"));
    requireHq(principal);
    Poco::JSON::Array conflicts;
    _stores.read(principal.tenantId, [&](const sync::Store& store) {
        for (const auto& conflict : store.openConflicts()) {
            conflicts.add(conflictJson(conflict));
        }
    });
    Poco::JSON::Object body;
    body.set("conflicts", conflicts);
    exchange.sendJson(Poco::Net::HTTPResponse::HTTP_OK, body);
}

void SyncEndpoint::showConflict(HttpExchange& exchange) {
    const auto principal = _auth.authenticate(exchange.header("Authorization"));
    requireHq(principal);
    Poco::JSON::Object body;
    _stores.read(principal.tenantId, [&](const sync::Store& store) {
        const auto conflict = findConflict(store, exchange);
        body.set("conflict", conflictJson(conflict));
        Poco::JSON::Array history;
        for (const auto& logged :
             store.fieldHistory(conflict.collection, conflict.recordId, conflict.field)) {
            auto item = changeJson(logged.change);
            item->set("server_seq", logged.serverSeq);
            item->set("outcome", std::string(sync::wireName(logged.outcome)));
            history.add(item);
        }
        body.set("history", history);
    });
    exchange.sendJson(Poco::Net::HTTPResponse::HTTP_OK, body);
}

void SyncEndpoint::resolveConflict(HttpExchange& exchange) {
    const auto principal = _auth.authenticate(exchange.header("Authorization"));
    requireHq(principal);
    const RequestJson request(exchange.readJsonObject(HttpExchange::kSmallJsonBytes), {"choose"});
    const auto choice = request.integer("choose", 0, 1000);
    Poco::JSON::Object body;
    _stores.with(principal.tenantId, [&](sync::Store& store) {
        const auto conflict = findConflict(store, exchange);
        if (static_cast<std::size_t>(choice) >= conflict.candidates.size()) {
            throw Error(ErrorCode::InvalidParameter,
                        "'choose' must name one of the " +
                            std::to_string(conflict.candidates.size()) + " candidates (from 0).");
        }
        // The resolution is an ordinary change whose base (the field's version) covers every
        // candidate, so it clears the conflict on every replica it reaches; it is written under
        // the server's device.
        const auto& value = conflict.candidates[static_cast<std::size_t>(choice)].value;
        const auto positions =
            ServerWriter(_hlc, _serverDevice)
                .apply(store, principal.userId,
                       {ServerWrite{conflict.collection, conflict.recordId, conflict.field,
                                    shared::Operation::Set, value}});
        body.set("resolved", true);
        body.set("value", taggedJson(value));
        body.set("server_seq", positions.front());
    });
    exchange.sendJson(Poco::Net::HTTPResponse::HTTP_OK, body);
}

void SyncEndpoint::listQuarantine(HttpExchange& exchange) {
    const auto principal = _auth.authenticate(exchange.header("Authorization"));
    const QueryParameters query(exchange, {"limit", "after", "device"});
    const auto limit = static_cast<std::size_t>(
        query.integer("limit", 1, kMaxQuarantinePage).value_or(kDefaultQuarantinePage));
    std::optional<shared::DeviceId> device;
    if (const auto named = query.text("device")) {
        device = shared::DeviceId::parse(*named);
        if (!device) {
            throw Error(ErrorCode::InvalidParameter, "'device' must be a device id (a UUID).");
        }
    }
    if (!shared::isHq(principal.role)) {
        // A device user sees their own device's entries only.
        const auto own = shared::DeviceId::parse(principal.deviceId);
        if (device && device != own) {
            throw Error(ErrorCode::Forbidden, "You may list your own device's quarantine only.");
        }
        device = own;
        if (!device) {
            throw Error(ErrorCode::DeviceMismatch,
                        "Sign in with a device_id to see your device's quarantine.");
        }
    }
    sync::QuarantinePosition after;
    if (const auto cursor = query.text("after")) {
        after = quarantineCursorFrom(*cursor);
        if (device && after.device != *device) {
            throw Error(ErrorCode::InvalidParameter,
                        "'after' is a cursor of another device's entries.");
        }
    }
    Poco::JSON::Array items;
    Poco::Dynamic::Var next;
    _stores.read(principal.tenantId, [&](const sync::Store& store) {
        // One more than asked for: whether more is waiting, without counting the quarantine.
        auto page = store.quarantinePage(after, limit + 1, device);
        if (page.size() > limit) {
            page.resize(limit);
            next = quarantineCursorOf(page.back());
        }
        for (const auto& entry : page) {
            items.add(quarantineJson(entry));
        }
    });
    Poco::JSON::Object body;
    body.set("quarantine", items);
    body.set("next", next);
    exchange.sendJson(Poco::Net::HTTPResponse::HTTP_OK, body);
}

void SyncEndpoint::decideQuarantined(HttpExchange& exchange, sync::QuarantineDecision decision) {
    const auto principal = _auth.authenticate(exchange.header("Authorization"));
    requireHq(principal);
    const auto& parameters = exchange.pathParameters();
    const auto device = shared::DeviceId::parse(parameters.at("device"));
    const auto parsedSeq = deviceSeqFrom(parameters.at("seq"));
    if (!device || !parsedSeq) {
        throw Error(ErrorCode::InvalidParameter,
                    "Name a quarantined change by its device id (a UUID) and device sequence.");
    }
    const std::uint64_t seq = *parsedSeq;
    Poco::JSON::Object body;
    _stores.with(principal.tenantId, [&](sync::Store& store) {
        const auto entry = store.quarantined(*device, seq);
        if (!entry) {
            throw Error(ErrorCode::NotFound, "There is no quarantined change " +
                                                 std::to_string(seq) + " of that device.");
        }
        std::vector<shared::Change> writes;
        const auto& change = entry->change;
        const bool applies =
            decision == sync::QuarantineDecision::Accepted && !entry->decision && !entry->truncated;
        if (applies) {
            // Applied as written, now, on HQ's authority: under the server's device (the
            // author's own sequence was used up by the refusal) and in the author's name.
            writes = ServerWriter(_hlc, _serverDevice)
                         .prepare(store, change.author,
                                  {ServerWrite{change.collection, change.recordId, change.field,
                                               change.operation, change.value}});
        }
        // The store records the decision in the transaction that applies the writes, and
        // refuses a second decision and the acceptance of a change it kept only in part.
        const auto applied = store.decideQuarantined(
            *device, seq, decision, principal.userId, _clock.nowMs(), writes,
            [&](const sync::Store& after) {
                // What follows an accepted change follows it however late it comes (e.g. a
                // submission is scored like one that arrived by push).
                return applies
                           ? ServerWriter(_hlc, _serverDevice)
                                 .prepare(after, "server",
                                          _modules.acceptedFollowUps(after, change, _clock.nowMs()))
                           : std::vector<shared::Change>{};
            });
        if (!applied.results.empty()) {
            body.set("server_seq", applied.results.front().serverSeq.value_or(0));
        }
        body.set("decision", std::string(sync::wireName(decision)));
    });
    exchange.sendJson(Poco::Net::HTTPResponse::HTTP_OK, body);
}

}  // namespace verdant::server
