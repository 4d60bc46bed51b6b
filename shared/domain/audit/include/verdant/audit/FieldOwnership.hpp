#pragma once

/// Who may write which field of the audit domain's records: the fields HQ owns. Run by the
/// server on every push and by the tablet at the write, so a field expert learns at once, with
/// the server's code, that a field is HQ's.

#include "verdant/shared/Change.hpp"
#include "verdant/shared/Role.hpp"
#include "verdant/shared/Schema.hpp"

#include <optional>

namespace verdant::audit {

/// Why `role` may not make `change` whatever record it touches, or nullopt. HQ (shared::isHq)
/// may make any. For everyone else: who an audit belongs to, what it audits and how far its
/// review has gone are HQ's to decide; so are a plan's deadline and HQ's reasons, HQ's review
/// comments, and deleting or restoring an audit, a plan or a comment; going back in a workflow
/// (reopen) is HQ's too. Code `forbidden`. (Which workflow steps a role may take is
/// AuditSteps.hpp's; which records a user may write, the server's scope rules.)
std::optional<shared::ValidationError> ownershipRefusal(shared::Role role,
                                                        const shared::Change& change);

}  // namespace verdant::audit
