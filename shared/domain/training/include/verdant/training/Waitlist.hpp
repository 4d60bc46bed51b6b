#pragma once

/// Who of a session's registrations holds a seat and who waits, decided by the server after
/// every push that touches the session (its registrations or its capacity). Pure: the same
/// registrations give the same decision on any machine.

#include "verdant/shared/Id.hpp"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace verdant::training {

/// One registration as the waitlist sees it.
struct SeatRequest {
    shared::RecordId id;                           ///< The registration (attendance record).
    std::string state;                             ///< Its `state`.
    std::optional<std::int64_t> waitlistPosition;  ///< Its `waitlist_position`, if any.
    /// When the server received its request for a seat (the log position of the first change
    /// that made it waitlisted, registered or checked in): first come, first served.
    std::uint64_t order = 0;
};

/// The session's seats: `capacity` (none: no limit) and whether it keeps a waitlist.
struct SessionSeats {
    std::optional<std::int64_t> capacity;
    bool waitlist = true;
};

/// What the server writes so the session's registrations fit its seats.
struct WaitlistDecision {
    std::vector<shared::RecordId> promoted;    ///< waitlisted -> registered (a forward Set).
    std::vector<shared::RecordId> waitlisted;  ///< registered -> waitlisted (a Reopen).
    /// The registrations whose position changes: 1, 2, … in order, nullopt for one that no
    /// longer waits.
    std::map<shared::RecordId, std::optional<std::int64_t>> positions;
    std::int64_t seatsTaken = 0;  ///< Registered, checked in or attended, after the decision.
};

/// Whether `state` holds a seat: registered, checked_in or attended.
bool holdsSeat(const std::string& state);

/// The decision for one session's registrations:
///  - checked-in and attended people always keep their seat (they are there);
///  - beyond capacity, the registered people who asked last move back to the waitlist (only when
///    the session keeps one; without a waitlist the server refuses the request instead, see
///    fullSessionRefusal);
///  - each free seat goes to the waiting person who asked first;
///  - the waiting people are numbered 1, 2, … in the order they asked (ties by record id).
/// Idempotent: applying the decision and deciding again gives no change.
WaitlistDecision decideWaitlist(const SessionSeats& seats, std::vector<SeatRequest> requests);

}  // namespace verdant::training
