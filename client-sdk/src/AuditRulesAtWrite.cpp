#include "AuditRulesAtWrite.hpp"

#include "verdant/audit/AuditSteps.hpp"
#include "verdant/audit/ChecklistTemplate.hpp"
#include "verdant/audit/Completeness.hpp"
#include "verdant/audit/FieldOwnership.hpp"
#include "verdant/domain/DomainSchema.hpp"

#include <string>
#include <vector>

namespace verdant::client {

namespace c = audit::collections;
using shared::Change;
using shared::ValidationError;

namespace {

/// The visible value of `field` of a stored record, else what `changes` set it to, else null.
shared::Value valueOf(const std::optional<sync::Record>& record, std::span<const Change> changes,
                      const std::string& field) {
    for (const auto& change : changes) {
        if (change.field == field && change.operation == shared::Operation::Set) {
            return change.value;
        }
    }
    if (record) {
        if (const auto found = record->fields.find(field); found != record->fields.end()) {
            return found->second.value;
        }
    }
    return shared::Value::null();
}

/// The template of the audit's version, when the device holds the audit and that version.
std::optional<audit::ChecklistTemplate> checklistOf(const sync::Store& store,
                                                    const shared::Value& auditId) {
    if (auditId.kind() != shared::ValueKind::Id) {
        return std::nullopt;
    }
    const auto auditRecord = store.record(c::kAudits, auditId.as<shared::RecordId>());
    const auto version = valueOf(auditRecord, {}, "template_version_id");
    if (version.kind() != shared::ValueKind::Id) {
        return std::nullopt;
    }
    const auto content =
        valueOf(store.record(c::kTemplateVersions, version.as<shared::RecordId>()), {}, "content");
    return content.kind() == shared::ValueKind::Json
               ? audit::ChecklistTemplate::parse(content.as<shared::JsonText>().text)
               : std::nullopt;
}

/// An answer's refusal against its audit's template version.
std::optional<ValidationError> answerRefusal(const sync::Store& store,
                                             std::span<const Change> changes) {
    const auto stored = store.record(c::kAnswers, changes.front().recordId);
    const auto checklist = checklistOf(store, valueOf(stored, changes, "audit_id"));
    if (!checklist) {
        return std::nullopt;
    }
    const auto question = valueOf(stored, changes, "question_id");
    const auto questionId = question.kind() == shared::ValueKind::String
                                ? std::optional(question.as<std::string>())
                                : std::nullopt;
    for (const auto& change : changes) {
        if (auto refusal = audit::answerRefusal(*checklist, questionId, change)) {
            return refusal;
        }
    }
    return std::nullopt;
}

/// An audit state step's refusal: the workflow, then completeness for a submission.
std::optional<ValidationError> stepRefusal(const sync::Store& store, shared::Role role,
                                           const Change& change) {
    const auto stored = store.record(c::kAudits, change.recordId);
    const auto state = valueOf(stored, {}, "state");
    const auto from = state.kind() == shared::ValueKind::String
                          ? std::optional<std::string_view>(state.as<std::string>())
                          : std::nullopt;
    const auto& to = change.value.as<std::string>();
    if (auto refusal =
            audit::auditTransitionRefusal(from, to, change.operation, shared::isHq(role))) {
        return refusal;
    }
    const bool submits = change.operation == shared::Operation::Set &&
                         audit::isSubmittedState(to) && !(from && audit::isSubmittedState(*from));
    const auto checklist =
        submits ? checklistOf(store, shared::Value::id(change.recordId)) : std::nullopt;
    if (!checklist) {
        return std::nullopt;
    }
    std::vector<sync::Record> answers;
    for (const auto& ref : store.recordsInScope(shared::scopeKey(c::kAudits, change.recordId))) {
        if (ref.collection == c::kAnswers) {
            if (auto record = store.record(ref.collection, ref.id)) {
                answers.push_back(std::move(*record));
            }
        }
    }
    return audit::submissionRefusal(audit::completenessOf(*checklist, audit::answerSheet(answers)));
}

}  // namespace

std::optional<ValidationError> auditRulesRefusal(const sync::Store& store,
                                                 std::optional<shared::Role> role,
                                                 std::span<const Change> changes) {
    if (changes.empty()) {
        return std::nullopt;
    }
    for (const auto& change : changes) {
        if (auto refusal = role ? audit::ownershipRefusal(*role, change) : std::nullopt) {
            return refusal;
        }
        const bool step = change.collection == c::kAudits && change.field == "state" &&
                          change.value.kind() == shared::ValueKind::String;
        if (auto refusal = step && role ? stepRefusal(store, *role, change) : std::nullopt) {
            return refusal;
        }
    }
    return changes.front().collection == c::kAnswers ? answerRefusal(store, changes) : std::nullopt;
}

}  // namespace verdant::client
