#pragma once

#include "verdant/shared/Change.hpp"
#include "verdant/shared/ErrorCode.hpp"

#include <Poco/JSON/Array.h>
#include <cereal/cereal.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace verdant::shared {

/// The two wire encodings of changes: a compact binary form (cereal portable binary, for the
/// SDK) and a JSON form (for people, curl and other languages). Both carry exactly the same data;
/// the round-trip tests check it.
///
/// JSON shape of one change (values are tagged so that 3, 3.0, a timestamp and an int stay apart):
///
///     {"collection":"audit_answers","record":"0190…","field":"answer","op":"set",
///      "value":{"string":"yes"},"hlc":"018c1a2b3c4d-0000-a1b2c3d4e5f60708","base":null,
///      "device":"0190…","seq":12,"author":"u-17"}
///
/// with value one of null, {"bool":b}, {"int":n}, {"real":x}, {"string":s}, {"timestamp":ms},
/// {"id":"uuid"}, {"json":"text"}. A change or value object with a key not shown here is
/// refused, as is an integer out of its range or a boolean where a number belongs
/// (Error(InvalidParameter)). Stateless; all functions are thread-safe.
class ChangeCodec {
public:
    /// Version byte leading every binary batch; bumped on incompatible layout changes.
    static constexpr std::uint8_t kBinaryFormatVersion = 1;
    /// Largest string accepted while decoding binary input (guards allocations).
    static constexpr std::size_t kMaxWireStringBytes = 16 * 1024 * 1024;
    /// Largest number of changes accepted in one decoded batch.
    static constexpr std::size_t kMaxBatchChanges = 1'000'000;
    /// Largest device sequence: stores keep sequences as SQLite integers (signed 64-bit).
    static constexpr std::uint64_t kMaxDeviceSeq = 0x7fff'ffff'ffff'ffffULL;

    /// The binary form of a batch of changes.
    static std::string toBinary(const std::vector<Change>& changes);
    /// Decodes a binary batch. Throws Error(ErrorCode::InvalidRequest) if `bytes` is not one
    /// (truncated, wrong version, oversized strings, trailing bytes).
    static std::vector<Change> fromBinary(std::string_view bytes);

    /// The JSON form of one change (an object).
    static std::string toJson(const Change& change);
    /// The JSON form of a batch (an array of change objects).
    static std::string toJson(const std::vector<Change>& changes);
    /// The JSON form of a batch as a DOM array, for messages that embed it.
    static Poco::JSON::Array::Ptr toJsonArray(const std::vector<Change>& changes);
    /// Decodes one change object. Throws Error(ErrorCode::MalformedJson) for invalid JSON (see
    /// parseStrictJson for its limits), Error(ErrorCode::InvalidParameter) for an unknown key, an
    /// integer out of range (a seq outside 1..kMaxDeviceSeq) or a boolean where a number belongs,
    /// and Error(ErrorCode::InvalidChange) for valid JSON of another wrong shape.
    static Change changeFromJson(std::string_view json);
    /// Decodes a JSON array of changes; errors as changeFromJson.
    static std::vector<Change> changesFromJson(std::string_view json);
    /// Decodes an already parsed (parseStrictJson) array of changes; errors as changeFromJson.
    static std::vector<Change> changesFromJson(const Poco::JSON::Array& array);
};

/// cereal support: lets other cereal messages (push and pull bodies) embed these types.
/// Strings are length-checked against ChangeCodec::kMaxWireStringBytes on load.
namespace wire {

/// Saves a length-prefixed string.
template <class Archive>
void saveString(Archive& archive, const std::string& text) {
    archive(cereal::make_size_tag(static_cast<cereal::size_type>(text.size())));
    archive(cereal::binary_data(text.data(), text.size()));
}

/// Loads a length-prefixed string; throws Error(InvalidRequest) when it is too long.
template <class Archive>
void loadString(Archive& archive, std::string& text) {
    cereal::size_type size = 0;
    archive(cereal::make_size_tag(size));
    if (size > ChangeCodec::kMaxWireStringBytes) {
        throw Error(ErrorCode::InvalidRequest, "A string in the request is too long.");
    }
    text.resize(static_cast<std::size_t>(size));
    archive(cereal::binary_data(text.data(), text.size()));
}

}  // namespace wire

/// cereal: an Hlc as its 16-byte binary form.
template <class Archive>
void save(Archive& archive, const Hlc& hlc) {
    const auto bytes = hlc.toBinary();
    archive(cereal::binary_data(bytes.data(), bytes.size()));
}

/// cereal: loads an Hlc.
template <class Archive>
void load(Archive& archive, Hlc& hlc) {
    std::array<std::uint8_t, Hlc::kBinarySize> bytes{};
    archive(cereal::binary_data(bytes.data(), bytes.size()));
    hlc = *Hlc::fromBinary(bytes);
}

