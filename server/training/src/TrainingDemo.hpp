#pragma once

#include "verdant/server/sync/DomainModule.hpp"

#include <ostream>

namespace verdant::server {

/// Writes the demo tenant's training records into its sync store, once: a bilingual course on
/// wastewater, a workshop starting an hour after seeding, coordinated by the demo user
/// `coordinator` (capacity 20, with a waitlist) and three registrations of staff of the demo
/// supplier, so a newcomer can print the badge sheet and try the check-in. Does nothing if the
/// tenant already holds courses, or has no demo coordinator. Prints what it made to `out`.
void seedTrainingDemo(const DemoTenant& tenant, std::ostream& out);

}  // namespace verdant::server
