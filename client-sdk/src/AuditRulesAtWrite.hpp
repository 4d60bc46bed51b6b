#pragma once

#include "verdant/shared/Change.hpp"
#include "verdant/shared/Role.hpp"
#include "verdant/shared/Schema.hpp"
#include "verdant/sync/Store.hpp"

#include <optional>
#include <span>

namespace verdant::client {

/// Runs the audit domain's rules (verdant/audit) on one user action before it is written, from
/// what the device holds: the audit record, its answers, the template version it pulled and the
/// signed-in role. A write the server would refuse for one of these rules is refused at once,
/// with the server's code, so the user hears of it at the write instead of a sync later:
///  - a field or step HQ owns, written as a field expert (`forbidden`);
///  - a workflow step not allowed from where the audit is, e.g. submitting an approved audit
///    (`audit_locked`, `invalid_transition`);
///  - a submission of an incomplete audit (`invalid_transition`);
///  - an answer to a question outside the audit's template version, or of the wrong form
///    (`unknown_question`, `invalid_answer`, ...).
/// What the device cannot know (a template version or an audit it does not hold, a role it was
/// not told) is not judged here: the server still judges every change.
///
/// `changes` are one action's changes of one record, in outbox order; `role` nullopt when the
/// sign-in named none this build knows. Reads `store` only; call it under the store's lock.
std::optional<shared::ValidationError> auditRulesRefusal(const sync::Store& store,
                                                         std::optional<shared::Role> role,
                                                         std::span<const shared::Change> changes);

}  // namespace verdant::client
