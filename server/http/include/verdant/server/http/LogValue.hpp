#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace verdant::server {

/// Client-given text is cut to this many bytes in a log line.
inline constexpr std::size_t kMaxLogValueBytes = 128;

/// A value as a logfmt line shows it: plain when it is a simple word, else quoted with `"` and
/// `\` escaped; every byte outside printable ASCII is written `\xNN` (so no control character,
/// C1 code or line separator such as U+2028 can start a forged line, and a cut cannot split a
/// character in the output), and values longer than kMaxLogValueBytes are cut (marked "...").
/// Used for every client-given value the server logs. Thread-safe.
std::string logValue(std::string_view value);

}  // namespace verdant::server
