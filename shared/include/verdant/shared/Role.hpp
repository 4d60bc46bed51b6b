#pragma once

/// The roles of the people who sign in, as the server's accounts and tokens and the tablet's
/// sign-in carry them: the one definition of who is HQ. Which fields and steps a role may write
/// is each domain's rule (e.g. verdant/audit/FieldOwnership.hpp), asked through isHq().

#include <cstdint>
#include <optional>
#include <string_view>

namespace verdant::shared {

/// What a user may do; decides scopes and permissions.
enum class Role : std::uint8_t {
    FieldExpert,          ///< Audits and coaches at suppliers' sites, on a tablet.
    TrainingCoordinator,  ///< Plans training sessions and checks people in.
    HqReviewer,           ///< Reviews, returns and approves audits; sees the whole tenant.
    TenantAdmin,          ///< Manages the tenant's users; sees the whole tenant.
};

/// "field_expert", "training_coordinator", "hq_reviewer", "tenant_admin".
std::string_view wireName(Role role) noexcept;

/// The role with that wire name, or nullopt.
std::optional<Role> roleFromWireName(std::string_view name) noexcept;

/// Whether `role` is HQ's: an HQ reviewer or a tenant admin, who see and write the whole tenant
/// and decide what field experts may not (review steps, assignments, deadlines).
bool isHq(Role role) noexcept;

}  // namespace verdant::shared
