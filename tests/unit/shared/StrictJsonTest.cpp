#include "verdant/shared/ChangeCodec.hpp"
#include "verdant/shared/StrictJson.hpp"
#include "verdant/shared/SyncMessages.hpp"

#include <Poco/JSON/Array.h>
#include <gtest/gtest.h>

#include <string>

namespace verdant::shared {
namespace {

/// The code parsing `text` fails with, or nullopt when it parses.
std::optional<ErrorCode> refusalOf(const std::string& text, const JsonLimits& limits = {}) {
    try {
        parseStrictJson(text, limits);
    } catch (const Error& error) {
        return error.code();
    }
    return std::nullopt;
}

TEST(StrictJson, BuildsPocosDomWithExactIntegers) {
    const auto object = parseStrictJsonObject(
        R"({"small": -7, "big": 18446744073709551615, "text": "是", "list": [true, null, 1.5]})");
    EXPECT_EQ(object->get("small").convert<Poco::Int64>(), -7);
    EXPECT_EQ(object->get("big").convert<Poco::UInt64>(), 18446744073709551615ULL);
    EXPECT_EQ(object->getValue<std::string>("text"), "是");
    const auto list = object->getArray("list");
    ASSERT_TRUE(list);
    EXPECT_TRUE(list->get(0).isBoolean());
    EXPECT_TRUE(list->isNull(1));
    EXPECT_DOUBLE_EQ(list->get(2).convert<double>(), 1.5);
}

TEST(StrictJson, AnIntegerPast64BitsIsNeverAnInteger) {
    // Poco's own parser read 2^64 + 1 as 1.
    const auto object =
        parseStrictJsonObject(R"({"n": 18446744073709551617, "m": -9223372036854775809})");
    EXPECT_FALSE(object->get("n").isInteger());
    EXPECT_FALSE(object->get("m").isInteger());
}

TEST(StrictJson, ANumberPastDoubleIsRefused) {
    EXPECT_EQ(refusalOf(R"({"n": 1e400})"), ErrorCode::InvalidParameter);
    EXPECT_EQ(refusalOf(R"([-1e400])"), ErrorCode::InvalidParameter);
}

TEST(StrictJson, NestingDeeperThanTheLimitIsRefused) {
    const JsonLimits limits;
    const auto nested = [](std::size_t depth) {
        return std::string(depth, '[') + std::string(depth, ']');
    };
    EXPECT_EQ(refusalOf(nested(limits.maxDepth)), std::nullopt);
    EXPECT_EQ(refusalOf(nested(limits.maxDepth + 1)), ErrorCode::MalformedJson);
    EXPECT_EQ(refusalOf(nested(1'000'000)), ErrorCode::MalformedJson);
}

TEST(StrictJson, MoreValuesThanTheBudgetAreRefused) {
    JsonLimits limits;
    limits.maxValues = 10;
    // The array itself and nine numbers: ten values.
    EXPECT_EQ(refusalOf("[1,2,3,4,5,6,7,8,9]", limits), std::nullopt);
    EXPECT_EQ(refusalOf("[1,2,3,4,5,6,7,8,9,10]", limits), ErrorCode::PayloadTooLarge);
    EXPECT_EQ(refusalOf(R"({"a":{"b":[1,2,3]},"c":[4,5,6,7]})", limits),
              ErrorCode::PayloadTooLarge);
}

TEST(StrictJson, MoreObjectsAndArraysThanTheirBudgetAreRefused) {
    JsonLimits limits;
    limits.maxContainers = 3;
    EXPECT_EQ(refusalOf(R"([{"a":1},{"a":2}])", limits), std::nullopt);
    EXPECT_EQ(refusalOf(R"([{"a":1},{"a":2},[]])", limits), ErrorCode::PayloadTooLarge);
}

TEST(StrictJson, TheDefaultBudgetHoldsTheLargestPush) {
    // Every change at its most verbose (a base version, a value object).
    Change change;
    change.collection = "audit_answers";
    change.recordId = RecordId::parse("0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b").value();
    change.field = "answer";
    change.value = Value::string("yes");
    change.hlc = Hlc{0x018c1a2b3c4dULL, 1, 2};
    change.baseVersion = Hlc{0x018c1a2b3c4dULL, 0, 2};
    change.deviceId = DeviceId::parse("0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5c").value();
    change.author = "u-1";
    PushRequest push{change.deviceId, {}};
    for (std::size_t i = 1; i <= JsonLimits::kMaxChangesPerMessage; ++i) {
        change.deviceSeq = i;
        push.changes.push_back(change);
    }
    EXPECT_EQ(SyncMessageCodec::pushRequestFromJson(SyncMessageCodec::toJson(push)), push);
}

TEST(StrictJson, AKeyTwiceInOneObjectIsRefused) {
    EXPECT_EQ(refusalOf(R"({"choose": 0, "choose": 1})"), ErrorCode::MalformedJson);
    EXPECT_EQ(refusalOf(R"([{"a": 1}, {"a": 2}])"), std::nullopt);
}

TEST(StrictJson, TextThatIsNotUtf8OrNotOneDocumentIsRefused) {
    EXPECT_EQ(refusalOf("{\"a\": \"\xC3\x28\"}"), ErrorCode::MalformedJson);
    EXPECT_EQ(refusalOf("{\"a\": 1} {}"), ErrorCode::MalformedJson);
    EXPECT_EQ(refusalOf("{\"a\": 1,}"), ErrorCode::MalformedJson);
    EXPECT_EQ(refusalOf("// comment\n{}"), ErrorCode::MalformedJson);
    EXPECT_EQ(refusalOf(""), ErrorCode::MalformedJson);
}

TEST(StrictJson, AStringLongerThanTheLimitIsRefused) {
    JsonLimits limits;
    limits.maxStringBytes = 8;
    EXPECT_EQ(refusalOf(R"(["12345678"])", limits), std::nullopt);
    EXPECT_EQ(refusalOf(R"(["123456789"])", limits), ErrorCode::PayloadTooLarge);
    EXPECT_EQ(refusalOf(R"({"123456789": 1})", limits), ErrorCode::PayloadTooLarge);
    // An escaped quote does not end a string.
    EXPECT_EQ(refusalOf(R"(["1234\"5678"])", limits), ErrorCode::PayloadTooLarge);
    EXPECT_EQ(refusalOf(R"(["1234\\", "5678"])", limits), std::nullopt);
}

TEST(StrictJson, AnObjectThatIsNotOneIsMalformed) {
    EXPECT_EQ(refusalOf("[]"), std::nullopt);
    try {
        parseStrictJsonObject("[]");
        FAIL() << "an array was taken for an object";
    } catch (const Error& error) {
        EXPECT_EQ(error.code(), ErrorCode::MalformedJson);
    }
}

TEST(StrictJson, AnUnknownKeyIsNamedShortened) {
    const auto object =
        parseStrictJsonObject(R"({"tenant": "a", ")" + std::string(500, 'x') + R"(": 1})");
    try {
        requireKnownKeys(*object, {"tenant"}, "the request body");
        FAIL() << "an unknown key was accepted";
    } catch (const Error& error) {
        EXPECT_EQ(error.code(), ErrorCode::InvalidParameter);
        EXPECT_NE(std::string(error.what()).find("xxxx"), std::string::npos) << error.what();
        EXPECT_LT(std::string(error.what()).size(), 200U) << error.what();
    }
    EXPECT_NO_THROW(requireKnownKeys(*object, {"tenant", std::string(500, 'x')}, "it"));
}

}  // namespace
}  // namespace verdant::shared
