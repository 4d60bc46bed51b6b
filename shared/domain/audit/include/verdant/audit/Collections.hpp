#pragma once

/// The audit domain's synced collections: suppliers, facilities, template versions and audits
/// (scope roots), and the answers, findings, corrective action plans, photo metadata,
/// signatures and review comments that belong to an audit's scope. Each field's merge kind is
/// chosen in Collections.cpp (and explained where the choice is not obvious).

#include "verdant/shared/Id.hpp"
#include "verdant/shared/Schema.hpp"

#include <string_view>

namespace verdant::audit {

/// Collection names, for code that addresses them.
namespace collections {
inline constexpr const char* kSuppliers = "suppliers";
inline constexpr const char* kFacilities = "facilities";
inline constexpr const char* kTemplateVersions = "template_versions";
inline constexpr const char* kAudits = "audits";
inline constexpr const char* kAnswers = "answers";
inline constexpr const char* kFindings = "findings";
inline constexpr const char* kCorrectiveActions = "corrective_actions";
inline constexpr const char* kPhotos = "photos";
inline constexpr const char* kSignatures = "signatures";
inline constexpr const char* kReviewComments = "review_comments";
}  // namespace collections

/// Adds the audit domain's collections to `schema`.
void addCollections(shared::Schema& schema);

/// The audit domain's collections alone (built once; thread-safe to read): for rules that ask
/// about a field of theirs, e.g. its enum values.
const shared::Schema& auditSchema();

/// The id of the answer to question `questionId` of audit `auditId`: the same on every device
/// (a version-8 UUID from SHA-256 of both), so two auditors answering one item offline write the
/// same record, and the reviewed register raises a conflict instead of keeping two answers.
shared::RecordId answerRecordId(const shared::RecordId& auditId, std::string_view questionId);

}  // namespace verdant::audit
