#include "TrainingBatchRules.hpp"

#include "SessionRoster.hpp"

#include "verdant/training/Collections.hpp"
#include "verdant/training/TrainingRules.hpp"
#include "verdant/training/Waitlist.hpp"

namespace verdant::server {

namespace c = training::collections;

namespace {

std::optional<std::int64_t> timestampOf(const shared::Value& value) {
    if (value.kind() == shared::ValueKind::Timestamp) {
        return value.as<shared::Timestamp>().ms;
    }
    return std::nullopt;
}

std::optional<std::int64_t> storedTimestamp(const sync::Record* record, const std::string& field) {
    if (record == nullptr) {
        return std::nullopt;
    }
    const auto found = record->fields.find(field);
    return found == record->fields.end() ? std::nullopt : timestampOf(found->second.value);
}

std::optional<std::string> storedString(const sync::Record* record, const std::string& field) {
    if (record == nullptr) {
        return std::nullopt;
    }
    const auto found = record->fields.find(field);
    if (found == record->fields.end() || found->second.value.kind() != shared::ValueKind::String) {
        return std::nullopt;
    }
    return found->second.value.as<std::string>();
}

}  // namespace

TrainingBatchRules::TrainingBatchRules(PushBatch& batch, const Principal& principal)
    : _role(principal.role) {
    for (const auto& change : batch.changes()) {
        if (change.collection == c::kCourses) {
            _knownCourses.insert(change.recordId);
        } else if (change.collection == c::kTrainingSessions) {
            readSession(batch, change.recordId);
            if (affectsRoster(change)) {
                _rosters.insert(change.recordId);
            }
            if (change.field == "course_id" && change.value.kind() == shared::ValueKind::Id) {
                const auto course = change.value.as<shared::RecordId>();
                const auto* stored = batch.stored(c::kCourses, course);
                if (stored != nullptr && !stored->deleted) {
                    _knownCourses.insert(course);
                }
            }
        } else if (change.collection == c::kAttendance) {
            const auto session = batch.value(c::kAttendance, change.recordId, "session_id");
            if (session && session->kind() == shared::ValueKind::Id) {
                _sessionOfRegistration.emplace(change.recordId, session->as<shared::RecordId>());
                readSession(batch, session->as<shared::RecordId>());
                if (affectsRoster(change)) {
                    _rosters.insert(session->as<shared::RecordId>());
                }
                if (change.field == "state" &&
                    change.value == shared::Value::string("registered")) {
                    readSeats(batch, session->as<shared::RecordId>());
                }
            }
            const auto* reason = batch.firstSet(c::kAttendance, change.recordId, "outcome_reason");
            if (reason != nullptr && reason->kind() == shared::ValueKind::String) {
                _reasons.emplace(change.recordId, reason->as<std::string>());
            }
        }
    }
    // The batch's own Sets, in order, over the stored values.
    for (const auto& change : batch.changes()) {
        const auto session = _sessions.find(change.recordId);
        if (change.collection != c::kTrainingSessions || session == _sessions.end() ||
            change.operation != shared::Operation::Set) {
            continue;
        }
        if (change.field == "starts_at") {
            session->second.startsAtMs = timestampOf(change.value);
        } else if (change.field == "ends_at") {
            session->second.endsAtMs = timestampOf(change.value);
        }
    }
}

void TrainingBatchRules::readSession(PushBatch& batch, const shared::RecordId& session) {
    if (_sessions.count(session) != 0) {
        return;
    }
    const auto* stored = batch.stored(c::kTrainingSessions, session);
    _sessions.emplace(
        session,
        SessionView{storedTimestamp(stored, "starts_at"), storedTimestamp(stored, "ends_at"),
                    storedString(stored, "status"), std::nullopt, std::nullopt});
}

void TrainingBatchRules::readSeats(PushBatch& batch, const shared::RecordId& session) {
    auto& view = _sessions.at(session);
    if (view.seated) {
        return;
    }
    view.seated.emplace();
    const auto* waitlist = batch.firstSet(c::kTrainingSessions, session, "waitlist");
    const auto* capacity = batch.firstSet(c::kTrainingSessions, session, "capacity");
    const auto stored = readRoster(batch.store(), session);
    const bool keepsWaitlist = waitlist != nullptr && waitlist->kind() == shared::ValueKind::Bool
                                   ? waitlist->as<bool>()
                                   : stored.seats.waitlist;
    if (keepsWaitlist) {
        return;  // nobody is refused: the follow-ups waitlist whoever is beyond capacity
    }
    view.capacity = capacity != nullptr && capacity->kind() == shared::ValueKind::Int
                        ? std::optional<std::int64_t>(capacity->as<std::int64_t>())
                        : stored.seats.capacity;
    for (const auto& entry : stored.registrations) {
        if (training::holdsSeat(entry.seat.state)) {
            view.seated->insert(entry.seat.id);
        }
    }
}

std::optional<shared::ValidationError> TrainingBatchRules::checkContent(
    const shared::Change& change) {
    if (auto refusal = training::ownershipRefusal(_role, change)) {
        return refusal;
    }
    if (auto refusal = training::valueRefusal(change)) {
        return refusal;
    }
    if (change.collection == c::kAttendance && change.field == "outcome") {
        const auto reason = _reasons.find(change.recordId);
        if (auto refusal = training::outcomeReasonRefusal(
                change, reason == _reasons.end() ? std::nullopt
                                                 : std::optional<std::string>(reason->second))) {
            return refusal;
        }
    }
    if (change.collection == c::kTrainingSessions) {
        return checkSession(change);
    }
    if (change.collection == c::kAttendance) {
        return checkRegistration(change);
    }
    return std::nullopt;
}

std::optional<shared::ValidationError> TrainingBatchRules::checkSession(
    const shared::Change& change) const {
    if (change.field == "course_id" && change.operation == shared::Operation::Set &&
        (change.value.kind() != shared::ValueKind::Id ||
         _knownCourses.count(change.value.as<shared::RecordId>()) == 0)) {
        return shared::ValidationError{shared::ErrorCode::UnknownCourse,
                                       "The training session names a course that does not "
                                       "exist."};
    }
    if (change.field == "starts_at" || change.field == "ends_at") {
        const auto& view = _sessions.at(change.recordId);
        return training::scheduleRefusal(view.startsAtMs, view.endsAtMs);
    }
    return std::nullopt;
}

std::optional<shared::ValidationError> TrainingBatchRules::checkRegistration(
    const shared::Change& change) const {
    const auto session = _sessionOfRegistration.find(change.recordId);
    if (session == _sessionOfRegistration.end()) {
        return std::nullopt;  // no session: its session_id write is refused by the scope
    }
    return training::cancelledSessionRefusal(change, _sessions.at(session->second).status);
}

std::optional<shared::ValidationError> TrainingBatchRules::checkStep(const shared::Change& change) {
    const auto session = _sessionOfRegistration.find(change.recordId);
    if (change.collection != c::kAttendance || change.field != "state" ||
        change.value != shared::Value::string("registered") ||
        session == _sessionOfRegistration.end()) {
        return std::nullopt;
    }
    auto& view = _sessions.at(session->second);
    if (!view.seated || view.seated->count(change.recordId) != 0) {
        return std::nullopt;  // a session with a waitlist, or a seat the person holds already
    }
    if (auto refusal = training::fullSessionRefusal(
            view.capacity, false, static_cast<std::int64_t>(view.seated->size()))) {
        return refusal;
    }
    view.seated->insert(change.recordId);
    return std::nullopt;
}

std::vector<ServerWrite> TrainingBatchRules::followUps(const sync::Store& after, std::int64_t) {
    std::vector<ServerWrite> writes;
    for (const auto& session : _rosters) {
        auto more = rosterFollowUps(readRoster(after, session));
        writes.insert(writes.end(), more.begin(), more.end());
    }
    return writes;
}

}  // namespace verdant::server
