#include "TemporaryDirectory.hpp"

#include "verdant/server/auth/AuthService.hpp"
#include "verdant/server/auth/SecurityLog.hpp"
#include "verdant/shared/ErrorCode.hpp"
#include "verdant/sync/Sqlite.hpp"

#include <Poco/AutoPtr.h>
#include <Poco/Channel.h>
#include <Poco/Logger.h>
#include <Poco/Message.h>
#include <gtest/gtest.h>

#include <mutex>
#include <utility>
#include <vector>

namespace verdant::server {
namespace {

using shared::Error;
using shared::ErrorCode;

constexpr const char* kDevice = "0190f5d2-7b3c-7a4e-9f00-1234567890ab";
constexpr const char* kOtherDevice = "0190f5d2-7b3c-7a4e-9f00-ba0987654321";

/// Keeps the lines logged to it.
class CapturingChannel final : public Poco::Channel {
public:
    void log(const Poco::Message& message) override {
        std::lock_guard lock(_mutex);
        lines.push_back(message.getText());
    }
    std::vector<std::string> lines;

private:
    std::mutex _mutex;
};

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
    _auth.refresh(second.refreshToken);  // the successor was used: the old token is a copy
    EXPECT_EQ(errorOf([&] { _auth.refresh(first.refreshToken); }), ErrorCode::TokenRevoked);
}

TEST_F(AuthServiceTest, ReusingARotatedTokenEndsTheWholeSignIn) {
    const auto first = _auth.login("acme", "li.wei", "li-wei-password", "", "");
    const auto second = _auth.refresh(first.refreshToken);
    _clock.advance((AuthService::kRefreshGraceSeconds + 1) * 1000);
    EXPECT_EQ(errorOf([&] { _auth.refresh(first.refreshToken); }), ErrorCode::TokenRevoked);
    // The thief's replay also revoked the legitimate descendant.
    EXPECT_EQ(errorOf([&] { _auth.refresh(second.refreshToken); }), ErrorCode::TokenRevoked);
}

TEST_F(AuthServiceTest, ARefreshWhoseAnswerWasLostMayBeRetriedWithinTheGraceWindow) {
    const auto first = _auth.login("acme", "li.wei", "li-wei-password", kDevice, "");
    const auto lost = _auth.refresh(first.refreshToken);  // the answer never reached the device
    _clock.advance(AuthService::kRefreshGraceSeconds * 1000 - 1000);
    const auto retried = _auth.refresh(first.refreshToken);
    EXPECT_NE(retried.refreshToken, lost.refreshToken);
    EXPECT_EQ(retried.principal.deviceId, kDevice);
    EXPECT_NO_THROW(_auth.authenticate("Bearer " + retried.accessToken));
    const auto next = _auth.refresh(retried.refreshToken);
    EXPECT_NO_THROW(_auth.authenticate("Bearer " + next.accessToken)) << "the chain stays valid";
    // The pair that never arrived was replaced: only one refresh token of a sign-in lives.
    EXPECT_EQ(errorOf([&] { _auth.refresh(lost.refreshToken); }), ErrorCode::TokenRevoked);
    EXPECT_EQ(errorOf([&] { _auth.refresh(next.refreshToken); }), ErrorCode::TokenRevoked);
}

TEST_F(AuthServiceTest, ATokenReplayedAfterTheGraceWindowEndsTheSignIn) {
    const auto first = _auth.login("acme", "li.wei", "li-wei-password", kDevice, "");
    const auto second = _auth.refresh(first.refreshToken);
    _clock.advance(AuthService::kRefreshGraceSeconds * 1000 + 1);
    EXPECT_EQ(errorOf([&] { _auth.refresh(first.refreshToken); }), ErrorCode::TokenRevoked);
    EXPECT_EQ(errorOf([&] { _auth.refresh(second.refreshToken); }), ErrorCode::TokenRevoked);
    EXPECT_EQ(errorOf([&] { _auth.authenticate("Bearer " + second.accessToken); }),
              ErrorCode::TokenRevoked);
}

TEST_F(AuthServiceTest, RetriesCannotStretchTheGraceWindow) {
    const auto first = _auth.login("acme", "li.wei", "li-wei-password", "", "");
    _auth.refresh(first.refreshToken);
    _clock.advance(AuthService::kRefreshGraceSeconds * 1000 - 1000);
    _auth.refresh(first.refreshToken);
    _clock.advance(2000);
    EXPECT_EQ(errorOf([&] { _auth.refresh(first.refreshToken); }), ErrorCode::TokenRevoked);
}

TEST_F(AuthServiceTest, SignOutEndsTheAccessTokensOfThatSignInOnly) {
    const auto tablet = _auth.login("acme", "anna", "anna-password", "", "");
    const auto laptop = _auth.login("acme", "anna", "anna-password", "", "");
    EXPECT_NO_THROW(_auth.authenticate("Bearer " + tablet.accessToken));
    _auth.logout(tablet.refreshToken);
    EXPECT_EQ(errorOf([&] { _auth.authenticate("Bearer " + tablet.accessToken); }),
              ErrorCode::TokenRevoked);
    EXPECT_NO_THROW(_auth.authenticate("Bearer " + laptop.accessToken));
}

TEST_F(AuthServiceTest, DisablingAUserEndsItsAccessAndRefreshTokens) {
    const auto pair = _auth.login("acme", "anna", "anna-password", "", "");
    EXPECT_NO_THROW(_auth.authenticate("Bearer " + pair.accessToken));
    _accounts.setUserDisabled(pair.principal.tenantId, pair.principal.userId, true, _clock.nowMs());
    _clock.advance(AuthService::kSignInRecheckMs);
    EXPECT_EQ(errorOf([&] { _auth.authenticate("Bearer " + pair.accessToken); }),
              ErrorCode::TokenRevoked);
    EXPECT_EQ(errorOf([&] { _auth.refresh(pair.refreshToken); }), ErrorCode::TokenRevoked);
    EXPECT_EQ(errorOf([&] { _auth.login("acme", "anna", "anna-password", "", ""); }),
              ErrorCode::InvalidCredentials);
}

TEST_F(AuthServiceTest, TenWrongPasswordsLockTheAccountEvenForTheRightOne) {
    for (int i = 0; i < 10; ++i) {
        EXPECT_EQ(errorOf([&] { _auth.login("acme", "li.wei", "guess", "", ""); }),
                  ErrorCode::InvalidCredentials);
    }
    try {
        _auth.login("acme", "li.wei", "li-wei-password", "", "");
        ADD_FAILURE() << "a locked account signed in";
    } catch (const SignInThrottled& e) {
        EXPECT_EQ(e.code(), ErrorCode::TooManyAttempts);
        EXPECT_EQ(e.retryAfterSeconds(), 30);
        EXPECT_STREQ(e.what(), "Too many failed sign-ins for this account; try again in 30 s.");
    }
    EXPECT_NO_THROW(_auth.login("acme", "anna", "anna-password", "", ""))
        << "other accounts sign in normally";
    EXPECT_NO_THROW(_auth.login("other", "li.wei", "other-password", "", ""))
        << "the same name in another tenant is another account";
    _clock.advance(30'000);
    EXPECT_NO_THROW(_auth.login("acme", "li.wei", "li-wei-password", "", ""));
    // The success forgot the failures: nine more are free again.
    for (int i = 0; i < 9; ++i) {
        EXPECT_EQ(errorOf([&] { _auth.login("acme", "li.wei", "guess", "", ""); }),
                  ErrorCode::InvalidCredentials);
    }
    EXPECT_NO_THROW(_auth.login("acme", "li.wei", "li-wei-password", "", ""));
}

TEST_F(AuthServiceTest, EachFailureAfterALockDoublesItUpToFifteenMinutes) {
    for (int i = 0; i < 10; ++i) {
        errorOf([&] { _auth.login("acme", "li.wei", "guess", "", ""); });
    }
    std::vector<std::int64_t> locks;
    for (int i = 0; i < 7; ++i) {
        try {
            _auth.login("acme", "li.wei", "guess", "", "");
            ADD_FAILURE() << "not locked";
        } catch (const SignInThrottled& e) {
            locks.push_back(e.retryAfterSeconds());
            _clock.advance(e.retryAfterSeconds() * 1000);
        }
        EXPECT_EQ(errorOf([&] { _auth.login("acme", "li.wei", "guess", "", ""); }),
                  ErrorCode::InvalidCredentials);
    }
    EXPECT_EQ(locks, (std::vector<std::int64_t>{30, 60, 120, 240, 480, 900, 900}));
}

TEST_F(AuthServiceTest, UnknownUsersAndTenantsAreThrottledTheSame) {
    for (const auto& [tenant, user] :
         {std::pair{"acme", "nobody"}, std::pair{"nowhere", "li.wei"}}) {
        for (int i = 0; i < 10; ++i) {
            EXPECT_EQ(errorOf([&] { _auth.login(tenant, user, "guess", "", ""); }),
                      ErrorCode::InvalidCredentials);
        }
        EXPECT_EQ(errorOf([&] { _auth.login(tenant, user, "guess", "", ""); }),
                  ErrorCode::TooManyAttempts);
    }
}

TEST_F(AuthServiceTest, TheSecurityLogNamesWhoAndFromWhereButNoSecret) {
    Poco::AutoPtr<CapturingChannel> channel(new CapturingChannel);
    auto& logger = Poco::Logger::get("verdant.security");
    logger.setChannel(channel);
    logger.setLevel(Poco::Message::PRIO_NOTICE);
    {
        const SecurityLog::ClientScope client("203.0.113.7");
        errorOf([&] { _auth.login("acme", "li.wei", "wrong-password", kDevice, ""); });
        const auto pair = _auth.login("acme", "li.wei", "li-wei-password", kDevice, "");
        const auto renewed = _auth.refresh(pair.refreshToken);
        _auth.refresh(pair.refreshToken);  // a retry within the grace window
        _clock.advance((AuthService::kRefreshGraceSeconds + 1) * 1000);
        errorOf([&] { _auth.refresh(pair.refreshToken); });
        errorOf([&] { _auth.login("acme", "li wei\n\xe2\x80\xa8", "x", "", ""); });
        _auth.logout(renewed.refreshToken);
    }
    logger.setChannel(nullptr);
    const auto userId = _accounts.userByName(_accounts.tenantBySlug("acme")->id, "li.wei")->id;
    ASSERT_EQ(channel->lines.size(), 7U);
    EXPECT_EQ(channel->lines[0], "event=sign_in_failed tenant=acme user=li.wei user_id=" + userId +
                                     " device=" + kDevice +
                                     " client=203.0.113.7 detail=\"wrong password\"");
    EXPECT_EQ(channel->lines[1].rfind("event=sign_in tenant=acme user=li.wei user_id=", 0), 0U);
    EXPECT_EQ(channel->lines[2].rfind("event=refresh tenant=", 0), 0U);
    EXPECT_EQ(channel->lines[3].rfind("event=refresh_retried ", 0), 0U);
    EXPECT_EQ(channel->lines[4].rfind("event=refresh_replayed ", 0), 0U);
    // A newline and U+2028 (a line separator to some log viewers) cannot start a forged line.
    EXPECT_NE(channel->lines[5].find(R"(user="li wei\x0a\xe2\x80\xa8")"), std::string::npos)
        << channel->lines[5];
    EXPECT_EQ(channel->lines[6].rfind("event=sign_out ", 0), 0U);
    for (const auto& line : channel->lines) {
        EXPECT_NE(line.find("client=203.0.113.7"), std::string::npos) << line;
        EXPECT_EQ(line.find("password="), std::string::npos) << line;
        EXPECT_EQ(line.find("li-wei-password"), std::string::npos) << line;
    }
}

TEST_F(AuthServiceTest, SignInsOfAnAccountsDatabaseOfVersionOneStillRefresh) {
    const test::TemporaryDirectory dir;
    const auto path = dir.file("accounts.db");
    TokenPair pair{};
    {
        AccountStore accounts(path);
        const auto tenant = accounts.createTenant("acme", "Acme");
        accounts.createUser(tenant.id, "li.wei", "Li Wei", Role::FieldExpert,
                            _hasher.hash("li-wei-password"));
        AuthService auth(accounts, _hasher, _tokens);
        pair = auth.login("acme", "li.wei", "li-wei-password", kDevice, "");
    }
    {
        sync::sqlite::Database db(path);  // back to version 1, as an older server left it
        db.exec(
            "DROP INDEX refresh_tokens_by_user; ALTER TABLE refresh_tokens DROP COLUMN "
            "successor_hash; PRAGMA user_version = 1;");
    }
    AccountStore accounts(path);
    AuthService auth(accounts, _hasher, _tokens);
    const auto renewed = auth.refresh(pair.refreshToken);
    EXPECT_NO_THROW(auth.authenticate("Bearer " + renewed.accessToken));
    EXPECT_NO_THROW(auth.refresh(pair.refreshToken)) << "a retry within the grace window";
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
