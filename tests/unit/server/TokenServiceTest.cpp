#include "verdant/server/auth/TokenService.hpp"
#include "verdant/shared/ErrorCode.hpp"

#include <Poco/Base64Encoder.h>
#include <gtest/gtest.h>

#include <sstream>

namespace verdant::server {
namespace {

using shared::Error;
using shared::ErrorCode;

const std::string kKey(64, 'k');

class TokenServiceTest : public ::testing::Test {
protected:
    shared::ManualClock _clock{1'800'000'000'000};
    TokenService _tokens{kKey, _clock, 900};
    Principal _expert{"tenant-a", "user-1", "li.wei", Role::FieldExpert, "device-1", "sign-in-1"};

    ErrorCode verifyError(const std::string& token) {
        try {
            _tokens.verify(token);
        } catch (const Error& e) {
            return e.code();
        }
        ADD_FAILURE() << "token was accepted: " << token;
        return ErrorCode::InternalError;
    }
};

std::string base64Url(const std::string& text) {
    std::ostringstream out;
    Poco::Base64Encoder encoder(out, Poco::BASE64_URL_ENCODING | Poco::BASE64_NO_PADDING);
    encoder << text;
    encoder.close();
    return out.str();
}

TEST_F(TokenServiceTest, IssuedTokenNamesTenantUserRoleAndDevice) {
    const auto principal = _tokens.verify(_tokens.issue(_expert));
    EXPECT_EQ(principal.tenantId, "tenant-a");
    EXPECT_EQ(principal.userId, "user-1");
    EXPECT_EQ(principal.username, "li.wei");
    EXPECT_EQ(principal.role, Role::FieldExpert);
    EXPECT_EQ(principal.deviceId, "device-1");
    EXPECT_EQ(principal.signInId, "sign-in-1");
}

TEST_F(TokenServiceTest, TokenExpiresAfterItsLifetime) {
    const auto token = _tokens.issue(_expert);
    _clock.advance(899'000);
    EXPECT_NO_THROW(_tokens.verify(token));
    _clock.advance(1'000);
    EXPECT_EQ(verifyError(token), ErrorCode::TokenExpired);
}

TEST_F(TokenServiceTest, TamperedPayloadIsRefused) {
    auto token = _tokens.issue(_expert);
    const auto first = token.find('.');
    const auto second = token.find('.', first + 1);
    const auto forged = base64Url(
        R"({"iss":"verdant","sub":"user-1","tid":"tenant-b","role":"hq_reviewer","exp":9999999999})");
    EXPECT_EQ(verifyError(token.substr(0, first + 1) + forged + token.substr(second)),
              ErrorCode::TokenInvalid);
}

TEST_F(TokenServiceTest, UnsignedAlgNoneTokenIsRefused) {
    const auto header = base64Url(R"({"alg":"none","typ":"JWT"})");
    const auto payload = base64Url(
        R"({"iss":"verdant","sub":"user-1","tid":"tenant-a","role":"hq_reviewer","exp":9999999999})");
    EXPECT_EQ(verifyError(header + "." + payload + "."), ErrorCode::TokenInvalid);
}

TEST_F(TokenServiceTest, TokenOfAnotherServerKeyIsRefused) {
    TokenService other(std::string(64, 'o'), _clock);
    EXPECT_EQ(verifyError(other.issue(_expert)), ErrorCode::TokenInvalid);
}

TEST_F(TokenServiceTest, AValidTokenWithExtraSegmentsOrATrailingDotIsRefused) {
    const auto token = _tokens.issue(_expert);
    ASSERT_NO_THROW(_tokens.verify(token));
    for (const auto& bad : {token + ".", token + ".e30", token + "..", "." + token,
                            token.substr(0, token.find('.')) + "." + token}) {
        EXPECT_EQ(verifyError(bad), ErrorCode::TokenInvalid) << bad;
    }
}

TEST_F(TokenServiceTest, OnlyTheCanonicalSpellingOfASignatureIsAccepted) {
    const auto token = _tokens.issue(_expert);
    ASSERT_NO_THROW(_tokens.verify(token));
    // The same signature bytes, spelled with its spare bits set, padded, or in plain base64.
    const char last = token.back();
    const std::string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    const auto index = alphabet.find(last);
    ASSERT_NE(index, std::string::npos);
    const std::string spareBits = token.substr(0, token.size() - 1) + alphabet[index | 1U];
    for (const auto& bad : {spareBits, token + "=", token + "%3D", token + " "}) {
        EXPECT_EQ(verifyError(bad), ErrorCode::TokenInvalid) << bad;
    }
}

TEST_F(TokenServiceTest, GarbageIsRefused) {
    EXPECT_EQ(verifyError(""), ErrorCode::TokenInvalid);
    EXPECT_EQ(verifyError("not.a.token"), ErrorCode::TokenInvalid);
    EXPECT_EQ(verifyError(std::string(5000, '.')), ErrorCode::TokenInvalid);
}

}  // namespace
}  // namespace verdant::server
