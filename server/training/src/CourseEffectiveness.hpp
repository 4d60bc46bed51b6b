#pragma once

#include "verdant/shared/Id.hpp"
#include "verdant/sync/Store.hpp"

#include <Poco/JSON/Object.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace verdant::server::training_office {

/// One side of the comparison: the suppliers, their audits that count, and those of the audits
/// with a finding on one of the course's clauses. Ids ascending.
struct EffectivenessGroup {
    std::vector<shared::RecordId> suppliers;
    std::vector<shared::RecordId> audits;
    std::vector<shared::RecordId> auditsWithTargetFinding;

    /// auditsWithTargetFinding / audits, or nullopt when no audit counts.
    std::optional<double> recurrenceRate() const;
};

/// Whether a course changed later audit results on its target clauses (docs/protocol.md,
/// "Effectiveness"):
///  - attended: suppliers with a registration of a session of the course (not cancelled) in
///    state checked_in or attended; each supplier's audits count from the end of the first such
///    session;
///  - not attended: every other live supplier of the tenant (of the course's target tiers, when
///    it names some); their audits count from the end of the course's first session (none count
///    when the course has no session).
/// An audit counts when it is live, submitted (submitted, under_review, approved or closed) and
/// its submitted_at is after the reference time; it recurs when it has a finding whose clause one
/// of the course's clauses matches (exact, or a `.*` prefix pattern).
struct CourseEffectiveness {
    sync::Record course;
    std::vector<std::string> clauses;             ///< The course's target clauses.
    std::optional<std::int64_t> firstSessionEnd;  ///< Unix ms; nullopt without a session.
    EffectivenessGroup attended;
    EffectivenessGroup notAttended;

    /// Computes it from `store` for `course` (a live course record). Cost: one pass over
    /// suppliers, audits and findings, plus the course's sessions and their registrations.
    static CourseEffectiveness compute(const sync::Store& store, sync::Record course);

    /// As JSON (see docs/protocol.md).
    Poco::JSON::Object::Ptr json() const;

    /// As RFC 4180 CSV: a header row and one row per group.
    std::string csv() const;
};

}  // namespace verdant::server::training_office
