#pragma once

/// The HQ reviewer's workflow commands on one tenant's store: moving an audit through review,
/// returning and approving it, rescoring it, deciding on corrective action plans and commenting.

#include "verdant/server/sync/ServerWriter.hpp"
#include "verdant/shared/Id.hpp"
#include "verdant/shared/Scoring.hpp"
#include "verdant/sync/Store.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

namespace verdant::server::review {

/// What rescoring an audit changed.
struct Rescored {
    std::optional<std::string> previous;  ///< The snapshot stored before, as JSON text.
    shared::ScoreSnapshot snapshot;       ///< The snapshot written now.
};

/// The commands of one reviewer on one store. Each checks the workflow's rule against what the
/// store holds (throwing shared::Error with its code, not_found for a record it names that is
/// not live) and writes server-authored changes (ServerWriter) in one batch. Use it inside
/// TenantStores::with, so the reads that justify a write and the write share the store's lock.
/// Holds references; one per request, not thread-safe.
class ReviewCommands {
public:
    /// `store` and the writer's clock must outlive the commands; `reviewer` authors the writes.
    ReviewCommands(sync::Store& store, ServerWriter writer, std::string reviewer);

    /// Writes review comment `comment` on `audit` about `target` ("audit", or "<collection>/<id>"
    /// of a live record of the audit's scope; anything else is invalid_parameter). Returns the
    /// target in canonical form.
    std::string addComment(const shared::RecordId& audit, const shared::RecordId& comment,
                           const std::string& target, const std::string& text);

    /// Moves `audit` forward to state `to` (a Set, checked by auditTransitionRefusal).
    void moveAudit(const shared::RecordId& audit, const std::string& to);

    /// Returns `audit` to its auditor with `reason`, written as review comment `comment`.
    void returnAudit(const shared::RecordId& audit, const shared::RecordId& comment,
                     const std::string& reason);

    /// Approves `audit` at `nowMs`, refused while a conflict of it is open, and dates its plans
    /// that have no due date. Returns how many plans it dated.
    std::size_t approveAudit(const shared::RecordId& audit, std::int64_t nowMs);

    /// Scores `audit` with `rule` (default: its template version's) and stores the snapshot.
    Rescored rescore(const shared::RecordId& audit, const std::optional<std::string>& rule);

    /// Moves `plan` to `status` (the outcome of `decision`: approve, reject, verify or reopen),
    /// checked by capTransitionRefusal. `reason` is the rejection reason of a reject and the
    /// verification note of a verify or reopen.
    void decidePlan(const shared::RecordId& plan, const std::string& decision,
                    const std::string& status, const std::optional<std::string>& reason);

private:
    sync::Store& _store;
    ServerWriter _writer;
    std::string _reviewer;
};

}  // namespace verdant::server::review
