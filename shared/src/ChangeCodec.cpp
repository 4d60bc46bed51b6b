#include "verdant/shared/ChangeCodec.hpp"

#include "verdant/shared/StrictJson.hpp"

#include <Poco/Dynamic/Var.h>
#include <Poco/Exception.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/JSONException.h>
#include <Poco/JSON/Object.h>
#include <cereal/archives/portable_binary.hpp>

#include <charconv>
#include <istream>
#include <limits>
#include <sstream>
#include <streambuf>

namespace verdant::shared {

namespace {

/// A read-only streambuf over caller-owned bytes, so decoding never copies the input.
class ViewStreamBuf : public std::streambuf {
public:
    explicit ViewStreamBuf(std::string_view bytes) {
        // std::streambuf wants non-const pointers but this buffer is never written to.
        char* begin = const_cast<char*>(bytes.data());
        setg(begin, begin, begin + bytes.size());
    }
    std::size_t remaining() const { return static_cast<std::size_t>(egptr() - gptr()); }
};

// ---- JSON ---------------------------------------------------------------------------------

[[noreturn]] void badShape(const std::string& message) {
    throw Error(ErrorCode::InvalidChange, message);
}

// Integers outside +-2^53 are written as decimal strings: JavaScript (and Poco's parser for
// negative numbers) cannot carry them exactly as JSON numbers. Both forms are accepted.
constexpr std::int64_t kMaxExactJsonInteger = std::int64_t{1} << 53;

Poco::Dynamic::Var integerToJson(std::int64_t number) {
    if (number > kMaxExactJsonInteger || number < -kMaxExactJsonInteger) {
        return std::to_string(number);
    }
    return static_cast<Poco::Int64>(number);
}

[[noreturn]] void badNumber(const std::string& what, const std::string& range) {
    throw Error(ErrorCode::InvalidParameter, what + " must be a whole number from " + range + ".");
}

/// A JSON integer (or its decimal-string form) within int64, or nullopt. Booleans, fractions
/// and integers parsed as doubles because they fit no 64-bit type are not integers.
std::optional<std::int64_t> integerFromJson(const Poco::Dynamic::Var& json) {
    if (json.isBoolean()) {
        return std::nullopt;
    }
    if (json.isInteger()) {
        if (!json.isSigned() &&
            json.convert<Poco::UInt64>() >
                static_cast<Poco::UInt64>(std::numeric_limits<std::int64_t>::max())) {
            return std::nullopt;
        }
        return json.convert<Poco::Int64>();
    }
    if (json.isString()) {
        const auto& text = json.extract<std::string>();
        std::int64_t number = 0;
        const auto* end = text.data() + text.size();
        const auto result = std::from_chars(text.data(), end, number);
        if (result.ec == std::errc() && result.ptr == end && !text.empty()) {
            return number;
        }
    }
    return std::nullopt;
}

Poco::Dynamic::Var valueToJson(const Value& value) {
    if (value.isNull()) {
        return Poco::Dynamic::Var();
    }
    Poco::JSON::Object::Ptr object = new Poco::JSON::Object;
    const std::string key(wireName(value.kind()));
    switch (value.kind()) {
        case ValueKind::Null:
            break;
        case ValueKind::Bool:
            object->set(key, value.as<bool>());
            break;
        case ValueKind::Int:
            object->set(key, integerToJson(value.as<std::int64_t>()));
            break;
        case ValueKind::Real:
            object->set(key, value.as<double>());
            break;
        case ValueKind::String:
            object->set(key, value.as<std::string>());
            break;
        case ValueKind::Timestamp:
            object->set(key, integerToJson(value.as<Timestamp>().ms));
            break;
        case ValueKind::Id:
            object->set(key, value.as<RecordId>().toString());
            break;
        case ValueKind::Json:
            object->set(key, value.as<JsonText>().text);
            break;
    }
    return object;
}

Value valueFromJson(const Poco::Dynamic::Var& json) {
    if (json.isEmpty()) {
        return Value::null();
    }
    if (json.type() != typeid(Poco::JSON::Object::Ptr)) {
        badShape("A value must be null or an object such as {\"string\": \"...\"}.");
    }
    const auto object = json.extract<Poco::JSON::Object::Ptr>();
    requireKnownKeys(*object, {"bool", "int", "real", "string", "timestamp", "id", "json"},
                     "a value");
    if (object->size() != 1) {
        badShape("A value object must have exactly one member naming its kind.");
    }
    const std::string kind = object->begin()->first;
    const Poco::Dynamic::Var& payload = object->begin()->second;
    try {
        if (kind == "bool" && payload.isBoolean()) {
            return Value::boolean(payload.extract<bool>());
        }
        if (kind == "int" || kind == "timestamp") {
            const auto number = integerFromJson(payload);
            if (!number) {
                badNumber("A value of kind '" + kind + "'",
                          "-9223372036854775808 to 9223372036854775807");
            }
            return kind == "int" ? Value::integer(*number) : Value::timestamp(*number);
        }
        if (kind == "real" && payload.isNumeric() && !payload.isBoolean()) {
            return Value::real(payload.convert<double>());
        }
        if (kind == "string" && payload.isString()) {
            return Value::string(payload.extract<std::string>());
        }
        if (kind == "id" && payload.isString()) {
            if (auto id = RecordId::parse(payload.extract<std::string>())) {
                return Value::id(*id);
            }
            badShape("An id value is not a UUID.");
        }
        if (kind == "json" && payload.isString()) {
            return Value::json(payload.extract<std::string>());
        }
    } catch (const Poco::Exception&) {
        badShape("A value of kind '" + kind + "' is out of range.");
    }
    badShape("A value of kind '" + kind + "' is unknown or has the wrong payload.");
}

Poco::Dynamic::Var member(const Poco::JSON::Object& object, const std::string& name) {
    if (!object.has(name)) {
        badShape("A change has no '" + name + "'.");
    }
    return object.get(name);
}

std::string stringMember(const Poco::JSON::Object& object, const std::string& name) {
    const auto value = member(object, name);
    if (!value.isString()) {
        badShape("A change's '" + name + "' must be a string.");
    }
    return value.extract<std::string>();
}

template <class Tag>
Id<Tag> idMember(const Poco::JSON::Object& object, const std::string& name) {
    if (auto id = Id<Tag>::parse(stringMember(object, name))) {
        return *id;
    }
    badShape("A change's '" + name + "' is not a UUID.");
}

Hlc hlcFromText(const std::string& text, const std::string& name) {
    if (auto hlc = Hlc::parse(text)) {
        return *hlc;
    }
    badShape("A change's '" + name + "' is not an HLC.");
}

Poco::JSON::Object::Ptr changeToJson(const Change& change) {
    Poco::JSON::Object::Ptr object = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
    object->set("collection", change.collection);
    object->set("record", change.recordId.toString());
    object->set("field", change.field);
    object->set("op", std::string(wireName(change.operation)));
    object->set("value", valueToJson(change.value));
    object->set("hlc", change.hlc.toString());
    object->set("base", change.baseVersion ? Poco::Dynamic::Var(change.baseVersion->toString())
                                           : Poco::Dynamic::Var());
    object->set("device", change.deviceId.toString());
    object->set("seq", static_cast<Poco::UInt64>(change.deviceSeq));
    object->set("author", change.author);
    return object;
}

/// The device sequence of a change: 1 to ChangeCodec::kMaxDeviceSeq.
std::uint64_t deviceSeqFromJson(const Poco::Dynamic::Var& json) {
    const bool inRange =
        !json.isBoolean() && json.isInteger() &&
        (json.isSigned() ? json.convert<Poco::Int64>() >= 1
                         : json.convert<Poco::UInt64>() >= 1 &&
                               json.convert<Poco::UInt64>() <= ChangeCodec::kMaxDeviceSeq);
    if (!inRange) {
        badNumber("A change's 'seq'", "1 to " + std::to_string(ChangeCodec::kMaxDeviceSeq));
    }
    return json.convert<Poco::UInt64>();
}

Change changeFromJsonObject(const Poco::JSON::Object& object) {
    requireKnownKeys(
        object,
        {"collection", "record", "field", "op", "value", "hlc", "base", "device", "seq", "author"},
        "a change");
    Change change;
    change.collection = stringMember(object, "collection");
    change.recordId = idMember<RecordIdTag>(object, "record");
    change.field = stringMember(object, "field");
    const std::string op = stringMember(object, "op");
    const auto operation = operationFromWireName(op);
    if (!operation) {
        badShape("A change's 'op' is not one of set, add, remove, reopen, delete, restore.");
    }
    change.operation = *operation;
    change.value = valueFromJson(member(object, "value"));
    change.hlc = hlcFromText(stringMember(object, "hlc"), "hlc");
    const auto base = member(object, "base");
    if (!base.isEmpty()) {
        if (!base.isString()) {
            badShape("A change's 'base' must be an HLC string or null.");
        }
        change.baseVersion = hlcFromText(base.extract<std::string>(), "base");
    }
    change.deviceId = idMember<DeviceIdTag>(object, "device");
    change.deviceSeq = deviceSeqFromJson(member(object, "seq"));
    change.author = stringMember(object, "author");
    return change;
}

Poco::JSON::Object::Ptr asObject(const Poco::Dynamic::Var& json) {
    if (json.type() != typeid(Poco::JSON::Object::Ptr)) {
        badShape("A change must be a JSON object.");
    }
    return json.extract<Poco::JSON::Object::Ptr>();
}

}  // namespace

std::string ChangeCodec::toBinary(const std::vector<Change>& changes) {
    std::ostringstream stream;
    {
        cereal::PortableBinaryOutputArchive archive(stream);
        archive(kBinaryFormatVersion);
        archive(cereal::make_size_tag(static_cast<cereal::size_type>(changes.size())));
        for (const auto& change : changes) {
            save(archive, change);
        }
    }
    return std::move(stream).str();
}

std::vector<Change> ChangeCodec::fromBinary(std::string_view bytes) {
    ViewStreamBuf buffer(bytes);
    std::istream stream(&buffer);
    std::vector<Change> changes;
    try {
        cereal::PortableBinaryInputArchive archive(stream);
        std::uint8_t version = 0;
        archive(version);
        if (version != kBinaryFormatVersion) {
            throw Error(ErrorCode::InvalidRequest, "The binary change format version is unknown.");
        }
        cereal::size_type count = 0;
        archive(cereal::make_size_tag(count));
        if (count > kMaxBatchChanges) {
            throw Error(ErrorCode::InvalidRequest, "The batch has too many changes.");
        }
        // Do not trust the count for the allocation: grow as changes actually decode.
        for (cereal::size_type i = 0; i < count; ++i) {
            Change change;
            load(archive, change);
            changes.push_back(std::move(change));
        }
    } catch (const cereal::Exception&) {
        throw Error(ErrorCode::InvalidRequest, "The binary change batch is truncated.");
    }
    if (buffer.remaining() != 0) {
        throw Error(ErrorCode::InvalidRequest, "The binary change batch has trailing bytes.");
    }
    return changes;
}

std::string ChangeCodec::toJson(const Change& change) {
    std::ostringstream stream;
    changeToJson(change)->stringify(stream);
    return std::move(stream).str();
}

Poco::JSON::Array::Ptr ChangeCodec::toJsonArray(const std::vector<Change>& changes) {
    Poco::JSON::Array::Ptr array = new Poco::JSON::Array;
    for (const auto& change : changes) {
        array->add(changeToJson(change));
    }
    return array;
}

std::string ChangeCodec::toJson(const std::vector<Change>& changes) {
    std::ostringstream stream;
    toJsonArray(changes)->stringify(stream);
    return std::move(stream).str();
}

Change ChangeCodec::changeFromJson(std::string_view json) {
    return changeFromJsonObject(*asObject(parseStrictJson(json)));
}

std::vector<Change> ChangeCodec::changesFromJson(std::string_view json) {
    const auto parsed = parseStrictJson(json);
    if (parsed.type() != typeid(Poco::JSON::Array::Ptr)) {
        badShape("A batch of changes must be a JSON array.");
    }
    return changesFromJson(*parsed.extract<Poco::JSON::Array::Ptr>());
}

std::vector<Change> ChangeCodec::changesFromJson(const Poco::JSON::Array& array) {
    std::vector<Change> changes;
    changes.reserve(array.size());
    for (const auto& item : array) {
        changes.push_back(changeFromJsonObject(*asObject(item)));
    }
    return changes;
}

}  // namespace verdant::shared
