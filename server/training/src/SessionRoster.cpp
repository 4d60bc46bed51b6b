#include "SessionRoster.hpp"

#include "verdant/training/Collections.hpp"

#include <limits>

namespace verdant::server {

namespace c = training::collections;
using shared::Operation;
using shared::Value;
using shared::ValueKind;

namespace {

const Value* visible(const sync::Record& record, const std::string& field) {
    const auto found = record.fields.find(field);
    return found == record.fields.end() || found->second.value.isNull() ? nullptr
                                                                        : &found->second.value;
}

template <typename T>
std::optional<T> valueOf(const sync::Record* record, const std::string& field, ValueKind kind) {
    const auto* value = record == nullptr ? nullptr : visible(*record, field);
    if (value == nullptr || value->kind() != kind) {
        return std::nullopt;
    }
    return value->as<T>();
}

std::optional<std::int64_t> timestampOf(const sync::Record* record, const std::string& field) {
    const auto time = valueOf<shared::Timestamp>(record, field, ValueKind::Timestamp);
    return time ? std::optional<std::int64_t>(time->ms) : std::nullopt;
}

/// The log position of the first logged change that asked for a seat for `registration`.
std::uint64_t requestOrder(const sync::Store& store, const shared::RecordId& registration) {
    auto order = std::numeric_limits<std::uint64_t>::max();
    for (const auto& logged : store.fieldHistory(c::kAttendance, registration, "state")) {
        const auto& value = logged.change.value;
        if (logged.outcome != sync::ChangeOutcome::Refused && value.kind() == ValueKind::String &&
            (value.as<std::string>() == "waitlisted" ||
             training::holdsSeat(value.as<std::string>()))) {
            order = std::min(order, logged.serverSeq);
        }
    }
    return order;
}

RosterEntry entryOf(const sync::Store& store, const sync::Record& record) {
    RosterEntry entry;
    entry.seat.id = record.id;
    entry.seat.state =
        valueOf<std::string>(&record, "state", ValueKind::String).value_or(std::string());
    entry.seat.waitlistPosition =
        valueOf<std::int64_t>(&record, "waitlist_position", ValueKind::Int);
    entry.seat.order = requestOrder(store, record.id);
    entry.firstCheckInMs = timestampOf(&record, "first_check_in");
    if (const auto found = record.fields.find("outcome"); found != record.fields.end()) {
        const auto& outcome = found->second;
        entry.hasOutcome = !outcome.value.isNull();
        entry.outcomeInConflict = outcome.inConflict;
        if (entry.hasOutcome && outcome.writtenBy && outcome.writtenBy->author == "server" &&
            outcome.value.kind() == ValueKind::String) {
            entry.serverOutcome = outcome.value.as<std::string>();
        }
    }
    return entry;
}

void addWaitlistWrites(const SessionRoster& roster, std::vector<ServerWrite>& writes) {
    std::vector<training::SeatRequest> requests;
    for (const auto& entry : roster.registrations) {
        requests.push_back(entry.seat);
    }
    const auto decision = training::decideWaitlist(roster.seats, std::move(requests));
    for (const auto& id : decision.waitlisted) {
        writes.push_back(
            {c::kAttendance, id, "state", Operation::Reopen, Value::string("waitlisted")});
    }
    for (const auto& id : decision.promoted) {
        writes.push_back(
            {c::kAttendance, id, "state", Operation::Set, Value::string("registered")});
    }
    for (const auto& [id, position] : decision.positions) {
        writes.push_back({c::kAttendance, id, "waitlist_position", Operation::Set,
                          position ? Value::integer(*position) : Value::null()});
    }
    const auto& capacity = roster.seats.capacity;
    const bool full = capacity && decision.seatsTaken >= *capacity;
    if (roster.status == "open" && full) {
        writes.push_back({c::kTrainingSessions, roster.session, "status", Operation::Set,
                          Value::string("full")});
    } else if (roster.status == "full" && !full) {
        writes.push_back({c::kTrainingSessions, roster.session, "status", Operation::Reopen,
                          Value::string("open")});
    }
}

void addOutcomeWrites(const SessionRoster& roster, std::vector<ServerWrite>& writes) {
    for (const auto& entry : roster.registrations) {
        if (entry.outcomeInConflict || (entry.hasOutcome && !entry.serverOutcome)) {
            continue;  // a person's judgement stands
        }
        const auto outcome =
            training::outcomeAtEnd(entry.seat.state, entry.firstCheckInMs, roster.start);
        if (outcome && outcome != entry.serverOutcome) {
            writes.push_back({c::kAttendance, entry.seat.id, "outcome", Operation::Set,
                              Value::string(*outcome)});
        }
    }
}

}  // namespace

bool affectsRoster(const shared::Change& change) {
    const auto& field = change.field;
    if (change.collection == c::kTrainingSessions) {
        return field == "capacity" || field == "waitlist" || field == "status";
    }
    return change.collection == c::kAttendance &&
           (field == "state" || field == "session_id" || field == "first_check_in");
}

std::optional<shared::RecordId> rosterSessionOf(const sync::Store& store,
                                                const shared::Change& change) {
    if (!affectsRoster(change)) {
        return std::nullopt;
    }
    if (change.collection == c::kTrainingSessions) {
        return change.recordId;
    }
    const auto registration = store.record(c::kAttendance, change.recordId);
    return registration ? valueOf<shared::RecordId>(&*registration, "session_id", ValueKind::Id)
                        : std::nullopt;
}

SessionRoster readRoster(const sync::Store& store, const shared::RecordId& session) {
    SessionRoster roster;
    roster.session = session;
    const auto stored = store.record(c::kTrainingSessions, session);
    const sync::Record* record = stored && !stored->deleted ? &*stored : nullptr;
    roster.status = valueOf<std::string>(record, "status", ValueKind::String);
    roster.seats.capacity = valueOf<std::int64_t>(record, "capacity", ValueKind::Int);
    roster.seats.waitlist = valueOf<bool>(record, "waitlist", ValueKind::Bool).value_or(true);
    roster.start.startsAtMs = timestampOf(record, "starts_at");
    roster.start.lateAfterMinutes =
        valueOf<std::int64_t>(record, "late_after_minutes", ValueKind::Int);
    for (const auto& ref : store.recordsInScope(shared::scopeKey(c::kTrainingSessions, session))) {
        if (ref.collection != c::kAttendance) {
            continue;
        }
        const auto registration = store.record(ref.collection, ref.id);
        if (registration && !registration->deleted) {
            roster.registrations.push_back(entryOf(store, *registration));
        }
    }
    return roster;
}

std::vector<ServerWrite> rosterFollowUps(const SessionRoster& roster) {
    std::vector<ServerWrite> writes;
    if (roster.status == "done") {
        addOutcomeWrites(roster, writes);
    } else if (roster.status != "cancelled") {
        addWaitlistWrites(roster, writes);
    }
    return writes;
}

}  // namespace verdant::server
