#include "verdant/shared/StrictJson.hpp"

#include <Poco/JSON/Array.h>

#include <algorithm>
#include <limits>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace verdant::shared {

namespace {

using Poco::Dynamic::Var;
using Poco::JSON::Array;
using Poco::JSON::Object;

/// nlohmann-json's SAX events turned into Poco's DOM, with the limits checked as each value
/// arrives: a document over budget is refused before it has been built, not after.
class DomBuilder {
public:
    using Json = nlohmann::json;

    explicit DomBuilder(const JsonLimits& limits) : _limits(limits) {}

    /// The document, once sax_parse has returned true.
    Var& root() { return _root; }

    bool null() { return add(Var()); }
    bool boolean(bool value) { return add(Var(value)); }
    bool number_integer(Json::number_integer_t value) {
        return add(Var(static_cast<Poco::Int64>(value)));
    }
    bool number_unsigned(Json::number_unsigned_t value) {
        if (value <=
            static_cast<Json::number_unsigned_t>(std::numeric_limits<Poco::Int64>::max())) {
            return add(Var(static_cast<Poco::Int64>(value)));
        }
        return add(Var(static_cast<Poco::UInt64>(value)));
    }
    // An integer literal outside Int64 and UInt64 arrives here too: it stays a double, which no
    // integer field accepts.
    bool number_float(Json::number_float_t value, const Json::string_t& /*literal*/) {
        return add(Var(value));
    }
    bool string(Json::string_t& value) { return add(Var(value)); }
    bool binary(Json::binary_t& /*value*/) { return fail(); }
    bool start_object(std::size_t /*size*/) {
        Object::Ptr object = new Object;
        open(Var(object));
        _frames.push_back({object, nullptr, {}});
        return true;
    }
    bool key(Json::string_t& name) {
        auto& frame = _frames.back();
        if (frame.object->has(name)) {
            throw Error(ErrorCode::MalformedJson, "The JSON has an object with a key twice.");
        }
        frame.key.swap(name);
        return true;
    }
    bool end_object() { return close(); }
    bool start_array(std::size_t /*size*/) {
        Array::Ptr array = new Array;
        open(Var(array));
        _frames.push_back({nullptr, array, {}});
        return true;
    }
    bool end_array() { return close(); }
    bool parse_error(std::size_t /*position*/, const std::string& /*token*/,
                     const nlohmann::detail::exception& error) {
        // nlohmann-json reports a number too large for a double (1e400) as out_of_range.406: the
        // syntax is fine, the number is not.
        if (error.id == kNumberOverflow) {
            throw Error(ErrorCode::InvalidParameter,
                        "The JSON has a number too large to represent.");
        }
        return fail();
    }

private:
    static constexpr int kNumberOverflow = 406;

    struct Frame {
        Object::Ptr object;  ///< Set while an object is open...
        Array::Ptr array;    ///< ...or an array.
        std::string key;     ///< The object's key whose value comes next.
    };

    [[noreturn]] static bool fail() { throw Error(ErrorCode::MalformedJson); }

    void count() {
        if (++_values > _limits.maxValues) {
            throw Error(ErrorCode::PayloadTooLarge,
                        "The JSON has more than " + std::to_string(_limits.maxValues) + " values.");
        }
    }

    bool add(const Var& value) {
        count();
        attach(value);
        return true;
    }

    void open(const Var& container) {
        count();
        if (++_containers > _limits.maxContainers) {
            throw Error(ErrorCode::PayloadTooLarge, "The JSON has more than " +
                                                        std::to_string(_limits.maxContainers) +
                                                        " objects and arrays.");
        }
        if (_frames.size() >= _limits.maxDepth) {
            throw Error(
                ErrorCode::MalformedJson,
                "The JSON nests deeper than " + std::to_string(_limits.maxDepth) + " levels.");
        }
        attach(container);
    }

    bool close() {
        _frames.pop_back();
        return true;
    }

    void attach(const Var& value) {
        if (_frames.empty()) {
            _root = value;
        } else if (auto& frame = _frames.back(); frame.object) {
            frame.object->set(frame.key, value);
        } else {
            frame.array->add(value);
        }
    }

    const JsonLimits& _limits;
    std::size_t _values = 0;
    std::size_t _containers = 0;
    std::vector<Frame> _frames;
    Var _root;
};

/// Refuses a string or key whose JSON text is longer than `maxBytes`, before the parser has
/// buffered it: Poco's DOM copies a string each time it is stored or read, so one long string
/// would cost several times its size (no field takes more than kDefaultMaxValueBytes anyway).
/// Its decoded form is never longer than its text. Text that is not JSON is left to the parser.
void requireShortStrings(std::string_view text, std::size_t maxBytes) {
    std::size_t at = text.find('"');
    while (at != std::string_view::npos) {
        std::size_t end = at + 1;
        while (end < text.size() && text[end] != '"') {
            end = text[end] == '\\' ? end + 2 : end + 1;
        }
        if (std::min(end, text.size()) - at - 1 > maxBytes) {
            throw Error(ErrorCode::PayloadTooLarge, "The JSON has a string longer than " +
                                                        std::to_string(maxBytes / 1024) + " KiB.");
        }
        at = end + 1 < text.size() ? text.find('"', end + 1) : std::string_view::npos;
    }
}

}  // namespace

Poco::Dynamic::Var parseStrictJson(std::string_view text, const JsonLimits& limits) {
    requireShortStrings(text, limits.maxStringBytes);
    DomBuilder builder(limits);
    bool parsed = false;
    try {
        parsed = nlohmann::json::sax_parse(text.data(), text.data() + text.size(), &builder,
                                           nlohmann::json::input_format_t::json, /*strict=*/true,
                                           /*ignore_comments=*/false);
    } catch (const nlohmann::json::exception&) {
        parsed = false;
    }
    if (!parsed) {
        throw Error(ErrorCode::MalformedJson);
    }
    return builder.root();
}

Poco::JSON::Object::Ptr parseStrictJsonObject(std::string_view text, const JsonLimits& limits) {
    const auto value = parseStrictJson(text, limits);
    if (value.type() != typeid(Object::Ptr)) {
        throw Error(ErrorCode::MalformedJson, "The request body must be a JSON object.");
    }
    return value.extract<Object::Ptr>();
}

void requireKnownKeys(const Poco::JSON::Object& object,
                      std::initializer_list<std::string_view> known, std::string_view where) {
    for (const auto& [name, value] : object) {
        bool isKnown = false;
        for (const auto candidate : known) {
            isKnown = isKnown || candidate == name;
        }
        if (!isKnown) {
            throw Error(ErrorCode::InvalidParameter,
                        "Unknown key '" + quotedInput(name) + "' in " + std::string(where) + ".");
        }
    }
}

}  // namespace verdant::shared
