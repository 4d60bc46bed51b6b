#pragma once

#include <Poco/JSON/Object.h>

#include <cstdint>
#include <optional>
#include <string>

namespace verdant::server {

/// Typed reads of a JSON request body, each failing with a clear error that names the field:
/// shared::Error(InvalidParameter, "'tenant' is required" / "'tenant' must be a string").
class RequestJson {
public:
    explicit RequestJson(Poco::JSON::Object::Ptr object) : _object(std::move(object)) {}

    /// A required string field.
    std::string string(const std::string& name) const;
    /// A string field that may be absent or null.
    std::optional<std::string> optionalString(const std::string& name) const;
    /// A required integer field within [min, max].
    std::int64_t integer(const std::string& name, std::int64_t min, std::int64_t max) const;
    /// The underlying object.
    const Poco::JSON::Object& object() const { return *_object; }

private:
    Poco::JSON::Object::Ptr _object;
};

}  // namespace verdant::server
