#pragma once

#include "verdant/audit/Collections.hpp"
#include "verdant/shared/Schema.hpp"
#include "verdant/training/Collections.hpp"

namespace verdant::domain {

/// The schema of Verdant's built-in domains (audit, then training), as every device and the
/// server's default modules load it, so both validate and merge every field the same way. Each
/// domain declares its own collections (shared/domain/<module>/src/Collections.cpp); this only
/// puts them together.
///
/// Scopes: audits and training sessions are scope roots (a device receives whole audits and whole
/// sessions); answers, findings, corrective action plans, photo metadata, signatures, review
/// comments and attendance point straight at their root; suppliers, facilities and template
/// versions are roots of their own, sent to a field expert because an assigned audit references
/// them.
///
/// Built once on first use; thread-safe to read.
const shared::Schema& domainSchema();

}  // namespace verdant::domain
