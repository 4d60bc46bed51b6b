#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace verdant::client {

/// The digests the photo path needs, through OpenSSL's EVP interfaces: SHA-256 names a blob,
/// the possession proof under the server's nonce shows this device holds its bytes (protocol.md,
/// "Deduplication that proves possession"). Files are read in 1 MiB pieces: a 30 MB photo never
/// sits in memory whole.
namespace digest {

/// `bytes` as lower-case hexadecimal digits.
std::string hex(const unsigned char* bytes, std::size_t size);

/// SHA-256 of `bytes`, as 64 lower-case hexadecimal digits.
std::string sha256Hex(std::string_view bytes);

/// SHA-256 of the file at `path`, as sha256Hex(); nullopt when it cannot be read.
std::optional<std::string> sha256OfFile(const std::filesystem::path& path);

/// The possession proof (shared::proofOf) of the file at `path`, `size` bytes long, under the
/// server's `nonce`, in lower-case hex; nullopt when the file cannot be read.
std::optional<std::string> possessionProofOfFile(const std::filesystem::path& path,
                                                 std::string_view nonce, std::int64_t size);

/// Standard base64 with padding (tus Upload-Metadata values).
std::string base64(std::string_view bytes);

/// Decodes base64url or standard base64, padded or not; nullopt for anything else.
std::optional<std::string> fromBase64(std::string_view text);

/// Whether `text` is 64 lower-case hexadecimal digits (a blob's name).
bool isSha256Hex(std::string_view text) noexcept;

}  // namespace digest

}  // namespace verdant::client
