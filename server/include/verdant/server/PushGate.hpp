#pragma once

#include "verdant/server/AnswerValidator.hpp"
#include "verdant/server/AuditWorkflow.hpp"
#include "verdant/server/PushBatch.hpp"
#include "verdant/server/TokenService.hpp"
#include "verdant/shared/Change.hpp"
#include "verdant/shared/Id.hpp"
#include "verdant/shared/Schema.hpp"
#include "verdant/sync/Store.hpp"

#include <optional>
#include <set>
#include <span>
#include <string>

namespace verdant::server {

/// Everything the server checks about one push batch before a change is applied, in this order:
///  1. the checklist answer fits its audit's template version (AnswerValidator; HQ's too);
///  2. for a user who does not see the whole tenant: the role may make the change at all
///     (audit::ownershipRefusal), and the
///     record (and, for a parent write, the scope it would move into) is among the user's
///     writable scopes (`not_in_scope`);
///  3. the workflow (WorkflowGate), last, since it moves its view of a record on when it lets a
///     change through.
///
/// Built from the store before the batch is applied (Store::apply's gate may not read the
/// store), through one PushBatch, so each record the checks need is read once and the batch is
/// indexed once: its cost follows the batch, not the store nor the user's number of audits.
/// Keeps a reference to the store's schema only (the store must outlive it). Not thread-safe;
/// use it for one batch.
class PushGate {
public:
    /// Reads what `batch`, pushed by `principal`, needs from `store`.
    PushGate(const sync::Store& store, std::span<const shared::Change> batch,
             const Principal& principal);

    /// Why `change` may not be applied, or nullopt; `scope` as Store's ChangeGate receives it.
    std::optional<shared::ValidationError> check(const shared::Change& change,
                                                 const std::optional<std::string>& scope);

    /// The audits the batch moved up to "submitted" (WorkflowGate::submissions()).
    const std::set<shared::RecordId>& submissions() const noexcept {
        return _workflow.submissions();
    }

private:
    PushGate(PushBatch&& batch, const Principal& principal);

    const shared::Schema& _schema;
    shared::Role _role;
    std::optional<std::set<std::string>> _writable;  ///< nullopt: the whole tenant.
    AnswerValidator _answers;
    WorkflowGate _workflow;
};

}  // namespace verdant::server
