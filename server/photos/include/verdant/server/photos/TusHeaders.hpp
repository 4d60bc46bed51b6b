#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace verdant::server {

/// The keys and decoded values of an `Upload-Metadata` header (tus 1.0.0: comma-separated
/// pairs `key base64(value)`, the value optional), or nullopt when it is malformed: an empty or
/// repeated key, a key with a space or comma, a value that is not base64.
std::optional<std::map<std::string, std::string>> parseUploadMetadata(std::string_view header);

/// An `Upload-Checksum` header: `<algorithm> <base64 digest>`.
struct UploadChecksum {
    std::string algorithm;  ///< As sent, lower-cased (e.g. "sha256").
    std::string digest;     ///< The raw digest bytes.
};

/// The parsed header, or nullopt when it is malformed (no single space, an empty algorithm, a
/// digest that is not base64).
std::optional<UploadChecksum> parseUploadChecksum(std::string_view header);

/// A tus length or offset (`Upload-Length`, `Upload-Offset`): decimal digits only, at most 18,
/// or nullopt.
std::optional<std::int64_t> parseTusNumber(std::string_view text);

/// `ms` since the epoch as an HTTP date (`Upload-Expires`), e.g. "Sun, 06 Dec 2026 11:25:21 GMT".
std::string httpDate(std::int64_t ms);

}  // namespace verdant::server
