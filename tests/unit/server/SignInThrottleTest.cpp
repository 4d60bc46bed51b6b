#include "verdant/server/auth/SignInThrottle.hpp"

#include <gtest/gtest.h>

#include <string>

namespace verdant::server {
namespace {

using shared::ErrorCode;

class SignInThrottleTest : public ::testing::Test {
protected:
    void fail(const std::string& user) { _throttle.begin("acme", user).failed(); }

    bool locked(const std::string& user) {
        try {
            _throttle.begin("acme", user);
            return false;
        } catch (const SignInThrottled& e) {
            EXPECT_EQ(e.code(), ErrorCode::TooManyAttempts);
            return true;
        }
    }

    shared::ManualClock _clock{1'800'000'000'000};
    SignInThrottle _throttle{_clock, {3, 60'000, 10'000, 40'000, 4}};
};

TEST_F(SignInThrottleTest, ParallelGuessesCannotPassTheLimit) {
    auto a = _throttle.begin("acme", "li");
    auto b = _throttle.begin("acme", "li");
    auto c = _throttle.begin("acme", "li");
    EXPECT_TRUE(locked("li")) << "three guesses in flight use up the three free failures";
    a.failed();
    b.failed();
    c.failed();
    EXPECT_TRUE(locked("li"));
    _clock.advance(10'000);
    EXPECT_FALSE(locked("li"));
}

TEST_F(SignInThrottleTest, FailuresOutsideTheWindowAreForgotten) {
    fail("li");
    fail("li");
    _clock.advance(60'001);
    fail("li");
    fail("li");
    EXPECT_FALSE(locked("li"));
}

TEST_F(SignInThrottleTest, TheTableStaysBoundedAndALockedAccountOutlastsASprayOfNames) {
    for (int i = 0; i < 3; ++i) {
        fail("li");
    }
    ASSERT_TRUE(locked("li"));
    for (int i = 0; i < 20; ++i) {
        _clock.advance(1);
        fail("user-" + std::to_string(i));
        EXPECT_LE(_throttle.trackedAccounts(), 4U);
    }
    EXPECT_TRUE(locked("li")) << "unlocked entries made room, not the locked one";
}

TEST_F(SignInThrottleTest, TheCountSurvivesTheEndOfTheLongestLock) {
    // The longest lock as long as the window, as in the default policy (15 min each).
    SignInThrottle throttle{_clock, {3, 40'000, 10'000, 40'000, 4}};
    const auto failAndCheckLocked = [&] {
        throttle.begin("acme", "li").failed();
        try {
            throttle.begin("acme", "li");
            return false;
        } catch (const SignInThrottled&) {
            return true;
        }
    };
    for (int i = 0; i < 2; ++i) {
        throttle.begin("acme", "li").failed();
    }
    ASSERT_TRUE(failAndCheckLocked());  // 3 failures: 10 s
    _clock.advance(10'000);
    ASSERT_TRUE(failAndCheckLocked());  // 20 s
    _clock.advance(20'000);
    ASSERT_TRUE(failAndCheckLocked());  // 40 s, the longest
    _clock.advance(40'001);
    EXPECT_TRUE(failAndCheckLocked()) << "the end of a lock is no fresh start";
}

TEST_F(SignInThrottleTest, ASprayOfNamesDoesNotEraseAnAccountsCount) {
    fail("li");
    fail("li");
    for (int i = 0; i < 20; ++i) {
        _clock.advance(1);
        fail("user-" + std::to_string(i));
    }
    fail("li");
    EXPECT_TRUE(locked("li")) << "li's two failures were kept: the third locks";
}

TEST_F(SignInThrottleTest, ASuccessOrAnUndecidedAttemptLeavesNothingBehind) {
    fail("li");
    _throttle.begin("acme", "li").succeeded();
    { auto abandoned = _throttle.begin("acme", "wang"); }
    EXPECT_EQ(_throttle.trackedAccounts(), 0U);
}

}  // namespace
}  // namespace verdant::server
