#pragma once

// base64url without padding (RFC 4648 §5), written one way only. Private to the training rules.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace verdant::training::detail {

/// The base64url text of `bytes`, without padding.
std::string base64UrlEncode(std::span<const std::uint8_t> bytes);

/// The bytes of base64url text, read strictly: only the 64 URL-safe characters, no padding, no
/// whitespace, a length that is not 1 modulo 4, and zero spare bits in the last character, so
/// that each byte string has exactly one accepted text. nullopt for anything else. The result is
/// never larger than 3/4 of `text`.
std::optional<std::vector<std::uint8_t>> base64UrlDecode(std::string_view text);

}  // namespace verdant::training::detail
