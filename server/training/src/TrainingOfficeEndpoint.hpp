#pragma once

#include "verdant/server/auth/AuthService.hpp"
#include "verdant/server/http/Router.hpp"
#include "verdant/server/storage/TenantStores.hpp"
#include "verdant/shared/Clock.hpp"
#include "verdant/shared/HlcClock.hpp"
#include "verdant/shared/Id.hpp"

namespace verdant::server {

/// The training office's routes over supplier data and audit results (docs/protocol.md,
/// "Training", "Invitations by rule" and "Effectiveness"):
///  - `POST /v1/training/sessions/{id}/invitations/preview`  the suppliers a rule selects, and
///    why, without writing;
///  - `POST /v1/training/sessions/{id}/invitations`  one invitation per selected supplier that
///    has none for the session yet (deterministic ids: a re-run adds newcomers only);
///  - `GET  /v1/training/courses/{id}/effectiveness`  later audit results on the course's target
///    clauses, attended versus not attended, as JSON or (`?format=csv`) CSV.
/// The invitation routes are for HQ and the session's coordinator (another coordinator's session
/// is `not_found`), effectiveness for HQ and coordinators; other roles get `forbidden`.
/// Invitations are server-authored changes (ServerWriter, author: the caller) written inside the
/// tenant store's lock with the reads that chose them. Thread-safe: no state between requests.
class TrainingOfficeEndpoint {
public:
    /// Every reference must outlive the endpoint. `clock` dates the invitations (`sent_at`);
    /// `serverDevice` is the device id the server writes its own changes under.
    TrainingOfficeEndpoint(AuthService& auth, TenantStores& stores, shared::HlcClock& hlc,
                           const shared::Clock& clock, shared::DeviceId serverDevice);

    /// Registers the routes.
    void registerRoutes(Router& router);

private:
    void previewInvitations(HttpExchange& exchange);
    void sendInvitations(HttpExchange& exchange);
    void showEffectiveness(HttpExchange& exchange);

    AuthService& _auth;
    TenantStores& _stores;
    shared::HlcClock& _hlc;
    const shared::Clock& _clock;
    shared::DeviceId _serverDevice;
};

}  // namespace verdant::server
