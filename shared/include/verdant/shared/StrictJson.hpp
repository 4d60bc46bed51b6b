#pragma once

#include "verdant/shared/ErrorCode.hpp"

#include <Poco/Dynamic/Var.h>
#include <Poco/JSON/Object.h>

#include <cstddef>
#include <initializer_list>
#include <string_view>

namespace verdant::shared {

/// Bounds a JSON document must keep while it is parsed.
struct JsonLimits {
    /// Most JSON values a change object and its value object hold ({"collection", "record",
    /// "field", "op", "value": {"kind": payload}, "hlc", "base", "device", "seq", "author"}:
    /// the object, ten members, the value object and its payload), plus its server_seq in a pull
    /// page.
    static constexpr std::size_t kValuesPerChange = 14;
    /// Most changes a JSON push or pull message carries (the server's default limits).
    static constexpr std::size_t kMaxChangesPerMessage = 5000;
    /// Default value budget: twice what the largest push or pull page needs, so that scope pages
    /// and the message envelope always fit. A document over it is refused while it is parsed.
    static constexpr std::size_t kDefaultMaxValues = 2 * kMaxChangesPerMessage * kValuesPerChange;
    /// Most objects and arrays a change holds (the change and its value object).
    static constexpr std::size_t kContainersPerChange = 2;
    /// Default container budget, with the same headroom: an object costs Poco's DOM about 700
    /// bytes (a map and a deque), a scalar about 50, so containers have a budget of their own.
    static constexpr std::size_t kDefaultMaxContainers =
        2 * kMaxChangesPerMessage * kContainersPerChange;
    /// Default nesting limit: no Verdant message nests deeper than 4; JSON values a client writes
    /// (templates, annotations) travel as strings and are not parsed here.
    static constexpr std::size_t kDefaultMaxDepth = 32;

    /// Default length limit of one string or key: 16 times the largest value a field takes
    /// (kDefaultMaxValueBytes, 64 KiB), so a value too large for its field is still refused by
    /// the schema (value_too_large), while no string can make the DOM cost a multiple of the body.
    static constexpr std::size_t kDefaultMaxStringBytes = 1024 * 1024;

    std::size_t maxValues = kDefaultMaxValues;  ///< Values (scalars, arrays, objects) in all.
    std::size_t maxContainers = kDefaultMaxContainers;    ///< Objects and arrays in all.
    std::size_t maxDepth = kDefaultMaxDepth;              ///< Arrays and objects open at once.
    std::size_t maxStringBytes = kDefaultMaxStringBytes;  ///< JSON text of one string or key.
};

/// Parses untrusted JSON text into Poco's DOM (Poco::Dynamic::Var holding Object::Ptr,
/// Array::Ptr, std::string, Poco::Int64, Poco::UInt64, double, bool, or empty for null).
///
/// Built on nlohmann-json's SAX parser, exact about numbers and bounded while it parses, so that
/// no document costs more memory than its limits allow, whatever its size:
///  - integers that fit Int64 (or, when positive, UInt64) arrive as such; an integer literal
///    outside both is kept as a double, so that an integer field refuses it ("must be a whole
///    number") instead of reading a wrapped value; a number too large for a double (1e400) is
///    refused: Error(InvalidParameter);
///  - more values than `limits.maxValues`, more objects and arrays than `limits.maxContainers`,
///    or a string or key longer than
///    `limits.maxStringBytes`: Error(PayloadTooLarge);
///  - deeper than `limits.maxDepth`, a key twice in one object, text that is not UTF-8, or any
///    syntax error or trailing text: Error(MalformedJson).
/// Messages never echo the input. Thread-safe (no shared state).
Poco::Dynamic::Var parseStrictJson(std::string_view text, const JsonLimits& limits = {});

/// As parseStrictJson, for a document that must be an object; any other JSON value is
/// Error(MalformedJson).
Poco::JSON::Object::Ptr parseStrictJsonObject(std::string_view text, const JsonLimits& limits = {});

/// Throws Error(InvalidParameter) naming the first key of `object` that is not in `known`
/// (shortened to at most 64 bytes). `where` names the object in the message, e.g. "a change".
void requireKnownKeys(const Poco::JSON::Object& object,
                      std::initializer_list<std::string_view> known, std::string_view where);

}  // namespace verdant::shared
