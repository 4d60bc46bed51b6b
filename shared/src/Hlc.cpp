#include "verdant/shared/Hlc.hpp"

namespace verdant::shared {

namespace {

constexpr std::string_view kHexDigits = "0123456789abcdef";

void appendHex(std::string& out, std::uint64_t value, int digits) {
    for (int i = digits - 1; i >= 0; --i) {
        out.push_back(kHexDigits[(value >> (4 * i)) & 0x0f]);
    }
}

std::optional<std::uint64_t> parseHex(std::string_view text) noexcept {
    std::uint64_t value = 0;
    for (const char c : text) {
        int digit = -1;
        if (c >= '0' && c <= '9') {
            digit = c - '0';
        } else if (c >= 'a' && c <= 'f') {
            digit = c - 'a' + 10;
        } else {
            return std::nullopt;  // only the canonical lower-case form sorts correctly
        }
        value = (value << 4) | static_cast<std::uint64_t>(digit);
    }
    return value;
}

}  // namespace

std::array<std::uint8_t, Hlc::kBinarySize> Hlc::toBinary() const noexcept {
    std::array<std::uint8_t, kBinarySize> bytes{};
    const std::uint64_t high = (physicalMs << 16) | logical;
    for (std::size_t i = 0; i < 8; ++i) {
        bytes[i] = static_cast<std::uint8_t>(high >> (8 * (7 - i)));
        bytes[8 + i] = static_cast<std::uint8_t>(node >> (8 * (7 - i)));
    }
    return bytes;
}

std::optional<Hlc> Hlc::fromBinary(std::span<const std::uint8_t> bytes) noexcept {
    if (bytes.size() != kBinarySize) {
        return std::nullopt;
    }
    std::uint64_t high = 0;
    std::uint64_t low = 0;
    for (std::size_t i = 0; i < 8; ++i) {
        high = (high << 8) | bytes[i];
        low = (low << 8) | bytes[8 + i];
    }
    return Hlc{high >> 16, static_cast<std::uint16_t>(high & 0xffff), low};
}

std::string Hlc::toString() const {
    std::string text;
    text.reserve(kStringSize);
    appendHex(text, physicalMs, 12);
    text.push_back('-');
    appendHex(text, logical, 4);
    text.push_back('-');
    appendHex(text, node, 16);
    return text;
}

std::optional<Hlc> Hlc::parse(std::string_view text) noexcept {
    if (text.size() != kStringSize || text[12] != '-' || text[17] != '-') {
        return std::nullopt;
    }
    const auto ms = parseHex(text.substr(0, 12));
    const auto counter = parseHex(text.substr(13, 4));
    const auto nodeId = parseHex(text.substr(18, 16));
    if (!ms || !counter || !nodeId) {
        return std::nullopt;
    }
    return Hlc{*ms, static_cast<std::uint16_t>(*counter), *nodeId};
}

}  // namespace verdant::shared
