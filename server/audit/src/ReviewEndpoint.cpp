#include "verdant/server/audit/ReviewEndpoint.hpp"

#include "ReviewAuditView.hpp"
#include "ReviewCommands.hpp"
#include "ReviewReadModels.hpp"
#include "ReviewRecords.hpp"
#include "TemplateCatalogue.hpp"

#include "verdant/audit/Collections.hpp"
#include "verdant/server/http/QueryParameters.hpp"
#include "verdant/server/http/RequestJson.hpp"
#include "verdant/server/sync/ServerWriter.hpp"
#include "verdant/shared/Scoring.hpp"

#include <Poco/JSON/Array.h>

#include <map>

namespace verdant::server {

using shared::Error;
using shared::ErrorCode;
using shared::RecordId;
using shared::Value;
namespace c = audit::collections;
using review::enumValues;

namespace {

/// The caller, who must be an HQ reviewer or a tenant admin.
Principal authenticateHq(const AuthService& auth, const HttpExchange& exchange) {
    auto principal = auth.authenticate(exchange.header("Authorization"));
    if (!shared::isHq(principal.role)) {
        throw Error(ErrorCode::Forbidden, "Only HQ reviewers and tenant admins may do this.");
    }
    return principal;
}

/// The record id in the route's {id}; `what` names the kind of record for the not_found message.
RecordId pathId(const HttpExchange& exchange, const std::string& what) {
    const auto& text = exchange.pathParameters().at("id");
    if (auto id = RecordId::parse(text)) {
        return *id;
    }
    throw Error(ErrorCode::NotFound, "There is no " + what + " with that id.");
}

/// Throws unsupported_media_type unless the request's body is declared application/json (for
/// handlers that read the body text themselves).
void requireJsonContentType(const HttpExchange& exchange) {
    if (!hasMediaType(exchange.header("Content-Type"), kJsonMediaType)) {
        throw Error(ErrorCode::UnsupportedMediaType,
                    "Send the request body as application/json (with a Content-Type header).");
    }
}

/// A required, non-blank string of a request body.
std::string requiredText(const RequestJson& request, const std::string& name) {
    auto text = request.string(name);
    if (text.find_first_not_of(" \t\r\n") == std::string::npos) {
        throw Error(ErrorCode::InvalidParameter, "'" + name + "' must not be empty.");
    }
    return text;
}

/// The review queue's filters, read from the query string.
review::QueueFilter queueFilter(const HttpExchange& exchange) {
    const QueryParameters query(exchange,
                                {"state", "supplier_id", "tier", "severity", "from", "to"});
    review::QueueFilter filter;
    filter.states = query.oneOf("state", enumValues(c::kAudits, "state"))
                        .value_or(std::vector<std::string>{"submitted", "under_review"});
    filter.supplierId = query.id("supplier_id");
    filter.tier = query.integer("tier", 0, 1000);
    filter.severities = query.oneOf("severity", enumValues(c::kFindings, "severity"));
    filter.fromMs = query.time("from", /*endOfDay=*/false);
    filter.toMs = query.time("to", /*endOfDay=*/true);
    if (filter.fromMs && filter.toMs && *filter.fromMs > *filter.toMs) {
        throw Error(ErrorCode::InvalidParameter, "'from' is after 'to'.");
    }
    return filter;
}

/// The findings export's filters, read from the query string.
review::FindingsFilter findingsFilter(const HttpExchange& exchange) {
    const QueryParameters query(exchange, {"supplier_id", "severity", "state"});
    review::FindingsFilter filter;
    filter.supplierId = query.id("supplier_id");
    filter.severities = query.oneOf("severity", enumValues(c::kFindings, "severity"));
    filter.states = query.oneOf("state", enumValues(c::kAudits, "state"));
    return filter;
}

/// {"id": <audit>, "state": <state>}, the answer of a workflow step.
Poco::JSON::Object auditStateJson(const RecordId& audit, const std::string& state) {
    Poco::JSON::Object body;
    body.set("id", audit.toString());
    body.set("state", state);
    return body;
}

}  // namespace

ReviewEndpoint::ReviewEndpoint(AuthService& auth, TenantStores& stores, shared::HlcClock& hlc,
                               const shared::Clock& clock, shared::DeviceId serverDevice)
    : _auth(auth),
      _stores(stores),
      _hlc(hlc),
      _clock(clock),
      _serverDevice(serverDevice),
      _ids(clock) {}

void ReviewEndpoint::registerRoutes(Router& router) {
    router.add("GET", "/v1/review/audits", [this](HttpExchange& e) { listQueue(e); });
    router.add("GET", "/v1/review/audits/{id}", [this](HttpExchange& e) { showAudit(e); });
    router.add("POST", "/v1/review/audits/{id}/comments",
               [this](HttpExchange& e) { addComment(e); });
    router.add("POST", "/v1/review/audits/{id}/start-review",
               [this](HttpExchange& e) { startReview(e); });
    router.add("POST", "/v1/review/audits/{id}/return",
               [this](HttpExchange& e) { returnAudit(e); });
    router.add("POST", "/v1/review/audits/{id}/approve",
               [this](HttpExchange& e) { approveAudit(e); });
    router.add("POST", "/v1/review/audits/{id}/close", [this](HttpExchange& e) { closeAudit(e); });
    router.add("POST", "/v1/review/audits/{id}/rescore",
               [this](HttpExchange& e) { rescoreAudit(e); });
    router.add("POST", "/v1/review/corrective-actions/{id}/decide",
               [this](HttpExchange& e) { decidePlan(e); });
    router.add("GET", "/v1/review/corrective-actions/overdue",
               [this](HttpExchange& e) { listOverdue(e); });
    router.add("GET", "/v1/review/suppliers/{id}/scorecard",
               [this](HttpExchange& e) { showScorecard(e); });
    router.add("GET", "/v1/review/findings.csv", [this](HttpExchange& e) { exportFindings(e); });
    router.add("POST", "/v1/templates", [this](HttpExchange& e) { publishTemplate(e); });
    router.add("GET", "/v1/templates", [this](HttpExchange& e) { listTemplates(e); });
}

void ReviewEndpoint::listQueue(HttpExchange& exchange) {
    const auto principal = authenticateHq(_auth, exchange);
    const auto filter = queueFilter(exchange);
    Poco::JSON::Array::Ptr items;
    _stores.read(principal.tenantId,
                 [&](const sync::Store& store) { items = review::reviewQueue(store, filter); });
    Poco::JSON::Object body;
    body.set("audits", items);
    exchange.sendJson(Poco::Net::HTTPResponse::HTTP_OK, body);
}

void ReviewEndpoint::showAudit(HttpExchange& exchange) {
    const auto principal = authenticateHq(_auth, exchange);
    const auto auditId = pathId(exchange, "audit");
    const auto now = _clock.nowMs();
    Poco::JSON::Object::Ptr body;
    _stores.read(principal.tenantId, [&](const sync::Store& store) {
        body = review::auditView(store, review::requireRecord(store, c::kAudits, auditId, "audit"),
                                 now);
    });
    exchange.sendJson(Poco::Net::HTTPResponse::HTTP_OK, *body);
}

void ReviewEndpoint::addComment(HttpExchange& exchange) {
    const auto principal = authenticateHq(_auth, exchange);
    const auto auditId = pathId(exchange, "audit");
    const RequestJson request(exchange.readJsonObject(HttpExchange::kSmallJsonBytes),
                              {"target", "text"});
    const auto target = request.string("target");
    const auto text = requiredText(request, "text");
    const auto commentId = _ids.nextRecordId();
    std::string canonicalTarget;
    _stores.with(principal.tenantId, [&](sync::Store& store) {
        canonicalTarget = commands(store, principal).addComment(auditId, commentId, target, text);
    });
    Poco::JSON::Object body;
    body.set("id", commentId.toString());
    body.set("target", canonicalTarget);
    exchange.sendJson(Poco::Net::HTTPResponse::HTTP_CREATED, body);
}

void ReviewEndpoint::moveAudit(HttpExchange& exchange, const std::string& to) {
    const auto principal = authenticateHq(_auth, exchange);
    const auto auditId = pathId(exchange, "audit");
    _stores.with(principal.tenantId,
                 [&](sync::Store& store) { commands(store, principal).moveAudit(auditId, to); });
    exchange.sendJson(Poco::Net::HTTPResponse::HTTP_OK, auditStateJson(auditId, to));
}

void ReviewEndpoint::startReview(HttpExchange& exchange) {
    moveAudit(exchange, "under_review");
}

void ReviewEndpoint::closeAudit(HttpExchange& exchange) {
    moveAudit(exchange, "closed");
}

void ReviewEndpoint::returnAudit(HttpExchange& exchange) {
    const auto principal = authenticateHq(_auth, exchange);
    const auto auditId = pathId(exchange, "audit");
    const RequestJson request(exchange.readJsonObject(HttpExchange::kSmallJsonBytes), {"reason"});
    const auto reason = requiredText(request, "reason");
    const auto commentId = _ids.nextRecordId();
    _stores.with(principal.tenantId, [&](sync::Store& store) {
        commands(store, principal).returnAudit(auditId, commentId, reason);
    });
    auto body = auditStateJson(auditId, "returned");
    body.set("comment_id", commentId.toString());
    exchange.sendJson(Poco::Net::HTTPResponse::HTTP_OK, body);
}

void ReviewEndpoint::approveAudit(HttpExchange& exchange) {
    const auto principal = authenticateHq(_auth, exchange);
    const auto auditId = pathId(exchange, "audit");
    const auto now = _clock.nowMs();
    std::size_t dated = 0;
    _stores.with(principal.tenantId, [&](sync::Store& store) {
        dated = commands(store, principal).approveAudit(auditId, now);
    });
    auto body = auditStateJson(auditId, "approved");
    body.set("approved_at", static_cast<Poco::Int64>(now));
    body.set("plans_dated", dated);
    exchange.sendJson(Poco::Net::HTTPResponse::HTTP_OK, body);
}

void ReviewEndpoint::rescoreAudit(HttpExchange& exchange) {
    const auto principal = authenticateHq(_auth, exchange);
    const auto auditId = pathId(exchange, "audit");
    std::optional<std::string> requested;
    const auto text = exchange.readBody(HttpExchange::kSmallJsonBytes);
    if (text.find_first_not_of(" \t\r\n") != std::string::npos) {
        requireJsonContentType(exchange);
        requested =
            RequestJson(HttpExchange::parseJsonObject(text), {"rule"}).optionalString("rule");
    }
    if (requested && shared::scoringRule(*requested) == nullptr) {
        throw Error(ErrorCode::InvalidParameter,
                    "'rule' names no scoring rule this server knows: '" +
                        shared::quotedInput(*requested) + "'.");
    }
    std::optional<review::Rescored> rescored;
    _stores.with(principal.tenantId, [&](sync::Store& store) {
        rescored = commands(store, principal).rescore(auditId, requested);
    });
    auto body = review::orderedObject();
    body->set("id", auditId.toString());
    body->set("previous", rescored->previous ? plainJson(Value::json(*rescored->previous))
                                             : Poco::Dynamic::Var());
    body->set("snapshot", review::documentJson(rescored->snapshot.toJson()));
    exchange.sendJson(Poco::Net::HTTPResponse::HTTP_OK, *body);
}

void ReviewEndpoint::decidePlan(HttpExchange& exchange) {
    const auto principal = authenticateHq(_auth, exchange);
    const auto planId = pathId(exchange, "corrective action plan");
    const RequestJson request(exchange.readJsonObject(HttpExchange::kSmallJsonBytes),
                              {"decision", "reason"});
    const auto decision = request.string("decision");
    static const std::map<std::string, std::string> kStatusOf = {{"approve", "approved"},
                                                                 {"reject", "rejected"},
                                                                 {"verify", "verified"},
                                                                 {"reopen", "reopened"}};
    const auto status = kStatusOf.find(decision);
    if (status == kStatusOf.end()) {
        throw Error(ErrorCode::InvalidParameter,
                    "'decision' must be approve, reject, verify or reopen.");
    }
    const bool reasonRequired = decision == "reject" || decision == "reopen";
    const auto reason = reasonRequired ? std::optional<std::string>(requiredText(request, "reason"))
                                       : request.optionalString("reason");
    _stores.with(principal.tenantId, [&](sync::Store& store) {
        commands(store, principal).decidePlan(planId, decision, status->second, reason);
    });
    Poco::JSON::Object body;
    body.set("id", planId.toString());
    body.set("status", status->second);
    exchange.sendJson(Poco::Net::HTTPResponse::HTTP_OK, body);
}

void ReviewEndpoint::listOverdue(HttpExchange& exchange) {
    const auto principal = authenticateHq(_auth, exchange);
    const QueryParameters query(exchange, {});
    const auto now = _clock.nowMs();
    Poco::JSON::Array::Ptr items;
    _stores.read(principal.tenantId,
                 [&](const sync::Store& store) { items = review::overdueList(store, now); });
    Poco::JSON::Object body;
    body.set("now", static_cast<Poco::Int64>(now));
    body.set("items", items);
    exchange.sendJson(Poco::Net::HTTPResponse::HTTP_OK, body);
}

void ReviewEndpoint::showScorecard(HttpExchange& exchange) {
    const auto principal = authenticateHq(_auth, exchange);
    const auto supplierId = pathId(exchange, "supplier");
    const QueryParameters query(exchange, {});
    const auto now = _clock.nowMs();
    Poco::JSON::Object::Ptr body;
    _stores.read(principal.tenantId, [&](const sync::Store& store) {
        const auto supplier = review::requireRecord(store, c::kSuppliers, supplierId, "supplier");
        body = review::supplierScorecard(store, supplier, now);
    });
    exchange.sendJson(Poco::Net::HTTPResponse::HTTP_OK, *body);
}

void ReviewEndpoint::exportFindings(HttpExchange& exchange) {
    const auto principal = authenticateHq(_auth, exchange);
    const auto filter = findingsFilter(exchange);
    const auto now = _clock.nowMs();
    std::string csv;
    _stores.read(principal.tenantId,
                 [&](const sync::Store& store) { csv = review::findingsCsv(store, filter, now); });
    exchange.setHeader("Content-Disposition", "attachment; filename=\"findings.csv\"");
    exchange.send(Poco::Net::HTTPResponse::HTTP_OK, "text/csv; charset=utf-8", csv);
}

void ReviewEndpoint::publishTemplate(HttpExchange& exchange) {
    const auto principal = authenticateHq(_auth, exchange);
    requireJsonContentType(exchange);
    const auto text = exchange.readBody();
    const auto document = HttpExchange::parseJsonObject(text);
    const auto header = review::checkTemplateDocument(*document, text.size());
    const auto versionId = _ids.nextRecordId();
    const auto now = _clock.nowMs();
    _stores.with(principal.tenantId, [&](sync::Store& store) {
        ServerWriter writer(_hlc, _serverDevice);
        review::publishTemplateVersion(store, writer, principal.userId, versionId, header, text,
                                       now);
    });
    auto body = review::orderedObject();
    body->set("id", versionId.toString());
    body->set("template_key", header.templateId);
    body->set("version", static_cast<Poco::Int64>(header.version));
    body->set("scoring_rule", header.scoringRule);
    body->set("published_at", static_cast<Poco::Int64>(now));
    exchange.sendJson(Poco::Net::HTTPResponse::HTTP_CREATED, *body);
}

void ReviewEndpoint::listTemplates(HttpExchange& exchange) {
    const auto principal = authenticateHq(_auth, exchange);
    const QueryParameters query(exchange, {});
    Poco::JSON::Array::Ptr items;
    _stores.read(principal.tenantId,
                 [&](const sync::Store& store) { items = review::templateCatalogue(store); });
    Poco::JSON::Object body;
    body.set("templates", items);
    exchange.sendJson(Poco::Net::HTTPResponse::HTTP_OK, body);
}

review::ReviewCommands ReviewEndpoint::commands(sync::Store& store,
                                                const Principal& reviewer) const {
    return review::ReviewCommands(store, ServerWriter(_hlc, _serverDevice), reviewer.userId);
}

}  // namespace verdant::server
