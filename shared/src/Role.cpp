#include "verdant/shared/Role.hpp"

#include <array>
#include <utility>

namespace verdant::shared {

namespace {

constexpr std::array<std::pair<Role, std::string_view>, 4> kRoles = {{
    {Role::FieldExpert, "field_expert"},
    {Role::TrainingCoordinator, "training_coordinator"},
    {Role::HqReviewer, "hq_reviewer"},
    {Role::TenantAdmin, "tenant_admin"},
}};

}  // namespace

std::string_view wireName(Role role) noexcept {
    for (const auto& [value, name] : kRoles) {
        if (value == role) {
            return name;
        }
    }
    return "field_expert";
}

std::optional<Role> roleFromWireName(std::string_view name) noexcept {
    for (const auto& [value, wire] : kRoles) {
        if (wire == name) {
            return value;
        }
    }
    return std::nullopt;
}

bool isHq(Role role) noexcept {
    return role == Role::HqReviewer || role == Role::TenantAdmin;
}

}  // namespace verdant::shared
