#include "JsonWriter.hpp"

#include <array>
#include <charconv>
#include <cmath>
#include <optional>
#include <utility>

namespace verdant::capi {

namespace {

/// Decodes the UTF-8 sequence at `text[at]`; returns its length, or nullopt if it is
/// ill-formed (RFC 3629: no overlong forms, no surrogates, nothing above U+10FFFF).
std::optional<std::size_t> sequenceLength(std::string_view text, std::size_t at) noexcept {
    const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(text[at + i]); };
    const unsigned char lead = byte(0);
    std::size_t length = 0;
    std::uint32_t codePoint = 0;
    if (lead < 0x80) {
        return 1;
    }
    if (lead >= 0xC2 && lead <= 0xDF) {
        length = 2;
        codePoint = lead & 0x1Fu;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
        length = 3;
        codePoint = lead & 0x0Fu;
    } else if (lead >= 0xF0 && lead <= 0xF4) {
        length = 4;
        codePoint = lead & 0x07u;
    } else {
        return std::nullopt;  // continuation byte, overlong lead (C0, C1) or F5..FF
    }
    if (at + length > text.size()) {
        return std::nullopt;
    }
    for (std::size_t i = 1; i < length; ++i) {
        if ((byte(i) & 0xC0u) != 0x80u) {
            return std::nullopt;
        }
        codePoint = (codePoint << 6) | (byte(i) & 0x3Fu);
    }
    static constexpr std::array<std::uint32_t, 5> kSmallest{0, 0, 0x80, 0x800, 0x10000};
    if (codePoint < kSmallest[length] || codePoint > 0x10FFFF ||
        (codePoint >= 0xD800 && codePoint <= 0xDFFF)) {
        return std::nullopt;
    }
    return length;
}

}  // namespace

bool isValidUtf8(std::string_view text) noexcept {
    for (std::size_t at = 0; at < text.size();) {
        const auto length = sequenceLength(text, at);
        if (!length) {
            return false;
        }
        at += *length;
    }
    return true;
}

void JsonWriter::beforeValue() {
    if (_afterKey) {
        _afterKey = false;
        return;
    }
    if (!_hasMembers.empty()) {
        if (_hasMembers.back()) {
            _out += ',';
        }
        _hasMembers.back() = true;
    }
}

JsonWriter& JsonWriter::beginObject() {
    beforeValue();
    _out += '{';
    _hasMembers.push_back(false);
    return *this;
}

JsonWriter& JsonWriter::endObject() {
    _out += '}';
    _hasMembers.pop_back();
    return *this;
}

JsonWriter& JsonWriter::beginArray() {
    beforeValue();
    _out += '[';
    _hasMembers.push_back(false);
    return *this;
}

JsonWriter& JsonWriter::endArray() {
    _out += ']';
    _hasMembers.pop_back();
    return *this;
}

JsonWriter& JsonWriter::key(std::string_view name) {
    string(name);
    _out += ':';
    _afterKey = true;
    return *this;
}

JsonWriter& JsonWriter::string(std::string_view text) {
    beforeValue();
    static constexpr char kHex[] = "0123456789abcdef";
    _out += '"';
    for (std::size_t at = 0; at < text.size();) {
        const auto length = sequenceLength(text, at);
        if (!length) {
            _out += "\xEF\xBF\xBD";  // U+FFFD REPLACEMENT CHARACTER for one ill-formed byte
            ++at;
            continue;
        }
        if (*length > 1) {
            _out.append(text.substr(at, *length));
            at += *length;
            continue;
        }
        const char c = text[at++];
        switch (c) {
            case '"':
                _out += "\\\"";
                break;
            case '\\':
                _out += "\\\\";
                break;
            case '\n':
                _out += "\\n";
                break;
            case '\r':
                _out += "\\r";
                break;
            case '\t':
                _out += "\\t";
                break;
            case '\b':
                _out += "\\b";
                break;
            case '\f':
                _out += "\\f";
                break;
            default:
                if (static_cast<unsigned char>(c) < 0x20) {
                    _out += "\\u00";
                    _out += kHex[(c >> 4) & 0x0F];
                    _out += kHex[c & 0x0F];
                } else {
                    _out += c;
                }
        }
    }
    _out += '"';
    return *this;
}

JsonWriter& JsonWriter::integer(std::int64_t number) {
    beforeValue();
    _out += std::to_string(number);
    return *this;
}

JsonWriter& JsonWriter::unsignedInteger(std::uint64_t number) {
    beforeValue();
    _out += std::to_string(number);
    return *this;
}

JsonWriter& JsonWriter::real(double number) {
    if (!std::isfinite(number)) {
        return null();
    }
    beforeValue();
    std::array<char, 32> buffer{};
    const auto result = std::to_chars(buffer.data(), buffer.data() + buffer.size(), number);
    _out.append(buffer.data(), result.ptr);
    return *this;
}

JsonWriter& JsonWriter::boolean(bool value) {
    beforeValue();
    _out += value ? "true" : "false";
    return *this;
}

JsonWriter& JsonWriter::null() {
    beforeValue();
    _out += "null";
    return *this;
}

JsonWriter& JsonWriter::raw(std::string_view json) {
    beforeValue();
    _out.append(json);
    return *this;
}

std::string JsonWriter::take() {
    _hasMembers.clear();
    _afterKey = false;
    return std::exchange(_out, std::string());
}

}  // namespace verdant::capi
