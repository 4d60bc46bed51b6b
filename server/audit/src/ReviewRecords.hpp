#pragma once

/// What the HQ review API reads from a tenant's store, and how it renders it: typed reads of
/// materialized fields, records and conflicts as JSON, an audit's scope grouped by collection,
/// its template's questions, and the corrective-action deadlines (overdue plans and missing plans).
///
/// Every function reads the store it is given and keeps no reference to it; call them with a
/// store lent by TenantStores::read (or ::with). Pure otherwise; thread-safe as the store allows.

#include "verdant/audit/ChecklistTemplate.hpp"
#include "verdant/server/sync/RecordJson.hpp"
#include "verdant/shared/Id.hpp"
#include "verdant/shared/Schema.hpp"
#include "verdant/shared/Scoring.hpp"
#include "verdant/shared/Value.hpp"
#include "verdant/sync/Conflict.hpp"
#include "verdant/sync/Store.hpp"

#include <Poco/Dynamic/Var.h>
#include <Poco/JSON/Object.h>

#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace verdant::server::review {

/// A log limit that reads a scope's whole change log (Store::changesSince).
inline constexpr std::size_t kWholeLog = std::numeric_limits<std::size_t>::max();

/// Milliseconds in a day.
inline constexpr std::int64_t kDayMs = 24LL * 60 * 60 * 1000;

/// The visible value of `field` when it is a string (strings and enum values), else nullopt.
std::optional<std::string> stringField(const sync::Record& record, std::string_view field);

/// The visible value of `field` when it is a record reference, else nullopt.
std::optional<shared::RecordId> idField(const sync::Record& record, std::string_view field);

/// The visible value of `field` when it is a timestamp (Unix ms), else nullopt.
std::optional<std::int64_t> timestampField(const sync::Record& record, std::string_view field);

/// The visible value of `field` when it is an integer, else nullopt.
std::optional<std::int64_t> intField(const sync::Record& record, std::string_view field);

/// The text of the visible value of `field` when it is a JSON document, else nullopt.
std::optional<std::string> jsonField(const sync::Record& record, std::string_view field);

/// The record, or nullopt when it is unknown or deleted.
std::optional<sync::Record> liveRecord(const sync::Store& store, std::string_view collection,
                                       const shared::RecordId& id);

/// The live record, or shared::Error(NotFound) naming `what` (e.g. "audit") and the id.
sync::Record requireRecord(const sync::Store& store, const char* collection,
                           const shared::RecordId& id, const std::string& what);

/// The allowed values of an enum field of the domain schema.
const std::vector<std::string>& enumValues(const char* collection, const char* field);

/// A JSON object that keeps its keys in insertion order (readable responses).
Poco::JSON::Object::Ptr orderedObject();

/// A string field as JSON, or null.
Poco::Dynamic::Var stringOrNull(const sync::Record& record, std::string_view field);

/// Parses a JSON document into a JSON value; `text` must be JSON (a snapshot the server wrote).
Poco::Dynamic::Var documentJson(const std::string& text);

/// The score snapshot stored on an audit, when there is one that reads as a snapshot.
std::optional<shared::ScoreSnapshot> storedSnapshot(const sync::Record& audit);

/// A whole number (a count, a tier, a Unix-ms time) as JSON, or null.
Poco::Dynamic::Var intOrNull(const std::optional<std::int64_t>& ms);

/// The live records of an audit's scope (the audit included), by collection, each list ordered by
/// record id.
std::map<std::string, std::vector<sync::Record>> scopeRecords(const sync::Store& store,
                                                              const shared::RecordId& audit);

/// The open conflicts of the records of an audit's scope (the audit included).
std::vector<sync::Conflict> auditConflicts(const sync::Store& store, const shared::RecordId& audit);

/// How many open conflicts each scope has, by scope key.
std::map<std::string, std::size_t> openConflictsByScope(const sync::Store& store);

/// The questions of an audit's template version (none when it has none, or no content that
/// reads as a template document).
audit::ChecklistTemplate auditChecklist(const sync::Store& store, const sync::Record& audit);

/// A corrective-action deadline that has passed: a plan not verified by its due date, or a
/// finding of an approved audit that still has no plan when one was due.
struct OverdueItem {
    std::optional<shared::RecordId> planId;  ///< The plan; nullopt for a missing plan.
    shared::RecordId findingId;              ///< The finding the plan answers.
    shared::RecordId auditId;                ///< The audit of the finding.
    std::string severity;                    ///< The finding's severity ("" when unknown).
    std::optional<std::string> status;       ///< The plan's status; nullopt for a missing plan.
    std::int64_t dueAtMs = 0;                ///< When the plan was (or is) due.
    std::int64_t daysOverdue = 0;            ///< Whole days since then.
};

/// Whether a finding of this severity needs a corrective action plan.
bool needsPlan(std::string_view severity) noexcept;

/// When the plan of a finding is due: the plan's own due date (capDueAtMs) when it has a plan,
/// else, for a finding that needs one on an approved audit, the audit's approval plus
/// capDueDays(severity); nullopt otherwise. `plan` is the finding's plan, if any.
std::optional<std::int64_t> findingDueAtMs(const sync::Store& store, const sync::Record& finding,
                                           const std::optional<sync::Record>& plan);

/// The live corrective action plans of the tenant by the finding they answer, each list ordered by
/// record id (oldest first). Read once per request: one pass over the plans.
std::map<shared::RecordId, std::vector<sync::Record>> plansByFinding(const sync::Store& store);

/// Every overdue plan and missing plan of the tenant at `nowMs`, most overdue first.
std::vector<OverdueItem> overdueItems(const sync::Store& store, std::int64_t nowMs);

/// An overdue item as JSON: kind, plan_id, finding_id, audit_id, supplier {id, name_en, name_zh}
/// (null when the audit names none), severity, status, due_at, days_overdue.
Poco::JSON::Object::Ptr overdueJson(const sync::Store& store, const OverdueItem& item);

}  // namespace verdant::server::review
