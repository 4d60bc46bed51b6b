#include "verdant/shared/ChangeCodec.hpp"
#include "verdant/shared/ErrorCode.hpp"
#include "verdant/shared/IdGenerator.hpp"

#include <gtest/gtest.h>

namespace verdant::shared {
namespace {

std::vector<Change> sampleChanges() {
    ManualClock clock(1'704'067'200'000);
    IdGenerator ids(clock, 9);
    const RecordId record = ids.nextRecordId();
    const DeviceId device = ids.nextDeviceId();
    const std::vector<Value> values = {
        Value::null(),
        Value::boolean(true),
        Value::integer(-9'007'199'254'740'993),
        Value::real(0.1 + 0.2),
        Value::real(3.0),
        Value::string("C.2 \"yes\" — 是"),
        Value::timestamp(1'704'067'200'123),
        Value::id(ids.nextRecordId()),
        Value::json(R"({"a":[1,2,{"b":null}]})"),
    };
    std::vector<Change> changes;
    std::uint64_t seq = 0;
    for (const auto& value : values) {
        Change change;
        change.collection = "answers";
        change.recordId = record;
        change.field = "answer";
        change.operation = Operation::Set;
        change.value = value;
        change.hlc = Hlc{0x018c1a2b3c4dULL + seq, static_cast<std::uint16_t>(seq), 0xfeedULL};
        if (seq % 2 == 1) {
            change.baseVersion = Hlc{0x018c1a2b3c4dULL, 0, 0x1ULL};
        }
        change.deviceId = device;
        change.deviceSeq = ++seq;
        change.author = "auditor-1";
        changes.push_back(change);
    }
    Change removal = changes.front();
    removal.operation = Operation::Delete;
    removal.field.clear();
    removal.deviceSeq = ChangeCodec::kMaxDeviceSeq;  // the full range survives both encodings
    changes.push_back(removal);
    return changes;
}

TEST(ChangeCodec, BinaryRoundTripKeepsEveryValueKind) {
    const auto changes = sampleChanges();
    const std::string bytes = ChangeCodec::toBinary(changes);
    EXPECT_EQ(ChangeCodec::fromBinary(bytes), changes);
}

TEST(ChangeCodec, JsonRoundTripKeepsEveryValueKind) {
    const auto changes = sampleChanges();
    const std::string json = ChangeCodec::toJson(changes);
    EXPECT_EQ(ChangeCodec::changesFromJson(json), changes);
    EXPECT_EQ(ChangeCodec::changeFromJson(ChangeCodec::toJson(changes[5])), changes[5]);
}

TEST(ChangeCodec, BinaryAndJsonCarryTheSameData) {
    const auto changes = sampleChanges();
    EXPECT_EQ(ChangeCodec::fromBinary(ChangeCodec::toBinary(changes)),
              ChangeCodec::changesFromJson(ChangeCodec::toJson(changes)));
}

TEST(ChangeCodec, JsonIsReadableByPeople) {
    const auto json = ChangeCodec::toJson(sampleChanges()[5]);
    EXPECT_NE(json.find("\"op\":\"set\""), std::string::npos) << json;
    EXPECT_NE(json.find("\"value\":{\"string\":"), std::string::npos) << json;
    EXPECT_NE(json.find("\"author\":\"auditor-1\""), std::string::npos) << json;
}

TEST(ChangeCodec, TruncatedOrPaddedBinaryIsAnInvalidRequest) {
    const std::string bytes = ChangeCodec::toBinary(sampleChanges());
    for (std::size_t cut : {std::size_t{0}, std::size_t{1}, bytes.size() / 2, bytes.size() - 1}) {
        try {
            ChangeCodec::fromBinary(std::string_view(bytes).substr(0, cut));
            FAIL() << "decoded a batch cut at " << cut;
        } catch (const Error& error) {
            EXPECT_EQ(error.code(), ErrorCode::InvalidRequest);
        }
    }
    EXPECT_THROW(ChangeCodec::fromBinary(bytes + "x"), Error);
}

TEST(ChangeCodec, AHugeLengthPrefixIsRefusedWithoutAllocatingIt) {
    std::string bytes = ChangeCodec::toBinary(sampleChanges());
    // Byte 0 is the version, 1..8 the count, 9..16 the first collection name's length.
    for (std::size_t i = 9; i < 17; ++i) {
        bytes[i] = static_cast<char>(0x7f);
    }
    try {
        ChangeCodec::fromBinary(bytes);
        FAIL() << "decoded an impossible string length";
    } catch (const Error& error) {
        EXPECT_EQ(error.code(), ErrorCode::InvalidRequest);
    }
}

TEST(ChangeCodec, MalformedJsonAndWrongShapesAreTypedErrors) {
    try {
        ChangeCodec::changesFromJson("[{\"collection\":");
        FAIL();
    } catch (const Error& error) {
        EXPECT_EQ(error.code(), ErrorCode::MalformedJson);
    }
    auto json = ChangeCodec::toJson(sampleChanges()[1]);
    json.replace(json.find("\"op\":\"set\""), 10, "\"op\":\"zap\"");
    try {
        ChangeCodec::changeFromJson(json);
        FAIL();
    } catch (const Error& error) {
        EXPECT_EQ(error.code(), ErrorCode::InvalidChange);
    }
    try {
        ChangeCodec::changeFromJson(R"({"collection":"answers"})");
        FAIL();
    } catch (const Error& error) {
        EXPECT_EQ(error.code(), ErrorCode::InvalidChange);
    }
}

/// The code decoding `json` (a change) fails with, or nullopt when it decodes.
std::optional<ErrorCode> changeRefusal(const std::string& json) {
    try {
        ChangeCodec::changeFromJson(json);
    } catch (const Error& error) {
        return error.code();
    }
    return std::nullopt;
}

/// sampleChanges()[1] as JSON with `from` replaced by `to`.
std::string editedChange(const std::string& from, const std::string& to) {
    auto json = ChangeCodec::toJson(sampleChanges()[1]);
    const auto at = json.find(from);
    EXPECT_NE(at, std::string::npos) << json;
    return json.replace(at, from.size(), to);
}

TEST(ChangeCodec, ASeqOutOfRangeOrNotANumberIsAnInvalidParameter) {
    EXPECT_EQ(changeRefusal(editedChange("\"seq\":2", "\"seq\":2")), std::nullopt);
    EXPECT_EQ(changeRefusal(editedChange("\"seq\":2", "\"seq\":9223372036854775807")),
              std::nullopt);
    for (const std::string seq :
         {"18446744073709551617", "18446744073709551616", "9223372036854775808", "true", "false",
          "0", "-1", "1.0", "\"1\""}) {
        EXPECT_EQ(changeRefusal(editedChange("\"seq\":2", "\"seq\":" + seq)),
                  ErrorCode::InvalidParameter)
            << seq;
    }
}

TEST(ChangeCodec, AnIntegerValueOutOfRangeOrABooleanIsAnInvalidParameter) {
    const auto withValue = [](const std::string& value) {
        return editedChange("\"value\":{\"bool\":true}", "\"value\":" + value);
    };
    EXPECT_EQ(changeRefusal(withValue(R"({"int":-9223372036854775808})")), std::nullopt);
    EXPECT_EQ(changeRefusal(withValue(R"({"timestamp":"9223372036854775807"})")), std::nullopt);
    for (const std::string value :
         {R"({"int":true})", R"({"int":9223372036854775808})", R"({"int":18446744073709551617})",
          R"({"timestamp":false})", R"({"timestamp":1.5})", R"({"int":"12x"})"}) {
        EXPECT_EQ(changeRefusal(withValue(value)), ErrorCode::InvalidParameter) << value;
    }
    EXPECT_EQ(changeRefusal(withValue(R"({"real":true})")), ErrorCode::InvalidChange);
}

TEST(ChangeCodec, AnUnknownKeyInAChangeOrValueIsAnInvalidParameter) {
    EXPECT_EQ(changeRefusal(editedChange("\"seq\":2", "\"seq\":2,\"sneaky\":1")),
              ErrorCode::InvalidParameter);
    EXPECT_EQ(changeRefusal(editedChange("{\"bool\":true}", "{\"boolean\":true}")),
              ErrorCode::InvalidParameter);
}

TEST(ChangeCodec, ABinarySeqOutsideTheStoresRangeIsRefused) {
    auto changes = sampleChanges();
    changes.back().deviceSeq = ChangeCodec::kMaxDeviceSeq + 1;
    try {
        ChangeCodec::fromBinary(ChangeCodec::toBinary(changes));
        FAIL() << "a sequence past int64 was decoded";
    } catch (const Error& error) {
        EXPECT_EQ(error.code(), ErrorCode::InvalidParameter);
    }
}

}  // namespace
}  // namespace verdant::shared
