#pragma once

/// The workflow of audits and corrective action plans as the server enforces it on a push (the
/// pure rules, shared with the tablet, are verdant/audit/AuditSteps.hpp and Completeness.hpp),
/// and what the server derives from an audit: its score snapshot, its amendments, CAP due dates.

#include "verdant/server/audit/SubmissionSheets.hpp"
#include "verdant/server/sync/PushBatch.hpp"
#include "verdant/server/sync/ServerWriter.hpp"
#include "verdant/shared/Change.hpp"
#include "verdant/shared/Id.hpp"
#include "verdant/shared/Schema.hpp"
#include "verdant/shared/Scoring.hpp"
#include "verdant/sync/Store.hpp"

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace verdant::server {

/// Checks the workflow of one push batch:
///  - state steps of audits and plans against verdant/audit/AuditSteps.hpp (a state or status
///    is never cleared); HQ approves, returns and closes through the review API, not by sync;
///  - an audit is submitted only when complete (audit::completenessOf, on its stored answers and
///    those the batch wrote before the submission): `invalid_transition` otherwise;
///  - a record of an audit never moves to another audit (`immutable_field`);
///  - edits of a decided (approved, closed) audit's checklist — answers, findings, signatures,
///    and deleting its photos — are refused with `audit_locked` for everyone but HQ;
///  - settling a conflict on an answer (a write whose base covers another auditor's candidate)
///    is the lead auditor's (the audit's assignee) or HQ's: a co-auditor gets `forbidden`.
///
/// Built from the store before the batch is applied (the gate may not read the store while it
/// applies), like AnswerValidator. Call check() last, after every other check passed: it
/// assumes that a change it lets through is applied, and moves its view of that record on, so a
/// batch that starts and submits an audit is checked step by step. Not thread-safe; use it for
/// one batch.
class WorkflowGate {
public:
    /// Reads what `batch` needs from `store`; keeps no reference to either.
    WorkflowGate(const sync::Store& store, std::span<const shared::Change> batch, bool actorIsHq);

    /// The same, reading through `batch` (shared with the push's other checks, so a record they
    /// both need is read once; each audit, plan and record of an audit once in all); keeps no
    /// reference to it. A batch that touches an answer in conflict also reads the tenant's open
    /// conflicts.
    WorkflowGate(PushBatch& batch, bool actorIsHq);

    /// Why `change` may not be applied, or nullopt.
    std::optional<shared::ValidationError> check(const shared::Change& change);

    /// The audit a record of the batch belongs to (stored, or named earlier in the batch).
    std::optional<shared::RecordId> auditOf(const shared::RecordId& record) const;

    /// The audits this batch moved up to "submitted" (from a state before it).
    const std::set<shared::RecordId>& submissions() const noexcept { return _submissions; }

private:
    struct Parent {
        shared::RecordId audit;
        bool stored = false;
    };
    struct Candidate {
        shared::Hlc hlc;
        std::string author;
    };

    void read(PushBatch& batch);
    std::optional<shared::ValidationError> checkChange(const shared::Change& change);
    std::optional<shared::ValidationError> checkAudit(const shared::Change& change);
    std::optional<shared::ValidationError> lockRefusal(const shared::Change& change,
                                                       const shared::RecordId& audit) const;
    std::optional<shared::ValidationError> settleRefusal(const shared::Change& change,
                                                         const shared::RecordId& audit);

    bool _hq;
    std::map<shared::RecordId, std::optional<std::string>> _auditStates;  ///< By audit id.
    std::map<shared::RecordId, std::optional<std::string>> _capStatuses;  ///< By plan id.
    std::map<shared::RecordId, Parent> _parents;  ///< Record of an audit → its audit.
    /// Open conflicts on the batch's answers: (answer, field) → their candidates.
    std::map<std::pair<shared::RecordId, std::string>, std::vector<Candidate>> _conflicts;
    std::map<shared::RecordId, std::string> _leads;  ///< Audit → its lead (assignee) user id.
    std::set<shared::RecordId> _submissions;
    std::optional<SubmissionSheets> _sheets;  ///< Read with the rest, in read().
};

/// How each question of an audit came out, as the scoring rule sees it, by question id:
///  - the answer's `result` when the auditor set one;
///  - else from a yes/no/N/A answer: "yes" conformance, "na" not applicable, "no" the question's
///    default severity (minor when it names none);
///  - else conformance for any other answered question;
///  - not reviewed for a question of the template nobody answered;
///  and then the most severe finding raised on the question (`question_id`) when it is worse.
/// Questions come from the audit's template version (answers to others are still counted).
std::map<std::string, shared::ResultClass> auditQuestionResults(const sync::Store& store,
                                                                const shared::RecordId& audit);

/// How complete `audit` stands against its template version (audit::completenessOf on its stored
/// answers), as the review view shows it; nullopt when the audit, its template version or that
/// version's content is unknown.
std::optional<audit::Completeness> auditCompleteness(const sync::Store& store,
                                                     const shared::RecordId& audit);

/// The scoring rule an audit is scored with: its template version's `scoring_rule` field, else
/// the template content's "scoring_rule", else nullopt.
std::optional<std::string> auditScoringRule(const sync::Store& store,
                                            const shared::RecordId& audit);

/// Scores `audit` as it stands with rule `ruleId` (default: auditScoringRule()). nullopt when the
/// audit does not exist or the rule is unknown to this build.
std::optional<shared::ScoreSnapshot> scoreAudit(const sync::Store& store,
                                                const shared::RecordId& audit,
                                                std::optional<std::string> ruleId = std::nullopt);

/// The server's writes for audits just submitted (WorkflowGate::submissions()) that still stand
/// submitted: each one's score snapshot (scoreAudit with its template version's rule; none when
/// the rule is unknown) and `submitted_at` = `nowMs` (a Min field: the first submission stays).
std::vector<ServerWrite> submissionWrites(const sync::Store& store,
                                          const std::set<shared::RecordId>& audits,
                                          std::int64_t nowMs);

/// The field experts of an audit: its lead (assignee) and its team.
std::set<std::string> auditFieldExperts(const sync::Record& audit);

/// Marks which changes of an audit's scope log (in server order, as
/// Store::changesSince(0, n, {scopeKey}) returns it) are amendments: edits of the audit's
/// content (any record of its scope but the audit itself, its review comments and its corrective
/// action plans) by one of `fieldExperts`, logged while the audit stood submitted or later (its
/// state followed as the merge decides it, so a return ends the amendments). One flag per change.
std::vector<bool> amendmentFlags(std::span<const sync::LoggedChange> scopeLog,
                                 const shared::RecordId& audit,
                                 const std::set<std::string>& fieldExperts);

/// Days a corrective action plan is due after its audit's approval: 7 for a Priority finding,
/// 14 otherwise.
int capDueDays(std::string_view findingSeverity) noexcept;

/// When a plan is due: its `due_at` when set, else its audit's (latest) `approved_at` plus
/// capDueDays() of its finding's severity; nullopt while the audit is not approved (or closed).
std::optional<std::int64_t> capDueAtMs(const sync::Store& store, const sync::Record& plan);

}  // namespace verdant::server
