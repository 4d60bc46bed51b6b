#include "verdant/server/AuthService.hpp"
#include "verdant/shared/ErrorCode.hpp"

#include <gtest/gtest.h>

namespace verdant::server {
namespace {

using shared::Error;
using shared::ErrorCode;

constexpr const char* kDevice = "0190f5d2-7b3c-7a4e-9f00-1234567890ab";
constexpr const char* kOtherDevice = "0190f5d2-7b3c-7a4e-9f00-ba0987654321";

class AuthServiceTest : public ::testing::Test {
protected:
    AuthServiceTest() {
        const auto acme = _accounts.createTenant("acme", "Acme");
        const auto other = _accounts.createTenant("other", "Other");
        _accounts.createUser(acme.id, "li.wei", "Li Wei", Role::FieldExpert,
                             _hasher.hash("li-wei-password"));
        _accounts.createUser(acme.id, "anna", "Anna", Role::HqReviewer,
                             _hasher.hash("anna-password"));
        _accounts.createUser(other.id, "li.wei", "Li Wei (other)", Role::HqReviewer,
                             _hasher.hash("other-password"));
    }

    template <class F>
    ErrorCode errorOf(F&& call) {
        try {
            call();
        } catch (const Error& e) {
            return e.code();
        }
        ADD_FAILURE() << "no error";
        return ErrorCode::InternalError;
    }

    shared::ManualClock _clock{1'800'000'000'000};
    PasswordHasher _hasher{{8 * 1024, 1, 1}};
    AccountStore _accounts{":memory:"};
    TokenService _tokens{std::string(64, 'k'), _clock, 900};
    AuthService _auth{_accounts, _hasher, _tokens};
};

TEST_F(AuthServiceTest, SignInGivesTokensForThatTenantAndRole) {
    const auto pair = _auth.login("acme", "li.wei", "li-wei-password", kDevice, "tablet 7");
    const auto principal = _auth.authenticate("Bearer " + pair.accessToken);
    EXPECT_EQ(principal.tenantId, _accounts.tenantBySlug("acme")->id);
    EXPECT_EQ(principal.role, Role::FieldExpert);
    EXPECT_EQ(principal.deviceId, kDevice);
    EXPECT_EQ(_accounts.deviceOwner(principal.tenantId, kDevice), principal.userId);
}

TEST_F(AuthServiceTest, SameUserNameInAnotherTenantIsAnotherPerson) {
    const auto pair = _auth.login("other", "li.wei", "other-password", "", "");
    EXPECT_EQ(pair.principal.role, Role::HqReviewer);
    EXPECT_EQ(errorOf([&] { _auth.login("other", "li.wei", "li-wei-password", "", ""); }),
              ErrorCode::InvalidCredentials);
}

TEST_F(AuthServiceTest, WrongPasswordUnknownUserAndUnknownTenantLookTheSame) {
    EXPECT_EQ(errorOf([&] { _auth.login("acme", "li.wei", "wrong-password", "", ""); }),
              ErrorCode::InvalidCredentials);
    EXPECT_EQ(errorOf([&] { _auth.login("acme", "nobody", "li-wei-password", "", ""); }),
              ErrorCode::InvalidCredentials);
    EXPECT_EQ(errorOf([&] { _auth.login("nowhere", "li.wei", "li-wei-password", "", ""); }),
              ErrorCode::InvalidCredentials);
}

TEST_F(AuthServiceTest, RefreshRotatesAndTheOldTokenStopsWorking) {
    const auto first = _auth.login("acme", "li.wei", "li-wei-password", kDevice, "");
    const auto second = _auth.refresh(first.refreshToken);
    EXPECT_NE(second.refreshToken, first.refreshToken);
    EXPECT_EQ(second.principal.deviceId, kDevice);
    EXPECT_EQ(errorOf([&] { _auth.refresh(first.refreshToken); }), ErrorCode::TokenRevoked);
}

TEST_F(AuthServiceTest, ReusingARotatedTokenEndsTheWholeSignIn) {
    const auto first = _auth.login("acme", "li.wei", "li-wei-password", "", "");
    const auto second = _auth.refresh(first.refreshToken);
    EXPECT_EQ(errorOf([&] { _auth.refresh(first.refreshToken); }), ErrorCode::TokenRevoked);
    // The thief's replay also revoked the legitimate descendant.
    EXPECT_EQ(errorOf([&] { _auth.refresh(second.refreshToken); }), ErrorCode::TokenRevoked);
}

TEST_F(AuthServiceTest, SignOutRevokesTheRefreshToken) {
    const auto pair = _auth.login("acme", "anna", "anna-password", "", "");
    _auth.logout(pair.refreshToken);
    EXPECT_EQ(errorOf([&] { _auth.refresh(pair.refreshToken); }), ErrorCode::TokenRevoked);
    EXPECT_NO_THROW(_auth.logout(pair.refreshToken)) << "signing out twice is fine";
}

TEST_F(AuthServiceTest, RefreshTokenExpiresAfterThirtyDays) {
    const auto pair = _auth.login("acme", "anna", "anna-password", "", "");
    _clock.advance(AuthService::kRefreshTtlSeconds * 1000);
    EXPECT_EQ(errorOf([&] { _auth.refresh(pair.refreshToken); }), ErrorCode::TokenExpired);
}

TEST_F(AuthServiceTest, UnknownRefreshTokenIsInvalid) {
    EXPECT_EQ(errorOf([&] { _auth.refresh("feedface"); }), ErrorCode::TokenInvalid);
}

TEST_F(AuthServiceTest, DeviceOfAnotherUserIsRefused) {
    _auth.login("acme", "li.wei", "li-wei-password", kOtherDevice, "");
    EXPECT_EQ(errorOf([&] { _auth.login("acme", "anna", "anna-password", kOtherDevice, ""); }),
              ErrorCode::DeviceNotRegistered);
    EXPECT_EQ(errorOf([&] { _auth.login("acme", "anna", "anna-password", "not-a-uuid", ""); }),
              ErrorCode::InvalidParameter);
}

TEST_F(AuthServiceTest, MissingOrMalformedAuthorizationIsUnauthenticated) {
    EXPECT_EQ(errorOf([&] { _auth.authenticate(""); }), ErrorCode::Unauthenticated);
    EXPECT_EQ(errorOf([&] { _auth.authenticate("Basic dXNlcjpwYXNz"); }),
              ErrorCode::Unauthenticated);
    EXPECT_EQ(errorOf([&] { _auth.authenticate("Bearer nonsense"); }), ErrorCode::TokenInvalid);
}

}  // namespace
}  // namespace verdant::server
