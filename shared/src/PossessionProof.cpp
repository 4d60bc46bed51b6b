#include "verdant/shared/PossessionProof.hpp"

#include <openssl/core_names.h>
#include <openssl/evp.h>

#include <array>
#include <memory>
#include <stdexcept>

namespace verdant::shared {

namespace {

using Mac = std::unique_ptr<EVP_MAC, decltype(&EVP_MAC_free)>;
using MacContext = std::unique_ptr<EVP_MAC_CTX, decltype(&EVP_MAC_CTX_free)>;

/// The first 8 bytes of SHA-256(nonce || index), big-endian.
std::uint64_t rangeSeed(std::string_view nonce, int index) {
    std::string input(nonce);
    input.push_back(static_cast<char>(index));
    std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
    unsigned int size = 0;
    if (EVP_Digest(input.data(), input.size(), digest.data(), &size, EVP_sha256(), nullptr) != 1) {
        throw std::runtime_error("SHA-256 failed");
    }
    std::uint64_t seed = 0;
    for (std::size_t i = 0; i < 8; ++i) {
        seed = (seed << 8) | digest[i];
    }
    return seed;
}

/// A running HMAC-SHA256 keyed with `key`.
MacContext startHmac(std::string_view key) {
    Mac mac(EVP_MAC_fetch(nullptr, "HMAC", nullptr), EVP_MAC_free);
    MacContext context(mac ? EVP_MAC_CTX_new(mac.get()) : nullptr, EVP_MAC_CTX_free);
    char digestName[] = "SHA256";
    const std::array<OSSL_PARAM, 2> params = {
        OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digestName, 0),
        OSSL_PARAM_construct_end()};
    if (!context || EVP_MAC_init(context.get(), reinterpret_cast<const unsigned char*>(key.data()),
                                 key.size(), params.data()) != 1) {
        throw std::runtime_error("cannot start an HMAC");
    }
    return context;
}

std::string hex(const unsigned char* bytes, std::size_t size) {
    static constexpr char kDigits[] = "0123456789abcdef";
    std::string out;
    out.reserve(size * 2);
    for (std::size_t i = 0; i < size; ++i) {
        out.push_back(kDigits[bytes[i] >> 4]);
        out.push_back(kDigits[bytes[i] & 0x0F]);
    }
    return out;
}

}  // namespace

std::vector<ByteRange> proofRanges(std::string_view nonce, std::int64_t size) {
    if (size < 0) {
        throw std::invalid_argument("a blob's size cannot be negative");
    }
    if (size <= kWholeProofBytes) {
        return {ByteRange{0, size}};
    }
    const auto starts = static_cast<std::uint64_t>(size - kProofRangeBytes + 1);
    std::vector<ByteRange> ranges;
    ranges.reserve(kProofRangeCount);
    for (int i = 0; i < kProofRangeCount; ++i) {
        ranges.push_back(
            {static_cast<std::int64_t>(rangeSeed(nonce, i) % starts), kProofRangeBytes});
    }
    return ranges;
}

std::string proofOf(std::string_view nonce, std::int64_t size, const BlobReader& read) {
    const auto context = startHmac(nonce);
    for (const auto& range : proofRanges(nonce, size)) {
        const auto bytes = read(range.offset, range.length);
        if (static_cast<std::int64_t>(bytes.size()) != range.length) {
            throw std::runtime_error("a proof range could not be read whole");
        }
        if (EVP_MAC_update(context.get(), reinterpret_cast<const unsigned char*>(bytes.data()),
                           bytes.size()) != 1) {
            throw std::runtime_error("HMAC update failed");
        }
    }
    std::array<unsigned char, EVP_MAX_MD_SIZE> out{};
    std::size_t written = 0;
    if (EVP_MAC_final(context.get(), out.data(), &written, out.size()) != 1) {
        throw std::runtime_error("HMAC final failed");
    }
    return hex(out.data(), written);
}

}  // namespace verdant::shared
