#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace verdant::capi {

/// Whether `text` is well-formed UTF-8 (no overlong forms, surrogates or code points above
/// U+10FFFF): what the C API requires of every input string.
bool isValidUtf8(std::string_view text) noexcept;

/// Writes compact JSON text (no spaces), the form every `*_json` result of the C API has.
///
/// Strings are escaped as RFC 8259 requires and always come out as valid UTF-8: an ill-formed
/// byte sequence is written as U+FFFD, so a binding's JSON parser never sees broken text. The
/// caller is responsible for the structure (a key before each member value, balanced begin/end);
/// commas are placed by the writer. A plain value type, not thread-safe.
class JsonWriter {
public:
    /// Starts an object `{`.
    JsonWriter& beginObject();
    /// Ends the innermost object `}`.
    JsonWriter& endObject();
    /// Starts an array `[`.
    JsonWriter& beginArray();
    /// Ends the innermost array `]`.
    JsonWriter& endArray();
    /// Writes a member name; the next value is that member's.
    JsonWriter& key(std::string_view name);
    /// A string value.
    JsonWriter& string(std::string_view text);
    /// An integer value, exact for every 64-bit value.
    JsonWriter& integer(std::int64_t number);
    /// An unsigned integer value.
    JsonWriter& unsignedInteger(std::uint64_t number);
    /// A number in its shortest round-trip form; null for NaN or infinity (not JSON numbers).
    JsonWriter& real(double number);
    /// true or false.
    JsonWriter& boolean(bool value);
    /// null.
    JsonWriter& null();
    /// A value given as JSON text, copied verbatim; the caller vouches that it is valid JSON.
    JsonWriter& raw(std::string_view json);

    /// The text written so far (leaves the writer empty).
    std::string take();

private:
    void beforeValue();

    std::string _out;
    std::vector<bool> _hasMembers;  // per open container: whether a comma is needed next
    bool _afterKey = false;
};

}  // namespace verdant::capi
