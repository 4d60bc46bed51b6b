#include "verdant/shared/ErrorCode.hpp"
#include "verdant/shared/Hlc.hpp"
#include "verdant/shared/HlcClock.hpp"

#include <gtest/gtest.h>

#include <chrono>

namespace verdant::shared {
namespace {

constexpr std::int64_t kStart = 1'704'067'200'000;

TEST(HlcClock, NowIsStrictlyIncreasingEvenWhenTheWallClockStepsBack) {
    ManualClock wall(kStart);
    HlcClock clock(wall, 7);
    const Hlc first = clock.now();
    const Hlc second = clock.now();  // same millisecond
    wall.set(kStart - 60'000);       // the wall clock jumps back a minute
    const Hlc third = clock.now();
    EXPECT_LT(first, second);
    EXPECT_LT(second, third);
    EXPECT_EQ(third.physicalMs, static_cast<std::uint64_t>(kStart));
    EXPECT_EQ(third.node, 7U);
}

TEST(HlcClock, ReceiveMovesTheClockPastTheRemoteTimestamp) {
    ManualClock wall(kStart);
    HlcClock clock(wall, 1);
    const Hlc remote{static_cast<std::uint64_t>(kStart) + 1000, 5, 2};  // within the drift
    const Hlc merged = clock.receive(remote);
    EXPECT_GT(merged, remote);
    EXPECT_GT(clock.now(), remote);
}

TEST(HlcClock, ReceiveRefusesATimestampBeyondTheDriftWithClockSkew) {
    ManualClock wall(kStart);
    HlcClock clock(wall, 1, std::chrono::milliseconds(60'000));
    const Hlc before = clock.now();
    const Hlc threeDaysAhead{static_cast<std::uint64_t>(kStart) + 3 * 86'400'000ULL, 0, 2};
    EXPECT_FALSE(clock.tryReceive(threeDaysAhead).has_value());
    try {
        clock.receive(threeDaysAhead);
        FAIL() << "expected a clock-skew error";
    } catch (const Error& error) {
        EXPECT_EQ(error.code(), ErrorCode::ClockSkew);
    }
    EXPECT_EQ(clock.last(), before);  // untouched by the refused timestamp
}

TEST(HlcClock, WithoutADriftBoundEverythingIsAccepted) {
    ManualClock wall(kStart);
    HlcClock clock(wall, 1, std::nullopt);
    const Hlc farAhead{static_cast<std::uint64_t>(kStart) + 365 * 86'400'000ULL, 0, 2};
    EXPECT_TRUE(clock.tryReceive(farAhead).has_value());
}

TEST(HlcClock, CounterOverflowBorrowsTheNextMillisecond) {
    ManualClock wall(kStart);
    HlcClock clock(wall, 1);
    Hlc previous = clock.now();
    for (int i = 0; i < 70'000; ++i) {
        const Hlc next = clock.now();
        ASSERT_LT(previous, next);
        previous = next;
    }
    EXPECT_EQ(previous.physicalMs, static_cast<std::uint64_t>(kStart) + 1);
}

TEST(Hlc, StringAndBinaryFormsRoundTripAndSortLikeTheTimestamps) {
    const Hlc a{0x018c1a2b3c4dULL, 1, 0xa1b2c3d4e5f60708ULL};
    const Hlc b{0x018c1a2b3c4dULL, 2, 0x0000000000000001ULL};
    EXPECT_EQ(a.toString(), "018c1a2b3c4d-0001-a1b2c3d4e5f60708");
    EXPECT_EQ(Hlc::parse(a.toString()), a);
    EXPECT_EQ(Hlc::fromBinary(a.toBinary()), a);
    EXPECT_LT(a, b);
    EXPECT_LT(a.toString(), b.toString());
    EXPECT_LT(a.toBinary(), b.toBinary());
    EXPECT_FALSE(Hlc::parse("018c1a2b3c4d-0001-A1B2C3D4E5F60708").has_value());
    EXPECT_FALSE(Hlc::parse("nonsense").has_value());
}

}  // namespace
}  // namespace verdant::shared
