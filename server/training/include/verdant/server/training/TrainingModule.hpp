#pragma once

#include "verdant/server/sync/DomainModule.hpp"

namespace verdant::server {

/// The training domain as the server runs it (so far its collections and scopes):
///  - collections: verdant/training/Collections.hpp (training sessions and their attendance);
///  - scopes: a training coordinator holds, reads and writes, the sessions they coordinate.
class TrainingModule final : public DomainModule {
public:
    std::string_view name() const override { return "training"; }
    void addCollections(shared::Schema& schema) const override;
    void addReadableScopes(const Principal& principal, const sync::Store& store,
                           std::set<std::string>& scopes) const override;
    void addWritableScopes(const Principal& principal, const std::set<std::string>& candidates,
                           PushBatch& batch, std::set<std::string>& writable) const override;
};

}  // namespace verdant::server
