#pragma once

/// The training domain's synced collections. Scope roots: courses (read by every coordinator),
/// training sessions (held by their coordinator's devices), coaching visits (held by the field
/// expert who makes them) and the tenant's training keys (read by everyone). Invitations,
/// registrations (the attendance record, collection `attendance`) and certificates belong to
/// their session's scope. Each field's merge kind is chosen, and the choice explained, in
/// Collections.cpp.

#include "verdant/shared/Id.hpp"
#include "verdant/shared/Schema.hpp"

#include <string>
#include <string_view>

namespace verdant::training {

/// Collection names, for code that addresses them.
namespace collections {
inline constexpr const char* kCourses = "courses";
inline constexpr const char* kTrainingSessions = "training_sessions";
inline constexpr const char* kInvitations = "invitations";
/// One record per session × person: the registration and its attendance.
inline constexpr const char* kAttendance = "attendance";
inline constexpr const char* kCertificates = "certificates";
inline constexpr const char* kCoachingVisits = "coaching_visits";
inline constexpr const char* kTrainingKeys = "training_keys";
}  // namespace collections

/// Adds the training domain's collections to `schema`.
void addCollections(shared::Schema& schema);

/// The id of the invitation of `supplierId` to `sessionId`: the same wherever a rule runs (a
/// version-8 UUID from SHA-256 of both), so re-running a rule, or two coordinators running it
/// offline, adds each supplier once.
shared::RecordId invitationRecordId(const shared::RecordId& sessionId,
                                    const shared::RecordId& supplierId);

/// How a person is recognised across doors and devices: their e-mail (trimmed, lower case), else
/// their phone number (digits and a leading '+' only), else their Chinese or English name
/// (trimmed) with their supplier. Empty when nothing identifies them.
std::string personKey(std::string_view email, std::string_view phone, std::string_view name,
                      const shared::RecordId& supplierId);

/// The id of `personKey`'s registration for `sessionId`: the same on every device, so a walk-in
/// added at one door and the same person's registration made in the office are one record.
shared::RecordId registrationRecordId(const shared::RecordId& sessionId,
                                      std::string_view personKey);

/// The id of the `training_keys` record that publishes the public key of the tenant whose id is
/// `tenantId` (its text as accounts hold it): one per tenant, known to the server and every
/// tablet without a look-up.
shared::RecordId trainingKeyRecordId(std::string_view tenantId);

/// The id of the certificate of a registration: one per person and session, however often
/// certificates are issued.
shared::RecordId certificateRecordId(const shared::RecordId& registrationId);

}  // namespace verdant::training