/// cereal: an id as its 16 raw bytes.
template <class Archive, class Tag>
void save(Archive& archive, const Id<Tag>& id) {
    archive(cereal::binary_data(id.bytes().data(), id.bytes().size()));
}

/// cereal: loads an id.
template <class Archive, class Tag>
void load(Archive& archive, Id<Tag>& id) {
    typename Id<Tag>::Bytes bytes{};
    archive(cereal::binary_data(bytes.data(), bytes.size()));
    id = Id<Tag>(bytes);
}

/// cereal: a value as a kind byte and its payload.
template <class Archive>
void save(Archive& archive, const Value& value) {
    archive(static_cast<std::uint8_t>(value.kind()));
    switch (value.kind()) {
        case ValueKind::Null:
            break;
        case ValueKind::Bool:
            archive(static_cast<std::uint8_t>(value.as<bool>() ? 1 : 0));
            break;
        case ValueKind::Int:
            archive(value.as<std::int64_t>());
            break;
        case ValueKind::Real:
            archive(value.as<double>());
            break;
        case ValueKind::String:
            wire::saveString(archive, value.as<std::string>());
            break;
        case ValueKind::Timestamp:
            archive(value.as<Timestamp>().ms);
            break;
        case ValueKind::Id:
            save(archive, value.as<RecordId>());
            break;
        case ValueKind::Json:
            wire::saveString(archive, value.as<JsonText>().text);
            break;
    }
}

/// cereal: loads a value; throws Error(InvalidRequest) for an unknown kind byte.
template <class Archive>
void load(Archive& archive, Value& value) {
    std::uint8_t kind = 0;
    archive(kind);
    switch (static_cast<ValueKind>(kind)) {
        case ValueKind::Null:
            value = Value::null();
            return;
        case ValueKind::Bool: {
            std::uint8_t flag = 0;
            archive(flag);
            if (flag > 1) {
                throw Error(ErrorCode::InvalidRequest, "A boolean in the request is malformed.");
            }
            value = Value::boolean(flag == 1);
            return;
        }
        case ValueKind::Int: {
            std::int64_t number = 0;
            archive(number);
            value = Value::integer(number);
            return;
        }
        case ValueKind::Real: {
            double number = 0;
            archive(number);
            value = Value::real(number);
            return;
        }
        case ValueKind::String: {
            std::string text;
            wire::loadString(archive, text);
            value = Value::string(std::move(text));
            return;
        }
        case ValueKind::Timestamp: {
            std::int64_t ms = 0;
            archive(ms);
            value = Value::timestamp(ms);
            return;
        }
        case ValueKind::Id: {
            RecordId id;
            load(archive, id);
            value = Value::id(id);
            return;
        }
        case ValueKind::Json: {
            std::string text;
            wire::loadString(archive, text);
            value = Value::json(std::move(text));
            return;
        }
    }
    throw Error(ErrorCode::InvalidRequest, "A value in the request has an unknown kind.");
}

/// cereal: a change, field by field.
template <class Archive>
void save(Archive& archive, const Change& change) {
    wire::saveString(archive, change.collection);
    save(archive, change.recordId);
    wire::saveString(archive, change.field);
    archive(static_cast<std::uint8_t>(change.operation));
    save(archive, change.value);
    save(archive, change.hlc);
    archive(static_cast<std::uint8_t>(change.baseVersion ? 1 : 0));
    if (change.baseVersion) {
        save(archive, *change.baseVersion);
    }
    save(archive, change.deviceId);
    archive(change.deviceSeq);
    wire::saveString(archive, change.author);
}

/// cereal: loads a change; throws Error(InvalidRequest) for malformed input.
template <class Archive>
void load(Archive& archive, Change& change) {
    wire::loadString(archive, change.collection);
    load(archive, change.recordId);
    wire::loadString(archive, change.field);
    std::uint8_t operation = 0;
    archive(operation);
    if (operation > static_cast<std::uint8_t>(Operation::Restore)) {
        throw Error(ErrorCode::InvalidRequest, "A change in the request has an unknown operation.");
    }
    change.operation = static_cast<Operation>(operation);
    load(archive, change.value);
    load(archive, change.hlc);
    std::uint8_t hasBase = 0;
    archive(hasBase);
    if (hasBase > 1) {
        throw Error(ErrorCode::InvalidRequest, "A change in the request is malformed.");
    }
    change.baseVersion.reset();
    if (hasBase == 1) {
        Hlc base;
        load(archive, base);
        change.baseVersion = base;
    }
    load(archive, change.deviceId);
    archive(change.deviceSeq);
    if (change.deviceSeq == 0 || change.deviceSeq > ChangeCodec::kMaxDeviceSeq) {
        throw Error(ErrorCode::InvalidParameter,
                    "A change's seq must be a whole number from 1 to 9223372036854775807.");
    }
    wire::loadString(archive, change.author);
}

}  // namespace verdant::shared
