#pragma once

#include <string_view>

namespace verdant::shared {

/// The Verdant release this build is, e.g. "0.1.0" (from the top-level CMake project version).
std::string_view versionString() noexcept;

/// The version of the sync protocol spoken on `/v1/...` (see docs/protocol.md).
inline constexpr std::string_view kProtocolVersion = "1";

}  // namespace verdant::shared
