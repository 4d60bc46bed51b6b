#include "TrainingBatchRules.hpp"

#include "verdant/training/Collections.hpp"
#include "verdant/training/TrainingRules.hpp"

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
        session, SessionView{storedTimestamp(stored, "starts_at"),
                             storedTimestamp(stored, "ends_at"), storedString(stored, "status")});
}

std::optional<shared::ValidationError> TrainingBatchRules::checkContent(
    const shared::Change& change) {
    if (auto refusal = training::ownershipRefusal(_role, change)) {
        return refusal;
    }
    if (auto refusal = training::valueRefusal(change)) {
        return refusal;
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

}  // namespace verdant::server
