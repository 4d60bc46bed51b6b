#include "verdant/client/Backoff.hpp"

#include <gtest/gtest.h>

#include <set>

namespace verdant::client {
namespace {

using std::chrono::milliseconds;

TEST(Backoff, DelaysStayUnderACapThatDoublesUpToTheMaximum) {
    Backoff backoff(RetryPolicy{10, milliseconds(100), milliseconds(1000)}, 7);
    const std::vector<milliseconds> caps = {milliseconds(100),  milliseconds(200),
                                            milliseconds(400),  milliseconds(800),
                                            milliseconds(1000), milliseconds(1000)};
    for (const auto cap : caps) {
        EXPECT_EQ(backoff.currentCap(), cap);
        const auto delay = backoff.nextDelay();
        EXPECT_GE(delay.count(), 0);
        EXPECT_LE(delay, cap);
    }
    EXPECT_EQ(backoff.failures(), 6);
    backoff.reset();
    EXPECT_EQ(backoff.currentCap(), milliseconds(100));
}

TEST(Backoff, JitterSpreadsDevicesThatFailedTogether) {
    std::set<long> firstDelays;
    for (std::uint64_t device = 0; device < 50; ++device) {
        Backoff backoff(RetryPolicy{}, device);
        backoff.nextDelay();
        firstDelays.insert(static_cast<long>(backoff.nextDelay().count()));
    }
    EXPECT_GT(firstDelays.size(), 40U) << "fifty tablets must not retry in lockstep";
}

TEST(Backoff, ManyFailuresNeverOverflowTheCap) {
    Backoff backoff(RetryPolicy{100, milliseconds(500), milliseconds(300'000)}, 1);
    for (int i = 0; i < 200; ++i) {
        EXPECT_LE(backoff.nextDelay(), milliseconds(300'000));
    }
    EXPECT_EQ(backoff.currentCap(), milliseconds(300'000));
}

}  // namespace
}  // namespace verdant::client
