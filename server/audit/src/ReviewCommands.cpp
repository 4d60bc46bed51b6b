#include "ReviewCommands.hpp"

#include "ReviewRecords.hpp"

#include "verdant/audit/AuditSteps.hpp"
#include "verdant/audit/Collections.hpp"
#include "verdant/server/audit/AuditWorkflow.hpp"

#include <vector>

namespace verdant::server::review {

using shared::Error;
using shared::ErrorCode;
using shared::RecordId;
using shared::Value;
namespace c = audit::collections;

namespace {

/// Throws the workflow's refusal of moving `audit` to `to`, if any.
void checkAuditStep(const sync::Record& audit, const std::string& to, shared::Operation operation) {
    const auto from = stringField(audit, "state");
    const auto refusal =
        audit::auditTransitionRefusal(from ? std::optional<std::string_view>(*from) : std::nullopt,
                                      to, operation, /*actorIsHq=*/true);
    if (refusal) {
        throw Error(refusal->code, refusal->message);
    }
    // Through sync a late, lower state is a harmless no-op; asked of the review API it is a
    // mistake the reviewer should hear of.
    if (operation == shared::Operation::Set &&
        audit::auditStateRank(to) <= audit::auditStateRank(from)) {
        throw Error(ErrorCode::InvalidTransition, "The audit is " +
                                                      from.value_or("without a state") +
                                                      " already; it cannot "
                                                      "become " +
                                                      to + " now.");
    }
}

/// A review_comments record's writes: on `audit`, about `target`, by `author`.
std::vector<ServerWrite> commentWrites(const RecordId& comment, const RecordId& audit,
                                       const std::string& target, const std::string& text,
                                       const std::string& author) {
    return {
        {c::kReviewComments, comment, "audit_id", shared::Operation::Set, Value::id(audit)},
        {c::kReviewComments, comment, "target", shared::Operation::Set, Value::string(target)},
        {c::kReviewComments, comment, "text", shared::Operation::Set, Value::string(text)},
        {c::kReviewComments, comment, "author_id", shared::Operation::Set, Value::string(author)},
    };
}

}  // namespace

ReviewCommands::ReviewCommands(sync::Store& store, ServerWriter writer, std::string reviewer)
    : _store(store), _writer(std::move(writer)), _reviewer(std::move(reviewer)) {}

std::string ReviewCommands::addComment(const RecordId& audit, const RecordId& comment,
                                       const std::string& target, const std::string& text) {
    requireRecord(_store, c::kAudits, audit, "audit");
    std::string canonicalTarget = "audit";
    if (target != "audit") {
        const auto slash = target.find('/');
        const auto collection = target.substr(0, slash);
        const auto id =
            slash == std::string::npos ? std::nullopt : RecordId::parse(target.substr(slash + 1));
        const auto scope = id ? _store.scopeOf(collection, *id) : std::nullopt;
        if (scope != shared::scopeKey(c::kAudits, audit) || !liveRecord(_store, collection, *id)) {
            throw Error(ErrorCode::InvalidParameter,
                        "'target' must be \"audit\" or name a record of this audit, as "
                        "\"answers/<id>\".");
        }
        canonicalTarget = collection + "/" + id->toString();
    }
    _writer.apply(_store, _reviewer,
                  commentWrites(comment, audit, canonicalTarget, text, _reviewer));
    return canonicalTarget;
}

void ReviewCommands::moveAudit(const RecordId& audit, const std::string& to) {
    checkAuditStep(requireRecord(_store, c::kAudits, audit, "audit"), to, shared::Operation::Set);
    _writer.apply(_store, _reviewer,
                  {{c::kAudits, audit, "state", shared::Operation::Set, Value::string(to)}});
}

void ReviewCommands::returnAudit(const RecordId& audit, const RecordId& comment,
                                 const std::string& reason) {
    checkAuditStep(requireRecord(_store, c::kAudits, audit, "audit"), "returned",
                   shared::Operation::Reopen);
    auto writes = commentWrites(comment, audit, "audit", reason, _reviewer);
    writes.push_back(
        {c::kAudits, audit, "state", shared::Operation::Reopen, Value::string("returned")});
    _writer.apply(_store, _reviewer, writes);
}

std::size_t ReviewCommands::approveAudit(const RecordId& audit, std::int64_t nowMs) {
    checkAuditStep(requireRecord(_store, c::kAudits, audit, "audit"), "approved",
                   shared::Operation::Set);
    if (const auto open = auditConflicts(_store, audit).size(); open > 0) {
        throw Error(ErrorCode::InvalidTransition,
                    std::to_string(open) + (open == 1 ? " conflict is" : " conflicts are") +
                        " still open on this audit's records; they must be resolved first "
                        "(GET /v1/conflicts).");
    }
    std::vector<ServerWrite> writes = {
        {c::kAudits, audit, "state", shared::Operation::Set, Value::string("approved")},
        {c::kAudits, audit, "approved_at", shared::Operation::Set, Value::timestamp(nowMs)},
    };
    std::size_t dated = 0;
    auto records = scopeRecords(_store, audit);
    for (const auto& plan : records[c::kCorrectiveActions]) {
        if (timestampField(plan, "due_at")) {
            continue;
        }
        const auto findingId = idField(plan, "finding_id");
        const auto finding =
            findingId ? liveRecord(_store, c::kFindings, *findingId) : std::nullopt;
        const auto severity =
            finding ? stringField(*finding, "severity").value_or("") : std::string();
        writes.push_back({c::kCorrectiveActions, plan.id, "due_at", shared::Operation::Set,
                          Value::timestamp(nowMs + capDueDays(severity) * kDayMs)});
        ++dated;
    }
    _writer.apply(_store, _reviewer, writes);
    return dated;
}

Rescored ReviewCommands::rescore(const RecordId& audit, const std::optional<std::string>& rule) {
    const auto record = requireRecord(_store, c::kAudits, audit, "audit");
    const auto ruleId = rule ? rule : auditScoringRule(_store, audit);
    if (!ruleId || shared::scoringRule(*ruleId) == nullptr) {
        throw Error(ErrorCode::InvalidParameter,
                    "The audit's template version names no scoring rule this server knows; "
                    "name one in 'rule'.");
    }
    auto snapshot = scoreAudit(_store, audit, ruleId);
    if (!snapshot) {
        throw Error(ErrorCode::InternalError, "The audit could not be scored.");
    }
    auto previous = jsonField(record, "score");
    _writer.apply(
        _store, _reviewer,
        {{c::kAudits, audit, "score", shared::Operation::Set, Value::json(snapshot->toJson())}});
    return {std::move(previous), std::move(*snapshot)};
}

void ReviewCommands::decidePlan(const RecordId& plan, const std::string& decision,
                                const std::string& status,
                                const std::optional<std::string>& reason) {
    const auto record =
        requireRecord(_store, c::kCorrectiveActions, plan, "corrective action plan");
    const auto from = stringField(record, "status");
    if (const auto refusal = audit::capTransitionRefusal(
            from ? std::optional<std::string_view>(*from) : std::nullopt, status,
            /*actorIsHq=*/true)) {
        throw Error(refusal->code, refusal->message);
    }
    std::vector<ServerWrite> writes = {
        {c::kCorrectiveActions, plan, "status", shared::Operation::Set, Value::string(status)}};
    if (decision == "reject") {
        writes.push_back({c::kCorrectiveActions, plan, "rejection_reason", shared::Operation::Set,
                          Value::string(*reason)});
    } else if ((decision == "reopen" || decision == "verify") && reason && !reason->empty()) {
        writes.push_back({c::kCorrectiveActions, plan, "verification_note", shared::Operation::Set,
                          Value::string(*reason)});
    }
    _writer.apply(_store, _reviewer, writes);
}

}  // namespace verdant::server::review
