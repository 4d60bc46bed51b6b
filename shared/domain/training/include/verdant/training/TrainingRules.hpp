#pragma once

/// The training domain's pure rules, run by the server on every push and by the tablet at the
/// write, so both refuse the same writes with the same codes.

#include "verdant/shared/Change.hpp"
#include "verdant/shared/Role.hpp"
#include "verdant/shared/Schema.hpp"

#include <cstdint>
#include <optional>
#include <string>

namespace verdant::training {

/// Whether `role` may make this training write at all (`forbidden` otherwise):
///  - the tenant's training keys are the server's alone (nobody writes them by sync);
///  - a registration's waitlist position is the server's (it decides the waitlist);
///  - a field expert writes coaching visits only: no course, session, invitation, registration
///    or certificate;
///  - certificates are issued by the server: people may only revoke one (status, reason).
std::optional<shared::ValidationError> ownershipRefusal(shared::Role role,
                                                        const shared::Change& change);

/// Whether a value is acceptable on its own: a session's capacity and late-after grace and a
/// course's duration are whole numbers of at least 0 (`invalid_capacity`).
std::optional<shared::ValidationError> valueRefusal(const shared::Change& change);

/// Whether a session that starts at `startsAtMs` may end at `endsAtMs` (`invalid_schedule` unless
/// it ends after it starts); nothing to say while either is unknown.
std::optional<shared::ValidationError> scheduleRefusal(std::optional<std::int64_t> startsAtMs,
                                                       std::optional<std::int64_t> endsAtMs);

/// Whether a registration write may be made in a session whose status is `sessionStatus`: in a
/// cancelled session nobody registers, is promoted or checks in (`session_cancelled`); a
/// cancellation, a check-out or an outcome is still recorded.
std::optional<shared::ValidationError> cancelledSessionRefusal(
    const shared::Change& change, const std::optional<std::string>& sessionStatus);

/// Whether a registration may be made in a session without a waitlist whose `seatsTaken` of
/// `capacity` are held (`session_full` when none is free); nothing to say for a session with a
/// waitlist (the server waitlists instead) or without a capacity.
std::optional<shared::ValidationError> fullSessionRefusal(std::optional<std::int64_t> capacity,
                                                          bool keepsWaitlist,
                                                          std::int64_t seatsTaken);

/// Whether a person's write of a registration's `outcome` comes with a reason: the server sets
/// outcomes itself when the session is done, so one written by hand is a correction and needs a
/// non-blank `outcome_reason` in the same action (`reason`: what the action sets it to, if
/// anything) (`outcome_reason_required`).
std::optional<shared::ValidationError> outcomeReasonRefusal(
    const shared::Change& change, const std::optional<std::string>& reason);

}  // namespace verdant::training
