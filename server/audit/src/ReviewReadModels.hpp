#pragma once

/// The read models of the HQ review API, built from one tenant's store: the review queue, the
/// overdue list, a supplier's scorecard and the findings export (the audit view is in
/// ReviewAuditView.hpp). Each function reads the store it is given and keeps no reference to it;
/// call them with a store lent by TenantStores::read. Pure otherwise.

#include "verdant/shared/Id.hpp"
#include "verdant/sync/Store.hpp"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace verdant::server::review {

/// Which audits the review queue lists (every filter already checked against the schema).
struct QueueFilter {
    std::vector<std::string> states;                     ///< Audit states listed.
    std::optional<shared::RecordId> supplierId;          ///< Only this supplier's audits.
    std::optional<std::int64_t> tier;                    ///< Only suppliers of this tier.
    std::optional<std::vector<std::string>> severities;  ///< Audits with a finding of these.
    std::optional<std::int64_t> fromMs;                  ///< Submitted at or after.
    std::optional<std::int64_t> toMs;                    ///< Submitted at or before.
};

/// The review queue: a summary of each audit the filter selects (supplier, score, findings by
/// severity, open conflicts, amendments, comments), oldest submission first.
Poco::JSON::Array::Ptr reviewQueue(const sync::Store& store, const QueueFilter& filter);

/// Every overdue plan and missing plan at `nowMs` as JSON (overdueJson), most overdue first.
Poco::JSON::Array::Ptr overdueList(const sync::Store& store, std::int64_t nowMs);

/// A supplier's scorecard at `nowMs`: the supplier, its score trend, its open findings by
/// severity and its overdue plans.
Poco::JSON::Object::Ptr supplierScorecard(const sync::Store& store, const sync::Record& supplier,
                                          std::int64_t nowMs);

/// Which findings the export lists (every filter already checked against the schema).
struct FindingsFilter {
    std::optional<shared::RecordId> supplierId;          ///< Only this supplier's findings.
    std::optional<std::vector<std::string>> severities;  ///< Only findings of these severities.
    std::optional<std::vector<std::string>> states;      ///< Only findings of audits in these.
};

/// Every finding the filter selects as spreadsheet-safe CSV (ReviewCsv), with its audit,
/// supplier, clause, plan status and due date, and whether it is overdue at `nowMs`.
std::string findingsCsv(const sync::Store& store, const FindingsFilter& filter, std::int64_t nowMs);

}  // namespace verdant::server::review
