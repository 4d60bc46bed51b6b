#include "verdant/shared/SyncMessages.hpp"

#include "CompactSyncMessages.hpp"
#include "Utf8.hpp"

#include "verdant/shared/ChangeCodec.hpp"
#include "verdant/shared/StrictJson.hpp"

#include <Poco/Exception.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <cereal/archives/portable_binary.hpp>

#include <limits>
#include <sstream>

namespace verdant::shared {

namespace {

using Poco::JSON::Array;
using Poco::JSON::Object;

// ---- JSON -------------------------------------------------------------------------------------

std::string stringify(const Object& object) {
    std::ostringstream out;
    object.stringify(out);
    return out.str();
}

Object::Ptr parseObject(std::string_view text) {
    return parseStrictJsonObject(text);
}

/// Server sequences, cursors and high-water marks: stores keep them as signed 64-bit integers.
constexpr std::uint64_t kMaxSequence = ChangeCodec::kMaxDeviceSeq;

[[noreturn]] void badField(const std::string& name, const std::string& expected) {
    throw Error(ErrorCode::InvalidParameter, "'" + name + "' must be " + expected + ".");
}

std::string requiredString(const Object& object, const std::string& name) {
    if (!object.has(name) || !object.get(name).isString()) {
        badField(name, "a string");
    }
    return object.getValue<std::string>(name);
}

/// Whether `value` is a JSON integer (not a boolean, not a double) from `min` to `max`.
bool isWholeNumber(const Poco::Dynamic::Var& value, std::uint64_t min, std::uint64_t max) {
    if (value.isBoolean() || !value.isInteger()) {
        return false;
    }
    if (value.isSigned() && value.convert<Poco::Int64>() < 0) {
        return false;
    }
    const auto number = value.convert<Poco::UInt64>();
    return number >= min && number <= max;
}

/// A required integer field from `min` to `max`; Error(InvalidParameter) otherwise (booleans,
/// fractions and numbers too large for 64 bits included).
std::uint64_t requiredUnsigned(const Object& object, const std::string& name, std::uint64_t min = 0,
                               std::uint64_t max = kMaxSequence) {
    if (!object.has(name) || !isWholeNumber(object.get(name), min, max)) {
        badField(name, "a whole number from " + std::to_string(min) + " to " + std::to_string(max));
    }
    return object.get(name).convert<Poco::UInt64>();
}

bool optionalBool(const Object& object, const std::string& name) {
    if (!object.has(name) || object.isNull(name)) {
        return false;
    }
    if (!object.get(name).isBoolean()) {
        badField(name, "true or false");
    }
    return object.getValue<bool>(name);
}

Array::Ptr optionalArray(const Object& object, const std::string& name) {
    if (!object.has(name) || object.isNull(name)) {
        return new Array;
    }
    auto array = object.getArray(name);
    if (!array) {
        badField(name, "an array");
    }
    return array;
}

DeviceId requiredDevice(const Object& object) {
    const auto text = requiredString(object, "device_id");
    const auto id = DeviceId::parse(text);
    if (!id) {
        badField("device_id", "a UUID");
    }
    return *id;
}

std::vector<std::string> stringArray(const Object& object, const std::string& name) {
    std::vector<std::string> result;
    const auto array = optionalArray(object, name);
    for (std::size_t i = 0; i < array->size(); ++i) {
        if (!array->get(i).isString()) {
            badField(name, "an array of strings");
        }
        result.push_back(array->getElement<std::string>(i));
    }
    return result;
}

Array::Ptr changesToJson(const std::vector<Change>& changes) {
    return ChangeCodec::toJsonArray(changes);
}

std::vector<Change> changesFromJson(const Array& array) {
    return ChangeCodec::changesFromJson(array);
}

Object errorJson(ErrorCode code, const std::string& message) {
    Object error;
    error.set("code", std::string(wireName(code)));
    error.set("message", message);
    return error;
}

// ---- text ---------------------------------------------------------------------------------------

/// Binary bodies carry raw bytes; JSON (what people, HQ and the quarantine list read) can only
/// carry UTF-8. Text that is not UTF-8 is refused here, before it can reach the log.
void requireUtf8(std::string_view text, const char* what) {
    if (!isUtf8(text)) {
        throw Error(ErrorCode::InvalidRequest,
                    std::string("The message has a ") + what + " that is not UTF-8 text.");
    }
}

void requireUtf8(const Change& change) {
    requireUtf8(change.collection, "collection name");
    requireUtf8(change.field, "field name");
    requireUtf8(change.author, "author");
    if (change.value.kind() == ValueKind::String) {
        requireUtf8(change.value.as<std::string>(), "string value");
    } else if (change.value.kind() == ValueKind::Json) {
        requireUtf8(change.value.as<JsonText>().text, "JSON value");
    }
}

/// Runs a decoder of a JSON message, turning Poco's conversion errors into a clear Error.
template <class Decode>
auto decodingJson(Decode&& decode) {
    try {
        return decode();
    } catch (const Poco::Exception&) {
        throw Error(ErrorCode::InvalidRequest, "The message has a value of the wrong kind.");
    }
}

// ---- binary -----------------------------------------------------------------------------------

using Output = cereal::PortableBinaryOutputArchive;
using Input = cereal::PortableBinaryInputArchive;
using wire::loadString;
using wire::saveString;

constexpr cereal::size_type kMaxElements = 1'000'000;

cereal::size_type readCount(Input& archive) {
    cereal::size_type count = 0;
    archive(cereal::make_size_tag(count));
    if (count > kMaxElements) {
        throw Error(ErrorCode::InvalidRequest, "The message has too many elements.");
    }
    return count;
}

void writeCount(Output& archive, std::size_t count) {
    archive(cereal::make_size_tag(static_cast<cereal::size_type>(count)));
}

template <class Write>
std::string writeBinary(Write&& write) {
    std::ostringstream stream;
    {
        Output archive(stream);
        archive(SyncMessageCodec::kBinaryFormatVersion);
        write(archive);
    }
    return std::move(stream).str();
}

template <class T, class Read>
T readBinary(std::string_view bytes, Read&& read) {
    std::istringstream stream{std::string(bytes)};
    T message;
    try {
        Input archive(stream);
        std::uint8_t version = 0;
        archive(version);
        if (version != SyncMessageCodec::kBinaryFormatVersion) {
            throw Error(ErrorCode::InvalidRequest, "The binary message format version is unknown.");
        }
        read(archive, message);
    } catch (const cereal::Exception&) {
        throw Error(ErrorCode::InvalidRequest, "The binary message is truncated.");
    }
    if (stream.peek() != std::char_traits<char>::eof()) {
        throw Error(ErrorCode::InvalidRequest, "The binary message has trailing bytes.");
    }
    return message;
}

void saveOptionalError(Output& archive, const std::optional<ErrorCode>& error) {
    archive(static_cast<std::uint16_t>(error ? static_cast<std::uint16_t>(*error) : 0));
}

std::optional<ErrorCode> loadOptionalError(Input& archive) {
    std::uint16_t value = 0;
    archive(value);
    if (value == 0) {
        return std::nullopt;
    }
    const auto code = errorCodeFromNumber(value);
    if (!code) {
        throw Error(ErrorCode::InvalidRequest, "The binary message has an unknown error code.");
    }
    return code;
}

void saveOptionalSeq(Output& archive, const std::optional<std::uint64_t>& seq) {
    archive(static_cast<std::uint8_t>(seq ? 1 : 0), seq.value_or(0));
}

std::optional<std::uint64_t> loadOptionalSeq(Input& archive) {
    std::uint8_t present = 0;
    std::uint64_t value = 0;
    archive(present, value);
    return present != 0 ? std::optional(value) : std::nullopt;
}

}  // namespace

// ---- push
// ----------------------------------------------------------------------------------------

std::string SyncMessageCodec::toJson(const PushRequest& message) {
    Object object;
    object.set("device_id", message.deviceId.toString());
    object.set("changes", changesToJson(message.changes));
    return stringify(object);
}

PushRequest SyncMessageCodec::pushRequestFromJson(std::string_view text) {
    return decodingJson([&] { return decodePushRequest(text); });
}

PushRequest SyncMessageCodec::decodePushRequest(std::string_view text) {
    const auto object = parseObject(text);
    requireKnownKeys(*object, {"device_id", "changes"}, "the push request");
    PushRequest message;
    message.deviceId = requiredDevice(*object);
    if (!object->has("changes") || !object->getArray("changes")) {
        badField("changes", "an array of changes");
    }
    message.changes = changesFromJson(*object->getArray("changes"));
    return message;
}

std::string SyncMessageCodec::toBinary(const PushRequest& message, BinaryFormat format) {
    if (format == BinaryFormat::V2) {
        return compact::encode(message);
    }
    return writeBinary([&](Output& archive) {
        save(archive, message.deviceId);
        writeCount(archive, message.changes.size());
        for (const auto& change : message.changes) {
            save(archive, change);
        }
    });
}

PushRequest SyncMessageCodec::pushRequestFromBinary(std::string_view bytes, BinaryFormat format) {
    if (format == BinaryFormat::V2) {
        return compact::decodePushRequest(bytes);
    }
    return readBinary<PushRequest>(bytes, [](Input& archive, PushRequest& message) {
        load(archive, message.deviceId);
        const auto count = readCount(archive);
        for (cereal::size_type i = 0; i < count; ++i) {
            Change change;
            load(archive, change);
            requireUtf8(change);
            message.changes.push_back(std::move(change));
        }
    });
}

std::string SyncMessageCodec::toJson(const PushResponse& message) {
    Array results;
    for (const auto& result : message.results) {
        Object item;
        item.set("device_seq", result.deviceSeq);
        item.set("outcome", result.outcome);
        if (result.error) {
            item.set("error", errorJson(*result.error, result.message));
        }
        if (result.serverSeq) {
            item.set("server_seq", *result.serverSeq);
        }
        results.add(item);
    }
    Object object;
    object.set("results", results);
    object.set("high_water_mark", message.highWaterMark);
    return stringify(object);
}

PushResponse SyncMessageCodec::pushResponseFromJson(std::string_view text) {
    return decodingJson([&] { return decodePushResponse(text); });
}

PushResponse SyncMessageCodec::decodePushResponse(std::string_view text) {
    const auto object = parseObject(text);
    PushResponse message;
    message.highWaterMark = requiredUnsigned(*object, "high_water_mark");
    const auto results = optionalArray(*object, "results");
    for (std::size_t i = 0; i < results->size(); ++i) {
        const auto item = results->getObject(static_cast<unsigned>(i));
        if (!item) {
            badField("results", "an array of objects");
        }
        PushResult result;
        result.deviceSeq = requiredUnsigned(*item, "device_seq");
        result.outcome = requiredString(*item, "outcome");
        if (item->has("server_seq")) {
            result.serverSeq = requiredUnsigned(*item, "server_seq");
        }
        if (const auto error = item->getObject("error")) {
            result.error = errorCodeFromWireName(requiredString(*error, "code"))
                               .value_or(ErrorCode::InternalError);
            result.message = requiredString(*error, "message");
        }
        message.results.push_back(std::move(result));
    }
    return message;
}

std::string SyncMessageCodec::toBinary(const PushResponse& message, BinaryFormat format) {
    if (format == BinaryFormat::V2) {
        return compact::encode(message);
    }
    return writeBinary([&](Output& archive) {
        writeCount(archive, message.results.size());
        for (const auto& result : message.results) {
            archive(result.deviceSeq);
            saveString(archive, result.outcome);
            saveOptionalError(archive, result.error);
            saveString(archive, result.message);
            saveOptionalSeq(archive, result.serverSeq);
        }
        archive(message.highWaterMark);
    });
}

PushResponse SyncMessageCodec::pushResponseFromBinary(std::string_view bytes, BinaryFormat format) {
    if (format == BinaryFormat::V2) {
        return compact::decodePushResponse(bytes);
    }
    return readBinary<PushResponse>(bytes, [](Input& archive, PushResponse& message) {
        const auto count = readCount(archive);
        for (cereal::size_type i = 0; i < count; ++i) {
            PushResult result;
            archive(result.deviceSeq);
            loadString(archive, result.outcome);
            result.error = loadOptionalError(archive);
            loadString(archive, result.message);
            result.serverSeq = loadOptionalSeq(archive);
            message.results.push_back(std::move(result));
        }
        archive(message.highWaterMark);
    });
}

// ---- pull
// ----------------------------------------------------------------------------------------

std::string SyncMessageCodec::toJson(const PullRequest& message) {
    Object cursors;
    for (const auto& [scope, cursor] : message.cursors) {
        cursors.set(scope, cursor);
    }
    Array repair;
    for (const auto& scope : message.repair) {
        repair.add(scope);
    }
    Object object;
    object.set("device_id", message.deviceId.toString());
    object.set("cursors", cursors);
    object.set("repair", repair);
    object.set("limit", message.limit);
    return stringify(object);
}

PullRequest SyncMessageCodec::pullRequestFromJson(std::string_view text) {
    return decodingJson([&] { return decodePullRequest(text); });
}

PullRequest SyncMessageCodec::decodePullRequest(std::string_view text) {
    const auto object = parseObject(text);
    requireKnownKeys(*object, {"device_id", "cursors", "repair", "limit"}, "the pull request");
    PullRequest message;
    message.deviceId = requiredDevice(*object);
    if (object->has("cursors") && !object->isNull("cursors")) {
        const auto cursors = object->getObject("cursors");
        if (!cursors) {
            badField("cursors", "an object of scope → server sequence");
        }
        for (const auto& [scope, value] : *cursors) {
            if (!isWholeNumber(value, 0, kMaxSequence)) {
                throw Error(ErrorCode::InvalidCursor, "A cursor must be a whole number from 0 to " +
                                                          std::to_string(kMaxSequence) + ".");
            }
            message.cursors[scope] = value.convert<Poco::UInt64>();
        }
    }
    message.repair = stringArray(*object, "repair");
    if (object->has("limit")) {
        message.limit = static_cast<std::uint32_t>(
            requiredUnsigned(*object, "limit", 1, std::numeric_limits<std::uint32_t>::max()));
    }
    return message;
}

std::string SyncMessageCodec::toBinary(const PullRequest& message, BinaryFormat format) {
    if (format == BinaryFormat::V2) {
        return compact::encode(message);
    }
    return writeBinary([&](Output& archive) {
        save(archive, message.deviceId);
        writeCount(archive, message.cursors.size());
        for (const auto& [scope, cursor] : message.cursors) {
            saveString(archive, scope);
            archive(cursor);
        }
        writeCount(archive, message.repair.size());
        for (const auto& scope : message.repair) {
            saveString(archive, scope);
        }
        archive(message.limit);
    });
}

PullRequest SyncMessageCodec::pullRequestFromBinary(std::string_view bytes, BinaryFormat format) {
    if (format == BinaryFormat::V2) {
        return compact::decodePullRequest(bytes);
    }
    return readBinary<PullRequest>(bytes, [](Input& archive, PullRequest& message) {
        load(archive, message.deviceId);
        auto count = readCount(archive);
        for (cereal::size_type i = 0; i < count; ++i) {
            std::string scope;
            std::uint64_t cursor = 0;
            loadString(archive, scope);
            requireUtf8(scope, "scope name");
            archive(cursor);
            message.cursors[scope] = cursor;
        }
        count = readCount(archive);
        for (cereal::size_type i = 0; i < count; ++i) {
            std::string scope;
            loadString(archive, scope);
            requireUtf8(scope, "scope name");
            message.repair.push_back(std::move(scope));
        }
        archive(message.limit);
    });
}

std::string SyncMessageCodec::toJson(const PullResponse& message) {
    Array scopes;
    for (const auto& page : message.scopes) {
        std::vector<Change> changes;
        Array seqs;
        for (const auto& pulled : page.changes) {
            changes.push_back(pulled.change);
            seqs.add(pulled.serverSeq);
        }
        Object item;
        item.set("scope", page.scope);
        item.set("snapshot", page.snapshot);
        item.set("changes", changesToJson(changes));
        item.set("server_seqs", seqs);
        item.set("cursor", page.cursor);
        item.set("more", page.more);
        if (!page.checksum.empty()) {
            item.set("checksum", page.checksum);
        }
        scopes.add(item);
    }
    Array purge;
    for (const auto& scope : message.purge) {
        purge.add(scope);
    }
    Object object;
    object.set("scopes", scopes);
    object.set("purge", purge);
    object.set("more", message.more);
    object.set("server_time_ms", message.serverTimeMs);
    return stringify(object);
}

PullResponse SyncMessageCodec::pullResponseFromJson(std::string_view text) {
    return decodingJson([&] { return decodePullResponse(text); });
}

PullResponse SyncMessageCodec::decodePullResponse(std::string_view text) {
    const auto object = parseObject(text);
    PullResponse message;
    const auto scopes = optionalArray(*object, "scopes");
    for (std::size_t i = 0; i < scopes->size(); ++i) {
        const auto item = scopes->getObject(static_cast<unsigned>(i));
        if (!item) {
            badField("scopes", "an array of objects");
        }
        ScopePage page;
        page.scope = requiredString(*item, "scope");
        page.snapshot = optionalBool(*item, "snapshot");
        page.cursor = requiredUnsigned(*item, "cursor");
        page.more = optionalBool(*item, "more");
        if (item->has("checksum")) {
            page.checksum = requiredString(*item, "checksum");
        }
        const auto changes = changesFromJson(*optionalArray(*item, "changes"));
        const auto seqs = optionalArray(*item, "server_seqs");
        if (seqs->size() != changes.size()) {
            badField("server_seqs", "as long as 'changes'");
        }
        for (std::size_t j = 0; j < changes.size(); ++j) {
            const auto seq = seqs->get(static_cast<unsigned>(j));
            if (!isWholeNumber(seq, 1, kMaxSequence)) {
                badField("server_seqs", "an array of whole numbers");
            }
            page.changes.push_back({seq.convert<Poco::UInt64>(), changes[j]});
        }
        message.scopes.push_back(std::move(page));
    }
    message.purge = stringArray(*object, "purge");
    message.more = optionalBool(*object, "more");
    if (object->has("server_time_ms")) {
        message.serverTimeMs = object->getValue<Poco::Int64>("server_time_ms");
    }
    return message;
}

std::string SyncMessageCodec::toBinary(const PullResponse& message, BinaryFormat format) {
    if (format == BinaryFormat::V2) {
        return compact::encode(message);
    }
    return writeBinary([&](Output& archive) {
        writeCount(archive, message.scopes.size());
        for (const auto& page : message.scopes) {
            saveString(archive, page.scope);
            archive(static_cast<std::uint8_t>(page.snapshot ? 1 : 0));
            writeCount(archive, page.changes.size());
            for (const auto& pulled : page.changes) {
                archive(pulled.serverSeq);
                save(archive, pulled.change);
            }
            archive(page.cursor, static_cast<std::uint8_t>(page.more ? 1 : 0));
            saveString(archive, page.checksum);
        }
        writeCount(archive, message.purge.size());
        for (const auto& scope : message.purge) {
            saveString(archive, scope);
        }
        archive(static_cast<std::uint8_t>(message.more ? 1 : 0), message.serverTimeMs);
    });
}

PullResponse SyncMessageCodec::pullResponseFromBinary(std::string_view bytes, BinaryFormat format) {
    if (format == BinaryFormat::V2) {
        return compact::decodePullResponse(bytes);
    }
    return readBinary<PullResponse>(bytes, [](Input& archive, PullResponse& message) {
        const auto scopeCount = readCount(archive);
        for (cereal::size_type i = 0; i < scopeCount; ++i) {
            ScopePage page;
            std::uint8_t flag = 0;
            loadString(archive, page.scope);
            archive(flag);
            page.snapshot = flag != 0;
            const auto changeCount = readCount(archive);
            for (cereal::size_type j = 0; j < changeCount; ++j) {
                PulledChange pulled;
                archive(pulled.serverSeq);
                load(archive, pulled.change);
                page.changes.push_back(std::move(pulled));
            }
            archive(page.cursor, flag);
            page.more = flag != 0;
            loadString(archive, page.checksum);
            message.scopes.push_back(std::move(page));
        }
        const auto purgeCount = readCount(archive);
        for (cereal::size_type i = 0; i < purgeCount; ++i) {
            std::string scope;
            loadString(archive, scope);
            message.purge.push_back(std::move(scope));
        }
        std::uint8_t more = 0;
        archive(more, message.serverTimeMs);
        message.more = more != 0;
    });
}

}  // namespace verdant::shared
