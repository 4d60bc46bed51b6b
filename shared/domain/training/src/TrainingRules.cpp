#include "verdant/training/TrainingRules.hpp"

#include "verdant/training/Collections.hpp"

#include <array>
#include <string_view>

namespace verdant::training {

using shared::ErrorCode;
namespace c = collections;

namespace {

shared::ValidationError forbidden(std::string message) {
    return shared::ValidationError{ErrorCode::Forbidden, std::move(message)};
}

bool isOneOf(std::string_view value, std::initializer_list<std::string_view> values) {
    for (const auto candidate : values) {
        if (value == candidate) {
            return true;
        }
    }
    return false;
}

}  // namespace

std::optional<shared::ValidationError> ownershipRefusal(shared::Role role,
                                                        const shared::Change& change) {
    const auto& collection = change.collection;
    if (collection == c::kTrainingKeys) {
        return forbidden("The tenant's training keys are the server's; they cannot be written.");
    }
    if (collection == c::kAttendance && change.field == "waitlist_position") {
        return forbidden("The server decides the waitlist; its positions cannot be written.");
    }
    if (role == shared::Role::FieldExpert &&
        isOneOf(collection, {c::kCourses, c::kTrainingSessions, c::kInvitations, c::kAttendance,
                             c::kCertificates})) {
        return forbidden("Field experts cannot create or change training " + collection +
                         "; ask a training coordinator.");
    }
    if (collection == c::kCertificates && !isOneOf(change.field, {"status", "revoked_reason"})) {
        return forbidden(
            "Certificates are issued by the server; only their revocation is written.");
    }
    return std::nullopt;
}

std::optional<shared::ValidationError> valueRefusal(const shared::Change& change) {
    const bool counted = (change.collection == c::kTrainingSessions &&
                          isOneOf(change.field, {"capacity", "late_after_minutes"})) ||
                         (change.collection == c::kCourses && change.field == "duration_minutes");
    if (counted && change.operation == shared::Operation::Set &&
        change.value.kind() == shared::ValueKind::Int && change.value.as<std::int64_t>() < 0) {
        return shared::ValidationError{
            ErrorCode::InvalidCapacity,
            "The " + change.field + " of a " + change.collection + " record must be at least 0."};
    }
    return std::nullopt;
}

std::optional<shared::ValidationError> scheduleRefusal(std::optional<std::int64_t> startsAtMs,
                                                       std::optional<std::int64_t> endsAtMs) {
    if (startsAtMs && endsAtMs && *endsAtMs <= *startsAtMs) {
        return shared::ValidationError{ErrorCode::InvalidSchedule,
                                       "A training session must end after it starts."};
    }
    return std::nullopt;
}

std::optional<shared::ValidationError> cancelledSessionRefusal(
    const shared::Change& change, const std::optional<std::string>& sessionStatus) {
    if (change.collection != c::kAttendance || sessionStatus != "cancelled") {
        return std::nullopt;
    }
    const bool joins =
        change.field == "first_check_in" ||
        (change.field == "state" && change.value.kind() == shared::ValueKind::String &&
         isOneOf(change.value.as<std::string>(),
                 {"invited", "waitlisted", "registered", "checked_in", "attended"}));
    if (joins) {
        return shared::ValidationError{
            ErrorCode::SessionCancelled,
            "The training session is cancelled; nobody can register or check in any more."};
    }
    return std::nullopt;
}

std::optional<shared::ValidationError> fullSessionRefusal(std::optional<std::int64_t> capacity,
                                                          bool keepsWaitlist,
                                                          std::int64_t seatsTaken) {
    if (keepsWaitlist || !capacity || seatsTaken < *capacity) {
        return std::nullopt;
    }
    return shared::ValidationError{
        ErrorCode::SessionFull,
        "The training session is full (" + std::to_string(*capacity) +
            " seats) and keeps no waitlist; raise its capacity or turn its waitlist on."};
}

std::optional<shared::ValidationError> outcomeReasonRefusal(
    const shared::Change& change, const std::optional<std::string>& reason) {
    if (change.collection != c::kAttendance || change.field != "outcome") {
        return std::nullopt;
    }
    if (reason && reason->find_first_not_of(" \t\r\n") != std::string::npos) {
        return std::nullopt;
    }
    return shared::ValidationError{ErrorCode::OutcomeReasonRequired,
                                   "An attendance outcome set by hand needs an outcome_reason in "
                                   "the same action."};
}

}  // namespace verdant::training
