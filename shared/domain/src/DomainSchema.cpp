#include "verdant/domain/DomainSchema.hpp"

namespace verdant::domain {

const shared::Schema& domainSchema() {
    static const shared::Schema kSchema = [] {
        shared::Schema schema;
        audit::addCollections(schema);
        training::addCollections(schema);
        return schema;
    }();
    return kSchema;
}

}  // namespace verdant::domain
