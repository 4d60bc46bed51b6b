// Training certificates (verdant/training/Certificate.hpp): an Open Badges 3.0 credential signed
// with the tenant's key verifies offline with the public key alone, and nothing else does.

#include "verdant/training/Certificate.hpp"

#include <gtest/gtest.h>

#include <string>

namespace verdant::training {
namespace {

shared::RecordId id(const char* text) {
    return *shared::RecordId::parse(text);
}

CertificateClaims claims() {
    CertificateClaims claims;
    claims.certificateId = id("0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a01");
    claims.tenantId = *TenantId::parse("0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a02");
    claims.issuerName = "Green Supply Chain Programme";
    claims.courseId = id("0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a03");
    claims.courseTitleEn = "Wastewater basics";
    claims.courseTitleZh = "废水处理基础";
    claims.sessionId = id("0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a04");
    claims.registrationId = id("0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a05");
    claims.personName = "王芳";
    claims.supplierId = id("0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a06");
    claims.supplierName = "绿色印染有限公司";
    claims.issuedAtMs = 1'800'000'123'456;
    return claims;
}

std::optional<shared::ErrorCode> refusalOf(const PublicKey& key, std::string_view text) {
    const auto result = verifyCertificate(key, text);
    if (const auto* refused = std::get_if<shared::ValidationError>(&result)) {
        return refused->code;
    }
    return std::nullopt;
}

TEST(Certificate, VerifiesWithTheTenantsPublicKeyAndStatesWhatWasIssued) {
    const auto key = SigningKey::generate();
    const auto text = issueCertificate(key, claims());
    const auto result = verifyCertificate(key.publicKey(), text + "\n");
    ASSERT_TRUE(std::holds_alternative<VerifiedCertificate>(result));
    const auto& verified = std::get<VerifiedCertificate>(result);
    EXPECT_EQ(verified.claims, claims());
    EXPECT_NE(verified.credentialJson.find("\"OpenBadgeCredential\""), std::string::npos);
    EXPECT_NE(verified.credentialJson.find("\"AchievementSubject\""), std::string::npos);
}

TEST(Certificate, OneByteChangedAnywhereIsNeverAccepted) {
    const auto key = SigningKey::generate();
    const auto text = issueCertificate(key, claims());
    for (std::size_t i = 0; i < text.size(); ++i) {
        auto changed = text;
        changed[i] = changed[i] == 'A' ? 'B' : 'A';
        const auto refusal = refusalOf(key.publicKey(), changed);
        ASSERT_TRUE(refusal) << "position " << i;
        EXPECT_TRUE(*refusal == shared::ErrorCode::CertificateForged ||
                    *refusal == shared::ErrorCode::CertificateMalformed)
            << "position " << i;
    }
}

TEST(Certificate, AnotherTenantsKeyFindsItForged) {
    const auto text = issueCertificate(SigningKey::generate(), claims());
    EXPECT_EQ(refusalOf(SigningKey::generate().publicKey(), text),
              shared::ErrorCode::CertificateForged);
}

TEST(Certificate, AnythingElseIsMalformed) {
    const auto key = SigningKey::generate().publicKey();
    for (const std::string& text :
         {std::string(), std::string("a.b"), std::string("..."), std::string("vct1.x.y"),
          std::string(kMaxCertificateLength + 1, 'a')}) {
        EXPECT_EQ(refusalOf(key, text), shared::ErrorCode::CertificateMalformed) << text;
    }
}

TEST(Certificate, ClaimsNoCertificateMayCarryAreNotIssued) {
    auto unnamed = claims();
    unnamed.personName.clear();
    EXPECT_THROW(issueCertificate(SigningKey::generate(), unnamed), shared::Error);
}

}  // namespace
}  // namespace verdant::training
