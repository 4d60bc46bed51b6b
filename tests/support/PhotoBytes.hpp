#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace verdant::test {

/// `size` bytes as a camera writes a photo: the JPEG magic (the server judges media types by
/// their first bytes), then bytes that do not compress, the same for the same `seed`.
std::string cameraPhoto(std::size_t size, std::uint64_t seed);

/// The SHA-256 of `bytes`, as the blob store names them: 64 lower-case hexadecimal characters.
std::string sha256Hex(const std::string& bytes);

}  // namespace verdant::test
