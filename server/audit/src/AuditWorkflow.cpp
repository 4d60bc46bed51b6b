#include "verdant/server/audit/AuditWorkflow.hpp"

#include "ReviewRecords.hpp"

#include "verdant/audit/AuditSteps.hpp"
#include "verdant/audit/ChecklistTemplate.hpp"
#include "verdant/audit/Collections.hpp"

#include <Poco/Exception.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <algorithm>
#include <array>
#include <set>
#include <utility>

namespace verdant::server {

using shared::ErrorCode;
using shared::ValidationError;
namespace collections = audit::collections;
using review::idField;
using review::jsonField;
using review::stringField;
using review::timestampField;

namespace {

constexpr std::int64_t kDayMs = 24LL * 60 * 60 * 1000;

/// Collections whose records belong to an audit (through their immutable audit_id).
bool isAuditChild(std::string_view collection) {
    return collection == collections::kAnswers || collection == collections::kFindings ||
           collection == collections::kCorrectiveActions || collection == collections::kPhotos ||
           collection == collections::kSignatures || collection == collections::kReviewComments;
}

/// Collections whose records are an audit's checklist: locked once the audit is decided.
bool isChecklistContent(std::string_view collection) {
    return collection == collections::kAnswers || collection == collections::kFindings ||
           collection == collections::kSignatures;
}

/// How bad a result is for the "most severe wins" rule: non-conformances by severity, anything
/// else 0.
int severityRank(shared::ResultClass result) {
    switch (result) {
        case shared::ResultClass::Minor:
            return 1;
        case shared::ResultClass::Major:
            return 2;
        case shared::ResultClass::Priority:
            return 3;
        default:
            return 0;
    }
}

/// The template content of an audit's version, if stored.
std::optional<std::string> auditTemplateContent(const sync::Store& store,
                                                const sync::Record& audit) {
    const auto version = idField(audit, "template_version_id");
    if (!version) {
        return std::nullopt;
    }
    const auto record = store.record(collections::kTemplateVersions, *version);
    return record ? jsonField(*record, "content") : std::nullopt;
}

/// The answer text of a `{"answer": ...}` value, when it is a string.
std::optional<std::string> answerText(const std::string& json) {
    try {
        Poco::JSON::Parser parser;
        const auto parsed = parser.parse(json);
        if (parsed.type() == typeid(Poco::JSON::Object::Ptr)) {
            const auto answer = parsed.extract<Poco::JSON::Object::Ptr>()->get("answer");
            if (answer.isString()) {
                return answer.extract<std::string>();
            }
        }
    } catch (const Poco::Exception&) {
        // Not JSON: no answer text.
    }
    return std::nullopt;
}

}  // namespace

WorkflowGate::WorkflowGate(const sync::Store& store, std::span<const shared::Change> batch,
                           bool actorIsHq)
    : _hq(actorIsHq) {
    PushBatch view(store, batch);
    read(view);
}

WorkflowGate::WorkflowGate(PushBatch& batch, bool actorIsHq) : _hq(actorIsHq) {
    read(batch);
}

void WorkflowGate::read(PushBatch& batch) {
    _sheets.emplace(batch);
    // Every record through `batch`, which reads each from the store once: a record the batch
    // names in many changes (a new answer's audit_id, question_id and value) costs one read.
    const auto stringOf = [&](std::string_view collection, const shared::RecordId& id,
                              const std::string& field) {
        const auto* record = batch.stored(collection, id);
        return record ? stringField(*record, field) : std::nullopt;
    };
    const auto noteAudit = [&](const shared::RecordId& audit) {
        if (_auditStates.count(audit) == 0) {
            _auditStates.emplace(audit, stringOf(collections::kAudits, audit, "state"));
        }
    };
    for (const auto& change : batch.changes()) {
        if (change.collection == collections::kAudits) {
            noteAudit(change.recordId);
            continue;
        }
        if (change.collection == collections::kCorrectiveActions &&
            _capStatuses.count(change.recordId) == 0) {
            _capStatuses.emplace(change.recordId,
                                 stringOf(change.collection, change.recordId, "status"));
        }
        if (!isAuditChild(change.collection) || _parents.count(change.recordId) != 0) {
            continue;
        }
        if (const auto* record = batch.stored(change.collection, change.recordId)) {
            if (const auto audit = idField(*record, "audit_id")) {
                _parents.emplace(change.recordId, Parent{*audit, true});
                noteAudit(*audit);
            }
        }
    }
    // Audits a batch's new records name, so their lock is known too.
    for (const auto& change : batch.changes()) {
        if (isAuditChild(change.collection) && change.field == "audit_id" &&
            change.value.kind() == shared::ValueKind::Id) {
            noteAudit(change.value.as<shared::RecordId>());
        }
    }
    if (_hq) {
        return;
    }
    // Which of the batch's stored answers are in conflict, with their candidates, and who leads
    // their audits.
    bool anyConflict = false;
    for (const auto& [record, parent] : _parents) {
        const auto* stored = batch.stored(collections::kAnswers, record);
        if (!stored) {
            continue;
        }
        for (const auto& [name, field] : stored->fields) {
            anyConflict = anyConflict || field.inConflict;
        }
    }
    for (const auto& [audit, state] : _auditStates) {
        _leads.emplace(audit, stringOf(collections::kAudits, audit, "assignee_id").value_or(""));
    }
    if (anyConflict) {
        // Every open conflict of the tenant: the store has no query for one record's conflicts.
        // Only a batch that touches an answer in conflict pays for it.
        for (const auto& conflict : batch.store().openConflicts()) {
            if (conflict.collection == collections::kAnswers &&
                _parents.count(conflict.recordId) != 0) {
                auto& candidates = _conflicts[{conflict.recordId, conflict.field}];
                for (const auto& candidate : conflict.candidates) {
                    candidates.push_back({candidate.hlc, candidate.author});
                }
            }
        }
    }
}

std::optional<shared::RecordId> WorkflowGate::auditOf(const shared::RecordId& record) const {
    const auto found = _parents.find(record);
    return found == _parents.end() ? std::nullopt : std::optional(found->second.audit);
}

std::optional<ValidationError> WorkflowGate::check(const shared::Change& change) {
    auto refusal = checkChange(change);
    if (const auto parent = _parents.find(change.recordId); !refusal && parent != _parents.end()) {
        _sheets->take(change, parent->second.audit);  // applied: the sheet moves on with it
    }
    return refusal;
}

std::optional<ValidationError> WorkflowGate::checkChange(const shared::Change& change) {
    if (change.collection == collections::kAudits) {
        return checkAudit(change);
    }
    if (!isAuditChild(change.collection)) {
        return std::nullopt;
    }
    // A record never moves to another audit: a second, different audit_id (an early-dated one
    // would win the immutable field's merge) is refused before the merge can reorder them.
    if (change.field == "audit_id" && change.value.kind() == shared::ValueKind::Id) {
        const auto audit = change.value.as<shared::RecordId>();
        const auto known = _parents.find(change.recordId);
        if (known != _parents.end() && known->second.audit != audit) {
            return ValidationError{ErrorCode::ImmutableField,
                                   "The " + change.collection +
                                       " record belongs to another audit; it cannot be moved."};
        }
        // Known from here on even if refused below, so the record's other fields get the same
        // reason (audit_locked) rather than losing their audit.
        _parents.emplace(change.recordId, Parent{audit, false});
        if (auto refusal = lockRefusal(change, audit)) {
            return refusal;
        }
    } else if (const auto parent = _parents.find(change.recordId); parent != _parents.end()) {
        if (auto refusal = lockRefusal(change, parent->second.audit)) {
            return refusal;
        }
        if (auto refusal = settleRefusal(change, parent->second.audit)) {
            return refusal;
        }
    }
    if (change.collection == collections::kCorrectiveActions && change.field == "status") {
        auto& status = _capStatuses[change.recordId];
        if (change.value.kind() != shared::ValueKind::String) {
            return ValidationError{ErrorCode::InvalidTransition,
                                   "A corrective action plan's status cannot be cleared."};
        }
        const auto& to = change.value.as<std::string>();
        if (auto refusal = audit::capTransitionRefusal(
                status ? std::optional<std::string_view>(*status) : std::nullopt, to, _hq)) {
            return refusal;
        }
        status = to;
    }
    return std::nullopt;
}

std::optional<ValidationError> WorkflowGate::checkAudit(const shared::Change& change) {
    if (change.field != "state") {
        return std::nullopt;
    }
    if (change.value.kind() != shared::ValueKind::String) {
        return ValidationError{ErrorCode::InvalidTransition, "An audit's state cannot be cleared."};
    }
    auto& state = _auditStates[change.recordId];
    const auto& to = change.value.as<std::string>();
    const std::optional<std::string_view> from =
        state ? std::optional<std::string_view>(*state) : std::nullopt;
    if (_hq &&
        ((change.operation == shared::Operation::Set && (to == "approved" || to == "closed")) ||
         (change.operation == shared::Operation::Reopen && to == "returned"))) {
        // These decisions carry more than a state (conflicts checked, plans dated, a reason):
        // the review API makes them.
        return ValidationError{ErrorCode::InvalidTransition,
                               "Approve, return and close an audit through the review API "
                               "(/v1/review/audits/{id}/...), not by syncing its state."};
    }
    if (auto refusal = audit::auditTransitionRefusal(from, to, change.operation, _hq)) {
        return refusal;
    }
    const bool submits = change.operation == shared::Operation::Set &&
                         audit::isSubmittedState(to) && !(from && audit::isSubmittedState(*from));
    if (auto refusal = submits ? _sheets->submissionRefusal(change.recordId) : std::nullopt) {
        return refusal;
    }
    if (change.operation == shared::Operation::Reopen ||
        audit::auditStateRank(to) > audit::auditStateRank(from)) {
        if (change.operation == shared::Operation::Set && to == "submitted") {
            _submissions.insert(change.recordId);
        }
        state = to;
    }
    return std::nullopt;
}

std::optional<ValidationError> WorkflowGate::lockRefusal(const shared::Change& change,
                                                         const shared::RecordId& audit) const {
    if (_hq) {
        return std::nullopt;
    }
    // The checklist (answers, findings, signatures) is locked once decided; photos may still be
    // added (evidence of corrective actions) but not deleted.
    const bool locks =
        isChecklistContent(change.collection) || (change.collection == collections::kPhotos &&
                                                  change.operation == shared::Operation::Delete);
    if (!locks) {
        return std::nullopt;
    }
    const auto state = _auditStates.find(audit);
    if (state != _auditStates.end() && state->second && audit::isLockedState(*state->second)) {
        return ValidationError{ErrorCode::AuditLocked,
                               "The audit is " + *state->second +
                                   "; its checklist can no longer be changed. Ask HQ to reopen it "
                                   "if something must be corrected."};
    }
    return std::nullopt;
}

std::optional<ValidationError> WorkflowGate::settleRefusal(const shared::Change& change,
                                                           const shared::RecordId& audit) {
    if (_hq || change.collection != collections::kAnswers || !change.baseVersion) {
        return std::nullopt;
    }
    const auto conflict = _conflicts.find({change.recordId, change.field});
    if (conflict == _conflicts.end()) {
        return std::nullopt;
    }
    // A write whose base covers another auditor's candidate drops it from the conflict: that
    // is settling it, which is the lead's (or HQ's) to do.
    const auto& lead = _leads[audit];
    const bool dropsAnother =
        std::any_of(conflict->second.begin(), conflict->second.end(), [&](const auto& candidate) {
            return candidate.author != change.author && candidate.hlc <= *change.baseVersion;
        });
    if (dropsAnother && change.author != lead) {
        return ValidationError{ErrorCode::Forbidden,
                               "Two auditors answered this item differently; the lead auditor or "
                               "HQ settles it, not a co-auditor."};
    }
    if (dropsAnother) {
        _conflicts.erase(conflict);  // settled: later writes of the batch are ordinary edits
    }
    return std::nullopt;
}

std::map<std::string, shared::ResultClass> auditQuestionResults(const sync::Store& store,
                                                                const shared::RecordId& audit) {
    std::map<std::string, shared::ResultClass> results;
    const auto auditRecord = store.record(collections::kAudits, audit);
    if (!auditRecord) {
        return results;
    }
    std::map<std::string, std::string> defaultSeverity;
    const auto content = auditTemplateContent(store, *auditRecord);
    if (const auto checklist = content ? audit::ChecklistTemplate::parse(*content) : std::nullopt) {
        for (const auto& id : checklist->questionIds()) {
            results.emplace(id, shared::ResultClass::NotReviewed);
            defaultSeverity.emplace(id, checklist->question(id)->defaultSeverity);
        }
    }
    std::vector<std::pair<std::string, shared::ResultClass>> findings;
    for (const auto& ref : store.recordsInScope(shared::scopeKey(collections::kAudits, audit))) {
        if (ref.collection != collections::kAnswers && ref.collection != collections::kFindings) {
            continue;
        }
        const auto record = store.record(ref.collection, ref.id);
        if (!record || record->deleted) {
            continue;
        }
        const auto question = stringField(*record, "question_id");
        if (!question) {
            continue;
        }
        if (ref.collection == collections::kFindings) {
            const auto severity = stringField(*record, "severity");
            if (const auto result =
                    severity ? shared::resultClassFromWireName(*severity) : std::nullopt) {
                findings.emplace_back(*question, *result);
            }
            continue;
        }
        std::optional<shared::ResultClass> result;
        if (const auto explicitResult = stringField(*record, "result")) {
            result = shared::resultClassFromWireName(*explicitResult);
        }
        if (!result) {
            const auto value = jsonField(*record, "value");
            const auto answer = value ? answerText(*value) : std::nullopt;
            if (!value) {
                continue;  // cleared: not answered
            }
            if (answer == "na") {
                result = shared::ResultClass::NotApplicable;
            } else if (answer == "no") {
                const auto found = defaultSeverity.find(*question);
                const auto severity = found == defaultSeverity.end()
                                          ? std::nullopt
                                          : shared::resultClassFromWireName(found->second);
                // A "no" is a finding of the question's default severity (minor if it has
                // none, or names a class that is no finding).
                const bool isFinding = severity && *severity != shared::ResultClass::Conformance &&
                                       *severity != shared::ResultClass::NotApplicable &&
                                       *severity != shared::ResultClass::NotReviewed;
                result = isFinding ? *severity : shared::ResultClass::Minor;
            } else {
                result = shared::ResultClass::Conformance;
            }
        }
        results[*question] = *result;
    }
    for (const auto& [question, severity] : findings) {
        auto& result =
            results.try_emplace(question, shared::ResultClass::NotReviewed).first->second;
        if (severityRank(severity) > severityRank(result)) {
            result = severity;
        }
    }
    return results;
}

std::optional<audit::Completeness> auditCompleteness(const sync::Store& store,
                                                     const shared::RecordId& audit) {
    const auto auditRecord = store.record(collections::kAudits, audit);
    const auto content = auditRecord ? auditTemplateContent(store, *auditRecord) : std::nullopt;
    const auto checklist = content ? audit::ChecklistTemplate::parse(*content) : std::nullopt;
    if (!checklist) {
        return std::nullopt;
    }
    auto records = review::scopeRecords(store, audit);
    return audit::completenessOf(*checklist, audit::answerSheet(records[collections::kAnswers]));
}

std::optional<std::string> auditScoringRule(const sync::Store& store,
                                            const shared::RecordId& audit) {
    const auto auditRecord = store.record(collections::kAudits, audit);
    const auto version = auditRecord ? idField(*auditRecord, "template_version_id") : std::nullopt;
    const auto record =
        version ? store.record(collections::kTemplateVersions, *version) : std::nullopt;
    if (!record) {
        return std::nullopt;
    }
    if (auto rule = stringField(*record, "scoring_rule")) {
        return rule;
    }
    const auto content = jsonField(*record, "content");
    if (!content) {
        return std::nullopt;
    }
    try {
        Poco::JSON::Parser parser;
        const auto parsed = parser.parse(*content);
        if (parsed.type() == typeid(Poco::JSON::Object::Ptr)) {
            const auto rule = parsed.extract<Poco::JSON::Object::Ptr>()->get("scoring_rule");
            if (rule.isString()) {
                return rule.extract<std::string>();
            }
        }
    } catch (const Poco::Exception&) {
        // Not JSON: no rule named.
    }
    return std::nullopt;
}

std::optional<shared::ScoreSnapshot> scoreAudit(const sync::Store& store,
                                                const shared::RecordId& audit,
                                                std::optional<std::string> ruleId) {
    if (!store.record(collections::kAudits, audit)) {
        return std::nullopt;
    }
    if (!ruleId) {
        ruleId = auditScoringRule(store, audit);
    }
    const auto* rule = ruleId ? shared::scoringRule(*ruleId) : nullptr;
    if (rule == nullptr) {
        return std::nullopt;
    }
    std::vector<shared::ResultClass> results;
    for (const auto& [question, result] : auditQuestionResults(store, audit)) {
        results.push_back(result);
    }
    return rule->score(results);
}

std::vector<ServerWrite> submissionWrites(const sync::Store& store,
                                          const std::set<shared::RecordId>& audits,
                                          std::int64_t nowMs) {
    std::vector<ServerWrite> writes;
    for (const auto& audit : audits) {
        const auto record = store.record(collections::kAudits, audit);
        if (!record || stringField(*record, "state") != "submitted") {
            continue;  // moved on in the same batch: not this submission's to score
        }
        // The snapshot of this submission, with the rule of the audit's template version; a
        // later rule or template never rewrites it (only HQ's explicit rescore does).
        if (const auto snapshot = scoreAudit(store, audit)) {
            writes.push_back({collections::kAudits, audit, "score", shared::Operation::Set,
                              shared::Value::json(snapshot->toJson())});
        }
        writes.push_back({collections::kAudits, audit, "submitted_at", shared::Operation::Set,
                          shared::Value::timestamp(nowMs)});
    }
    return writes;
}

std::set<std::string> auditFieldExperts(const sync::Record& audit) {
    std::set<std::string> experts;
    if (auto lead = stringField(audit, "assignee_id")) {
        experts.insert(*lead);
    }
    if (const auto team = audit.fields.find("team"); team != audit.fields.end()) {
        experts.insert(team->second.elements.begin(), team->second.elements.end());
    }
    return experts;
}

std::vector<bool> amendmentFlags(std::span<const sync::LoggedChange> scopeLog,
                                 const shared::RecordId& audit,
                                 const std::set<std::string>& fieldExperts) {
    // The audit's state is followed as the monotone merge decides it (sync/Merge.cpp): the latest
    // reopen overrides every write before it; after it the furthest state wins.
    std::optional<shared::ChangeKey> reopenKey;
    std::optional<std::string> reopenState;
    std::optional<std::string> state;
    std::vector<std::pair<shared::ChangeKey, std::string>> sets;
    const auto recompute = [&] {
        state = reopenState;
        for (const auto& [key, value] : sets) {
            if ((!reopenKey || *reopenKey < key) &&
                audit::auditStateRank(value) > audit::auditStateRank(state)) {
                state = value;
            }
        }
    };
    std::vector<bool> flags;
    flags.reserve(scopeLog.size());
    for (const auto& logged : scopeLog) {
        const auto& change = logged.change;
        const bool isAudit = change.collection == collections::kAudits && change.recordId == audit;
        if (isAudit && change.field == "state" &&
            change.value.kind() == shared::ValueKind::String &&
            logged.outcome != sync::ChangeOutcome::Refused) {
            const auto key = shared::keyOf(change);
            if (change.operation == shared::Operation::Reopen) {
                if (!reopenKey || *reopenKey < key) {
                    reopenKey = key;
                    reopenState = change.value.as<std::string>();
                }
            } else {
                sets.emplace_back(key, change.value.as<std::string>());
            }
            recompute();
        }
        flags.push_back(state && audit::isSubmittedState(*state) && !isAudit &&
                        change.collection != collections::kReviewComments &&
                        change.collection != collections::kCorrectiveActions &&
                        logged.outcome != sync::ChangeOutcome::Refused &&
                        fieldExperts.count(change.author) != 0);
    }
    return flags;
}

int capDueDays(std::string_view findingSeverity) noexcept {
    return findingSeverity == "priority" ? 7 : 14;
}

std::optional<std::int64_t> capDueAtMs(const sync::Store& store, const sync::Record& plan) {
    if (const auto due = timestampField(plan, "due_at")) {
        return due;
    }
    const auto audit = idField(plan, "audit_id");
    const auto auditRecord = audit ? store.record(collections::kAudits, *audit) : std::nullopt;
    const auto state = auditRecord ? stringField(*auditRecord, "state") : std::nullopt;
    const auto approved = auditRecord ? timestampField(*auditRecord, "approved_at") : std::nullopt;
    if (!approved || !state || !audit::isLockedState(*state)) {
        return std::nullopt;  // not (or no longer) approved: no deadline runs
    }
    const auto finding = idField(plan, "finding_id");
    const auto findingRecord =
        finding ? store.record(collections::kFindings, *finding) : std::nullopt;
    const auto severity = findingRecord ? stringField(*findingRecord, "severity") : std::nullopt;
    return *approved + capDueDays(severity.value_or("")) * kDayMs;
}

}  // namespace verdant::server
