#include "TrainingOfficeEndpoint.hpp"

#include "CourseEffectiveness.hpp"
#include "InvitationRule.hpp"
#include "RecordFields.hpp"

#include "verdant/server/http/QueryParameters.hpp"
#include "verdant/server/sync/ServerWriter.hpp"
#include "verdant/shared/ErrorCode.hpp"
#include "verdant/training/Collections.hpp"

#include <Poco/JSON/Array.h>

namespace verdant::server {

using shared::Error;
using shared::ErrorCode;
using shared::RecordId;
using shared::Value;
namespace t = training::collections;
namespace office = training_office;

namespace {

/// The caller, who must be HQ or a training coordinator.
Principal authenticateOffice(const AuthService& auth, const HttpExchange& exchange) {
    auto principal = auth.authenticate(exchange.header("Authorization"));
    if (!shared::isHq(principal.role) && principal.role != shared::Role::TrainingCoordinator) {
        throw Error(ErrorCode::Forbidden, "Only HQ and training coordinators may do this.");
    }
    return principal;
}

/// The record id in the route's {id}; `what` names the kind of record for the not_found message.
RecordId pathId(const HttpExchange& exchange, const std::string& what) {
    if (auto id = RecordId::parse(exchange.pathParameters().at("id"))) {
        return *id;
    }
    throw Error(ErrorCode::NotFound, "There is no " + what + " with that id.");
}

/// The session, if the caller may invite to it: HQ to any, a coordinator to their own. Another
/// coordinator's session is not_found, as an unknown one, so its existence is not revealed.
sync::Record invitingSession(const sync::Store& store, const Principal& principal,
                             const RecordId& id) {
    auto session = store.record(t::kTrainingSessions, id);
    if (!session || session->deleted ||
        (!shared::isHq(principal.role) &&
         office::textField(*session, "coordinator_id") != principal.userId)) {
        throw Error(ErrorCode::NotFound, "There is no training session with that id.");
    }
    return std::move(*session);
}

/// {"supplier_id", "name_en", "name_zh", "tier", "invitation_id", "why": {"tier"?,
/// "open_findings"?}} of one selected supplier.
Poco::JSON::Object::Ptr matchJson(const office::SupplierMatch& match,
                                  const office::InvitationRule& rule, const RecordId& invitation) {
    Poco::JSON::Object::Ptr item = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
    item->set("supplier_id", match.supplier.id.toString());
    for (const char* field : {"name_en", "name_zh"}) {
        const auto name = office::textField(match.supplier, field);
        item->set(field, name ? Poco::Dynamic::Var(*name) : Poco::Dynamic::Var());
    }
    item->set("tier", match.tier ? Poco::Dynamic::Var(*match.tier) : Poco::Dynamic::Var());
    item->set("invitation_id", invitation.toString());
    Poco::JSON::Object::Ptr why = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
    if (rule.tier) {
        why->set("tier", *rule.tier);
    }
    if (rule.openFindingClause) {
        Poco::JSON::Array findings;
        for (const auto& finding : match.openFindings) {
            Poco::JSON::Object::Ptr entry = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
            entry->set("finding_id", finding.id.toString());
            entry->set("audit_id", finding.auditId.toString());
            entry->set("clause", finding.clause);
            entry->set("severity", finding.severity);
            findings.add(entry);
        }
        why->set("open_findings", findings);
    }
    item->set("why", why);
    return item;
}

/// The start of every invitation answer: {"session_id", "rule", "mandatory"}.
Poco::JSON::Object ruleAnswer(const RecordId& session, const office::InvitationRule& rule) {
    Poco::JSON::Object body(Poco::JSON_PRESERVE_KEY_ORDER);
    body.set("session_id", session.toString());
    body.set("rule", rule.text());
    body.set("mandatory", rule.mandatory);
    return body;
}

/// The writes of a new invitation of `supplier` to `session`.
void addInvitation(std::vector<ServerWrite>& writes, const RecordId& invitation,
                   const RecordId& session, const RecordId& supplier,
                   const office::InvitationRule& rule, std::int64_t nowMs) {
    const std::pair<const char*, Value> fields[] = {{"session_id", Value::id(session)},
                                                    {"supplier_id", Value::id(supplier)},
                                                    {"rule", Value::string(rule.text())},
                                                    {"mandatory", Value::boolean(rule.mandatory)},
                                                    {"sent_at", Value::timestamp(nowMs)}};
    for (const auto& [field, value] : fields) {
        writes.push_back({t::kInvitations, invitation, field, shared::Operation::Set, value});
    }
}

}  // namespace

TrainingOfficeEndpoint::TrainingOfficeEndpoint(AuthService& auth, TenantStores& stores,
                                               shared::HlcClock& hlc, const shared::Clock& clock,
                                               shared::DeviceId serverDevice)
    : _auth(auth), _stores(stores), _hlc(hlc), _clock(clock), _serverDevice(serverDevice) {}

void TrainingOfficeEndpoint::registerRoutes(Router& router) {
    router.add("POST", "/v1/training/sessions/{id}/invitations/preview",
               [this](HttpExchange& e) { previewInvitations(e); });
    router.add("POST", "/v1/training/sessions/{id}/invitations",
               [this](HttpExchange& e) { sendInvitations(e); });
    router.add("GET", "/v1/training/courses/{id}/effectiveness",
               [this](HttpExchange& e) { showEffectiveness(e); });
}

void TrainingOfficeEndpoint::previewInvitations(HttpExchange& exchange) {
    const auto principal = authenticateOffice(_auth, exchange);
    const auto sessionId = pathId(exchange, "training session");
    const auto rule =
        office::InvitationRule::fromJson(exchange.readJsonObject(HttpExchange::kSmallJsonBytes));
    auto body = ruleAnswer(sessionId, rule);
    Poco::JSON::Array suppliers;
    _stores.read(principal.tenantId, [&](const sync::Store& store) {
        invitingSession(store, principal, sessionId);
        for (const auto& match : office::matchingSuppliers(store, rule)) {
            const auto invitation = training::invitationRecordId(sessionId, match.supplier.id);
            auto item = matchJson(match, rule, invitation);
            item->set("invited", store.record(t::kInvitations, invitation).has_value());
            suppliers.add(item);
        }
    });
    body.set("suppliers", suppliers);
    exchange.sendJson(Poco::Net::HTTPResponse::HTTP_OK, body);
}

void TrainingOfficeEndpoint::sendInvitations(HttpExchange& exchange) {
    const auto principal = authenticateOffice(_auth, exchange);
    const auto sessionId = pathId(exchange, "training session");
    const auto rule =
        office::InvitationRule::fromJson(exchange.readJsonObject(HttpExchange::kSmallJsonBytes));
    const auto now = _clock.nowMs();
    auto body = ruleAnswer(sessionId, rule);
    Poco::JSON::Array added;
    Poco::JSON::Array existing;
    _stores.with(principal.tenantId, [&](sync::Store& store) {
        const auto session = invitingSession(store, principal, sessionId);
        if (office::textField(session, "status") == "cancelled") {
            throw Error(ErrorCode::SessionCancelled, "The session is cancelled.");
        }
        std::vector<ServerWrite> writes;
        for (const auto& match : office::matchingSuppliers(store, rule)) {
            const auto invitation = training::invitationRecordId(sessionId, match.supplier.id);
            // Any record under the id, even a deleted one, is that supplier's invitation: a
            // re-run never writes its immutable fields twice, nor revives a withdrawn one.
            if (store.record(t::kInvitations, invitation)) {
                existing.add(matchJson(match, rule, invitation));
                continue;
            }
            addInvitation(writes, invitation, sessionId, match.supplier.id, rule, now);
            added.add(matchJson(match, rule, invitation));
        }
        if (!writes.empty()) {
            ServerWriter(_hlc, _serverDevice).apply(store, principal.userId, writes);
        }
    });
    body.set("added", added);
    body.set("existing", existing);
    exchange.sendJson(Poco::Net::HTTPResponse::HTTP_OK, body);
}

void TrainingOfficeEndpoint::showEffectiveness(HttpExchange& exchange) {
    const auto principal = authenticateOffice(_auth, exchange);
    const QueryParameters query(exchange, {"format"});
    const auto format = query.oneOf("format", {"json", "csv"});
    if (format && format->size() != 1) {
        throw Error(ErrorCode::InvalidParameter, "'format' takes one value: json or csv.");
    }
    const bool csv = format && format->front() == "csv";
    const auto courseId = pathId(exchange, "course");
    std::optional<office::CourseEffectiveness> report;
    _stores.read(principal.tenantId, [&](const sync::Store& store) {
        auto course = store.record(t::kCourses, courseId);
        if (!course || course->deleted) {
            throw Error(ErrorCode::NotFound, "There is no course with that id.");
        }
        report = office::CourseEffectiveness::compute(store, std::move(*course));
    });
    if (csv) {
        exchange.setHeader("Content-Disposition", "attachment; filename=\"effectiveness.csv\"");
        exchange.send(Poco::Net::HTTPResponse::HTTP_OK, "text/csv; charset=utf-8", report->csv());
        return;
    }
    exchange.sendJson(Poco::Net::HTTPResponse::HTTP_OK, *report->json());
}

}  // namespace verdant::server
