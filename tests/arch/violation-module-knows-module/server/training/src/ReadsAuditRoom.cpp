// A deliberate layering violation: one module room reaches into another's. The checker must
// refuse this tree.
#include "verdant/server/audit/AuditWorkflow.hpp"
