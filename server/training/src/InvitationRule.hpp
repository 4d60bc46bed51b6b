#pragma once

#include "AuditResults.hpp"
#include "ClausePattern.hpp"

#include "verdant/shared/Id.hpp"
#include "verdant/sync/Store.hpp"

#include <Poco/JSON/Object.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace verdant::server::training_office {

/// Which suppliers a session invites: every live supplier of the tenant that meets each
/// criterion given (at least one is): its `tier` equals `tier`, and it has an open finding (see
/// AuditResults::isOpen) whose clause `openFindingClause` matches. A plain value.
struct InvitationRule {
    std::optional<std::int64_t> tier;
    std::optional<ClausePattern> openFindingClause;
    bool mandatory = false;  ///< Written on the invitations; not a criterion.

    /// The rule of a request body {"tier"?, "open_finding_clause"?, "mandatory"?}. Throws
    /// shared::Error(InvalidParameter) naming the key for an unknown key, a wrong type, a tier
    /// outside 0..1000, a clause that is not a pattern, or a body with neither criterion.
    static InvitationRule fromJson(const Poco::JSON::Object::Ptr& body);

    /// The canonical text stored in each invitation's `rule`: the criteria given, in a fixed
    /// order, e.g. `tier=2;open_finding_clause=C.2.*`.
    std::string text() const;
};

/// A supplier the rule selects, and why.
struct SupplierMatch {
    sync::Record supplier;
    std::optional<std::int64_t> tier;
    std::vector<FindingFacts> openFindings;  ///< Those the clause matches; empty without one.
};

/// The suppliers `rule` selects in `store`, in supplier id order. Cost: the suppliers of the
/// tier (one index range) or all suppliers, plus, with a clause, one pass over audits, findings
/// and verified plans (AuditResults) — never a query per supplier.
std::vector<SupplierMatch> matchingSuppliers(const sync::Store& store, const InvitationRule& rule);

}  // namespace verdant::server::training_office
