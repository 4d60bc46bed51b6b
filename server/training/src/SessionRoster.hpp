#pragma once

#include "verdant/server/sync/ServerWriter.hpp"
#include "verdant/sync/Store.hpp"
#include "verdant/training/AttendanceOutcome.hpp"
#include "verdant/training/Waitlist.hpp"

#include <optional>
#include <string>
#include <vector>

namespace verdant::server {

/// One registration of a session as the server's follow-ups need it.
struct RosterEntry {
    training::SeatRequest seat;                  ///< State, position and order of its request.
    std::optional<std::int64_t> firstCheckInMs;  ///< Its `first_check_in`.
    bool hasOutcome = false;                     ///< Whether `outcome` holds a value.
    std::optional<std::string> serverOutcome;    ///< The outcome, when the server set it.
    bool outcomeInConflict = false;              ///< Two people judged differently: theirs.
};

/// A training session and its registrations, read from a store.
struct SessionRoster {
    shared::RecordId session;
    std::optional<std::string> status;
    training::SessionSeats seats;
    training::SessionStart start;
    std::vector<RosterEntry> registrations;
};

/// Whether `change` can move a session's seats or outcomes: a session's capacity, waitlist or
/// status, a registration's state, session or check-in time. Other writes (a venue, a phone
/// number, a check-out) leave the roster's decision as it is, so they cost no roster read.
bool affectsRoster(const shared::Change& change);

/// The session whose roster `change` affects, read from `store` (the store holding the change),
/// or nullopt when it affects none.
std::optional<shared::RecordId> rosterSessionOf(const sync::Store& store,
                                                const shared::Change& change);

/// Reads `session` and its registrations from `store`: one read of the session's scope, then one
/// read of each registration and of its state's history (the order of its request: the log
/// position of the first change that asked for a seat). Costs what the session holds, never a
/// scan of the store's registrations.
SessionRoster readRoster(const sync::Store& store, const shared::RecordId& session);

/// The writes that keep `roster` in step with its seats and its end:
///  - while the session is neither cancelled nor done: training::decideWaitlist's promotions
///    (a Set to `registered`), moves back to the waitlist (a Reopen to `waitlisted`) and
///    positions, and the status `open` -> `full` (a Set) or `full` -> `open` (a Reopen) as seats
///    run out or free up;
///  - once it is done: training::outcomeAtEnd for every registration without an outcome, or
///    whose outcome the server set and a later check-in changes (a person's outcome stands).
std::vector<ServerWrite> rosterFollowUps(const SessionRoster& roster);

}  // namespace verdant::server
