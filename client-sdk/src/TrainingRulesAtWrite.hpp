#pragma once

#include "verdant/shared/Change.hpp"
#include "verdant/shared/Role.hpp"
#include "verdant/sync/Store.hpp"

#include <optional>
#include <span>

namespace verdant::client {

/// Runs the training domain's rules (verdant/training/TrainingRules.hpp) on one user action before
/// it is written, from what the device holds, so the user hears at the write what the server
/// would refuse, with the server's code:
///  - a write the role may not make (a field expert creating a session, anyone writing the
///    waitlist or the training keys) (`forbidden`);
///  - a negative capacity, duration or grace period (`invalid_capacity`);
///  - a session that ends before it starts (`invalid_schedule`);
///  - registering or checking in at a session the device holds as cancelled
///    (`session_cancelled`);
///  - an outcome set by hand without an `outcome_reason` in the same action
///    (`outcome_reason_required`).
/// Whether a course exists, and whether a session without a waitlist is full, are the server's to
/// judge (the device may not hold the course yet, nor the other doors' registrations).
///
/// `changes` are one action's changes of one record, in outbox order; `role` nullopt when the
/// sign-in named none this build knows. Reads `store` only; call it under the store's lock.
std::optional<shared::ValidationError> trainingRulesRefusal(
    const sync::Store& store, std::optional<shared::Role> role,
    std::span<const shared::Change> changes);

}  // namespace verdant::client
