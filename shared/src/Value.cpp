#include "verdant/shared/Value.hpp"

#include <charconv>
#include <type_traits>

namespace verdant::shared {

std::string_view wireName(ValueKind kind) noexcept {
    switch (kind) {
        case ValueKind::Null:
            return "null";
        case ValueKind::Bool:
            return "bool";
        case ValueKind::Int:
            return "int";
        case ValueKind::Real:
            return "real";
        case ValueKind::String:
            return "string";
        case ValueKind::Timestamp:
            return "timestamp";
        case ValueKind::Id:
            return "id";
        case ValueKind::Json:
            return "json";
    }
    return "null";
}

std::size_t Value::payloadSize() const noexcept {
    if (const auto* text = std::get_if<std::string>(&_data)) {
        return text->size();
    }
    if (const auto* json = std::get_if<JsonText>(&_data)) {
        return json->text.size();
    }
    if (std::holds_alternative<RecordId>(_data)) {
        return 16;
    }
    return isNull() ? 0 : 8;
}

std::string Value::toDisplayString() const {
    return std::visit(
        [](const auto& value) -> std::string {
            using T = std::decay_t<decltype(value)>;
            if constexpr (std::is_same_v<T, std::monostate>) {
                return "null";
            } else if constexpr (std::is_same_v<T, bool>) {
                return value ? "true" : "false";
            } else if constexpr (std::is_same_v<T, std::int64_t>) {
                return std::to_string(value);
            } else if constexpr (std::is_same_v<T, double>) {
                char buffer[32];
                const auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
                return std::string(buffer, result.ptr);
            } else if constexpr (std::is_same_v<T, std::string>) {
                std::string text(1, '"');  // (appending avoids GCC 12's bogus -Wrestrict)
                text += value;
                text += '"';
                return text;
            } else if constexpr (std::is_same_v<T, Timestamp>) {
                std::string text(1, '@');
                text += std::to_string(value.ms);
                return text;
            } else if constexpr (std::is_same_v<T, RecordId>) {
                std::string text(1, '#');
                text += value.toString();
                return text;
            } else {
                return value.text;
            }
        },
        _data);
}

int compareValues(const Value& a, const Value& b) noexcept {
    if (a.kind() != b.kind()) {
        return a.kind() < b.kind() ? -1 : 1;
    }
    return std::visit(
        [&b](const auto& left) -> int {
            using T = std::decay_t<decltype(left)>;
            if constexpr (std::is_same_v<T, std::monostate>) {
                return 0;
            } else {
                const auto& right = std::get<T>(b.data());
                if (left < right) {
                    return -1;
                }
                if (right < left) {
                    return 1;
                }
                return 0;
            }
        },
        a.data());
}

}  // namespace verdant::shared
