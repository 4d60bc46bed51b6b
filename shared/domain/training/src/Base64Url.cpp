#include "Base64Url.hpp"

#include <array>

namespace verdant::training::detail {
namespace {

constexpr std::string_view kAlphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
constexpr std::uint8_t kNotBase64 = 0xFF;

/// The 6-bit value of each byte, or kNotBase64.
constexpr std::array<std::uint8_t, 256> decodingTable() {
    std::array<std::uint8_t, 256> table{};
    table.fill(kNotBase64);
    for (std::size_t i = 0; i < kAlphabet.size(); ++i) {
        table[static_cast<unsigned char>(kAlphabet[i])] = static_cast<std::uint8_t>(i);
    }
    return table;
}

constexpr auto kDecoding = decodingTable();

}  // namespace

std::string base64UrlEncode(std::span<const std::uint8_t> bytes) {
    std::string text;
    text.reserve((bytes.size() * 4 + 2) / 3);
    std::uint32_t bits = 0;
    int pending = 0;  // bits held in `bits`, always < 6 after a loop turn
    for (const auto byte : bytes) {
        bits = (bits << 8) | byte;
        pending += 8;
        while (pending >= 6) {
            pending -= 6;
            text.push_back(kAlphabet[(bits >> pending) & 0x3F]);
        }
    }
    if (pending > 0) {
        text.push_back(kAlphabet[(bits << (6 - pending)) & 0x3F]);
    }
    return text;
}

std::optional<std::vector<std::uint8_t>> base64UrlDecode(std::string_view text) {
    if (text.size() % 4 == 1) {
        return std::nullopt;
    }
    std::vector<std::uint8_t> bytes;
    bytes.reserve(text.size() * 3 / 4);
    std::uint32_t bits = 0;
    int pending = 0;
    for (const auto c : text) {
        const auto value = kDecoding[static_cast<unsigned char>(c)];
        if (value == kNotBase64) {
            return std::nullopt;
        }
        bits = (bits << 6) | value;
        pending += 6;
        if (pending >= 8) {
            pending -= 8;
            bytes.push_back(static_cast<std::uint8_t>(bits >> pending));
        }
    }
    // The spare low bits of the last character must be zero: another value would decode to the
    // same bytes and give one token two texts.
    if ((bits & ((1U << pending) - 1)) != 0) {
        return std::nullopt;
    }
    return bytes;
}

}  // namespace verdant::training::detail
