#include "verdant/server/http/RequestJson.hpp"

#include "verdant/shared/ErrorCode.hpp"
#include "verdant/shared/StrictJson.hpp"

#include <Poco/String.h>

namespace verdant::server {

using shared::Error;
using shared::ErrorCode;

namespace {
constexpr std::size_t kMaxStringBytes = 64 * 1024;
}

bool hasMediaType(std::string_view contentType, std::string_view mediaType) {
    const auto type = Poco::trim(std::string(contentType.substr(0, contentType.find(';'))));
    return Poco::icompare(type, std::string(mediaType)) == 0;
}

RequestJson::RequestJson(Poco::JSON::Object::Ptr object,
                         std::initializer_list<std::string_view> knownKeys)
    : _object(std::move(object)) {
    shared::requireKnownKeys(*_object, knownKeys, "the request body");
}

std::optional<std::string> RequestJson::optionalString(const std::string& name) const {
    if (!_object->has(name) || _object->isNull(name)) {
        return std::nullopt;
    }
    const auto value = _object->get(name);
    if (!value.isString()) {
        throw Error(ErrorCode::InvalidParameter, "'" + name + "' must be a string.");
    }
    auto text = value.extract<std::string>();
    if (text.size() > kMaxStringBytes) {
        throw Error(ErrorCode::InvalidParameter, "'" + name + "' is too long.");
    }
    return text;
}

std::string RequestJson::string(const std::string& name) const {
    auto value = optionalString(name);
    if (!value) {
        throw Error(ErrorCode::InvalidParameter, "'" + name + "' is required.");
    }
    return *value;
}

std::int64_t RequestJson::integer(const std::string& name, std::int64_t min,
                                  std::int64_t max) const {
    if (!_object->has(name) || _object->isNull(name)) {
        throw Error(ErrorCode::InvalidParameter, "'" + name + "' is required.");
    }
    const auto value = _object->get(name);
    if (!value.isInteger() || value.isBoolean()) {
        throw Error(ErrorCode::InvalidParameter, "'" + name + "' must be a whole number.");
    }
    // An unsigned value above INT64_MAX does not convert: it is out of range anyway.
    const bool tooLarge =
        !value.isSigned() && value.convert<Poco::UInt64>() > static_cast<Poco::UInt64>(max);
    const auto number = tooLarge ? max : value.convert<std::int64_t>();
    if (tooLarge || number < min || number > max) {
        throw Error(ErrorCode::InvalidParameter, "'" + name + "' must be from " +
                                                     std::to_string(min) + " to " +
                                                     std::to_string(max) + ".");
    }
    return number;
}

}  // namespace verdant::server
