#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace verdant::server {

/// How many first bytes sniffMediaType needs (fewer only when the whole blob is shorter).
inline constexpr std::size_t kSniffBytes = 12;

/// The media type of a blob judged from its first bytes (at least kSniffBytes, or the whole
/// blob when it is shorter), whatever its name says: "image/jpeg" (FF D8 FF), "image/png"
/// (89 50 4E 47 0D 0A 1A 0A), "image/heic" or "image/heif" (an `ftyp` box at offset 4 whose
/// major brand is heic, heix or hevc, or mif1 or msf1), "application/pdf" (`%PDF-`); nullopt for
/// anything else.
std::optional<std::string> sniffMediaType(std::string_view head);

}  // namespace verdant::server
