#include "verdant/training/Collections.hpp"

#include "verdant/shared/FieldSpecs.hpp"
#include "verdant/shared/IdGenerator.hpp"

#include <algorithm>
#include <cctype>

namespace verdant::training {

namespace {

using shared::specs::childOf;
using shared::specs::field;
using F = shared::FieldType;
using M = shared::MergeKind;

void addCourses(shared::Schema& schema) {
    schema.add(shared::CollectionSpec(
        collections::kCourses,
        {
            field("title_en", F::String, M::LastWriterWins),
            field("title_zh", F::String, M::LastWriterWins),
            field("description_en", F::String, M::LastWriterWins),
            field("description_zh", F::String, M::LastWriterWins),
            field("topic", F::String, M::LastWriterWins),
            field("level", F::Enum, M::LastWriterWins,
                  {"introductory", "intermediate", "advanced"}),
            // Sets that grow from several offices at once: an addition is never lost.
            field("languages", F::StringSet, M::AddWinsSet),
            field("target_tiers", F::StringSet, M::AddWinsSet),  // "1", "2", "3"
            // Finding clauses the course addresses: exact ("C.2") or a prefix ("C.2.*").
            field("clauses", F::StringSet, M::AddWinsSet),
            field("duration_minutes", F::Int, M::LastWriterWins),
        }));
}

void addSessions(shared::Schema& schema) {
    schema.add(shared::CollectionSpec(
        collections::kTrainingSessions,
        {
            field("course_id", F::IdRef, M::LastWriterWins),
            field("kind", F::Enum, M::LastWriterWins, {"seminar", "workshop", "coaching"}),
            field("venue", F::String, M::LastWriterWins),
            field("gps", F::String, M::LastWriterWins),
            field("starts_at", F::Timestamp, M::LastWriterWins),
            field("ends_at", F::Timestamp, M::LastWriterWins),
            field("capacity", F::Int, M::LastWriterWins),
            field("waitlist", F::Bool, M::LastWriterWins),
            field("trainers", F::StringSet, M::AddWinsSet),
            // Who holds the session (a user id): decides which devices receive it.
            field("coordinator_id", F::String, M::LastWriterWins),
            field("language", F::String, M::LastWriterWins),
            // In order of progress. A session that took place is done even if someone cancelled
            // it offline at the same time: people attended. full -> open (a seat freed) is the
            // server's Reopen.
            field("status", F::Enum, M::MonotoneState,
                  {"planned", "open", "full", "cancelled", "done"}),
            // Minutes after the start from which a check-in counts as late.
            field("late_after_minutes", F::Int, M::LastWriterWins),
        }));
}

void addInvitations(shared::Schema& schema) {
    schema.add(shared::CollectionSpec(
        collections::kInvitations,
        {
            field("session_id", F::IdRef, M::Immutable),
            field("supplier_id", F::IdRef, M::Immutable),
            // The rule that produced it, as written (e.g. "tier=2;open_finding=C.2.*").
            field("rule", F::String, M::Immutable), field("mandatory", F::Bool, M::LastWriterWins),
            field("sent_at", F::Timestamp, M::Min),  // the first sending counts
        },
        childOf(collections::kTrainingSessions, "session_id")));
}

void addRegistrations(shared::Schema& schema) {
    schema.add(shared::CollectionSpec(
        collections::kAttendance,
        {
            field("session_id", F::IdRef, M::Immutable),
            field("person_name_zh", F::String, M::LastWriterWins),
            field("person_name_en", F::String, M::LastWriterWins),
            field("supplier_id", F::IdRef, M::LastWriterWins),
            field("phone", F::String, M::LastWriterWins),
            field("email", F::String, M::LastWriterWins),
            // In order: a check-in at the door beats a cancellation made on the web at the same
            // time (the person is there), and a promotion from the waitlist is a step forward.
            // Moving back (e.g. registered -> waitlisted when a seat is taken) is a Reopen.
            field("state", F::Enum, M::MonotoneState,
                  {"invited", "waitlisted", "registered", "cancelled", "checked_in", "attended"}),
            // Two doors: the earliest check-in and the latest check-out stand.
            field("first_check_in", F::Timestamp, M::Min),
            field("last_check_out", F::Timestamp, M::Max),
            // Two coordinators judging one person differently: keep both, ask.
            field("outcome", F::Enum, M::ReviewedRegister,
                  {"present", "late", "excused", "absent", "no_show"}),
            field("outcome_reason", F::String, M::LastWriterWins),
            // Every device that recorded the person: an addition is never lost.
            field("recorded_by", F::StringSet, M::AddWinsSet),
            field("waitlist_position", F::Int, M::LastWriterWins),  // the server's
            field("walk_in", F::Bool, M::LastWriterWins),
        },
        childOf(collections::kTrainingSessions, "session_id")));
}

void addCertificates(shared::Schema& schema) {
    schema.add(
        shared::CollectionSpec(collections::kCertificates,
                               {
                                   field("session_id", F::IdRef, M::Immutable),
                                   field("registration_id", F::IdRef, M::Immutable),
                                   field("course_id", F::IdRef, M::Immutable),
                                   field("person_name", F::String, M::Immutable),
                                   field("supplier_id", F::IdRef, M::Immutable),
                                   field("issued_at", F::Timestamp, M::Immutable),
                                   // The signed credential, as issued: it never changes.
                                   field("credential", F::Json, M::Immutable),
                                   // A revocation stands whatever else happens at the same time.
                                   field("status", F::Enum, M::MonotoneState, {"valid", "revoked"}),
                                   field("revoked_reason", F::String, M::LastWriterWins),
                               },
                               childOf(collections::kTrainingSessions, "session_id")));
}

void addCoachingVisits(shared::Schema& schema) {
    schema.add(shared::CollectionSpec(
        collections::kCoachingVisits,
        {
            field("facility_id", F::IdRef, M::LastWriterWins),
            field("supplier_id", F::IdRef, M::LastWriterWins),
            // The field expert who coaches (a user id): decides which devices receive it.
            field("expert_id", F::String, M::LastWriterWins),
            field("visited_at", F::Timestamp, M::LastWriterWins),
            // Findings, corrective action plans and photos (record ids) the visit addressed.
            field("findings", F::StringSet, M::AddWinsSet),
            field("corrective_actions", F::StringSet, M::AddWinsSet),
            field("photos", F::StringSet, M::AddWinsSet),
            field("notes", F::String, M::LastWriterWins),
        }));
}

void addTrainingKeys(shared::Schema& schema) {
    schema.add(shared::CollectionSpec(
        collections::kTrainingKeys,
        {
            // The tenant's Ed25519 public key (base64url), with which a tablet checks check-in
            // tokens and certificates offline. A published key never changes.
            field("public_key", F::String, M::Immutable),
            field("algorithm", F::String, M::Immutable),
            field("created_at", F::Timestamp, M::Immutable),
        }));
}

/// The id named by `domain` and `parts`, each part on a line of its own.
shared::RecordId derivedId(std::string_view domain, std::initializer_list<std::string_view> parts) {
    std::string input(domain);
    for (const auto part : parts) {
        input += '\n';
        input.append(part);
    }
    return shared::nameBasedRecordId(input);
}

std::string_view trimmed(std::string_view text) {
    const auto first = text.find_first_not_of(" \t\r\n");
    if (first == std::string_view::npos) {
        return {};
    }
    return text.substr(first, text.find_last_not_of(" \t\r\n") - first + 1);
}

}  // namespace

void addCollections(shared::Schema& schema) {
    addCourses(schema);
    addSessions(schema);
    addInvitations(schema);
    addRegistrations(schema);
    addCertificates(schema);
    addCoachingVisits(schema);
    addTrainingKeys(schema);
}

shared::RecordId invitationRecordId(const shared::RecordId& sessionId,
                                    const shared::RecordId& supplierId) {
    return derivedId("verdant/invitations/v1", {sessionId.toString(), supplierId.toString()});
}

std::string personKey(std::string_view email, std::string_view phone, std::string_view name,
                      const shared::RecordId& supplierId) {
    if (const auto mail = trimmed(email); !mail.empty()) {
        std::string key = "email:";
        for (const char c : mail) {
            key += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        }
        return key;
    }
    std::string digits;
    for (const char c : phone) {
        if (std::isdigit(static_cast<unsigned char>(c)) != 0 || (c == '+' && digits.empty())) {
            digits += c;
        }
    }
    if (digits.size() > 1) {
        return "phone:" + digits;
    }
    if (const auto person = trimmed(name); !person.empty()) {
        return "name:" + std::string(person) + "@" + supplierId.toString();
    }
    return {};
}

shared::RecordId registrationRecordId(const shared::RecordId& sessionId,
                                      std::string_view personKey) {
    return derivedId("verdant/registrations/v1", {sessionId.toString(), personKey});
}

shared::RecordId trainingKeyRecordId(std::string_view tenantId) {
    return derivedId("verdant/training_keys/v1", {tenantId});
}

shared::RecordId certificateRecordId(const shared::RecordId& registrationId) {
    return derivedId("verdant/certificates/v1", {registrationId.toString()});
}

}  // namespace verdant::training
