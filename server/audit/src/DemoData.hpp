#pragma once

#include "verdant/server/sync/DomainModule.hpp"

#include <ostream>
#include <string>
#include <string_view>

namespace verdant::server {

/// The sample audit template shipped as demo data (server/audit/demo/, version 1 of the programme's
/// bilingual environmental template), compiled in so the demo needs no file at run time.
std::string_view demoTemplateJson() noexcept;

/// Writes the demo tenant's audit records into its sync store, once: a supplier with a facility,
/// template version 1 and three audits assigned to the field expert `expertUserId`, as HQ would
/// have set them up. Does nothing if the tenant already holds audits. Prints what it made to
/// `out`.
void seedDemoRecords(const DemoTenant& tenant, const std::string& expertUserId,
                     const std::string& hqUserId, std::ostream& out);

}  // namespace verdant::server
