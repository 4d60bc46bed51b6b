#pragma once

#include "verdant/server/auth/AuthService.hpp"
#include "verdant/server/http/Metrics.hpp"
#include "verdant/server/http/Router.hpp"
#include "verdant/server/storage/TenantStores.hpp"
#include "verdant/server/sync/DomainModule.hpp"
#include "verdant/server/sync/ReadableScopeCache.hpp"
#include "verdant/server/sync/ServerWriter.hpp"
#include "verdant/shared/Clock.hpp"
#include "verdant/shared/HlcClock.hpp"
#include "verdant/shared/Id.hpp"
#include "verdant/shared/SyncMessages.hpp"

#include <cstddef>
#include <set>

namespace verdant::server {

/// The sync routes (all need a bearer token; push and pull need a token bound to the device):
///  - `POST /v1/sync/push`  a device's batch → per-change outcome and its high-water mark.
///    Exactly once: the store skips (device, seq) pairs it holds. Changes outside the user's
///    writable scopes are quarantined with `not_in_scope`, never dropped, and reported back;
///    changes the modules' rules refuse (PushGate) with the module's code. The modules'
///    follow-up writes (e.g. an audit's score snapshot) commit with the batch.
///  - `POST /v1/sync/pull`  per-scope cursors → per-scope pages (snapshots for new scopes),
///    purges for scopes taken away, a checksum per caught-up scope, and `more` when paged.
///  - `GET  /v1/conflicts`, `GET /v1/conflicts/{collection}/{record}/{field}` and
///    `POST .../resolve` (HQ reviewer, tenant admin): open conflicts, their candidates and
///    history; a resolution is a change written by the server's own device that syncs to all.
///  - `GET  /v1/quarantine`  refused changes with reasons and HQ's decision: a device user sees
///    their device's, HQ and admins the whole tenant's.
///  - `POST /v1/quarantine/{device}/{seq}/accept | discard` (HQ): accept applies the refused
///    change as written, in its author's name under the server's device; discard records that it
///    is dropped. Either way the entry stays, with who decided and when.
/// JSON and cereal binary bodies, chosen by Content-Type (see docs/protocol.md).
class SyncEndpoint {
public:
    /// Limits of one request.
    struct Limits {
        std::size_t maxPushChanges = 5000;    ///< More is `batch_too_large` (413).
        std::uint32_t maxPullChanges = 5000;  ///< A pull's limit is capped to this.
    };

    /// Every reference must outlive the endpoint. `serverDevice` is the device id under which the
    /// server writes resolutions.
    SyncEndpoint(const DomainModules& modules, AuthService& auth, TenantStores& stores,
                 Metrics& metrics, shared::HlcClock& hlc, const shared::Clock& clock,
                 shared::DeviceId serverDevice, Limits limits);

    /// Registers the routes.
    void registerRoutes(Router& router);

private:
    void push(HttpExchange& exchange);
    void pull(HttpExchange& exchange);
    void pullScopes(const sync::Store& store, const Principal& principal,
                    const shared::PullRequest& request, shared::PullResponse& response);
    void listConflicts(HttpExchange& exchange);
    void showConflict(HttpExchange& exchange);
    void resolveConflict(HttpExchange& exchange);
    void listQuarantine(HttpExchange& exchange);
    void decideQuarantined(HttpExchange& exchange, sync::QuarantineDecision decision);

    const DomainModules& _modules;
    AuthService& _auth;
    TenantStores& _stores;
    Metrics& _metrics;
    shared::HlcClock& _hlc;
    const shared::Clock& _clock;
    shared::DeviceId _serverDevice;
    Limits _limits;
    ReadableScopeCache _readableScopes;
};

}  // namespace verdant::server
