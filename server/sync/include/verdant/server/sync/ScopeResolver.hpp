#pragma once

#include "verdant/sync/Store.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace verdant::server {

/// What a user's devices receive and may write is decided from the data itself, by each module's
/// scope rules (DomainModule::addReadableScopes / addWritableScopes): an assignment is a synced
/// field like any other, so scopes follow it as soon as it changes. HQ reviewers and tenant
/// admins hold the whole tenant. These are the helpers those rules share.
struct ScopeResolver {
    /// The scope key standing for "the whole tenant" in pull cursors.
    static constexpr const char* kTenantScope = "tenant";
};

/// The record a scope key of `collection` names ("<collection>/<uuid>", as shared::scopeKey
/// writes it), or nullopt for a key of another collection or of another spelling.
std::optional<shared::RecordId> scopeRoot(const std::string& scope, std::string_view collection);

/// Whether `record` is stored, not deleted, and `field` holds `userId`: its visible value, or
/// for a string set one of its visible elements (as Store::findRecords matches).
bool recordNames(const sync::Record* record, const std::string& field, const std::string& userId);

}  // namespace verdant::server
