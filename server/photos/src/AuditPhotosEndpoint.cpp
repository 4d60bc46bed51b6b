#include "verdant/server/photos/AuditPhotosEndpoint.hpp"

#include "PhotoReadAccess.hpp"

#include "verdant/audit/Collections.hpp"
#include "verdant/server/auth/AuthService.hpp"
#include "verdant/server/http/QueryParameters.hpp"
#include "verdant/server/http/Router.hpp"
#include "verdant/server/storage/TenantStores.hpp"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include <algorithm>
#include <map>
#include <set>
#include <vector>

namespace verdant::server {

using shared::Error;
using shared::ErrorCode;
namespace c = audit::collections;

namespace {

/// What the answer says of one `photos` record.
struct ExpectedPhoto {
    shared::RecordId id;
    std::optional<std::string> sha256;
    std::optional<std::int64_t> sizeBytes;
    std::optional<std::string> caption;
};

Error noSuchAudit() {
    return Error(ErrorCode::NotFound, "There is no audit with that id.");
}

/// The live `photos` records of `audit`'s scope (the store's scope query, as the review's audit
/// view reads it): cost follows the audit's records, not the tenant's.
std::vector<ExpectedPhoto> expectedPhotos(const sync::Store& store, const shared::RecordId& audit) {
    std::vector<ExpectedPhoto> photos;
    for (const auto& ref : store.recordsInScope(shared::scopeKey(c::kAudits, audit))) {
        if (ref.collection != c::kPhotos) {
            continue;
        }
        const auto record = store.record(ref.collection, ref.id);
        if (!record || record->deleted) {
            continue;
        }
        ExpectedPhoto photo{record->id, photoText(*record, "sha256"), std::nullopt,
                            photoText(*record, "caption")};
        const auto size = record->fields.find("size_bytes");
        if (size != record->fields.end() && size->second.value.kind() == shared::ValueKind::Int) {
            photo.sizeBytes = size->second.value.as<std::int64_t>();
        }
        photos.push_back(std::move(photo));
    }
    return photos;
}

/// The records the stored, verified blob of `sha256` was uploaded or proven for (none when the
/// tenant holds no such blob).
std::set<shared::RecordId> claimedRecords(const StoredBlobs& blobs, const std::string& tenantId,
                                          const std::string& sha256) {
    std::set<shared::RecordId> records;
    if (!blobs.find(tenantId, sha256)) {
        return records;
    }
    for (const auto& claim : blobs.claimedPhotoIds(tenantId, sha256)) {
        if (const auto id = shared::RecordId::parse(claim)) {
            records.insert(*id);
        }
    }
    return records;
}

template <typename T>
Poco::Dynamic::Var orNull(const std::optional<T>& value) {
    return value ? Poco::Dynamic::Var(*value) : Poco::Dynamic::Var();
}

}  // namespace

AuditPhotosEndpoint::AuditPhotosEndpoint(const ModuleServices& services, const StoredBlobs& blobs)
    : _services(services),
      _blobs(blobs),
      _access(std::make_unique<PhotoReadAccess>(services.modules)) {}

AuditPhotosEndpoint::~AuditPhotosEndpoint() = default;

void AuditPhotosEndpoint::registerRoutes(Router& router) {
    router.add("GET", "/v1/audits/{id}/photos", [this](HttpExchange& e) { listPhotos(e); });
}

void AuditPhotosEndpoint::listPhotos(HttpExchange& exchange) {
    const auto principal = _services.auth.authenticate(exchange.header("Authorization"));
    const QueryParameters query(exchange, {});
    const auto audit = shared::RecordId::parse(exchange.pathParameters().at("id"));
    if (!audit) {
        throw noSuchAudit();
    }
    std::vector<ExpectedPhoto> photos;
    _services.stores.read(principal.tenantId, [&](const sync::Store& store) {
        const auto record = store.record(c::kAudits, *audit);
        if (!record || record->deleted ||
            !_access->mayRead(principal, store, shared::scopeKey(c::kAudits, *audit))) {
            throw noSuchAudit();
        }
        photos = expectedPhotos(store, *audit);
    });
    // Received: the store holds the verified bytes, and they were uploaded or proven for this
    // record (a blob another record brought does not make this photo received).
    std::map<std::string, std::set<shared::RecordId>> claimsOf;
    Poco::JSON::Array items;
    std::size_t received = 0;
    for (const auto& photo : photos) {
        bool isReceived = false;
        if (photo.sha256 && isBlobName(*photo.sha256)) {
            auto claims = claimsOf.find(*photo.sha256);
            if (claims == claimsOf.end()) {
                claims = claimsOf
                             .emplace(*photo.sha256,
                                      claimedRecords(_blobs, principal.tenantId, *photo.sha256))
                             .first;
            }
            isReceived = claims->second.count(photo.id) != 0;
        }
        received += isReceived ? 1 : 0;
        Poco::JSON::Object::Ptr item = new Poco::JSON::Object(true);
        item->set("id", photo.id.toString());
        item->set("sha256", orNull(photo.sha256));
        item->set("size_bytes", orNull(photo.sizeBytes));
        item->set("caption", orNull(photo.caption));
        item->set("received", isReceived);
        items.add(item);
    }
    Poco::JSON::Object body(true);
    body.set("audit_id", audit->toString());
    body.set("expected", photos.size());
    body.set("received", received);
    body.set("photos", items);
    exchange.sendJson(Poco::Net::HTTPResponse::HTTP_OK, body);
}

}  // namespace verdant::server
