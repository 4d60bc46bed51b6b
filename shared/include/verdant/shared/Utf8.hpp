#pragma once

#include <string_view>

namespace verdant::shared {

/// Whether `text` is well-formed UTF-8 (no overlongs, surrogates or code points past U+10FFFF).
/// The binary decoders refuse text that JSON could not carry; so do the domains' decoders of
/// signed tokens. Pure and thread-safe.
bool isUtf8(std::string_view text) noexcept;

}  // namespace verdant::shared
