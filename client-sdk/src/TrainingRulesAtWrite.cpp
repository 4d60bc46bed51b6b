#include "TrainingRulesAtWrite.hpp"

#include "verdant/training/Collections.hpp"
#include "verdant/training/TrainingRules.hpp"

#include <string>

namespace verdant::client {

namespace c = training::collections;
using shared::Change;
using shared::ValidationError;

namespace {

/// What `changes` last set `field` to, else the stored record's visible value, else null.
shared::Value valueOf(const std::optional<sync::Record>& record, std::span<const Change> changes,
                      const std::string& field) {
    for (auto change = changes.rbegin(); change != changes.rend(); ++change) {
        if (change->field == field && change->operation == shared::Operation::Set) {
            return change->value;
        }
    }
    if (record) {
        if (const auto found = record->fields.find(field); found != record->fields.end()) {
            return found->second.value;
        }
    }
    return shared::Value::null();
}

std::optional<std::int64_t> timestampOf(const shared::Value& value) {
    if (value.kind() == shared::ValueKind::Timestamp) {
        return value.as<shared::Timestamp>().ms;
    }
    return std::nullopt;
}

/// A session's schedule as the action leaves it.
std::optional<ValidationError> scheduleRefusal(const sync::Store& store,
                                               std::span<const Change> changes) {
    const auto stored = store.record(c::kTrainingSessions, changes.front().recordId);
    return training::scheduleRefusal(timestampOf(valueOf(stored, changes, "starts_at")),
                                     timestampOf(valueOf(stored, changes, "ends_at")));
}

/// A registration's session status, when the device holds the session.
std::optional<std::string> sessionStatus(const sync::Store& store,
                                         std::span<const Change> changes) {
    const auto registration = store.record(c::kAttendance, changes.front().recordId);
    const auto session = valueOf(registration, changes, "session_id");
    if (session.kind() != shared::ValueKind::Id) {
        return std::nullopt;
    }
    const auto status =
        valueOf(store.record(c::kTrainingSessions, session.as<shared::RecordId>()), {}, "status");
    return status.kind() == shared::ValueKind::String
               ? std::optional<std::string>(status.as<std::string>())
               : std::nullopt;
}

}  // namespace

std::optional<ValidationError> trainingRulesRefusal(const sync::Store& store,
                                                    std::optional<shared::Role> role,
                                                    std::span<const Change> changes) {
    if (changes.empty()) {
        return std::nullopt;
    }
    for (const auto& change : changes) {
        if (role) {
            if (auto refusal = training::ownershipRefusal(*role, change)) {
                return refusal;
            }
        }
        if (auto refusal = training::valueRefusal(change)) {
            return refusal;
        }
    }
    const auto& collection = changes.front().collection;
    if (collection == c::kTrainingSessions) {
        return scheduleRefusal(store, changes);
    }
    if (collection == c::kAttendance) {
        const auto status = sessionStatus(store, changes);
        const auto reason = valueOf(std::nullopt, changes, "outcome_reason");
        const auto reasonText = reason.kind() == shared::ValueKind::String
                                    ? std::optional<std::string>(reason.as<std::string>())
                                    : std::nullopt;
        for (const auto& change : changes) {
            if (auto refusal = training::cancelledSessionRefusal(change, status)) {
                return refusal;
            }
            if (auto refusal = training::outcomeReasonRefusal(change, reasonText)) {
                return refusal;
            }
        }
    }
    return std::nullopt;
}

}  // namespace verdant::client
