#include "InvitationRule.hpp"

#include "RecordFields.hpp"

#include "verdant/audit/Collections.hpp"
#include "verdant/server/http/RequestJson.hpp"
#include "verdant/shared/ErrorCode.hpp"

#include <map>

namespace verdant::server::training_office {

using shared::Error;
using shared::ErrorCode;
using shared::RecordId;
namespace c = audit::collections;

namespace {

constexpr const char* kTier = "tier";
constexpr const char* kClause = "open_finding_clause";
constexpr const char* kMandatory = "mandatory";

/// The open findings the clause matches, by the supplier of their audit.
std::map<RecordId, std::vector<FindingFacts>> openFindingsBySupplier(const sync::Store& store,
                                                                     const ClausePattern& clause) {
    const auto results = AuditResults::read(store);
    std::map<RecordId, std::vector<FindingFacts>> bySupplier;
    for (const auto& [auditId, findings] : results.findingsByAudit()) {
        const auto& supplier = results.audits().at(auditId).supplierId;
        for (const auto& finding : findings) {
            if (supplier && clause.matches(finding.clause) && results.isOpen(finding)) {
                bySupplier[*supplier].push_back(finding);
            }
        }
    }
    return bySupplier;
}

}  // namespace

InvitationRule InvitationRule::fromJson(const Poco::JSON::Object::Ptr& body) {
    const RequestJson request(body, {kTier, kClause, kMandatory});
    InvitationRule rule;
    if (body->has(kTier)) {
        rule.tier = request.integer(kTier, 0, 1000);
    }
    if (body->has(kClause)) {
        rule.openFindingClause = ClausePattern::parse(request.string(kClause));
        if (!rule.openFindingClause) {
            throw Error(ErrorCode::InvalidParameter,
                        "'open_finding_clause' must be a clause such as C.2 or a pattern such as "
                        "C.2.*.");
        }
    }
    if (body->has(kMandatory)) {
        const auto value = body->get(kMandatory);
        if (!value.isBoolean()) {
            throw Error(ErrorCode::InvalidParameter, "'mandatory' must be true or false.");
        }
        rule.mandatory = value.convert<bool>();
    }
    if (!rule.tier && !rule.openFindingClause) {
        throw Error(ErrorCode::InvalidParameter,
                    "A rule needs 'tier', 'open_finding_clause' or both.");
    }
    return rule;
}

std::string InvitationRule::text() const {
    std::string text;
    if (tier) {
        text += std::string(kTier) + "=" + std::to_string(*tier);
    }
    if (openFindingClause) {
        text += (text.empty() ? "" : ";") + std::string(kClause) + "=" + openFindingClause->text();
    }
    return text;
}

std::vector<SupplierMatch> matchingSuppliers(const sync::Store& store, const InvitationRule& rule) {
    std::map<RecordId, std::vector<FindingFacts>> findings;
    std::vector<RecordId> candidates;
    if (rule.openFindingClause) {
        findings = openFindingsBySupplier(store, *rule.openFindingClause);
    }
    if (rule.tier) {
        candidates = store.findRecords(c::kSuppliers, kTier, shared::Value::integer(*rule.tier));
    } else {
        for (const auto& entry : findings) {
            candidates.push_back(entry.first);
        }
    }
    std::vector<SupplierMatch> matches;
    for (auto& supplier : liveRecords(store, c::kSuppliers, candidates)) {
        const auto found = findings.find(supplier.id);
        if (rule.openFindingClause && found == findings.end()) {
            continue;
        }
        auto why = found == findings.end() ? std::vector<FindingFacts>{} : found->second;
        const auto tier = intField(supplier, kTier);
        matches.push_back(SupplierMatch{std::move(supplier), tier, std::move(why)});
    }
    return matches;
}

}  // namespace verdant::server::training_office
