#pragma once

#include "verdant/server/sync/DomainModule.hpp"

#include <memory>
#include <vector>

namespace verdant::server {

/// The domain modules verdant-server runs, in order: audit, training, photos. A new domain is one
/// more line here (and its own folder); nothing else of the server changes.
std::vector<std::unique_ptr<DomainModule>> builtInModules();

}  // namespace verdant::server
