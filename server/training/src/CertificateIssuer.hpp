#pragma once

#include "verdant/server/sync/ServerWriter.hpp"
#include "verdant/sync/Store.hpp"
#include "verdant/training/Certificate.hpp"
#include "verdant/training/SigningKey.hpp"

#include <string>
#include <vector>

namespace verdant::server {

/// What issuing a session's certificates did: the registrations that got one now, and those that
/// had one already.
struct IssuedCertificates {
    std::vector<shared::RecordId> issued;
    std::vector<shared::RecordId> existing;
    std::vector<ServerWrite> writes;  ///< The `certificates` records to write.
};

/// The certificates of `session`'s people who came (state checked_in or attended, and not judged
/// absent or no-show), signed with `key`: one `certificates` record each (id
/// certificateRecordId(registration)), with the credential, `status` valid. A person who has one
/// keeps it. Reads the session's registrations, its course and the people's suppliers.
IssuedCertificates certificatesFor(const sync::Store& store, const sync::Record& session,
                                   const training::SigningKey& key,
                                   const training::TenantId& tenant, const std::string& issuerName,
                                   std::int64_t nowMs);

}  // namespace verdant::server
