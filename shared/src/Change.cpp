#include "verdant/shared/Change.hpp"

#include <array>
#include <utility>

namespace verdant::shared {

namespace {

constexpr std::array<std::pair<Operation, std::string_view>, 6> kOperationNames = {{
    {Operation::Set, "set"},
    {Operation::Add, "add"},
    {Operation::Remove, "remove"},
    {Operation::Reopen, "reopen"},
    {Operation::Delete, "delete"},
    {Operation::Restore, "restore"},
}};

}  // namespace

std::string_view wireName(Operation operation) noexcept {
    for (const auto& [op, name] : kOperationNames) {
        if (op == operation) {
            return name;
        }
    }
    return "set";
}

std::optional<Operation> operationFromWireName(std::string_view name) noexcept {
    for (const auto& [op, opName] : kOperationNames) {
        if (opName == name) {
            return op;
        }
    }
    return std::nullopt;
}

}  // namespace verdant::shared
