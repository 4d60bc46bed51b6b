#include "CheckInEndpoint.hpp"

#include "BadgeSheet.hpp"
#include "CertificateIssuer.hpp"
#include "RecordFields.hpp"

#include "verdant/server/auth/AuthService.hpp"
#include "verdant/server/http/QueryParameters.hpp"
#include "verdant/server/http/Router.hpp"
#include "verdant/server/storage/TenantStores.hpp"
#include "verdant/server/sync/ScopeResolver.hpp"
#include "verdant/server/sync/ServerWriter.hpp"
#include "verdant/shared/Role.hpp"
#include "verdant/training/CheckInToken.hpp"
#include "verdant/training/Collections.hpp"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include <algorithm>
#include <cstdint>

namespace verdant::server {

using shared::Error;
using shared::ErrorCode;
using shared::RecordId;
using shared::Value;
namespace c = training::collections;

namespace {

constexpr const char* kAlgorithm = "Ed25519";

/// The name a badge and its token carry: the Chinese and the English name, as far as they fit
/// in a token (cut at a character boundary), control characters made spaces.
std::string badgeName(const sync::Record& registration) {
    auto name = training_office::textField(registration, "person_name_zh").value_or("");
    const auto english = training_office::textField(registration, "person_name_en").value_or("");
    if (!english.empty()) {
        name += name.empty() ? english : " " + english;
    }
    for (auto& ch : name) {
        if (static_cast<unsigned char>(ch) < 0x20 || ch == 0x7F) {
            ch = ' ';
        }
    }
    if (name.size() > training::kMaxPersonNameBytes) {
        auto cut = training::kMaxPersonNameBytes;
        while (cut > 0 && (static_cast<unsigned char>(name[cut]) & 0xC0) == 0x80) {
            --cut;  // not inside a UTF-8 sequence
        }
        name.resize(cut);
    }
    return name;
}

/// The session in the route's {id}, as `principal` may see it: 404 not_found when the tenant has
/// no such session, 403 forbidden for a coordinator of another session or another role.
sync::Record sessionFor(const sync::Store& store, const Principal& principal,
                        const std::string& idText) {
    const auto id = RecordId::parse(idText);
    auto session = id ? store.record(c::kTrainingSessions, *id) : std::nullopt;
    if (!session || session->deleted) {
        throw Error(ErrorCode::NotFound, "There is no training session with that id.");
    }
    if (!shared::isHq(principal.role) &&
        !(principal.role == shared::Role::TrainingCoordinator &&
          recordNames(&*session, "coordinator_id", principal.userId))) {
        throw Error(ErrorCode::Forbidden,
                    "Only HQ and the session's coordinator may print its badges or issue its "
                    "certificates.");
    }
    return *session;
}

/// One registration's entry of the token list: its id, state, badge name and token (null, with
/// the refusal's code, when no token can carry it: a registration with no name).
Poco::JSON::Object::Ptr tokenEntry(const training::SigningKey& key, training::CheckInClaims claims,
                                   const sync::Record& registration) {
    auto entry = Poco::JSON::Object::Ptr(new Poco::JSON::Object(true));
    entry->set("registration_id", registration.id.toString());
    entry->set("state", training_office::textField(registration, "state").value_or(""));
    claims.registrationId = registration.id;
    claims.personName = badgeName(registration);
    entry->set("person_name", claims.personName);
    try {
        entry->set("token", training::issueCheckInToken(key, claims));
    } catch (const Error& refused) {
        entry->set("token", Poco::Dynamic::Var());
        entry->set("error", std::string(shared::wireName(refused.code())));
    }
    return entry;
}

}  // namespace

CheckInEndpoint::CheckInEndpoint(const ModuleServices& services)
    : _services(services), _keys(services.dataDir) {}

void CheckInEndpoint::registerRoutes(Router& router) {
    router.add("GET", "/v1/training/keys", [this](HttpExchange& e) { showKey(e); });
    router.add("GET", "/v1/training/sessions/{id}/tokens",
               [this](HttpExchange& e) { listTokens(e); });
    router.add("GET", "/v1/training/sessions/{id}/badges",
               [this](HttpExchange& e) { printBadges(e); });
    router.add("POST", "/v1/training/sessions/{id}/certificates",
               [this](HttpExchange& e) { issueCertificates(e); });
}

training::SigningKey CheckInEndpoint::publishedKey(const std::string& tenantId) {
    auto key = _keys.keyOf(tenantId);
    {
        std::lock_guard lock(_mutex);
        if (_published.count(tenantId) != 0) {
            return key;
        }
    }
    const auto publicKey = key.publicKey().toBase64Url();
    const auto id = training::trainingKeyRecordId(tenantId);
    _services.stores.with(tenantId, [&](sync::Store& store) {
        const auto record = store.record(c::kTrainingKeys, id);
        if (record && record->fields.count("public_key") != 0) {
            if (training_office::textField(*record, "public_key").value_or("") != publicKey) {
                // The key file was lost or replaced: tablets would refuse every new badge.
                throw Error(ErrorCode::InternalError,
                            "The tenant's training key does not match its published key.");
            }
            return;
        }
        ServerWriter(_services.hlc, _services.serverDevice)
            .apply(store, "server",
                   {{c::kTrainingKeys, id, "public_key", shared::Operation::Set,
                     Value::string(publicKey)},
                    {c::kTrainingKeys, id, "algorithm", shared::Operation::Set,
                     Value::string(kAlgorithm)},
                    {c::kTrainingKeys, id, "created_at", shared::Operation::Set,
                     Value::timestamp(_services.clock.nowMs())}});
    });
    std::lock_guard lock(_mutex);
    _published.insert(tenantId);
    return key;
}

void CheckInEndpoint::showKey(HttpExchange& exchange) {
    const auto principal = _services.auth.authenticate(exchange.header("Authorization"));
    const QueryParameters query(exchange, {});
    const auto key = publishedKey(principal.tenantId);
    std::optional<std::int64_t> createdAt;
    const auto id = training::trainingKeyRecordId(principal.tenantId);
    _services.stores.read(principal.tenantId, [&](const sync::Store& store) {
        if (const auto record = store.record(c::kTrainingKeys, id)) {
            createdAt = training_office::timeField(*record, "created_at");
        }
    });
    Poco::JSON::Object body(true);
    body.set("id", id.toString());
    body.set("tenant_id", principal.tenantId);
    body.set("algorithm", kAlgorithm);
    body.set("public_key", key.publicKey().toBase64Url());
    body.set("created_at", static_cast<Poco::Int64>(createdAt.value_or(0)));
    exchange.sendJson(Poco::Net::HTTPResponse::HTTP_OK, body);
}

CheckInEndpoint::SessionTokens CheckInEndpoint::sessionTokens(HttpExchange& exchange) {
    const auto principal = _services.auth.authenticate(exchange.header("Authorization"));
    const QueryParameters query(exchange, {});
    const auto& idText = exchange.pathParameters().at("id");
    SessionTokens result;
    _services.stores.read(principal.tenantId, [&](const sync::Store& store) {
        result.session = sessionFor(store, principal, idText);
    });
    const auto startsAt = training_office::timeField(*result.session, "starts_at");
    const auto endsAt = training_office::timeField(*result.session, "ends_at");
    if (!startsAt || !endsAt) {
        throw Error(ErrorCode::InvalidSchedule,
                    "The session needs a start and an end before its check-in tokens are made.");
    }
    const auto key = publishedKey(principal.tenantId);
    result.publicKey = key.publicKey().toBase64Url();
    auto& claims = result.claims;
    claims.tenantId = *training::TenantId::parse(principal.tenantId);
    claims.sessionId = result.session->id;
    claims.validFromMs =
        *startsAt < kCheckInWindowMarginMs ? 0 : *startsAt - kCheckInWindowMarginMs;
    claims.validUntilMs = *endsAt > INT64_MAX - kCheckInWindowMarginMs
                              ? INT64_MAX  // refused per registration by issueCheckInToken
                              : *endsAt + kCheckInWindowMarginMs;
    result.tokens = Poco::JSON::Array::Ptr(new Poco::JSON::Array);
    _services.stores.read(principal.tenantId, [&](const sync::Store& store) {
        for (const auto& id :
             store.findRecords(c::kAttendance, "session_id", Value::id(result.session->id))) {
            const auto registration = store.record(c::kAttendance, id);
            // Nobody gets a badge for a registration they cancelled.
            if (registration && !registration->deleted &&
                training_office::textField(*registration, "state") != "cancelled") {
                result.tokens->add(tokenEntry(key, claims, *registration));
            }
        }
    });
    return result;
}

void CheckInEndpoint::listTokens(HttpExchange& exchange) {
    const auto tokens = sessionTokens(exchange);
    Poco::JSON::Object body(true);
    body.set("session_id", tokens.session->id.toString());
    body.set("valid_from", static_cast<Poco::Int64>(tokens.claims.validFromMs));
    body.set("valid_until", static_cast<Poco::Int64>(tokens.claims.validUntilMs));
    body.set("public_key", tokens.publicKey);
    body.set("tokens", tokens.tokens);
    exchange.sendJson(Poco::Net::HTTPResponse::HTTP_OK, body);
}

void CheckInEndpoint::printBadges(HttpExchange& exchange) {
    const auto tokens = sessionTokens(exchange);
    std::vector<Badge> badges;
    for (std::size_t i = 0; i < tokens.tokens->size(); ++i) {
        const auto entry = tokens.tokens->getObject(static_cast<unsigned>(i));
        if (entry->isNull("token")) {
            continue;  // no name, no badge: listed by the token route with its code
        }
        badges.push_back(
            {entry->getValue<std::string>("person_name"), entry->getValue<std::string>("token")});
    }
    exchange.setHeader("Content-Security-Policy",
                       "default-src 'none'; style-src 'unsafe-inline'; img-src data:");
    exchange.setHeader("X-Content-Type-Options", "nosniff");
    exchange.send(Poco::Net::HTTPResponse::HTTP_OK, "text/html; charset=utf-8",
                  badgeSheetHtml(*tokens.session, badges));
}

void CheckInEndpoint::issueCertificates(HttpExchange& exchange) {
    const auto principal = _services.auth.authenticate(exchange.header("Authorization"));
    const QueryParameters query(exchange, {});
    const auto& idText = exchange.pathParameters().at("id");
    _services.stores.read(principal.tenantId, [&](const sync::Store& store) {
        sessionFor(store, principal, idText);  // who may issue, before any key is made
    });
    const auto key = publishedKey(principal.tenantId);
    const auto tenant = *training::TenantId::parse(principal.tenantId);
    IssuedCertificates done;
    _services.stores.with(principal.tenantId, [&](sync::Store& store) {
        const auto session = sessionFor(store, principal, idText);
        done = certificatesFor(store, session, key, tenant, "Verdant training programme",
                               _services.clock.nowMs());
        if (!done.writes.empty()) {
            ServerWriter(_services.hlc, _services.serverDevice)
                .apply(store, principal.userId, done.writes);
        }
    });
    const auto list = [](const std::vector<RecordId>& registrations) {
        Poco::JSON::Array::Ptr items = new Poco::JSON::Array;
        for (const auto& registration : registrations) {
            Poco::JSON::Object::Ptr item = new Poco::JSON::Object(true);
            item->set("registration_id", registration.toString());
            item->set("certificate_id", training::certificateRecordId(registration).toString());
            items->add(item);
        }
        return items;
    };
    Poco::JSON::Object body(true);
    body.set("session_id", idText);
    body.set("issued", list(done.issued));
    body.set("existing", list(done.existing));
    exchange.sendJson(Poco::Net::HTTPResponse::HTTP_OK, body);
}

}  // namespace verdant::server
