#include "verdant/shared/SyncMessages.hpp"

#include <gtest/gtest.h>

#include <string>

namespace verdant::shared {
namespace {

constexpr const char* kDevice = R"("device_id":"0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5c")";

/// The code decoding a pull request `{<device>, <members>}` fails with, or nullopt.
std::optional<ErrorCode> pullRefusal(const std::string& members) {
    try {
        SyncMessageCodec::pullRequestFromJson("{" + std::string(kDevice) + members + "}");
    } catch (const Error& error) {
        return error.code();
    }
    return std::nullopt;
}

std::optional<ErrorCode> pushRefusal(const std::string& members) {
    try {
        SyncMessageCodec::pushRequestFromJson("{" + std::string(kDevice) + members + "}");
    } catch (const Error& error) {
        return error.code();
    }
    return std::nullopt;
}

TEST(SyncMessages, APullLimitOutOfRangeIsRefusedNotWrapped) {
    EXPECT_EQ(pullRefusal(R"(,"limit":1)"), std::nullopt);
    EXPECT_EQ(pullRefusal(R"(,"limit":4294967295)"), std::nullopt);
    // 2^64 was read as 0 by Poco's parser.
    for (const std::string limit :
         {"18446744073709551616", "18446744073709551617", "4294967296", "0", "-1", "true", "2.5"}) {
        EXPECT_EQ(pullRefusal(R"(,"limit":)" + limit), ErrorCode::InvalidParameter) << limit;
    }
}

TEST(SyncMessages, ACursorOutOfRangeIsAnInvalidCursor) {
    EXPECT_EQ(pullRefusal(R"(,"cursors":{"tenant":9223372036854775807})"), std::nullopt);
    for (const std::string cursor :
         {"9223372036854775808", "18446744073709551617", "-1", "true", "1.5", "\"3\""}) {
        EXPECT_EQ(pullRefusal(R"(,"cursors":{"tenant":)" + cursor + "}"), ErrorCode::InvalidCursor)
            << cursor;
    }
}

TEST(SyncMessages, AnUnknownKeyInARequestIsAnInvalidParameter) {
    EXPECT_EQ(pullRefusal(R"(,"limit":5,"limt":6)"), ErrorCode::InvalidParameter);
    EXPECT_EQ(pushRefusal(R"(,"changes":[])"), std::nullopt);
    EXPECT_EQ(pushRefusal(R"(,"changes":[],"padding":[1,2,3])"), ErrorCode::InvalidParameter);
}

TEST(SyncMessages, AResponseWithAWrappedSequenceIsRefused) {
    try {
        SyncMessageCodec::pushResponseFromJson(
            R"({"results":[],"high_water_mark":18446744073709551617})");
        FAIL() << "a high-water mark past 64 bits was read";
    } catch (const Error& error) {
        EXPECT_EQ(error.code(), ErrorCode::InvalidParameter);
    }
}

}  // namespace
}  // namespace verdant::shared
