#include "verdant/server/app/BuiltInModules.hpp"

#include "verdant/server/audit/AuditModule.hpp"
#include "verdant/server/photos/PhotosModule.hpp"
#include "verdant/server/training/TrainingModule.hpp"

namespace verdant::server {

std::vector<std::unique_ptr<DomainModule>> builtInModules() {
    std::vector<std::unique_ptr<DomainModule>> modules;
    modules.push_back(std::make_unique<AuditModule>());
    modules.push_back(std::make_unique<TrainingModule>());
    modules.push_back(std::make_unique<PhotosModule>());
    return modules;
}

}  // namespace verdant::server
