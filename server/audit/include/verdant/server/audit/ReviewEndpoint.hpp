#pragma once

#include "verdant/server/auth/AuthService.hpp"
#include "verdant/server/http/Router.hpp"
#include "verdant/server/storage/TenantStores.hpp"
#include "verdant/shared/Clock.hpp"
#include "verdant/shared/HlcClock.hpp"
#include "verdant/shared/Id.hpp"
#include "verdant/shared/IdGenerator.hpp"

namespace verdant::server {

namespace review {
class ReviewCommands;
}

/// The HQ review API: what a reviewer in the office reads and decides about synced audits.
/// Every route needs a bearer token of an HQ reviewer or tenant admin (others get `forbidden`)
/// and sees only the caller's tenant (another tenant's record is `not_found`):
///  - `GET  /v1/review/audits`  the review queue (submitted and under review by default), with
///    filters `state`, `supplier_id`, `tier`, `severity`, `from`, `to`; oldest submission first.
///  - `GET  /v1/review/audits/{id}`  one audit with its answers (clause and text from its template
///    version), findings, photos, plans, signatures, comments, open conflicts, change history
///    with amendment flags, and its stored and recomputed score.
///  - `POST /v1/review/audits/{id}/comments`  a review comment on the audit or one of its records.
///  - `POST /v1/review/audits/{id}/start-review | return | approve | close`  workflow steps,
///    checked by AuditWorkflow; approve is refused while a conflict of the audit is open, and
///    dates the plans that have no due date.
///  - `POST /v1/review/audits/{id}/rescore`  writes a new score snapshot (explicitly).
///  - `POST /v1/review/corrective-actions/{id}/decide`  approve, reject, verify or reopen a plan.
///  - `GET  /v1/review/corrective-actions/overdue`  overdue plans and findings still without one.
///  - `GET  /v1/review/suppliers/{id}/scorecard`  score trend, open findings, overdue plans.
///  - `GET  /v1/review/findings.csv`  every finding as RFC 4180 CSV (spreadsheet-safe).
///  - `POST /v1/templates`, `GET /v1/templates`  publish and list checklist template versions.
///
/// Every write is a server-authored change (ServerWriter) made inside the tenant store's lock
/// together with the reads that justified it, so it syncs to the devices that hold the record.
/// Thread-safe: handlers keep no state between requests but the id generator (thread-safe).
/// Errors are thrown as shared::Error and rendered by the dispatcher; see docs/protocol.md,
/// "HQ review API".
class ReviewEndpoint {
public:
    /// Every reference must outlive the endpoint. `clock` is the server's physical clock (approval
    /// and publication dates, overdue checks); `serverDevice` is the device id the server writes
    /// its own changes under (the same as SyncEndpoint's).
    ReviewEndpoint(AuthService& auth, TenantStores& stores, shared::HlcClock& hlc,
                   const shared::Clock& clock, shared::DeviceId serverDevice);

    /// Registers the routes.
    void registerRoutes(Router& router);

private:
    void listQueue(HttpExchange& exchange);
    void showAudit(HttpExchange& exchange);
    void addComment(HttpExchange& exchange);
    void startReview(HttpExchange& exchange);
    void returnAudit(HttpExchange& exchange);
    void approveAudit(HttpExchange& exchange);
    void closeAudit(HttpExchange& exchange);
    void rescoreAudit(HttpExchange& exchange);
    void decidePlan(HttpExchange& exchange);
    void listOverdue(HttpExchange& exchange);
    void showScorecard(HttpExchange& exchange);
    void exportFindings(HttpExchange& exchange);
    void publishTemplate(HttpExchange& exchange);
    void listTemplates(HttpExchange& exchange);

    /// Moves the audit of the route's {id} forward to `to` (a Set, checked by
    /// auditTransitionRefusal) and answers {"id","state"}.
    void moveAudit(HttpExchange& exchange, const std::string& to);

    /// The workflow commands of `reviewer` on `store` (a store lent by TenantStores::with).
    review::ReviewCommands commands(sync::Store& store, const Principal& reviewer) const;

    AuthService& _auth;
    TenantStores& _stores;
    shared::HlcClock& _hlc;
    const shared::Clock& _clock;
    shared::DeviceId _serverDevice;
    shared::IdGenerator _ids;  ///< New record ids (review comments, template versions).
};

}  // namespace verdant::server
