#include "verdant/training/Certificate.hpp"

#include "Base64Url.hpp"

#include "verdant/shared/ErrorCode.hpp"

#include <Poco/DateTimeFormat.h>
#include <Poco/DateTimeFormatter.h>
#include <Poco/Exception.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Timestamp.h>

#include <sstream>

namespace verdant::training {

using shared::Error;
using shared::ErrorCode;
using shared::ValidationError;

namespace {

constexpr std::string_view kHeaderAlgorithm = "EdDSA";

std::string issuerUri(const TenantId& tenant) {
    return "urn:verdant:tenant:" + tenant.toString();
}

std::string compact(const Poco::JSON::Object& object) {
    std::ostringstream text;
    object.stringify(text);
    return text.str();
}

std::span<const std::uint8_t> bytesOf(std::string_view text) {
    return {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()};
}

std::string base64Url(std::string_view text) {
    return detail::base64UrlEncode(bytesOf(text));
}

Poco::JSON::Array::Ptr array(std::initializer_list<std::string> items) {
    Poco::JSON::Array::Ptr result = new Poco::JSON::Array;
    for (const auto& item : items) {
        result->add(item);
    }
    return result;
}

/// The Open Badges 3.0 credential of `claims`.
Poco::JSON::Object::Ptr credential(const CertificateClaims& claims) {
    Poco::JSON::Object::Ptr issuer = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
    issuer->set("id", issuerUri(claims.tenantId));
    issuer->set("type", array({"Profile"}));
    issuer->set("name", claims.issuerName);

    Poco::JSON::Object::Ptr achievement = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
    achievement->set("id", "urn:verdant:course:" + claims.courseId.toString());
    achievement->set("type", array({"Achievement"}));
    achievement->set("name", claims.courseTitleEn);
    achievement->set("name_zh", claims.courseTitleZh);
    Poco::JSON::Object::Ptr criteria = new Poco::JSON::Object;
    criteria->set("narrative", "Attended training session urn:verdant:session:" +
                                   claims.sessionId.toString() + ".");
    achievement->set("criteria", criteria);

    Poco::JSON::Object::Ptr identity = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
    identity->set("type", "IdentityObject");
    identity->set("identityType", "name");
    identity->set("hashed", false);
    identity->set("identityHash", claims.personName);
    Poco::JSON::Array::Ptr identifiers = new Poco::JSON::Array;
    identifiers->add(identity);

    Poco::JSON::Object::Ptr supplier = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
    supplier->set("id", "urn:verdant:supplier:" + claims.supplierId.toString());
    supplier->set("name", claims.supplierName);

    Poco::JSON::Object::Ptr subject = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
    subject->set("id", "urn:verdant:registration:" + claims.registrationId.toString());
    subject->set("type", array({"AchievementSubject"}));
    subject->set("identifier", identifiers);
    subject->set("achievement", achievement);
    subject->set("supplier", supplier);  // Verdant's extension: who the person works for

    Poco::JSON::Object::Ptr vc = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
    vc->set("@context", array({"https://www.w3.org/2018/credentials/v1",
                               "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"}));
    vc->set("id", "urn:uuid:" + claims.certificateId.toString());
    vc->set("type", array({"VerifiableCredential", "OpenBadgeCredential"}));
    vc->set("issuer", issuer);
    vc->set("issuanceDate",
            Poco::DateTimeFormatter::format(Poco::Timestamp(claims.issuedAtMs * 1000),
                                            Poco::DateTimeFormat::ISO8601_FORMAT));
    vc->set("name", claims.courseTitleEn);
    vc->set("credentialSubject", subject);
    return vc;
}

void requireIssuable(const CertificateClaims& claims) {
    if (claims.certificateId.isNil() || claims.tenantId.isNil() || claims.courseId.isNil() ||
        claims.sessionId.isNil() || claims.registrationId.isNil() || claims.personName.empty() ||
        claims.courseTitleEn.empty() || claims.issuedAtMs < 0) {
        throw Error(ErrorCode::InvalidParameter,
                    "A certificate needs its ids, the person's name, the course's title and a "
                    "time of issue.");
    }
}

ValidationError malformed() {
    return ValidationError{ErrorCode::CertificateMalformed, "This is not a Verdant certificate."};
}

/// The id after `prefix` in `text`, e.g. "urn:verdant:course:<uuid>".
template <class IdType>
std::optional<IdType> idAfter(const std::string& text, std::string_view prefix) {
    if (text.rfind(prefix, 0) != 0) {
        return std::nullopt;
    }
    return IdType::parse(text.substr(prefix.size()));
}

/// The claims the signed payload states; nullopt when it is not of the issued shape.
std::optional<CertificateClaims> claimsOf(const std::string& payload) {
    try {
        Poco::JSON::Parser parser;
        const auto root = parser.parse(payload).extract<Poco::JSON::Object::Ptr>();
        const auto vc = root->getObject("vc");
        const auto subject = vc->getObject("credentialSubject");
        const auto achievement = subject->getObject("achievement");
        const auto issuer = vc->getObject("issuer");
        CertificateClaims claims;
        const auto certificate =
            idAfter<shared::RecordId>(vc->getValue<std::string>("id"), "urn:uuid:");
        const auto tenant =
            idAfter<TenantId>(issuer->getValue<std::string>("id"), "urn:verdant:tenant:");
        const auto course = idAfter<shared::RecordId>(achievement->getValue<std::string>("id"),
                                                      "urn:verdant:course:");
        const auto registration = idAfter<shared::RecordId>(subject->getValue<std::string>("id"),
                                                            "urn:verdant:registration:");
        const auto supplier = idAfter<shared::RecordId>(
            subject->getObject("supplier")->getValue<std::string>("id"), "urn:verdant:supplier:");
        const auto narrative =
            achievement->getObject("criteria")->getValue<std::string>("narrative");
        const auto marker = narrative.find("urn:verdant:session:");
        const auto session = marker == std::string::npos
                                 ? std::nullopt
                                 : shared::RecordId::parse(narrative.substr(marker + 20, 36));
        if (!certificate || !tenant || !course || !registration || !supplier || !session) {
            return std::nullopt;
        }
        claims.certificateId = *certificate;
        claims.tenantId = *tenant;
        claims.issuerName = issuer->getValue<std::string>("name");
        claims.courseId = *course;
        claims.courseTitleEn = achievement->getValue<std::string>("name");
        claims.courseTitleZh = achievement->getValue<std::string>("name_zh");
        claims.sessionId = *session;
        claims.registrationId = *registration;
        claims.personName =
            subject->getArray("identifier")->getObject(0)->getValue<std::string>("identityHash");
        claims.supplierId = *supplier;
        claims.supplierName = subject->getObject("supplier")->getValue<std::string>("name");
        claims.issuedAtMs = root->getValue<std::int64_t>("nbf_ms");
        return claims;
    } catch (const Poco::Exception&) {
        return std::nullopt;
    } catch (const std::exception&) {
        return std::nullopt;
    }
}

std::string_view trimmed(std::string_view text) {
    const auto first = text.find_first_not_of(" \t\r\n");
    if (first == std::string_view::npos) {
        return {};
    }
    return text.substr(first, text.find_last_not_of(" \t\r\n") - first + 1);
}

}  // namespace

std::string issueCertificate(const SigningKey& key, const CertificateClaims& claims) {
    requireIssuable(claims);
    Poco::JSON::Object header(Poco::JSON_PRESERVE_KEY_ORDER);
    header.set("alg", std::string(kHeaderAlgorithm));
    header.set("typ", "JWT");
    header.set("kid", issuerUri(claims.tenantId) + "#training-key");
    Poco::JSON::Object payload(Poco::JSON_PRESERVE_KEY_ORDER);
    payload.set("iss", issuerUri(claims.tenantId));
    payload.set("jti", "urn:uuid:" + claims.certificateId.toString());
    payload.set("sub", "urn:verdant:registration:" + claims.registrationId.toString());
    payload.set("nbf", claims.issuedAtMs / 1000);
    payload.set("nbf_ms", claims.issuedAtMs);
    payload.set("vc", credential(claims));
    const auto signingInput = base64Url(compact(header)) + "." + base64Url(compact(payload));
    const auto signature = key.sign(bytesOf(signingInput));
    return signingInput + "." + detail::base64UrlEncode(signature);
}

std::variant<VerifiedCertificate, ValidationError> verifyCertificate(const PublicKey& key,
                                                                     std::string_view text) {
    text = trimmed(text);
    if (text.empty() || text.size() > kMaxCertificateLength) {
        return malformed();
    }
    const auto first = text.find('.');
    const auto last = text.rfind('.');
    if (first == std::string_view::npos || first == last) {
        return malformed();
    }
    const auto header = detail::base64UrlDecode(text.substr(0, first));
    const auto payload = detail::base64UrlDecode(text.substr(first + 1, last - first - 1));
    const auto signature = detail::base64UrlDecode(text.substr(last + 1));
    if (!header || !payload || !signature || signature->size() != kEd25519SignatureSize) {
        return malformed();
    }
    if (!key.verifies(bytesOf(text.substr(0, last)), *signature)) {
        return ValidationError{ErrorCode::CertificateForged,
                               "The certificate's signature is not the issuer's: it was changed "
                               "or made by someone else."};
    }
    const std::string headerText(header->begin(), header->end());
    const std::string payloadText(payload->begin(), payload->end());
    auto claims = claimsOf(payloadText);
    if (!claims || headerText.find("\"EdDSA\"") == std::string::npos) {
        return malformed();
    }
    Poco::JSON::Parser parser;
    const auto vc = parser.parse(payloadText).extract<Poco::JSON::Object::Ptr>()->getObject("vc");
    return VerifiedCertificate{std::move(*claims), compact(*vc)};
}

}  // namespace verdant::training
