#pragma once

#include "verdant/server/auth/TokenService.hpp"
#include "verdant/server/sync/DomainModule.hpp"
#include "verdant/server/sync/PushBatch.hpp"
#include "verdant/shared/Change.hpp"
#include "verdant/shared/Id.hpp"
#include "verdant/shared/Schema.hpp"
#include "verdant/sync/Store.hpp"

#include <memory>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <vector>

namespace verdant::server {

/// Everything the server checks about one push batch before a change is applied, in this order:
///  1. every module's content and role rules (BatchRules::checkContent; HQ's changes too);
///  2. for a user who does not hold the whole tenant: the record (and, for a parent write, the
///     scope it would move into) is among the user's writable scopes (`not_in_scope`), as the
///     modules' scope rules say;
///  3. every module's step rules (BatchRules::checkStep), last, since they move their view of a
///     record on when they let a change through.
/// It knows no domain: the rules come from the server's modules.
///
/// Built from the store before the batch is applied (Store::apply's gate may not read the
/// store), through one PushBatch, so each record the checks need is read once and the batch is
/// indexed once: its cost follows the batch, not the store nor the user's number of records.
/// Keeps references to the store's schema and to `modules` (both must outlive it). Not
/// thread-safe; use it for one batch.
class PushGate {
public:
    /// Reads what `batch`, pushed by `principal`, needs from `store`.
    PushGate(const DomainModules& modules, const sync::Store& store,
             std::span<const shared::Change> batch, const Principal& principal);

    /// Why `change` may not be applied, or nullopt; `scope` as Store's ChangeGate receives it.
    std::optional<shared::ValidationError> check(const shared::Change& change,
                                                 const std::optional<std::string>& scope);

    /// The writes the modules add once the batch applied (BatchRules::followUps).
    std::vector<ServerWrite> followUps(const sync::Store& after, std::int64_t nowMs);

private:
    PushGate(const DomainModules& modules, PushBatch&& batch, const Principal& principal);

    /// Whether the change's record, and a scope a parent write moves it into, are writable.
    bool inWritableScope(const shared::Change& change,
                         const std::optional<std::string>& scope) const;

    const shared::Schema& _schema;
    std::optional<std::set<std::string>> _writable;  ///< nullopt: the whole tenant.
    std::vector<std::unique_ptr<BatchRules>> _rules;
};

}  // namespace verdant::server
