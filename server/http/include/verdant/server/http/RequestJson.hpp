#pragma once

#include <Poco/JSON/Object.h>

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

namespace verdant::server {

/// Whether a Content-Type header value names `mediaType`: compared case-insensitively, with
/// parameters (`; charset=utf-8`) and surrounding blanks ignored. An empty value names none.
bool hasMediaType(std::string_view contentType, std::string_view mediaType);

/// The media type of every JSON request body.
inline constexpr std::string_view kJsonMediaType = "application/json";

/// Typed reads of a JSON request body, each failing with a clear error that names the field:
/// shared::Error(InvalidParameter, "'tenant' is required" / "'tenant' must be a string").
class RequestJson {
public:
    /// Wraps a body whose keys must all be among `knownKeys`: any other key is refused with
    /// shared::Error(InvalidParameter) naming it, so that a misspelt optional field is never
    /// silently ignored.
    RequestJson(Poco::JSON::Object::Ptr object, std::initializer_list<std::string_view> knownKeys);

    /// A required string field.
    std::string string(const std::string& name) const;
    /// A string field that may be absent or null.
    std::optional<std::string> optionalString(const std::string& name) const;
    /// A required integer field within [min, max]; booleans, fractions and numbers outside the
    /// range (also past 64 bits) are shared::Error(InvalidParameter).
    std::int64_t integer(const std::string& name, std::int64_t min, std::int64_t max) const;
    /// The underlying object.
    const Poco::JSON::Object& object() const { return *_object; }

private:
    Poco::JSON::Object::Ptr _object;
};

}  // namespace verdant::server
