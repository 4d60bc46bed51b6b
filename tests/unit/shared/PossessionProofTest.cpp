// The possession proof of photo deduplication (protocol.md, "Deduplication that proves
// possession"): which byte ranges a nonce chooses, and the HMAC over them.

#include "verdant/shared/PossessionProof.hpp"

#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <array>
#include <stdexcept>
#include <string>

namespace verdant::shared {
namespace {

const std::string kNonce(32, '\x5A');
constexpr std::int64_t kPhoto = 4 * 1024 * 1024;

TEST(ProofRanges, AreTheSameForTheSameNonceAndSize) {
    EXPECT_EQ(proofRanges(kNonce, kPhoto), proofRanges(kNonce, kPhoto));
}

TEST(ProofRanges, AreSixteenRangesOf4KiBInsideTheBlob) {
    for (const std::int64_t size : {kWholeProofBytes + 1, std::int64_t{300'000}, kPhoto}) {
        const auto ranges = proofRanges(kNonce, size);
        ASSERT_EQ(ranges.size(), 16U);
        for (const auto& range : ranges) {
            EXPECT_EQ(range.length, 4096);
            EXPECT_GE(range.offset, 0);
            EXPECT_LE(range.offset + range.length, size);
        }
    }
}

TEST(ProofRanges, CoverASmallBlobWhole) {
    EXPECT_EQ(proofRanges(kNonce, 0), (std::vector<ByteRange>{{0, 0}}));
    EXPECT_EQ(proofRanges(kNonce, 50'000), (std::vector<ByteRange>{{0, 50'000}}));
    EXPECT_EQ(proofRanges(kNonce, kWholeProofBytes),
              (std::vector<ByteRange>{{0, kWholeProofBytes}}));
    EXPECT_THROW(proofRanges(kNonce, -1), std::invalid_argument);
}

TEST(ProofRanges, DifferForAnotherNonce) {
    const auto ranges = proofRanges(kNonce, kPhoto);
    auto other = kNonce;
    other[31] = 'x';
    EXPECT_NE(proofRanges(other, kPhoto), ranges);
    // Spread over the blob, not stacked in one place.
    EXPECT_NE(ranges.front(), ranges.back());
}

TEST(ProofRanges, StartWhereTheNoncesHashSays) {
    // Range 0 starts at the first 8 bytes of SHA-256(nonce || 0x00), big-endian, modulo
    // (size - 4096 + 1).
    std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
    const auto input = kNonce + '\0';
    EVP_Digest(input.data(), input.size(), digest.data(), nullptr, EVP_sha256(), nullptr);
    std::uint64_t seed = 0;
    for (std::size_t i = 0; i < 8; ++i) {
        seed = (seed << 8) | digest[i];
    }
    EXPECT_EQ(proofRanges(kNonce, kPhoto).front().offset,
              static_cast<std::int64_t>(seed % (kPhoto - 4096 + 1)));
}

TEST(ProofOf, IsTheHmacOfTheRangesInOrder) {
    std::string blob(300'000, '\0');
    for (std::size_t i = 0; i < blob.size(); ++i) {
        blob[i] = static_cast<char>(i * 7 + i / 251);
    }
    std::string covered;
    for (const auto& range : proofRanges(kNonce, 300'000)) {
        covered += blob.substr(static_cast<std::size_t>(range.offset), 4096);
    }
    std::array<unsigned char, EVP_MAX_MD_SIZE> mac{};
    std::size_t size = 0;
    EVP_Q_mac(nullptr, "HMAC", nullptr, "SHA256", nullptr, kNonce.data(), kNonce.size(),
              reinterpret_cast<const unsigned char*>(covered.data()), covered.size(), mac.data(),
              mac.size(), &size);
    std::string expected;
    for (std::size_t i = 0; i < size; ++i) {
        expected += "0123456789abcdef"[mac[i] >> 4];
        expected += "0123456789abcdef"[mac[i] & 0x0F];
    }

    const auto proof = proofOf(kNonce, 300'000, [&](std::int64_t offset, std::int64_t length) {
        return blob.substr(static_cast<std::size_t>(offset), static_cast<std::size_t>(length));
    });

    EXPECT_EQ(proof, expected);
}

TEST(ProofOf, RefusesABlobShorterThanItsSize) {
    EXPECT_THROW(proofOf(kNonce, 300'000, [](std::int64_t, std::int64_t) { return std::string(); }),
                 std::runtime_error);
}

}  // namespace
}  // namespace verdant::shared
