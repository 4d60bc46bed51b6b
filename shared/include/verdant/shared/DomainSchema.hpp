#pragma once

#include "verdant/shared/Id.hpp"
#include "verdant/shared/Schema.hpp"

#include <string_view>

namespace verdant::shared {

/// The one schema of Verdant's synced data, loaded by the server and by every device, so both
/// validate and merge every field the same way. Declared in DomainSchema.cpp, where each field's
/// merge kind is chosen (and explained where the choice is not obvious).
///
/// Scopes: audits and training sessions are scope roots (a device receives whole audits and whole
/// sessions); answers, findings, corrective action plans, photo metadata, signatures, review
/// comments and attendance point straight at their root; suppliers,
/// facilities and template versions are roots of their own, sent to a field expert because an
/// assigned audit references them.
///
/// Built once on first use; thread-safe to read.
const Schema& domainSchema();

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
inline constexpr const char* kTrainingSessions = "training_sessions";
inline constexpr const char* kAttendance = "attendance";
}  // namespace collections

/// The id of the answer to question `questionId` of audit `auditId`: the same on every device
/// (a version-8 UUID from SHA-256 of both), so two auditors answering one item offline write the
/// same record, and the reviewed register raises a conflict instead of keeping two answers.
RecordId answerRecordId(const RecordId& auditId, std::string_view questionId);

}  // namespace verdant::shared
