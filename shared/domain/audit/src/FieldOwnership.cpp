#include "verdant/audit/FieldOwnership.hpp"

#include "verdant/audit/Collections.hpp"

#include <map>
#include <set>
#include <string>

namespace verdant::audit {

using shared::ErrorCode;

std::optional<shared::ValidationError> ownershipRefusal(shared::Role role,
                                                        const shared::Change& change) {
    if (shared::isHq(role)) {
        return std::nullopt;
    }
    namespace c = audit::collections;
    if (change.operation == shared::Operation::Reopen) {
        return shared::ValidationError{ErrorCode::Forbidden,
                                       "Only HQ may reopen; ask a reviewer to return the audit."};
    }
    const bool hqRecord = change.collection == c::kAudits ||
                          change.collection == c::kCorrectiveActions ||
                          change.collection == c::kReviewComments;
    if (hqRecord && (change.operation == shared::Operation::Delete ||
                     change.operation == shared::Operation::Restore)) {
        return shared::ValidationError{
            ErrorCode::Forbidden,
            "Only HQ may delete or restore a record of " + change.collection + "."};
    }
    static const std::map<std::string, std::set<std::string>, std::less<>> kHqFields = {
        {c::kAudits,
         {"assignee_id", "team", "supplier_id", "facility_id", "template_version_id", "type",
          "scheduled_for", "team_sections", "score", "submitted_at", "approved_at"}},
        {c::kCorrectiveActions, {"due_at", "rejection_reason", "verification_note"}},
        // HQ's comments; the auditor may mark one resolved.
        {c::kReviewComments, {"target", "text", "author_id"}},
    };
    const auto fields = kHqFields.find(change.collection);
    if (fields != kHqFields.end() && fields->second.count(change.field) != 0) {
        return shared::ValidationError{
            ErrorCode::Forbidden,
            "Only HQ may change the " + change.field + " of " + change.collection + "."};
    }
    return std::nullopt;
}

}  // namespace verdant::audit
