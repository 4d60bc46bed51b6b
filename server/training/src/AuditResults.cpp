#include "AuditResults.hpp"

#include "RecordFields.hpp"

#include "verdant/audit/Collections.hpp"

#include <algorithm>
#include <set>

namespace verdant::server::training_office {

namespace c = audit::collections;

namespace {

/// The findings that have a verified corrective action: one index range of plan statuses.
std::set<shared::RecordId> verifiedFindings(const sync::Store& store) {
    std::set<shared::RecordId> verified;
    const auto plans = liveRecords(
        store, c::kCorrectiveActions,
        store.findRecords(c::kCorrectiveActions, "status", shared::Value::string("verified")));
    for (const auto& plan : plans) {
        if (const auto finding = idField(plan, "finding_id")) {
            verified.insert(*finding);
        }
    }
    return verified;
}

}  // namespace

AuditResults AuditResults::read(const sync::Store& store) {
    AuditResults results;
    for (const auto& audit : liveRecords(store, c::kAudits)) {
        results._audits.emplace(audit.id, AuditFacts{audit.id, idField(audit, "supplier_id"),
                                                     textField(audit, "state").value_or(""),
                                                     timeField(audit, "submitted_at")});
    }
    const auto verified = verifiedFindings(store);
    for (const auto& finding : liveRecords(store, c::kFindings)) {
        const auto audit = idField(finding, "audit_id");
        if (!audit || results._audits.count(*audit) == 0) {
            continue;
        }
        results._findings[*audit].push_back(FindingFacts{
            finding.id, *audit, textField(finding, "clause").value_or(""),
            textField(finding, "severity").value_or(""), verified.count(finding.id) != 0});
    }
    return results;
}

bool AuditResults::isOpen(const FindingFacts& finding) const {
    static const std::set<std::string> kReachedHqNotClosed = {"submitted", "under_review",
                                                              "returned", "approved"};
    const auto audit = _audits.find(finding.auditId);
    return audit != _audits.end() && kReachedHqNotClosed.count(audit->second.state) != 0 &&
           !finding.verified;
}

bool AuditResults::hasFindingOn(const shared::RecordId& audit,
                                const std::vector<ClausePattern>& patterns) const {
    const auto findings = _findings.find(audit);
    if (findings == _findings.end()) {
        return false;
    }
    return std::any_of(findings->second.begin(), findings->second.end(), [&](const auto& finding) {
        return std::any_of(patterns.begin(), patterns.end(), [&](const ClausePattern& pattern) {
            return pattern.matches(finding.clause);
        });
    });
}

}  // namespace verdant::server::training_office
