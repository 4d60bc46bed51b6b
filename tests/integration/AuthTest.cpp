// Sign-in, tokens and their failures, over real TLS against the in-process server.

#include "ServerHarness.hpp"

#include "verdant/server/AccountStore.hpp"
#include "verdant/server/AuthService.hpp"
#include "verdant/server/PasswordHasher.hpp"

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

    const auto replay = refresh(first->getValue<std::string>("refresh_token"));
    EXPECT_EQ(replay.status, 401);
    EXPECT_EQ(errorCode(replay), "token_revoked");
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
    for (const auto& bad : {tampered, algNone, std::string("garbage")}) {
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
