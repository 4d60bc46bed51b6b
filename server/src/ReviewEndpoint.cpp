#include "verdant/server/ReviewEndpoint.hpp"

#include "ReviewCsv.hpp"
#include "ReviewQuery.hpp"
#include "ReviewRecords.hpp"

#include "verdant/audit/AuditSteps.hpp"
#include "verdant/server/AuditWorkflow.hpp"
#include "verdant/server/RequestJson.hpp"
#include "verdant/server/ServerWriter.hpp"
#include "verdant/shared/DomainSchema.hpp"
#include "verdant/shared/Scoring.hpp"

#include <Poco/Exception.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Parser.h>

#include <algorithm>
#include <limits>
#include <set>
#include <tuple>

namespace verdant::server {

using shared::Error;
using shared::ErrorCode;
using shared::RecordId;
using shared::Value;
namespace c = shared::collections;

namespace {

constexpr std::size_t kWholeLog = std::numeric_limits<std::size_t>::max();

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

/// The live record, or not_found naming `what`.
sync::Record requireRecord(const sync::Store& store, const char* collection, const RecordId& id,
                           const std::string& what) {
    if (auto record = review::liveRecord(store, collection, id)) {
        return *record;
    }
    throw Error(ErrorCode::NotFound, "There is no " + what + " " + id.toString() + ".");
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

/// Throws the workflow's refusal of moving `audit` to `to`, if any.
void checkAuditStep(const sync::Record& audit, const std::string& to, shared::Operation operation) {
    const auto from = review::stringField(audit, "state");
    const auto refusal =
        audit::auditTransitionRefusal(from ? std::optional<std::string_view>(*from) : std::nullopt,
                                      to, operation, /*actorIsHq=*/true);
    if (refusal) {
        throw Error(refusal->code, refusal->message);
    }
    // Through sync a late, lower state is a harmless no-op; asked of the review API it is a
    // mistake the reviewer should hear of.
    if (operation == shared::Operation::Set &&
        audit::auditStateRank(to) <= audit::auditStateRank(from)) {
        throw Error(ErrorCode::InvalidTransition, "The audit is " +
                                                      from.value_or("without a state") +
                                                      " already; it cannot "
                                                      "become " +
                                                      to + " now.");
    }
}

/// The allowed values of an enum field of the domain schema.
const std::vector<std::string>& enumValues(const char* collection, const char* field) {
    return shared::domainSchema().collection(collection)->field(field)->enumValues;
}

/// A JSON object that keeps its keys in insertion order (readable responses).
Poco::JSON::Object::Ptr orderedObject() {
    return new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
}

/// {"<severity>": 0, ...} for every finding severity, most severe first.
Poco::JSON::Object::Ptr severityCounts(const std::map<std::string, std::size_t>& counts) {
    auto object = orderedObject();
    const auto& severities = enumValues(c::kFindings, "severity");
    for (auto it = severities.rbegin(); it != severities.rend(); ++it) {
        const auto found = counts.find(*it);
        object->set(*it, found == counts.end() ? std::size_t{0} : found->second);
    }
    return object;
}

/// A string field as JSON, or null.
Poco::Dynamic::Var stringOrNull(const sync::Record& record, std::string_view field) {
    const auto value = review::stringField(record, field);
    return value ? Poco::Dynamic::Var(*value) : Poco::Dynamic::Var();
}

/// Parses a JSON document into a JSON value; `text` must be JSON (a snapshot we wrote).
Poco::Dynamic::Var parseJson(const std::string& text) {
    Poco::JSON::Parser parser;
    return parser.parse(text);
}

/// The score snapshot stored on an audit, when there is one that reads as a snapshot.
std::optional<shared::ScoreSnapshot> storedSnapshot(const sync::Record& audit) {
    const auto text = review::jsonField(audit, "score");
    if (!text) {
        return std::nullopt;
    }
    try {
        return shared::ScoreSnapshot::fromJson(*text);
    } catch (const Error&) {
        return std::nullopt;  // not a snapshot: shown as stored, never compared
    }
}

/// Orders audits by submission (those never submitted last), then id.
bool submittedBefore(const sync::Record& a, const sync::Record& b) {
    const auto at = review::timestampField(a, "submitted_at");
    const auto bt = review::timestampField(b, "submitted_at");
    return std::make_tuple(!at.has_value(), at.value_or(0), a.id) <
           std::make_tuple(!bt.has_value(), bt.value_or(0), b.id);
}

/// How many changes of an audit's scope log are amendments.
std::size_t amendmentCount(const sync::Store& store, const sync::Record& audit) {
    const auto log = store.changesSince(0, kWholeLog, {shared::scopeKey(c::kAudits, audit.id)});
    const auto flags = amendmentFlags(log, audit.id, auditFieldExperts(audit));
    return static_cast<std::size_t>(std::count(flags.begin(), flags.end(), true));
}

/// The questions of an audit's template version (empty when it has none or no content).
std::map<std::string, review::TemplateQuestion> auditQuestions(const sync::Store& store,
                                                               const sync::Record& audit) {
    const auto versionId = review::idField(audit, "template_version_id");
    const auto version =
        versionId ? review::liveRecord(store, c::kTemplateVersions, *versionId) : std::nullopt;
    const auto content = version ? review::jsonField(*version, "content") : std::nullopt;
    return content ? review::templateQuestions(*content)
                   : std::map<std::string, review::TemplateQuestion>{};
}

/// How complete an audit is, as the audit view shows it (null when its template is unknown).
Poco::Dynamic::Var completenessJson(const std::optional<audit::Completeness>& completeness) {
    if (!completeness) {
        return {};
    }
    auto object = orderedObject();
    object->set("complete", completeness->complete());
    object->set("questions", completeness->questions);
    object->set("applicable", completeness->applicable());
    object->set("answered", completeness->answered);
    object->set("not_applicable", completeness->notApplicable);
    object->set("not_reviewed", completeness->notReviewed);
    Poco::JSON::Array missing;
    for (const auto& question : completeness->missing) {
        missing.add(question);
    }
    object->set("missing", missing);
    return object;
}

/// The plan shown for a finding: its newest live plan, if any.
std::optional<sync::Record> currentPlan(
    const std::map<RecordId, std::vector<sync::Record>>& plansByFinding, const RecordId& finding) {
    const auto plans = plansByFinding.find(finding);
    if (plans == plansByFinding.end() || plans->second.empty()) {
        return std::nullopt;
    }
    return plans->second.back();
}

/// A review_comments record's writes: on `audit`, about `target`, by `author`.
std::vector<ServerWrite> commentWrites(const RecordId& comment, const RecordId& audit,
                                       const std::string& target, const std::string& text,
                                       const std::string& author) {
    return {
        {c::kReviewComments, comment, "audit_id", shared::Operation::Set, Value::id(audit)},
        {c::kReviewComments, comment, "target", shared::Operation::Set, Value::string(target)},
        {c::kReviewComments, comment, "text", shared::Operation::Set, Value::string(text)},
        {c::kReviewComments, comment, "author_id", shared::Operation::Set, Value::string(author)},
    };
}

// ---- template documents ---------------------------------------------------------------------

/// The member `key` of `object` (at `path`, for messages), which must be present.
Poco::Dynamic::Var requiredMember(const Poco::JSON::Object& object, const std::string& path,
                                  const std::string& key) {
    if (!object.has(key) || object.isNull(key)) {
        throw Error(ErrorCode::InvalidParameter, "'" + path + key + "' is required.");
    }
    return object.get(key);
}

/// A required non-empty string member.
std::string requiredString(const Poco::JSON::Object& object, const std::string& path,
                           const std::string& key) {
    const auto value = requiredMember(object, path, key);
    if (!value.isString()) {
        throw Error(ErrorCode::InvalidParameter, "'" + path + key + "' must be a string.");
    }
    auto text = value.extract<std::string>();
    if (text.empty()) {
        throw Error(ErrorCode::InvalidParameter, "'" + path + key + "' must not be empty.");
    }
    return text;
}

/// A required array member.
Poco::JSON::Array::Ptr requiredArray(const Poco::JSON::Object& object, const std::string& path,
                                     const std::string& key) {
    const auto value = requiredMember(object, path, key);
    if (value.type() != typeid(Poco::JSON::Array::Ptr)) {
        throw Error(ErrorCode::InvalidParameter, "'" + path + key + "' must be an array.");
    }
    return value.extract<Poco::JSON::Array::Ptr>();
}

/// Element `index` of `array` (at `path`), which must be an object.
Poco::JSON::Object::Ptr objectElement(const Poco::JSON::Array& array, const std::string& path,
                                      std::size_t index) {
    auto object = array.getObject(static_cast<unsigned>(index));
    if (!object) {
        throw Error(ErrorCode::InvalidParameter,
                    "'" + path + "[" + std::to_string(index) + "]' must be an object.");
    }
    return object;
}

/// What publishing reads from a template document.
struct TemplateHeader {
    std::string templateId;
    std::int64_t version = 0;
    std::string scoringRule;
};

/// Checks a template document (see docs/protocol.md) and returns its identity. Throws
/// InvalidParameter naming the first missing or ill-typed key, a duplicate question id or an
/// unknown scoring rule.
TemplateHeader checkTemplateDocument(const Poco::JSON::Object& document) {
    TemplateHeader header;
    header.templateId = requiredString(document, "", "template_id");
    const auto version = requiredMember(document, "", "version");
    if (!version.isInteger() || version.isBoolean() || !version.isSigned() ||
        version.convert<Poco::Int64>() < 1) {
        throw Error(ErrorCode::InvalidParameter, "'version' must be a whole number from 1.");
    }
    header.version = version.convert<Poco::Int64>();
    header.scoringRule = requiredString(document, "", "scoring_rule");
    if (shared::scoringRule(header.scoringRule) == nullptr) {
        throw Error(ErrorCode::InvalidParameter,
                    "'scoring_rule' names no scoring rule this "
                    "server knows: '" +
                        header.scoringRule + "'.");
    }
    const auto sections = requiredArray(document, "", "sections");
    if (sections->size() == 0) {
        throw Error(ErrorCode::InvalidParameter, "'sections' must not be empty.");
    }
    std::set<std::string> questionIds;
    for (std::size_t s = 0; s < sections->size(); ++s) {
        const auto section = objectElement(*sections, "sections", s);
        const auto sectionPath = "sections[" + std::to_string(s) + "].";
        requiredString(*section, sectionPath, "id");
        const auto questions = requiredArray(*section, sectionPath, "questions");
        for (std::size_t q = 0; q < questions->size(); ++q) {
            const auto question = objectElement(*questions, sectionPath + "questions", q);
            const auto questionPath = sectionPath + "questions[" + std::to_string(q) + "].";
            const auto id = requiredString(*question, questionPath, "id");
            requiredString(*question, questionPath, "type");
            if (!questionIds.insert(id).second) {
                throw Error(ErrorCode::InvalidParameter,
                            "Question id '" + id + "' is used twice ('" + questionPath + "id').");
            }
        }
    }
    if (questionIds.empty()) {
        throw Error(ErrorCode::InvalidParameter, "'sections' must hold at least one question.");
    }
    return header;
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
    const review::ReviewQuery query(exchange,
                                    {"state", "supplier_id", "tier", "severity", "from", "to"});
    const auto states = query.oneOf("state", enumValues(c::kAudits, "state"))
                            .value_or(std::vector<std::string>{"submitted", "under_review"});
    const auto supplierId = query.id("supplier_id");
    const auto tier = query.integer("tier", 0, 1000);
    const auto severities = query.oneOf("severity", enumValues(c::kFindings, "severity"));
    const auto from = query.time("from", /*endOfDay=*/false);
    const auto to = query.time("to", /*endOfDay=*/true);
    if (from && to && *from > *to) {
        throw Error(ErrorCode::InvalidParameter, "'from' is after 'to'.");
    }

    Poco::JSON::Array items;
    _stores.read(principal.tenantId, [&](const sync::Store& store) {
        std::vector<sync::Record> audits;
        for (const auto& id : store.recordIds(c::kAudits)) {
            auto audit = review::liveRecord(store, c::kAudits, id);
            const auto state = audit ? review::stringField(*audit, "state") : std::nullopt;
            if (!state || std::find(states.begin(), states.end(), *state) == states.end()) {
                continue;
            }
            if (supplierId && review::idField(*audit, "supplier_id") != supplierId) {
                continue;
            }
            const auto submittedAt = review::timestampField(*audit, "submitted_at");
            if ((from || to) &&
                (!submittedAt || (from && *submittedAt < *from) || (to && *submittedAt > *to))) {
                continue;
            }
            audits.push_back(std::move(*audit));
        }
        std::sort(audits.begin(), audits.end(), submittedBefore);
        const auto conflicts = review::openConflictsByScope(store);
        for (const auto& audit : audits) {
            const auto supplierRef = review::idField(audit, "supplier_id");
            const auto supplier =
                supplierRef ? review::liveRecord(store, c::kSuppliers, *supplierRef) : std::nullopt;
            const auto supplierTier = supplier ? review::intField(*supplier, "tier") : std::nullopt;
            if (tier && supplierTier != tier) {
                continue;
            }
            const auto records = review::scopeRecords(store, audit.id);
            std::map<std::string, std::size_t> findings;
            if (const auto found = records.find(c::kFindings); found != records.end()) {
                for (const auto& finding : found->second) {
                    ++findings[review::stringField(finding, "severity").value_or("")];
                }
            }
            if (severities && std::none_of(severities->begin(), severities->end(),
                                           [&](const std::string& severity) {
                                               return findings.count(severity) != 0;
                                           })) {
                continue;
            }
            auto summary = orderedObject();
            summary->set("id", audit.id.toString());
            summary->set("state", stringOrNull(audit, "state"));
            summary->set("type", stringOrNull(audit, "type"));
            if (supplierRef) {
                auto supplierJson = orderedObject();
                supplierJson->set("id", supplierRef->toString());
                supplierJson->set("name_en", supplier ? stringOrNull(*supplier, "name_en")
                                                      : Poco::Dynamic::Var());
                supplierJson->set("name_zh", supplier ? stringOrNull(*supplier, "name_zh")
                                                      : Poco::Dynamic::Var());
                supplierJson->set("tier", review::intOrNull(supplierTier));
                summary->set("supplier", supplierJson);
            } else {
                summary->set("supplier", Poco::Dynamic::Var());
            }
            const auto facility = review::idField(audit, "facility_id");
            summary->set("facility_id", facility ? Poco::Dynamic::Var(facility->toString())
                                                 : Poco::Dynamic::Var());
            summary->set("assignee_id", stringOrNull(audit, "assignee_id"));
            summary->set("submitted_at",
                         review::intOrNull(review::timestampField(audit, "submitted_at")));
            const auto score = review::jsonField(audit, "score");
            summary->set("score",
                         score ? review::plainJson(Value::json(*score)) : Poco::Dynamic::Var());
            summary->set("findings_by_severity", severityCounts(findings));
            const auto open = conflicts.find(shared::scopeKey(c::kAudits, audit.id));
            summary->set("open_conflicts", open == conflicts.end() ? std::size_t{0} : open->second);
            summary->set("amendments", amendmentCount(store, audit));
            const auto comments = records.find(c::kReviewComments);
            summary->set("comments",
                         comments == records.end() ? std::size_t{0} : comments->second.size());
            items.add(summary);
        }
    });
    Poco::JSON::Object body;
    body.set("audits", items);
    exchange.sendJson(Poco::Net::HTTPResponse::HTTP_OK, body);
}

void ReviewEndpoint::showAudit(HttpExchange& exchange) {
    const auto principal = authenticateHq(_auth, exchange);
    const auto auditId = pathId(exchange, "audit");
    const auto now = _clock.nowMs();
    auto body = orderedObject();
    _stores.read(principal.tenantId, [&](const sync::Store& store) {
        const auto audit = requireRecord(store, c::kAudits, auditId, "audit");
        const auto& schema = store.schema();
        body->set("audit", review::recordJson(schema, audit));

        Poco::Dynamic::Var versionJson;
        if (const auto versionId = review::idField(audit, "template_version_id")) {
            if (const auto version = review::liveRecord(store, c::kTemplateVersions, *versionId)) {
                auto object = orderedObject();
                object->set("id", versionId->toString());
                object->set("template_key", stringOrNull(*version, "template_key"));
                object->set("version", review::intOrNull(review::intField(*version, "version")));
                object->set("scoring_rule", stringOrNull(*version, "scoring_rule"));
                versionJson = object;
            }
        }
        body->set("template_version", versionJson);

        const auto questions = auditQuestions(store, audit);
        auto records = review::scopeRecords(store, auditId);
        const auto list = [&](const char* collection, const auto& decorate) {
            Poco::JSON::Array array;
            for (const auto& record : records[collection]) {
                auto item = review::recordJson(schema, record);
                decorate(record, *item);
                array.add(item);
            }
            body->set(collection, array);
        };
        const auto plain = [](const sync::Record&, Poco::JSON::Object&) {};
        list(c::kAnswers, [&](const sync::Record& answer, Poco::JSON::Object& item) {
            const auto questionId = review::stringField(answer, "question_id");
            const auto question = questionId ? questions.find(*questionId) : questions.end();
            if (question == questions.end()) {
                item.set("question", Poco::Dynamic::Var());
                return;
            }
            auto text = orderedObject();
            text->set("en", question->second.textEn);
            text->set("zh", question->second.textZh);
            auto object = orderedObject();
            object->set("clause", question->second.clause);
            object->set("text", text);
            item.set("question", object);
        });
        list(c::kFindings, plain);
        list(c::kPhotos, plain);
        list(c::kCorrectiveActions, [&](const sync::Record& plan, Poco::JSON::Object& item) {
            const auto due = capDueAtMs(store, plan);
            item.set("due_at", review::intOrNull(due));
            item.set("overdue",
                     due && *due < now && review::stringField(plan, "status") != "verified");
        });
        list(c::kSignatures, plain);
        list(c::kReviewComments, plain);

        Poco::JSON::Array conflicts;
        for (const auto& conflict : review::auditConflicts(store, auditId)) {
            conflicts.add(review::conflictJson(conflict));
        }
        body->set("conflicts", conflicts);

        const auto log = store.changesSince(0, kWholeLog, {shared::scopeKey(c::kAudits, auditId)});
        const auto flags = amendmentFlags(log, auditId, auditFieldExperts(audit));
        Poco::JSON::Array history;
        for (std::size_t i = 0; i < log.size(); ++i) {
            const auto& change = log[i].change;
            auto item = orderedObject();
            item->set("server_seq", log[i].serverSeq);
            item->set("time_ms", static_cast<Poco::Int64>(change.hlc.physicalMs));
            item->set("author", change.author);
            item->set("device_id", change.deviceId.toString());
            item->set("collection", change.collection);
            item->set("record_id", change.recordId.toString());
            item->set("field", change.field);
            item->set("operation", std::string(shared::wireName(change.operation)));
            item->set("value", review::taggedJson(change.value));
            item->set("outcome", std::string(sync::wireName(log[i].outcome)));
            item->set("amendment", i < flags.size() && flags[i]);
            history.add(item);
        }
        body->set("history", history);

        body->set("completeness", completenessJson(auditCompleteness(store, auditId)));

        const auto stored = review::jsonField(audit, "score");
        const auto snapshot = storedSnapshot(audit);
        const auto rule = snapshot ? std::optional<std::string>(snapshot->ruleId)
                                   : auditScoringRule(store, auditId);
        const auto recomputed = rule ? scoreAudit(store, auditId, rule) : std::nullopt;
        auto score = orderedObject();
        score->set("snapshot",
                   stored ? review::plainJson(Value::json(*stored)) : Poco::Dynamic::Var());
        score->set("recomputed",
                   recomputed ? parseJson(recomputed->toJson()) : Poco::Dynamic::Var());
        score->set("changed_since_snapshot", snapshot && recomputed && *snapshot != *recomputed);
        body->set("score", score);
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
    std::string canonicalTarget = "audit";
    _stores.with(principal.tenantId, [&](sync::Store& store) {
        requireRecord(store, c::kAudits, auditId, "audit");
        if (target != "audit") {
            const auto slash = target.find('/');
            const auto collection = target.substr(0, slash);
            const auto id = slash == std::string::npos ? std::nullopt
                                                       : RecordId::parse(target.substr(slash + 1));
            const auto scope = id ? store.scopeOf(collection, *id) : std::nullopt;
            if (scope != shared::scopeKey(c::kAudits, auditId) ||
                !review::liveRecord(store, collection, *id)) {
                throw Error(ErrorCode::InvalidParameter,
                            "'target' must be \"audit\" or name a record of this audit, as "
                            "\"answers/<id>\".");
            }
            canonicalTarget = collection + "/" + id->toString();
        }
        ServerWriter(_hlc, _serverDevice)
            .apply(store, principal.userId,
                   commentWrites(commentId, auditId, canonicalTarget, text, principal.userId));
    });
    Poco::JSON::Object body;
    body.set("id", commentId.toString());
    body.set("target", canonicalTarget);
    exchange.sendJson(Poco::Net::HTTPResponse::HTTP_CREATED, body);
}

void ReviewEndpoint::moveAudit(HttpExchange& exchange, const std::string& to) {
    const auto principal = authenticateHq(_auth, exchange);
    const auto auditId = pathId(exchange, "audit");
    _stores.with(principal.tenantId, [&](sync::Store& store) {
        const auto audit = requireRecord(store, c::kAudits, auditId, "audit");
        checkAuditStep(audit, to, shared::Operation::Set);
        ServerWriter(_hlc, _serverDevice)
            .apply(store, principal.userId,
                   {{c::kAudits, auditId, "state", shared::Operation::Set, Value::string(to)}});
    });
    Poco::JSON::Object body;
    body.set("id", auditId.toString());
    body.set("state", to);
    exchange.sendJson(Poco::Net::HTTPResponse::HTTP_OK, body);
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
        const auto audit = requireRecord(store, c::kAudits, auditId, "audit");
        checkAuditStep(audit, "returned", shared::Operation::Reopen);
        auto writes = commentWrites(commentId, auditId, "audit", reason, principal.userId);
        writes.push_back(
            {c::kAudits, auditId, "state", shared::Operation::Reopen, Value::string("returned")});
        ServerWriter(_hlc, _serverDevice).apply(store, principal.userId, writes);
    });
    Poco::JSON::Object body;
    body.set("id", auditId.toString());
    body.set("state", "returned");
    body.set("comment_id", commentId.toString());
    exchange.sendJson(Poco::Net::HTTPResponse::HTTP_OK, body);
}

void ReviewEndpoint::approveAudit(HttpExchange& exchange) {
    const auto principal = authenticateHq(_auth, exchange);
    const auto auditId = pathId(exchange, "audit");
    const auto now = _clock.nowMs();
    std::size_t dated = 0;
    _stores.with(principal.tenantId, [&](sync::Store& store) {
        const auto audit = requireRecord(store, c::kAudits, auditId, "audit");
        checkAuditStep(audit, "approved", shared::Operation::Set);
        if (const auto open = review::auditConflicts(store, auditId).size(); open > 0) {
            throw Error(ErrorCode::InvalidTransition,
                        std::to_string(open) + (open == 1 ? " conflict is" : " conflicts are") +
                            " still open on this audit's records; they must be resolved first "
                            "(GET /v1/conflicts).");
        }
        std::vector<ServerWrite> writes = {
            {c::kAudits, auditId, "state", shared::Operation::Set, Value::string("approved")},
            {c::kAudits, auditId, "approved_at", shared::Operation::Set, Value::timestamp(now)},
        };
        auto records = review::scopeRecords(store, auditId);
        for (const auto& plan : records[c::kCorrectiveActions]) {
            if (review::timestampField(plan, "due_at")) {
                continue;
            }
            const auto findingId = review::idField(plan, "finding_id");
            const auto finding =
                findingId ? review::liveRecord(store, c::kFindings, *findingId) : std::nullopt;
            const auto severity =
                finding ? review::stringField(*finding, "severity").value_or("") : std::string();
            writes.push_back({c::kCorrectiveActions, plan.id, "due_at", shared::Operation::Set,
                              Value::timestamp(now + capDueDays(severity) * review::kDayMs)});
            ++dated;
        }
        ServerWriter(_hlc, _serverDevice).apply(store, principal.userId, writes);
    });
    Poco::JSON::Object body;
    body.set("id", auditId.toString());
    body.set("state", "approved");
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
    auto body = orderedObject();
    body->set("id", auditId.toString());
    _stores.with(principal.tenantId, [&](sync::Store& store) {
        const auto audit = requireRecord(store, c::kAudits, auditId, "audit");
        const auto rule = requested ? requested : auditScoringRule(store, auditId);
        if (!rule || shared::scoringRule(*rule) == nullptr) {
            throw Error(ErrorCode::InvalidParameter,
                        "The audit's template version names no scoring rule this server knows; "
                        "name one in 'rule'.");
        }
        const auto snapshot = scoreAudit(store, auditId, rule);
        if (!snapshot) {
            throw Error(ErrorCode::InternalError, "The audit could not be scored.");
        }
        const auto previous = review::jsonField(audit, "score");
        ServerWriter(_hlc, _serverDevice)
            .apply(store, principal.userId,
                   {{c::kAudits, auditId, "score", shared::Operation::Set,
                     Value::json(snapshot->toJson())}});
        body->set("previous",
                  previous ? review::plainJson(Value::json(*previous)) : Poco::Dynamic::Var());
        body->set("snapshot", parseJson(snapshot->toJson()));
    });
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
        const auto plan =
            requireRecord(store, c::kCorrectiveActions, planId, "corrective action plan");
        const auto from = review::stringField(plan, "status");
        if (const auto refusal = audit::capTransitionRefusal(
                from ? std::optional<std::string_view>(*from) : std::nullopt, status->second,
                /*actorIsHq=*/true)) {
            throw Error(refusal->code, refusal->message);
        }
        std::vector<ServerWrite> writes = {{c::kCorrectiveActions, planId, "status",
                                            shared::Operation::Set, Value::string(status->second)}};
        if (decision == "reject") {
            writes.push_back({c::kCorrectiveActions, planId, "rejection_reason",
                              shared::Operation::Set, Value::string(*reason)});
        } else if ((decision == "reopen" || decision == "verify") && reason && !reason->empty()) {
            writes.push_back({c::kCorrectiveActions, planId, "verification_note",
                              shared::Operation::Set, Value::string(*reason)});
        }
        ServerWriter(_hlc, _serverDevice).apply(store, principal.userId, writes);
    });
    Poco::JSON::Object body;
    body.set("id", planId.toString());
    body.set("status", status->second);
    exchange.sendJson(Poco::Net::HTTPResponse::HTTP_OK, body);
}

void ReviewEndpoint::listOverdue(HttpExchange& exchange) {
    const auto principal = authenticateHq(_auth, exchange);
    const review::ReviewQuery query(exchange, {});
    const auto now = _clock.nowMs();
    Poco::JSON::Array items;
    _stores.read(principal.tenantId, [&](const sync::Store& store) {
        for (const auto& item : review::overdueItems(store, now)) {
            items.add(review::overdueJson(store, item));
        }
    });
    Poco::JSON::Object body;
    body.set("now", static_cast<Poco::Int64>(now));
    body.set("items", items);
    exchange.sendJson(Poco::Net::HTTPResponse::HTTP_OK, body);
}

void ReviewEndpoint::showScorecard(HttpExchange& exchange) {
    const auto principal = authenticateHq(_auth, exchange);
    const auto supplierId = pathId(exchange, "supplier");
    const review::ReviewQuery query(exchange, {});
    const auto now = _clock.nowMs();
    auto body = orderedObject();
    _stores.read(principal.tenantId, [&](const sync::Store& store) {
        const auto supplier = requireRecord(store, c::kSuppliers, supplierId, "supplier");
        auto supplierJson = orderedObject();
        supplierJson->set("id", supplierId.toString());
        for (const char* field : {"uscc", "name_en", "name_zh"}) {
            supplierJson->set(field, stringOrNull(supplier, field));
        }
        supplierJson->set("tier", review::intOrNull(review::intField(supplier, "tier")));
        supplierJson->set("risk_level", stringOrNull(supplier, "risk_level"));
        supplierJson->set("grade", stringOrNull(supplier, "grade"));
        body->set("supplier", supplierJson);

        std::vector<sync::Record> audits;
        for (const auto& id : store.findRecords(c::kAudits, "supplier_id", Value::id(supplierId))) {
            if (auto audit = review::liveRecord(store, c::kAudits, id)) {
                audits.push_back(std::move(*audit));
            }
        }
        std::sort(audits.begin(), audits.end(), submittedBefore);

        Poco::JSON::Array trend;
        std::map<std::string, std::size_t> open;
        const auto plansByFinding = review::plansByFinding(store);
        for (const auto& audit : audits) {
            if (const auto snapshot = storedSnapshot(audit)) {
                auto item = orderedObject();
                item->set("audit_id", audit.id.toString());
                item->set("type", stringOrNull(audit, "type"));
                item->set("state", stringOrNull(audit, "state"));
                item->set("submitted_at",
                          review::intOrNull(review::timestampField(audit, "submitted_at")));
                item->set("approved_at",
                          review::intOrNull(review::timestampField(audit, "approved_at")));
                item->set("score", snapshot->score ? Poco::Dynamic::Var(*snapshot->score)
                                                   : Poco::Dynamic::Var());
                item->set("band", snapshot->band ? Poco::Dynamic::Var(*snapshot->band)
                                                 : Poco::Dynamic::Var());
                item->set("rule", snapshot->ruleId);
                trend.add(item);
            }
            // Findings count once their audit has reached HQ (submitted, or returned from it).
            const auto state = review::stringField(audit, "state").value_or("");
            if (!audit::isSubmittedState(state) && state != "returned") {
                continue;
            }
            const auto records = review::scopeRecords(store, audit.id);
            const auto findings = records.find(c::kFindings);
            if (findings == records.end()) {
                continue;
            }
            for (const auto& finding : findings->second) {
                const auto plans = plansByFinding.find(finding.id);
                const bool verified =
                    plans != plansByFinding.end() &&
                    std::any_of(plans->second.begin(), plans->second.end(),
                                [](const sync::Record& plan) {
                                    return review::stringField(plan, "status") == "verified";
                                });
                if (!verified) {
                    ++open[review::stringField(finding, "severity").value_or("")];
                }
            }
        }
        body->set("score_trend", trend);
        body->set("open_findings_by_severity", severityCounts(open));

        Poco::JSON::Array overdue;
        for (const auto& item : review::overdueItems(store, now)) {
            const auto audit = review::liveRecord(store, c::kAudits, item.auditId);
            if (audit && review::idField(*audit, "supplier_id") == supplierId) {
                overdue.add(review::overdueJson(store, item));
            }
        }
        auto overdueJson = orderedObject();
        overdueJson->set("count", overdue.size());
        overdueJson->set("items", overdue);
        body->set("overdue_plans", overdueJson);
    });
    exchange.sendJson(Poco::Net::HTTPResponse::HTTP_OK, *body);
}

void ReviewEndpoint::exportFindings(HttpExchange& exchange) {
    const auto principal = authenticateHq(_auth, exchange);
    const review::ReviewQuery query(exchange, {"supplier_id", "severity", "state"});
    const auto supplierId = query.id("supplier_id");
    const auto severities = query.oneOf("severity", enumValues(c::kFindings, "severity"));
    const auto states = query.oneOf("state", enumValues(c::kAudits, "state"));
    const auto now = _clock.nowMs();
    const auto matches = [](const std::optional<std::vector<std::string>>& allowed,
                            const std::string& value) {
        return !allowed || std::find(allowed->begin(), allowed->end(), value) != allowed->end();
    };

    review::ReviewCsv csv;
    csv.addRow({"finding_id", "audit_id", "audit_state", "supplier_id", "supplier_name_en",
                "supplier_name_zh", "facility_id", "question_id", "clause", "severity",
                "description", "cap_status", "cap_due_at", "overdue"});
    _stores.read(principal.tenantId, [&](const sync::Store& store) {
        std::map<RecordId, std::map<std::string, review::TemplateQuestion>> questionsOf;
        const auto plansByFinding = review::plansByFinding(store);
        for (const auto& id : store.recordIds(c::kFindings)) {
            const auto finding = review::liveRecord(store, c::kFindings, id);
            const auto auditId = finding ? review::idField(*finding, "audit_id") : std::nullopt;
            const auto audit =
                auditId ? review::liveRecord(store, c::kAudits, *auditId) : std::nullopt;
            if (!audit) {
                continue;
            }
            const auto state = review::stringField(*audit, "state").value_or("");
            const auto severity = review::stringField(*finding, "severity").value_or("");
            const auto supplierRef = review::idField(*audit, "supplier_id");
            if (!matches(states, state) || !matches(severities, severity) ||
                (supplierId && supplierRef != supplierId)) {
                continue;
            }
            const auto supplier =
                supplierRef ? review::liveRecord(store, c::kSuppliers, *supplierRef) : std::nullopt;
            const auto questionId = review::stringField(*finding, "question_id").value_or("");
            auto clause = review::stringField(*finding, "clause").value_or("");
            if (clause.empty() && !questionId.empty()) {
                auto cached = questionsOf.find(*auditId);
                if (cached == questionsOf.end()) {
                    cached = questionsOf.emplace(*auditId, auditQuestions(store, *audit)).first;
                }
                if (const auto question = cached->second.find(questionId);
                    question != cached->second.end()) {
                    clause = question->second.clause;
                }
            }
            const auto plan = currentPlan(plansByFinding, id);
            const auto capStatus = plan ? review::stringField(*plan, "status").value_or("") : "";
            const auto due = review::findingDueAtMs(store, *finding, plan);
            const auto facility = review::idField(*audit, "facility_id");
            csv.addRow({id.toString(), auditId->toString(), state,
                        supplierRef ? supplierRef->toString() : "",
                        supplier ? review::stringField(*supplier, "name_en").value_or("") : "",
                        supplier ? review::stringField(*supplier, "name_zh").value_or("") : "",
                        facility ? facility->toString() : "", questionId, clause, severity,
                        review::stringField(*finding, "description").value_or(""), capStatus,
                        due ? review::isoUtc(*due) : "",
                        due && *due < now && capStatus != "verified" ? "yes" : "no"});
        }
    });
    exchange.setHeader("Content-Disposition", "attachment; filename=\"findings.csv\"");
    exchange.send(Poco::Net::HTTPResponse::HTTP_OK, "text/csv; charset=utf-8", csv.text());
}

void ReviewEndpoint::publishTemplate(HttpExchange& exchange) {
    const auto principal = authenticateHq(_auth, exchange);
    requireJsonContentType(exchange);
    const auto text = exchange.readBody();
    const auto document = HttpExchange::parseJsonObject(text);
    const auto header = checkTemplateDocument(*document);
    const auto maxBytes =
        shared::domainSchema().collection(c::kTemplateVersions)->field("content")->maxBytes;
    if (text.size() > maxBytes) {
        throw Error(ErrorCode::PayloadTooLarge, "A template document may be at most " +
                                                    std::to_string(maxBytes / 1024) + " KiB.");
    }
    const auto versionId = _ids.nextRecordId();
    const auto now = _clock.nowMs();
    _stores.with(principal.tenantId, [&](sync::Store& store) {
        for (const auto& id : store.findRecords(c::kTemplateVersions, "template_key",
                                                Value::string(header.templateId))) {
            const auto existing = review::liveRecord(store, c::kTemplateVersions, id);
            if (existing && review::intField(*existing, "version") == header.version) {
                throw Error(ErrorCode::AlreadyExists,
                            "Version " + std::to_string(header.version) + " of template '" +
                                header.templateId + "' is already published (" + id.toString() +
                                "); published versions never change, publish a new version.");
            }
        }
        const auto write = [&](const char* field, Value value) {
            return ServerWrite{c::kTemplateVersions, versionId, field, shared::Operation::Set,
                               std::move(value)};
        };
        ServerWriter(_hlc, _serverDevice)
            .apply(store, principal.userId,
                   {write("template_key", Value::string(header.templateId)),
                    write("version", Value::integer(header.version)),
                    write("content", Value::json(text)),
                    write("scoring_rule", Value::string(header.scoringRule)),
                    write("published_at", Value::timestamp(now))});
    });
    auto body = orderedObject();
    body->set("id", versionId.toString());
    body->set("template_key", header.templateId);
    body->set("version", static_cast<Poco::Int64>(header.version));
    body->set("scoring_rule", header.scoringRule);
    body->set("published_at", static_cast<Poco::Int64>(now));
    exchange.sendJson(Poco::Net::HTTPResponse::HTTP_CREATED, *body);
}

void ReviewEndpoint::listTemplates(HttpExchange& exchange) {
    const auto principal = authenticateHq(_auth, exchange);
    const review::ReviewQuery query(exchange, {});
    std::vector<sync::Record> versions;
    _stores.read(principal.tenantId, [&](const sync::Store& store) {
        for (const auto& id : store.recordIds(c::kTemplateVersions)) {
            if (auto version = review::liveRecord(store, c::kTemplateVersions, id)) {
                versions.push_back(std::move(*version));
            }
        }
    });
    // Newest first: by publication (unpublished, device-made versions last), then version.
    const auto key = [](const sync::Record& record) {
        const auto published = review::timestampField(record, "published_at");
        return std::make_tuple(published.has_value(), published.value_or(0),
                               review::intField(record, "version").value_or(0), record.id);
    };
    std::sort(versions.begin(), versions.end(),
              [&](const sync::Record& a, const sync::Record& b) { return key(a) > key(b); });
    Poco::JSON::Array items;
    for (const auto& version : versions) {
        auto item = orderedObject();
        item->set("id", version.id.toString());
        item->set("template_key", stringOrNull(version, "template_key"));
        item->set("version", review::intOrNull(review::intField(version, "version")));
        item->set("scoring_rule", stringOrNull(version, "scoring_rule"));
        item->set("published_at",
                  review::intOrNull(review::timestampField(version, "published_at")));
        items.add(item);
    }
    Poco::JSON::Object body;
    body.set("templates", items);
    exchange.sendJson(Poco::Net::HTTPResponse::HTTP_OK, body);
}

}  // namespace verdant::server
