#include "ReviewReadModels.hpp"

#include "ReviewCsv.hpp"
#include "ReviewRecords.hpp"

#include "verdant/audit/AuditSteps.hpp"
#include "verdant/audit/Collections.hpp"
#include "verdant/server/audit/AuditWorkflow.hpp"
#include "verdant/server/http/QueryParameters.hpp"

#include <algorithm>
#include <map>
#include <tuple>

namespace verdant::server::review {

using shared::RecordId;
using shared::Value;
namespace c = audit::collections;

namespace {

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

/// Orders audits by submission (those never submitted last), then id.
bool submittedBefore(const sync::Record& a, const sync::Record& b) {
    const auto at = timestampField(a, "submitted_at");
    const auto bt = timestampField(b, "submitted_at");
    return std::make_tuple(!at.has_value(), at.value_or(0), a.id) <
           std::make_tuple(!bt.has_value(), bt.value_or(0), b.id);
}

/// How many changes of an audit's scope log are amendments.
std::size_t amendmentCount(const sync::Store& store, const sync::Record& audit) {
    const auto log = store.changesSince(0, kWholeLog, {shared::scopeKey(c::kAudits, audit.id)});
    const auto flags = amendmentFlags(log, audit.id, auditFieldExperts(audit));
    return static_cast<std::size_t>(std::count(flags.begin(), flags.end(), true));
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

/// Whether `value` is among `allowed` (any value when there is no such filter).
bool matches(const std::optional<std::vector<std::string>>& allowed, const std::string& value) {
    return !allowed || std::find(allowed->begin(), allowed->end(), value) != allowed->end();
}

// ---- review queue ---------------------------------------------------------------------------

/// The live audits whose state, supplier and submission time the filter selects, oldest
/// submission first.
std::vector<sync::Record> queuedAudits(const sync::Store& store, const QueueFilter& filter) {
    const auto& states = filter.states;
    const auto& from = filter.fromMs;
    const auto& to = filter.toMs;
    std::vector<sync::Record> audits;
    for (const auto& id : store.recordIds(c::kAudits)) {
        auto audit = liveRecord(store, c::kAudits, id);
        const auto state = audit ? stringField(*audit, "state") : std::nullopt;
        if (!state || std::find(states.begin(), states.end(), *state) == states.end()) {
            continue;
        }
        if (filter.supplierId && idField(*audit, "supplier_id") != filter.supplierId) {
            continue;
        }
        const auto submittedAt = timestampField(*audit, "submitted_at");
        if ((from || to) &&
            (!submittedAt || (from && *submittedAt < *from) || (to && *submittedAt > *to))) {
            continue;
        }
        audits.push_back(std::move(*audit));
    }
    std::sort(audits.begin(), audits.end(), submittedBefore);
    return audits;
}

/// How many findings of each severity an audit's scope holds.
std::map<std::string, std::size_t> findingCounts(
    const std::map<std::string, std::vector<sync::Record>>& records) {
    std::map<std::string, std::size_t> findings;
    if (const auto found = records.find(c::kFindings); found != records.end()) {
        for (const auto& finding : found->second) {
            ++findings[stringField(finding, "severity").value_or("")];
        }
    }
    return findings;
}

/// The supplier an audit names, as the queue shows it, or null when it names none.
Poco::Dynamic::Var queueSupplierJson(const std::optional<RecordId>& supplierRef,
                                     const std::optional<sync::Record>& supplier,
                                     const std::optional<std::int64_t>& supplierTier) {
    if (!supplierRef) {
        return {};
    }
    auto object = orderedObject();
    object->set("id", supplierRef->toString());
    object->set("name_en", supplier ? stringOrNull(*supplier, "name_en") : Poco::Dynamic::Var());
    object->set("name_zh", supplier ? stringOrNull(*supplier, "name_zh") : Poco::Dynamic::Var());
    object->set("tier", intOrNull(supplierTier));
    return object;
}

/// The queue's summary of one audit; `supplier` is the queue's rendering of its supplier.
Poco::JSON::Object::Ptr auditSummary(
    const sync::Store& store, const sync::Record& audit, const Poco::Dynamic::Var& supplier,
    const std::map<std::string, std::vector<sync::Record>>& records,
    const std::map<std::string, std::size_t>& findings,
    const std::map<std::string, std::size_t>& conflicts) {
    auto summary = orderedObject();
    summary->set("id", audit.id.toString());
    summary->set("state", stringOrNull(audit, "state"));
    summary->set("type", stringOrNull(audit, "type"));
    summary->set("supplier", supplier);
    const auto facility = idField(audit, "facility_id");
    summary->set("facility_id",
                 facility ? Poco::Dynamic::Var(facility->toString()) : Poco::Dynamic::Var());
    summary->set("assignee_id", stringOrNull(audit, "assignee_id"));
    summary->set("submitted_at", intOrNull(timestampField(audit, "submitted_at")));
    const auto score = jsonField(audit, "score");
    summary->set("score", score ? plainJson(Value::json(*score)) : Poco::Dynamic::Var());
    summary->set("findings_by_severity", severityCounts(findings));
    const auto open = conflicts.find(shared::scopeKey(c::kAudits, audit.id));
    summary->set("open_conflicts", open == conflicts.end() ? std::size_t{0} : open->second);
    summary->set("amendments", amendmentCount(store, audit));
    const auto comments = records.find(c::kReviewComments);
    summary->set("comments", comments == records.end() ? std::size_t{0} : comments->second.size());
    return summary;
}

// ---- supplier scorecard ---------------------------------------------------------------------

/// The supplier as its scorecard shows it.
Poco::JSON::Object::Ptr scorecardSupplierJson(const sync::Record& supplier) {
    auto object = orderedObject();
    object->set("id", supplier.id.toString());
    for (const char* field : {"uscc", "name_en", "name_zh"}) {
        object->set(field, stringOrNull(supplier, field));
    }
    object->set("tier", intOrNull(intField(supplier, "tier")));
    object->set("risk_level", stringOrNull(supplier, "risk_level"));
    object->set("grade", stringOrNull(supplier, "grade"));
    return object;
}

/// The live audits of a supplier, oldest submission first.
std::vector<sync::Record> supplierAudits(const sync::Store& store, const RecordId& supplierId) {
    std::vector<sync::Record> audits;
    for (const auto& id : store.findRecords(c::kAudits, "supplier_id", Value::id(supplierId))) {
        if (auto audit = liveRecord(store, c::kAudits, id)) {
            audits.push_back(std::move(*audit));
        }
    }
    std::sort(audits.begin(), audits.end(), submittedBefore);
    return audits;
}

/// One point of the score trend: an audit with its stored score snapshot.
Poco::JSON::Object::Ptr trendPoint(const sync::Record& audit,
                                   const shared::ScoreSnapshot& snapshot) {
    auto item = orderedObject();
    item->set("audit_id", audit.id.toString());
    item->set("type", stringOrNull(audit, "type"));
    item->set("state", stringOrNull(audit, "state"));
    item->set("submitted_at", intOrNull(timestampField(audit, "submitted_at")));
    item->set("approved_at", intOrNull(timestampField(audit, "approved_at")));
    item->set("score", snapshot.score ? Poco::Dynamic::Var(*snapshot.score) : Poco::Dynamic::Var());
    item->set("band", snapshot.band ? Poco::Dynamic::Var(*snapshot.band) : Poco::Dynamic::Var());
    item->set("rule", snapshot.ruleId);
    return item;
}

/// Counts, by severity into `open`, the findings of `audit` no verified plan answers. Findings
/// count once their audit has reached HQ (submitted, or returned from it).
void countOpenFindings(const sync::Store& store, const sync::Record& audit,
                       const std::map<RecordId, std::vector<sync::Record>>& plansByFinding,
                       std::map<std::string, std::size_t>& open) {
    const auto state = stringField(audit, "state").value_or("");
    if (!audit::isSubmittedState(state) && state != "returned") {
        return;
    }
    const auto records = scopeRecords(store, audit.id);
    const auto findings = records.find(c::kFindings);
    if (findings == records.end()) {
        return;
    }
    for (const auto& finding : findings->second) {
        const auto plans = plansByFinding.find(finding.id);
        const bool verified =
            plans != plansByFinding.end() &&
            std::any_of(plans->second.begin(), plans->second.end(), [](const sync::Record& plan) {
                return stringField(plan, "status") == "verified";
            });
        if (!verified) {
            ++open[stringField(finding, "severity").value_or("")];
        }
    }
}

/// The overdue plans of a supplier's audits at `nowMs`, as {"count","items"}.
Poco::JSON::Object::Ptr supplierOverdueJson(const sync::Store& store, const RecordId& supplierId,
                                            std::int64_t nowMs) {
    Poco::JSON::Array overdue;
    for (const auto& item : overdueItems(store, nowMs)) {
        const auto audit = liveRecord(store, c::kAudits, item.auditId);
        if (audit && idField(*audit, "supplier_id") == supplierId) {
            overdue.add(overdueJson(store, item));
        }
    }
    auto object = orderedObject();
    object->set("count", overdue.size());
    object->set("items", overdue);
    return object;
}

// ---- findings export ------------------------------------------------------------------------

/// The clause of a finding: its own, else its question's in the audit's template (templates are
/// read once per audit into `checklists`).
std::string findingClause(const sync::Store& store, const sync::Record& finding,
                          const sync::Record& audit,
                          std::map<RecordId, audit::ChecklistTemplate>& checklists) {
    const auto questionId = stringField(finding, "question_id").value_or("");
    auto clause = stringField(finding, "clause").value_or("");
    if (clause.empty() && !questionId.empty()) {
        auto cached = checklists.find(audit.id);
        if (cached == checklists.end()) {
            cached = checklists.emplace(audit.id, auditChecklist(store, audit)).first;
        }
        if (const auto* question = cached->second.question(questionId)) {
            clause = question->clause;
        }
    }
    return clause;
}

/// The export's row of one finding of `audit`; `plan` is the finding's current plan, if any.
std::vector<std::string> findingRow(const sync::Store& store, const sync::Record& finding,
                                    const sync::Record& audit, const std::string& clause,
                                    const std::optional<sync::Record>& plan, std::int64_t nowMs) {
    const auto supplierRef = idField(audit, "supplier_id");
    const auto supplier =
        supplierRef ? liveRecord(store, c::kSuppliers, *supplierRef) : std::nullopt;
    const auto capStatus = plan ? stringField(*plan, "status").value_or("") : "";
    const auto due = findingDueAtMs(store, finding, plan);
    const auto facility = idField(audit, "facility_id");
    return {finding.id.toString(),
            audit.id.toString(),
            stringField(audit, "state").value_or(""),
            supplierRef ? supplierRef->toString() : "",
            supplier ? stringField(*supplier, "name_en").value_or("") : "",
            supplier ? stringField(*supplier, "name_zh").value_or("") : "",
            facility ? facility->toString() : "",
            stringField(finding, "question_id").value_or(""),
            clause,
            stringField(finding, "severity").value_or(""),
            stringField(finding, "description").value_or(""),
            capStatus,
            due ? isoUtc(*due) : "",
            due && *due < nowMs && capStatus != "verified" ? "yes" : "no"};
}

}  // namespace

Poco::JSON::Array::Ptr reviewQueue(const sync::Store& store, const QueueFilter& filter) {
    Poco::JSON::Array::Ptr items = new Poco::JSON::Array;
    const auto conflicts = openConflictsByScope(store);
    for (const auto& audit : queuedAudits(store, filter)) {
        const auto supplierRef = idField(audit, "supplier_id");
        const auto supplier =
            supplierRef ? liveRecord(store, c::kSuppliers, *supplierRef) : std::nullopt;
        const auto supplierTier = supplier ? intField(*supplier, "tier") : std::nullopt;
        if (filter.tier && supplierTier != filter.tier) {
            continue;
        }
        const auto records = scopeRecords(store, audit.id);
        const auto findings = findingCounts(records);
        const auto& severities = filter.severities;
        if (severities &&
            std::none_of(severities->begin(), severities->end(), [&](const std::string& severity) {
                return findings.count(severity) != 0;
            })) {
            continue;
        }
        items->add(auditSummary(store, audit,
                                queueSupplierJson(supplierRef, supplier, supplierTier), records,
                                findings, conflicts));
    }
    return items;
}

Poco::JSON::Array::Ptr overdueList(const sync::Store& store, std::int64_t nowMs) {
    Poco::JSON::Array::Ptr items = new Poco::JSON::Array;
    for (const auto& item : overdueItems(store, nowMs)) {
        items->add(overdueJson(store, item));
    }
    return items;
}

Poco::JSON::Object::Ptr supplierScorecard(const sync::Store& store, const sync::Record& supplier,
                                          std::int64_t nowMs) {
    auto body = orderedObject();
    body->set("supplier", scorecardSupplierJson(supplier));
    Poco::JSON::Array trend;
    std::map<std::string, std::size_t> open;
    const auto plans = plansByFinding(store);
    for (const auto& audit : supplierAudits(store, supplier.id)) {
        if (const auto snapshot = storedSnapshot(audit)) {
            trend.add(trendPoint(audit, *snapshot));
        }
        countOpenFindings(store, audit, plans, open);
    }
    body->set("score_trend", trend);
    body->set("open_findings_by_severity", severityCounts(open));
    body->set("overdue_plans", supplierOverdueJson(store, supplier.id, nowMs));
    return body;
}

std::string findingsCsv(const sync::Store& store, const FindingsFilter& filter,
                        std::int64_t nowMs) {
    ReviewCsv csv;
    csv.addRow({"finding_id", "audit_id", "audit_state", "supplier_id", "supplier_name_en",
                "supplier_name_zh", "facility_id", "question_id", "clause", "severity",
                "description", "cap_status", "cap_due_at", "overdue"});
    std::map<RecordId, audit::ChecklistTemplate> checklists;
    const auto plans = plansByFinding(store);
    for (const auto& id : store.recordIds(c::kFindings)) {
        const auto finding = liveRecord(store, c::kFindings, id);
        const auto auditId = finding ? idField(*finding, "audit_id") : std::nullopt;
        const auto audit = auditId ? liveRecord(store, c::kAudits, *auditId) : std::nullopt;
        if (!audit) {
            continue;
        }
        const auto state = stringField(*audit, "state").value_or("");
        const auto severity = stringField(*finding, "severity").value_or("");
        const auto supplierRef = idField(*audit, "supplier_id");
        if (!matches(filter.states, state) || !matches(filter.severities, severity) ||
            (filter.supplierId && supplierRef != filter.supplierId)) {
            continue;
        }
        const auto clause = findingClause(store, *finding, *audit, checklists);
        csv.addRow(findingRow(store, *finding, *audit, clause, currentPlan(plans, id), nowMs));
    }
    return csv.text();
}

}  // namespace verdant::server::review
