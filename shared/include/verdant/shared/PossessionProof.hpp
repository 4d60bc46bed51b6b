#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace verdant::shared {

/// The proof that a device holds a blob's bytes before the server deduplicates it (protocol.md,
/// "Deduplication that proves possession"): HMAC-SHA256 keyed with the server's nonce over a few
/// byte ranges the nonce chooses, so proving costs 64 KiB of hashing whatever the blob's size.
/// The device and the server both call this one definition. Pure and thread-safe.

/// Bytes of one range a proof covers.
constexpr std::int64_t kProofRangeBytes = 4 * 1024;
/// Ranges a proof covers for a blob larger than kWholeProofBytes.
constexpr int kProofRangeCount = 16;
/// A blob of at most this many bytes is proven whole.
constexpr std::int64_t kWholeProofBytes = kProofRangeBytes * kProofRangeCount;

/// `length` bytes of a blob from `offset`.
struct ByteRange {
    std::int64_t offset = 0;
    std::int64_t length = 0;

    bool operator==(const ByteRange&) const = default;
};

/// The ranges, in proof order, of a blob of `size` bytes under `nonce`: range i (0..15) starts at
/// the first 8 bytes of SHA-256(nonce || byte i), read big-endian, modulo (size - 4096 + 1) and is
/// 4096 bytes long; a blob of at most 64 KiB is one range, the whole blob. Ranges may overlap.
/// Throws std::invalid_argument when `size` is negative.
std::vector<ByteRange> proofRanges(std::string_view nonce, std::int64_t size);

/// Reads `length` bytes from `offset` of the blob; throws when it cannot read them all.
using BlobReader = std::function<std::string(std::int64_t offset, std::int64_t length)>;

/// HMAC-SHA256 keyed with `nonce` of the concatenated proofRanges(nonce, size), each read with
/// `read`, as 64 lower-case hexadecimal digits. Throws std::runtime_error when `read` answers
/// another number of bytes than asked, or when OpenSSL fails; passes on what `read` throws.
std::string proofOf(std::string_view nonce, std::int64_t size, const BlobReader& read);

}  // namespace verdant::shared
