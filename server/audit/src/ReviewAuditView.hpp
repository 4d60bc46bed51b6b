#pragma once

/// The HQ review API's view of one audit, built from one tenant's store.

#include "verdant/sync/Store.hpp"

#include <Poco/JSON/Object.h>

#include <cstdint>

namespace verdant::server::review {

/// `audit` as a reviewer reads it at `nowMs`: the audit, its template version, its answers (with
/// clause and text from the template), findings, photos, plans (with due date and overdue flag),
/// signatures, comments, open conflicts, change history with amendment flags, completeness, and
/// its stored and recomputed score. Reads the store it is given and keeps no reference to it.
Poco::JSON::Object::Ptr auditView(const sync::Store& store, const sync::Record& audit,
                                  std::int64_t nowMs);

}  // namespace verdant::server::review
