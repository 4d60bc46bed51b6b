// Sign-in, tokens and their failures, over real TLS against the in-process server.

#include "ServerHarness.hpp"

#include "verdant/server/app/AdminCommand.hpp"
#include "verdant/server/auth/AccountStore.hpp"
#include "verdant/server/auth/AuthService.hpp"
#include "verdant/server/auth/PasswordHasher.hpp"

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <gtest/gtest.h>

#include <atomic>
#include <sstream>

namespace verdant {
namespace {

using server::Role;

Poco::JSON::Object::Ptr parseObject(const std::string& body) {
    Poco::JSON::Parser parser;
    return parser.parse(body).extract<Poco::JSON::Object::Ptr>();
}

std::string errorCode(const client::HttpResponse& response) {
    return parseObject(response.body)->getObject("error")->getValue<std::string>("code");
}

std::string json(const Poco::JSON::Object& object) {
    std::ostringstream out;
    object.stringify(out);
    return out.str();
}

class AuthOverTls : public ::testing::Test {
protected:
    AuthOverTls()
        : _harness(
              [](server::ServerConfig& config) {
                  config.accessTokenTtlSeconds = 60;
                  config.passwordMemoryKiB = 8 * 1024;
              },
              {&_clock}) {
        auto& accounts = _harness.server().accounts();
        const server::PasswordHasher hasher({8 * 1024, 1, 1});
        const auto acme = accounts.createTenant("acme", "Acme Buying");
        const auto other = accounts.createTenant("other", "Other Buying");
        accounts.createUser(acme.id, "li.wei", "Li Wei", Role::FieldExpert,
                            hasher.hash("li-wei-password"));
        accounts.createUser(other.id, "li.wei", "Li Wei", Role::HqReviewer,
                            hasher.hash("other-password"));
    }

    client::HttpResponse login(const std::string& tenant, const std::string& user,
                               const std::string& password) {
        Poco::JSON::Object body;
        body.set("tenant", tenant);
        body.set("username", user);
        body.set("password", password);
        return _client.send("POST", "/v1/auth/login", "application/json", json(body));
    }

    client::HttpResponse me(const std::string& accessToken) {
        return _client.send("GET", "/v1/me", "", "", {{"Authorization", "Bearer " + accessToken}});
    }

    client::HttpResponse loginWithDevice(const std::string& device) {
        Poco::JSON::Object body;
        body.set("tenant", "acme");
        body.set("username", "li.wei");
        body.set("password", "li-wei-password");
        body.set("device_id", device);
        return _client.send("POST", "/v1/auth/login", "application/json", json(body));
    }

    client::HttpResponse pull(const std::string& accessToken, const std::string& device) {
        return _client.send("POST", "/v1/sync/pull", "application/json",
                            R"({"device_id":")" + device + R"("})",
                            {{"Authorization", "Bearer " + accessToken}});
    }

    client::HttpResponse logout(const std::string& refreshToken) {
        Poco::JSON::Object body;
        body.set("refresh_token", refreshToken);
        return _client.send("POST", "/v1/auth/logout", "application/json", json(body));
    }

    client::HttpResponse refresh(const std::string& refreshToken) {
        Poco::JSON::Object body;
        body.set("refresh_token", refreshToken);
        return _client.send("POST", "/v1/auth/refresh", "application/json", json(body));
    }

