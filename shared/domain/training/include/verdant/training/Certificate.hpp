#pragma once

/// Training certificates: a W3C Verifiable Credential shaped like an Open Badges 3.0
/// `OpenBadgeCredential` (achievement = the course, subject = the person and their supplier),
/// signed with the tenant's Ed25519 key in the VC-JWT form Open Badges 3.0 allows:
///
///     <header>.<payload>.<signature>      (JWS compact serialisation, RFC 7515)
///
/// `header` is the base64url of {"alg":"EdDSA","typ":"JWT","kid":"<issuer>#training-key"};
/// `payload` of {"iss","jti","sub","nbf","vc":{…}} where `vc` is the credential; `signature` the
/// Ed25519 signature (RFC 8037) of "<header>.<payload>". Anyone holding the tenant's public key
/// verifies one offline; whether it was revoked is the `certificates` record's `status`, which
/// syncs like any record (its replica is the status list).
///
/// Verification refuses, each with its own code: `certificate_malformed` (not that form, not
/// JSON of that shape, over kMaxCertificateLength) and `certificate_forged` (the signature is not
/// the key's, e.g. one byte changed).

#include "verdant/shared/Id.hpp"
#include "verdant/shared/Schema.hpp"
#include "verdant/training/CheckInToken.hpp"
#include "verdant/training/SigningKey.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

namespace verdant::training {

/// The longest certificate text read; longer input is refused before it is decoded.
inline constexpr std::size_t kMaxCertificateLength = 16 * 1024;

/// What a certificate asserts.
struct CertificateClaims {
    shared::RecordId certificateId;   ///< The `certificates` record (the credential's id).
    TenantId tenantId;                ///< The issuing tenant, whose key signs.
    std::string issuerName;           ///< The tenant's name, as shown.
    shared::RecordId courseId;        ///< The achievement.
    std::string courseTitleEn;        ///< The course's English title.
    std::string courseTitleZh;        ///< The course's Chinese title (may be empty).
    shared::RecordId sessionId;       ///< The session attended.
    shared::RecordId registrationId;  ///< The person's registration (the subject).
    std::string personName;           ///< The person, as registered.
    shared::RecordId supplierId;      ///< The person's supplier (nil when unknown).
    std::string supplierName;         ///< The supplier's name (may be empty).
    std::int64_t issuedAtMs = 0;      ///< When it was issued, Unix milliseconds.

    /// Field-wise equality.
    friend bool operator==(const CertificateClaims&, const CertificateClaims&) = default;
};

/// A verified certificate: its claims and the credential JSON as signed.
struct VerifiedCertificate {
    CertificateClaims claims;
    std::string credentialJson;  ///< The `vc` object, compact JSON.
};

/// The signed certificate text of `claims`. Throws shared::Error(InvalidParameter) for claims no
/// certificate may carry (nil ids, an empty person name or course title, a negative time).
std::string issueCertificate(const SigningKey& key, const CertificateClaims& claims);

/// The certificate's claims when `text` is a certificate signed by `key`, else the refusal.
/// Surrounding whitespace (a file's last newline) is ignored. Never throws for any input.
std::variant<VerifiedCertificate, shared::ValidationError> verifyCertificate(const PublicKey& key,
                                                                             std::string_view text);

}  // namespace verdant::training
