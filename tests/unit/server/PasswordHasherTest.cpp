#include "verdant/server/auth/PasswordHasher.hpp"
#include "verdant/shared/ErrorCode.hpp"

#include <gtest/gtest.h>

namespace verdant::server {
namespace {

// Cheap enough for unit tests, still Argon2id.
const PasswordHasher kHasher({8 * 1024, 1, 1});

TEST(PasswordHasher, AcceptsTheRightPasswordAndRefusesAWrongOne) {
    const auto hash = kHasher.hash("correct horse battery");
    EXPECT_TRUE(kHasher.verify("correct horse battery", hash));
    EXPECT_FALSE(kHasher.verify("correct horse batterY", hash));
    EXPECT_FALSE(kHasher.verify("", hash));
}

TEST(PasswordHasher, StoresArgon2idWithItsCostAndAFreshSaltEachTime) {
    const auto first = kHasher.hash("same password");
    const auto second = kHasher.hash("same password");
    EXPECT_EQ(first.rfind("$argon2id$v=19$m=8192,t=1,p=1$", 0), 0U) << first;
    EXPECT_NE(first, second) << "each hash has its own salt";
    EXPECT_EQ(first.find("same password"), std::string::npos);
}

TEST(PasswordHasher, DefaultCostIsOwaspMinimum) {
    EXPECT_EQ(
        PasswordHasher().hash("a default password").rfind("$argon2id$v=19$m=19456,t=2,p=1$", 0),
        0U);
}

TEST(PasswordHasher, RefusesTooShortPasswords) {
    try {
        kHasher.hash("short");
        FAIL();
    } catch (const shared::Error& e) {
        EXPECT_EQ(e.code(), shared::ErrorCode::InvalidParameter);
    }
}

TEST(PasswordHasher, MalformedStoredHashNeverMatches) {
    EXPECT_FALSE(kHasher.verify("anything at all", ""));
    EXPECT_FALSE(kHasher.verify("anything at all", "$argon2id$v=19$garbage"));
    EXPECT_FALSE(kHasher.verify("anything at all", "plain-text-password"));
}

}  // namespace
}  // namespace verdant::server
