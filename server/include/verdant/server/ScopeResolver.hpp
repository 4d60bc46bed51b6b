#pragma once

#include "verdant/server/PushBatch.hpp"
#include "verdant/server/TokenService.hpp"
#include "verdant/sync/Store.hpp"

#include <optional>
#include <set>
#include <string>

namespace verdant::server {

/// Decides what a user's devices receive and may write, from the data itself: an assignment is
/// a synced field like any other, so scopes follow it as soon as it changes.
///
///  - field expert: every audit whose `assignee_id` is the user or whose `team` holds the user,
///    plus the supplier, facility and template version those audits reference (read only);
///  - training coordinator: every training session whose `coordinator_id` is the user;
///  - HQ reviewer and tenant admin: the whole tenant.
///
/// Stateless; call with the tenant's store held.
class ScopeResolver {
public:
    /// The scope key standing for "the whole tenant" in pull cursors.
    static constexpr const char* kTenantScope = "tenant";

    /// The scopes the user's devices receive, or nullopt for the whole tenant.
    static std::optional<std::set<std::string>> readableScopes(const Principal& principal,
                                                               const sync::Store& store);

    /// The scopes the user may write in (a subset of the readable ones), or nullopt for all.
    static std::optional<std::set<std::string>> writableScopes(const Principal& principal,
                                                               const sync::Store& store);

    /// writableScopes() restricted to `candidates` (the scopes a push batch can touch): the
    /// same answer for each of them, or nullopt for all. Reads each candidate's root record once
    /// through `batch` instead of every record the user is assigned, so a push costs what it
    /// names, not the number of audits (or sessions) the user has.
    static std::optional<std::set<std::string>> writableScopesAmong(
        const Principal& principal, const std::set<std::string>& candidates, PushBatch& batch);
};

}  // namespace verdant::server
