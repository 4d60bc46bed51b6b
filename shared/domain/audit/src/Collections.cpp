#include "verdant/audit/Collections.hpp"

#include "verdant/shared/FieldSpecs.hpp"
#include "verdant/shared/IdGenerator.hpp"

#include <string>

namespace verdant::audit {

namespace {

using shared::specs::childOf;
using shared::specs::field;
using F = shared::FieldType;
using M = shared::MergeKind;

/// Suppliers, their facilities, and the published template versions.
void addSites(shared::Schema& schema) {
    schema.add(shared::CollectionSpec(
        collections::kSuppliers,
        {
            field("uscc", F::String, M::Immutable),  // unified social credit code: natural key
            field("name_en", F::String, M::LastWriterWins),
            field("name_zh", F::String, M::LastWriterWins),
            field("tier", F::Int, M::LastWriterWins),
            field("parent_supplier_id", F::IdRef, M::LastWriterWins),
            field("risk_level", F::Enum, M::LastWriterWins, {"low", "medium", "high"}),
            field("status", F::Enum, M::LastWriterWins, {"active", "suspended", "exited"}),
            field("grade", F::Enum, M::LastWriterWins, {"A", "B", "C", "D", "E"}),
        }));
    schema.add(shared::CollectionSpec(collections::kFacilities,
                                      {
                                          field("supplier_id", F::IdRef, M::Immutable),
                                          field("name", F::String, M::LastWriterWins),
                                          field("address", F::String, M::LastWriterWins),
                                          field("gps", F::String, M::LastWriterWins),
                                          field("industry", F::String, M::LastWriterWins),
                                          field("discharge_permit", F::String, M::LastWriterWins),
                                      }));
    schema.add(
        shared::CollectionSpec(collections::kTemplateVersions,
                               {
                                   // Published versions never change: every field is immutable.
                                   field("template_key", F::String, M::Immutable),
                                   field("version", F::Int, M::Immutable),
                                   field("content", F::Json, M::Immutable),
                                   field("scoring_rule", F::String, M::Immutable),
                                   field("published_at", F::Timestamp, M::Immutable),
                               }));
    schema.add(shared::CollectionSpec(
        collections::kAudits,
        {
            field("facility_id", F::IdRef, M::LastWriterWins),
            field("supplier_id", F::IdRef, M::LastWriterWins),
            // An audit pins the template version it started with.
            field("template_version_id", F::IdRef, M::Immutable),
            field("type", F::Enum, M::LastWriterWins,
                  {"initial", "periodic", "follow_up", "closure", "desk_review", "self_assessment",
                   "coaching_visit"}),
            // Who the audit is assigned to (a user id): decides which devices receive it.
            field("assignee_id", F::String, M::LastWriterWins),
            field("team", F::StringSet, M::AddWinsSet),
            field("scheduled_for", F::Timestamp, M::LastWriterWins),
            // In order of progress: "returned" sits between in_progress and submitted, so HQ
            // returns an audit with a Reopen (HQ-only) and the expert's resubmission is a plain
            // step forward. Which steps a role may take is server/AuditWorkflow's.
            field("state", F::Enum, M::MonotoneState,
                  {"scheduled", "in_progress", "returned", "submitted", "under_review", "approved",
                   "closed"}),
            // Section id -> user id of the auditor who owns it (HQ sets it with the team).
            field("team_sections", F::Json, M::LastWriterWins),
            // The score snapshot taken on submission (shared/Scoring.hpp ScoreSnapshot JSON).
            field("score", F::Json, M::LastWriterWins),
            field("submitted_at", F::Timestamp, M::Min),
            // The latest approval (an audit reopened and approved again dates its plans anew).
            field("approved_at", F::Timestamp, M::LastWriterWins),
        }));
}

/// Audits (the scope roots of the field work) and their checklist answers.
void addAuditsAndAnswers(shared::Schema& schema) {
    schema.add(shared::CollectionSpec(
        collections::kAnswers,
        {
            field("audit_id", F::IdRef, M::Immutable),
            field("question_id", F::String, M::Immutable),
            // Two auditors answering one item offline: keep both, ask.
            field("value", F::Json, M::ReviewedRegister),
            field("comment", F::String, M::LastWriterWins),
            // How the item came out (shared/Scoring.hpp ResultClass).
            field("result", F::Enum, M::ReviewedRegister,
                  {"conformance", "risk_of_nonconformance", "observation", "not_reviewed",
                   "not_applicable", "minor", "major", "priority"}),
            field("author_id", F::String, M::LastWriterWins),
            field("gps", F::String, M::LastWriterWins),
        },
        childOf(collections::kAudits, "audit_id")));
}

/// Findings and their corrective action plans.
void addFindingsAndPlans(shared::Schema& schema) {
    schema.add(shared::CollectionSpec(
        collections::kFindings,
        {
            field("audit_id", F::IdRef, M::Immutable),
            field("severity", F::Enum, M::ReviewedRegister,
                  {"observation", "risk_of_nonconformance", "minor", "major", "priority"}),
            field("clause", F::String, M::LastWriterWins),
            field("description", F::String, M::LastWriterWins),
            field("evidence", F::StringSet, M::AddWinsSet),
            field("question_id", F::String, M::Immutable),
            // The finding of an earlier audit this one repeats (a repeat raises the stakes).
            field("repeat_of", F::IdRef, M::LastWriterWins),
        },
        childOf(collections::kAudits, "audit_id")));
    schema.add(shared::CollectionSpec(
        collections::kCorrectiveActions,
        {
            field("audit_id", F::IdRef, M::Immutable),
            field("finding_id", F::IdRef, M::Immutable),
            field("root_cause", F::String, M::LastWriterWins),
            field("correction", F::String, M::LastWriterWins),
            field("corrective_action", F::String, M::LastWriterWins),
            field("preventive_action", F::String, M::LastWriterWins),
            field("owner", F::String, M::LastWriterWins),
            field("due_at", F::Timestamp, M::LastWriterWins),
            // draft -> submitted -> approved | rejected -> in_progress -> evidence_submitted ->
            // verified | reopened. Not a line, so concurrent moves raise a conflict for a person.
            field("status", F::Enum, M::ReviewedRegister,
                  {"draft", "submitted", "approved", "rejected", "in_progress",
                   "evidence_submitted", "verified", "reopened"}),
            field("rejection_reason", F::String, M::LastWriterWins),
            field("verification_note", F::String, M::LastWriterWins),
            field("evidence", F::StringSet, M::AddWinsSet),
        },
        childOf(collections::kAudits, "audit_id")));
}

/// The evidence and the review: photo metadata, signatures, review comments.
void addEvidenceAndReview(shared::Schema& schema) {
    schema.add(shared::CollectionSpec(
        collections::kPhotos,
        {
            field("audit_id", F::IdRef, M::Immutable),
            // What the bytes are: content-addressed, verified on both ends.
            shared::specs::sha256Field("sha256", M::Immutable),
            field("size_bytes", F::Int, M::Immutable),
            field("width", F::Int, M::Immutable),
            field("height", F::Int, M::Immutable),
            field("captured_at", F::Timestamp, M::Immutable),  // the device's clock: evidence
            field("gps", F::String, M::Immutable),
            field("author_id", F::String, M::Immutable),
            field("answer_id", F::IdRef, M::LastWriterWins),
            field("finding_id", F::IdRef, M::LastWriterWins),
            field("caption", F::String, M::LastWriterWins),
            field("tags", F::StringSet, M::AddWinsSet),
            // Drawn marks, a layer over the photo: the bytes never change.
            field("annotations", F::Json, M::LastWriterWins),
        },
        childOf(collections::kAudits, "audit_id")));
    schema.add(shared::CollectionSpec(collections::kSignatures,
                                      {
                                          field("audit_id", F::IdRef, M::Immutable),
                                          field("signer", F::String, M::Immutable),
                                          field("role", F::String, M::Immutable),
                                          // SHA-256 of what was signed (the answers and findings).
                                          field("signed_hash", F::String, M::Immutable),
                                          field("signed_at", F::Timestamp, M::Immutable),
                                      },
                                      childOf(collections::kAudits, "audit_id")));
    schema.add(shared::CollectionSpec(collections::kReviewComments,
                                      {
                                          field("audit_id", F::IdRef, M::Immutable),
                                          // The item commented on, e.g. "answers/<id>".
                                          field("target", F::String, M::Immutable),
                                          field("text", F::String, M::LastWriterWins),
                                          field("author_id", F::String, M::Immutable),
                                          field("resolved", F::Bool, M::LastWriterWins),
                                      },
                                      childOf(collections::kAudits, "audit_id")));
}

}  // namespace

void addCollections(shared::Schema& schema) {
    addSites(schema);
    addAuditsAndAnswers(schema);
    addFindingsAndPlans(schema);
    addEvidenceAndReview(schema);
}

const shared::Schema& auditSchema() {
    static const shared::Schema kSchema = [] {
        shared::Schema schema;
        addCollections(schema);
        return schema;
    }();
    return kSchema;
}

shared::RecordId answerRecordId(const shared::RecordId& auditId, std::string_view questionId) {
    std::string input = "verdant/answers/v1\n";
    input.append(reinterpret_cast<const char*>(auditId.bytes().data()), auditId.bytes().size());
    input.append(questionId);
    return shared::nameBasedRecordId(input);
}

}  // namespace verdant::audit
