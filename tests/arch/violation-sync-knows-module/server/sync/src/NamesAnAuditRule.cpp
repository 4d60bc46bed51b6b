// A deliberate layering violation: the sync room asks a module directly, not through
// DomainModule. The checker must refuse this tree.
#include "verdant/server/audit/AuditWorkflow.hpp"
