#pragma once

/// The query string of an API request: typed, checked reads that fail with
/// shared::Error(InvalidParameter) naming the parameter, and the date forms the filters accept.

#include "verdant/server/http/HttpExchange.hpp"
#include "verdant/shared/Id.hpp"

#include <cstdint>
#include <initializer_list>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace verdant::server {

/// The decoded query parameters of one request. A plain value; not thread-safe to share while
/// being built, safe to read from one handler.
class QueryParameters {
public:
    /// Reads the request's query string. Throws shared::Error(InvalidParameter) for a parameter
    /// not among `known` (a misspelt filter must not silently widen a list) or given twice.
    QueryParameters(const HttpExchange& exchange, std::initializer_list<std::string_view> known);

    /// The raw value of `name`, or nullopt when absent. An empty value counts as absent.
    std::optional<std::string> text(const std::string& name) const;

    /// `name` as a record id; throws InvalidParameter when it is not a UUID.
    std::optional<shared::RecordId> id(const std::string& name) const;

    /// `name` as a whole number within [min, max]; throws InvalidParameter otherwise.
    std::optional<std::int64_t> integer(const std::string& name, std::int64_t min,
                                        std::int64_t max) const;

    /// `name` as a comma-separated list of values, each one of `allowed`; throws
    /// InvalidParameter naming the first value that is not.
    std::optional<std::vector<std::string>> oneOf(const std::string& name,
                                                  const std::vector<std::string>& allowed) const;

    /// `name` as a point in time: Unix milliseconds (digits only) or a UTC date YYYY-MM-DD, read
    /// as the start of that day, or its end (the last millisecond) when `endOfDay`. Throws
    /// InvalidParameter for anything else.
    std::optional<std::int64_t> time(const std::string& name, bool endOfDay) const;

private:
    std::map<std::string, std::string> _values;
};

/// A UTC date YYYY-MM-DD as Unix ms of its midnight, or nullopt when `text` is not a valid date.
std::optional<std::int64_t> parseUtcDate(std::string_view text);

/// Unix ms as ISO 8601 UTC, e.g. "2027-01-15T08:00:00Z" (milliseconds are dropped).
std::string isoUtc(std::int64_t ms);

}  // namespace verdant::server
