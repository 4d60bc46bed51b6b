#pragma once

#include "verdant/shared/Id.hpp"

#include <compare>
#include <cstdint>
#include <string>
#include <variant>

namespace verdant::shared {

/// A point in time as Unix milliseconds (UTC); a value of timestamp fields.
struct Timestamp {
    std::int64_t ms = 0;  ///< Milliseconds since the Unix epoch.
    /// Chronological order.
    constexpr auto operator<=>(const Timestamp&) const noexcept = default;
};

/// The text of a JSON document; a value of JSON-blob fields (validated against the schema).
struct JsonText {
    std::string text;  ///< The JSON text as written (not re-formatted).
    /// Byte-wise order of the text.
    auto operator<=>(const JsonText&) const = default;
};

/// What a Value holds; the order of the enumerators is the order of the variant alternatives.
enum class ValueKind : std::uint8_t {
    Null = 0,       ///< No value (a cleared field).
    Bool = 1,       ///< true / false.
    Int = 2,        ///< 64-bit signed integer.
    Real = 3,       ///< IEEE double (finite).
    String = 4,     ///< UTF-8 text; also enum values and string-set elements.
    Timestamp = 5,  ///< Unix milliseconds.
    Id = 6,         ///< A reference to a record.
    Json = 7,       ///< A JSON document.
};

/// The lower-case name of a kind, e.g. "timestamp".
std::string_view wireName(ValueKind kind) noexcept;

/// A field value as carried in a Change: a tagged union of the types a schema field can have.
///
/// A plain value type with value semantics; thread-safe as any const value.
class Value {
public:
    /// The alternatives, in ValueKind order.
    using Data = std::variant<std::monostate, bool, std::int64_t, double, std::string, Timestamp,
                              RecordId, JsonText>;

    /// The null value.
    Value() = default;
    /// A value holding `data`.
    explicit Value(Data data) : _data(std::move(data)) {}

    /// Null (clears a register field).
    static Value null() { return Value(); }
    /// A boolean.
    static Value boolean(bool value) { return Value(Data(value)); }
    /// An integer.
    static Value integer(std::int64_t value) { return Value(Data(value)); }
    /// A real number.
    static Value real(double value) { return Value(Data(value)); }
    /// A string (also an enum value or a set element).
    static Value string(std::string value) { return Value(Data(std::move(value))); }
    /// A timestamp in Unix milliseconds.
    static Value timestamp(std::int64_t ms) { return Value(Data(Timestamp{ms})); }
    /// A record reference.
    static Value id(const RecordId& value) { return Value(Data(value)); }
    /// A JSON document given as text.
    static Value json(std::string text) { return Value(Data(JsonText{std::move(text)})); }

    /// Which alternative is held.
    ValueKind kind() const noexcept { return static_cast<ValueKind>(_data.index()); }
    /// Whether this is null.
    bool isNull() const noexcept { return _data.index() == 0; }
    /// The variant itself, for std::visit / std::get_if.
    const Data& data() const noexcept { return _data; }

    /// The held alternative of type T; throws std::bad_variant_access for another kind.
    template <class T>
    const T& as() const {
        return std::get<T>(_data);
    }

    /// Bytes of payload the value carries (string and JSON length; 8 for scalars), for size
    /// limits.
    std::size_t payloadSize() const noexcept;

    /// A short human-readable rendering for messages and test output, e.g. `"abc"`, `42`.
    std::string toDisplayString() const;

    /// Equal kind and equal payload.
    friend bool operator==(const Value& a, const Value& b) = default;

private:
    Data _data;
};

/// Orders values first by kind, then by payload (numbers numerically, strings byte-wise); the
/// order min/max registers use. Returns <0, 0 or >0.
int compareValues(const Value& a, const Value& b) noexcept;

}  // namespace verdant::shared