    shared::ManualClock _clock{1'800'000'000'000};
    test::ServerHarness _harness;
    client::HttpsTransport _client = _harness.client();
};

TEST_F(AuthOverTls, SignInThenUseTheAccessToken) {
    const auto response = login("acme", "li.wei", "li-wei-password");
    ASSERT_EQ(response.status, 200) << response.body;
    const auto tokens = parseObject(response.body);
    EXPECT_EQ(tokens->getValue<std::string>("token_type"), "Bearer");
    EXPECT_EQ(tokens->getValue<int>("expires_in"), 60);

    const auto who = me(tokens->getValue<std::string>("access_token"));
    ASSERT_EQ(who.status, 200) << who.body;
    EXPECT_EQ(parseObject(who.body)->getObject("user")->getValue<std::string>("role"),
              "field_expert");
}

TEST_F(AuthOverTls, WrongPasswordAndUnknownUserGet401InvalidCredentials) {
    for (const auto& response :
         {login("acme", "li.wei", "not-the-password"), login("acme", "nobody", "li-wei-password"),
          login("nowhere", "li.wei", "li-wei-password")}) {
        EXPECT_EQ(response.status, 401);
        EXPECT_EQ(errorCode(response), "invalid_credentials");
    }
}

TEST_F(AuthOverTls, ExpiredAccessTokenGets401TokenExpired) {
    const auto tokens = parseObject(login("acme", "li.wei", "li-wei-password").body);
    _clock.advance(61'000);
    const auto response = me(tokens->getValue<std::string>("access_token"));
    EXPECT_EQ(response.status, 401);
    EXPECT_EQ(errorCode(response), "token_expired");
}

TEST_F(AuthOverTls, RefreshGivesANewPairAndRevokesTheOldRefreshToken) {
    const auto first = parseObject(login("acme", "li.wei", "li-wei-password").body);
    const auto renewed = refresh(first->getValue<std::string>("refresh_token"));
    ASSERT_EQ(renewed.status, 200) << renewed.body;
    EXPECT_EQ(me(parseObject(renewed.body)->getValue<std::string>("access_token")).status, 200);
    // The device uses its new refresh token: the old one can only be a copy now.
    ASSERT_EQ(refresh(parseObject(renewed.body)->getValue<std::string>("refresh_token")).status,
              200);

    const auto replay = refresh(first->getValue<std::string>("refresh_token"));
    EXPECT_EQ(replay.status, 401);
    EXPECT_EQ(errorCode(replay), "token_revoked");
}

TEST_F(AuthOverTls, ARefreshWhoseAnswerWasLostIsRetriedAndTheTabletStaysSignedIn) {
    const std::string device = "0190f5d2-7b3c-7a4e-9f00-1234567890ab";
    const auto first = parseObject(loginWithDevice(device).body);
    const auto oldRefresh = first->getValue<std::string>("refresh_token");
    ASSERT_EQ(refresh(oldRefresh).status, 200);  // the server rotated; the answer is lost
    _clock.advance(20'000);
    const auto retried = refresh(oldRefresh);
    ASSERT_EQ(retried.status, 200) << retried.body;
    const auto tokens = parseObject(retried.body);
    const auto synced = pull(tokens->getValue<std::string>("access_token"), device);
    EXPECT_EQ(synced.status, 200) << synced.body;
    _clock.advance(61'000);  // the access token expired: the new refresh token works
    const auto later = refresh(tokens->getValue<std::string>("refresh_token"));
    ASSERT_EQ(later.status, 200) << later.body;
    EXPECT_EQ(pull(parseObject(later.body)->getValue<std::string>("access_token"), device).status,
              200);
}

TEST_F(AuthOverTls, ARefreshTokenReplayedAfterTheGraceWindowRevokesTheSignIn) {
    const auto first = parseObject(login("acme", "li.wei", "li-wei-password").body);
    const auto renewed = parseObject(refresh(first->getValue<std::string>("refresh_token")).body);
    _clock.advance((server::AuthService::kRefreshGraceSeconds + 1) * 1000);
    const auto replay = refresh(first->getValue<std::string>("refresh_token"));
    EXPECT_EQ(replay.status, 401);
    EXPECT_EQ(errorCode(replay), "token_revoked");
    const auto descendant = refresh(renewed->getValue<std::string>("refresh_token"));
    EXPECT_EQ(errorCode(descendant), "token_revoked") << "the whole sign-in ended";
}

TEST_F(AuthOverTls, TenWrongPasswordsGet429WithRetryAfterWhileOtherAccountsSignIn) {
    for (int i = 0; i < 10; ++i) {
        EXPECT_EQ(errorCode(login("acme", "li.wei", "guess-" + std::to_string(i))),
                  "invalid_credentials");
    }
    const auto locked = login("acme", "li.wei", "li-wei-password");
    EXPECT_EQ(locked.status, 429);
    EXPECT_EQ(errorCode(locked), "too_many_attempts");
    ASSERT_EQ(locked.headers.count("Retry-After"), 1U) << locked.body;
    EXPECT_EQ(locked.headers.at("Retry-After"), "30");
    EXPECT_NE(locked.body.find("try again in 30 s"), std::string::npos) << locked.body;
    EXPECT_EQ(login("other", "li.wei", "other-password").status, 200);
    _clock.advance(30'000);
    EXPECT_EQ(login("acme", "li.wei", "li-wei-password").status, 200);
}

TEST_F(AuthOverTls, SigningOutEndsTheAccessTokenAtOnce) {
    const auto tokens = parseObject(login("acme", "li.wei", "li-wei-password").body);
    const auto access = tokens->getValue<std::string>("access_token");
    ASSERT_EQ(me(access).status, 200);
    ASSERT_EQ(logout(tokens->getValue<std::string>("refresh_token")).status, 200);
    const auto response = me(access);
    EXPECT_EQ(response.status, 401);
    EXPECT_EQ(errorCode(response), "token_revoked");
}

TEST_F(AuthOverTls, AUserDisabledByTheAdminCommandIsRefusedWithinSeconds) {
    const auto tokens = parseObject(login("acme", "li.wei", "li-wei-password").body);
    const auto access = tokens->getValue<std::string>("access_token");
    ASSERT_EQ(me(access).status, 200);
    std::istringstream in;
    std::ostringstream out;
    std::ostringstream err;
    ASSERT_EQ(server::AdminCommand::run({"disable-user", "--tenant=acme", "--username=li.wei",
                                         "--data-dir=" + _harness.server().config().dataDir},
                                        in, out, err),
              0)
        << err.str();
    _clock.advance(server::AuthService::kSignInRecheckMs);
    const auto response = me(access);
    EXPECT_EQ(response.status, 401);
    EXPECT_EQ(errorCode(response), "token_revoked");
    EXPECT_EQ(errorCode(refresh(tokens->getValue<std::string>("refresh_token"))), "token_revoked");
    EXPECT_EQ(errorCode(login("acme", "li.wei", "li-wei-password")), "invalid_credentials");
}

TEST_F(AuthOverTls, SignOutRevokesTheRefreshToken) {
    const auto tokens = parseObject(login("acme", "li.wei", "li-wei-password").body);
    Poco::JSON::Object body;
    body.set("refresh_token", tokens->getValue<std::string>("refresh_token"));
    EXPECT_EQ(_client.send("POST", "/v1/auth/logout", "application/json", json(body)).status, 200);
    const auto response = refresh(tokens->getValue<std::string>("refresh_token"));
    EXPECT_EQ(response.status, 401);
    EXPECT_EQ(errorCode(response), "token_revoked");
}

TEST_F(AuthOverTls, TamperedAndUnsignedTokensGet401TokenInvalid) {
    const auto token = parseObject(login("acme", "li.wei", "li-wei-password").body)
                           ->getValue<std::string>("access_token");
    auto tampered = token;
    tampered[tampered.find('.') + 5] ^= 1;
    const std::string algNone =
        "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0."  // {"alg":"none","typ":"JWT"}
        "eyJpc3MiOiJ2ZXJkYW50Iiwic3ViIjoidSIsInRpZCI6InQiLCJyb2xlIjoiaHFfcmV2aWV3ZXIiLCJleHAiOjk5"
        "OTk5OTk5OTl9.";
    for (const auto& bad :
         {tampered, algNone, std::string("garbage"), token + ".", token + ".e30"}) {
        const auto response = me(bad);
        EXPECT_EQ(response.status, 401) << bad;
        EXPECT_EQ(errorCode(response), "token_invalid") << bad;
    }
}

TEST_F(AuthOverTls, TokenOfAnotherServerGets401TokenInvalid) {
    test::ServerHarness otherServer;  // its own data directory, so its own signing key
    auto& otherAccounts = otherServer.server().accounts();
    const auto tenant = otherAccounts.createTenant("acme", "Acme elsewhere");
    otherAccounts.createUser(tenant.id, "li.wei", "Li Wei", Role::HqReviewer,
                             server::PasswordHasher({8 * 1024, 1, 1}).hash("li-wei-password"));
    const auto foreign =
        otherServer.server().auth().login("acme", "li.wei", "li-wei-password", "", "");
    const auto response = me(foreign.accessToken);
    EXPECT_EQ(response.status, 401);
    EXPECT_EQ(errorCode(response), "token_invalid");
}

TEST_F(AuthOverTls, MissingTokenGets401Unauthenticated) {
    const auto response = _client.send("GET", "/v1/me");
    EXPECT_EQ(response.status, 401);
    EXPECT_EQ(errorCode(response), "unauthenticated");
}

TEST_F(AuthOverTls, MalformedSignInBodiesGetSpecificCodes) {
    const auto notJson = _client.send("POST", "/v1/auth/login", "application/json", "{tenant:");
    EXPECT_EQ(notJson.status, 400);
    EXPECT_EQ(errorCode(notJson), "malformed_json");
    const auto wrongType = _client.send("POST", "/v1/auth/login", "application/json",
                                        R"({"tenant":"acme","username":7,"password":"x"})");
    EXPECT_EQ(wrongType.status, 400);
    EXPECT_EQ(errorCode(wrongType), "invalid_parameter");
    EXPECT_NE(wrongType.body.find("'username' must be a string"), std::string::npos);
}

}  // namespace
}  // namespace verdant
