#pragma once

/// The workflow steps of audits and corrective action plans: who may take which step from where.
/// Pure rules, run by the server on every push and review command and by the tablet at the
/// write, so both refuse a step with the same code.
///
/// Audit:  scheduled → in_progress → submitted → under_review → approved → closed, and
///         submitted | under_review → returned (HQ) → submitted again (the expert resubmits).
/// CAP:    draft → submitted → approved | rejected (with a reason); rejected → draft | submitted;
///         approved → in_progress → evidence_submitted → verified | reopened;
///         reopened → in_progress | evidence_submitted.
///
/// See DomainSchema.cpp for the order of the audit states (returned sits before submitted).

#include "verdant/shared/Change.hpp"
#include "verdant/shared/Schema.hpp"

#include <optional>
#include <string_view>

namespace verdant::audit {

/// The place of an audit state in the order of progress (scheduled 0 … closed 6); -1 for no
/// state or a name that is none.
int auditStateRank(std::optional<std::string_view> state) noexcept;

/// Whether an audit in `state` counts as submitted: submitted, under review, approved, closed.
bool isSubmittedState(std::string_view state) noexcept;

/// Whether an audit in `state` is decided (approved or closed): its checklist is locked.
bool isLockedState(std::string_view state) noexcept;

/// Why `actorIsHq` (an HQ reviewer or tenant admin when true, a field expert or coordinator
/// otherwise) may not move an audit from `from` (nullopt: the audit has no state yet) to `to`
/// with `operation` (Set or Reopen), or nullopt if the step is allowed. Code `forbidden` for a
/// step the role may never take, `audit_locked` for a field expert's step on a decided audit
/// (submitting an approved audit again), `invalid_transition` for one not allowed from `from`.
/// A step the role may take that arrives after the audit moved further (not decided) is
/// allowed: the monotone merge keeps the later state. Completeness is checked apart
/// (Completeness.hpp), since it needs the audit's answers.
std::optional<shared::ValidationError> auditTransitionRefusal(std::optional<std::string_view> from,
                                                              std::string_view to,
                                                              shared::Operation operation,
                                                              bool actorIsHq);

/// The same for a corrective action plan's status.
std::optional<shared::ValidationError> capTransitionRefusal(std::optional<std::string_view> from,
                                                            std::string_view to, bool actorIsHq);

}  // namespace verdant::audit
