#pragma once

#include "ClausePattern.hpp"

#include "verdant/shared/Id.hpp"
#include "verdant/sync/Store.hpp"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace verdant::server::training_office {

/// One audit, as far as training needs it.
struct AuditFacts {
    shared::RecordId id;
    std::optional<shared::RecordId> supplierId;
    std::string state;                        ///< "" when never set.
    std::optional<std::int64_t> submittedAt;  ///< Unix ms.
};

/// One finding of a live audit, as far as training needs it.
struct FindingFacts {
    shared::RecordId id;
    shared::RecordId auditId;
    std::string clause;     ///< "" when never set.
    std::string severity;   ///< "" when never set.
    bool verified = false;  ///< A corrective action of the finding has status `verified`.
};

/// A tenant's audit results, read once per request (every audit, every finding, and the
/// corrective actions whose status is `verified`), so that a rule or a report over all suppliers
/// costs one pass over those collections, not a query per supplier. A plain value.
class AuditResults {
public:
    /// Reads them from `store` (lent by TenantStores::read or ::with).
    static AuditResults read(const sync::Store& store);

    /// The live audits, by id.
    const std::map<shared::RecordId, AuditFacts>& audits() const { return _audits; }

    /// The live findings of live audits, by audit, each list in finding id order.
    const std::map<shared::RecordId, std::vector<FindingFacts>>& findingsByAudit() const {
        return _findings;
    }

    /// Whether `finding` is open: its audit reached HQ and is not closed (state submitted,
    /// under_review, returned or approved) and no corrective action of it is `verified`.
    bool isOpen(const FindingFacts& finding) const;

    /// Whether the audit has a finding whose clause `patterns` match (any of them).
    bool hasFindingOn(const shared::RecordId& audit,
                      const std::vector<ClausePattern>& patterns) const;

private:
    std::map<shared::RecordId, AuditFacts> _audits;
    std::map<shared::RecordId, std::vector<FindingFacts>> _findings;
};

}  // namespace verdant::server::training_office
