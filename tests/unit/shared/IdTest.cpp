#include "verdant/shared/Id.hpp"
#include "verdant/shared/IdGenerator.hpp"

#include <gtest/gtest.h>

#include <set>

namespace verdant::shared {
namespace {

TEST(IdGenerator, IdsAreUniqueAndSortInCreationOrderWithinOneMillisecond) {
    ManualClock clock(1'704'067'200'000);
    IdGenerator generator(clock, 42);
    std::set<RecordId> seen;
    RecordId previous;
    for (int i = 0; i < 10'000; ++i) {
        const RecordId id = generator.nextRecordId();
        ASSERT_LT(previous, id);
        ASSERT_TRUE(seen.insert(id).second);
        previous = id;
    }
}

TEST(IdGenerator, IdsAreVersionSevenUuidsCarryingTheirCreationTime) {
    ManualClock clock(1'704'067'200'000);
    IdGenerator generator(clock);
    const RecordId id = generator.nextRecordId();
    const std::string text = id.toString();
    EXPECT_EQ(text.size(), 36U);
    EXPECT_EQ(text[14], '7');  // version nibble
    EXPECT_EQ(id.timestampMs(), 1'704'067'200'000);
}

TEST(Id, StringFormRoundTripsAndJunkIsRejected) {
    ManualClock clock(1'704'067'200'000);
    IdGenerator generator(clock, 1);
    const DeviceId id = generator.nextDeviceId();
    EXPECT_EQ(DeviceId::parse(id.toString()), id);
    EXPECT_FALSE(DeviceId::parse("not-a-uuid").has_value());
    EXPECT_FALSE(DeviceId::parse("0190f3a2-7b1c-7d3e-8f00-1a2b3c4d5e6g").has_value());
    EXPECT_TRUE(RecordId().isNil());
}

}  // namespace
}  // namespace verdant::shared
