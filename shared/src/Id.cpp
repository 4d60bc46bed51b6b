#include "verdant/shared/Id.hpp"

namespace verdant::shared::detail {

namespace {

constexpr std::string_view kHexDigits = "0123456789abcdef";

int hexValue(char c) noexcept {
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

bool isDashPosition(std::size_t i) noexcept {
    return i == 8 || i == 13 || i == 18 || i == 23;
}

}  // namespace

std::string uuidToString(const UuidBytes& bytes) {
    std::string text;
    text.reserve(36);
    for (std::size_t i = 0; i < bytes.size(); ++i) {
        if (i == 4 || i == 6 || i == 8 || i == 10) {
            text.push_back('-');
        }
        text.push_back(kHexDigits[bytes[i] >> 4]);
        text.push_back(kHexDigits[bytes[i] & 0x0f]);
    }
    return text;
}

std::optional<UuidBytes> uuidFromString(std::string_view text) noexcept {
    if (text.size() != 36) {
        return std::nullopt;
    }
    UuidBytes bytes{};
    std::size_t out = 0;
    for (std::size_t i = 0; i < text.size();) {
        if (isDashPosition(i)) {
            if (text[i] != '-') {
                return std::nullopt;
            }
            ++i;
            continue;
        }
        const int high = hexValue(text[i]);
        const int low = hexValue(text[i + 1]);
        if (high < 0 || low < 0) {
            return std::nullopt;
        }
        bytes[out++] = static_cast<std::uint8_t>((high << 4) | low);
        i += 2;
    }
    return bytes;
}

}  // namespace verdant::shared::detail
