// What the upload routes read from tus headers and from a blob's first bytes.

#include "verdant/server/photos/MediaType.hpp"
#include "verdant/server/photos/TusHeaders.hpp"

#include <gtest/gtest.h>

namespace verdant::server {
namespace {

using namespace std::string_literals;

TEST(UploadMetadata, DecodesEachPairAndAllowsAKeyWithoutValue) {
    // sha256 "abc", photo_id "p-1", an empty-valued flag, spaces after commas (tus-js-client).
    const auto pairs = parseUploadMetadata("sha256 YWJj, photo_id cC0x,is_confidential");
    ASSERT_TRUE(pairs);
    EXPECT_EQ(pairs->at("sha256"), "abc");
    EXPECT_EQ(pairs->at("photo_id"), "p-1");
    EXPECT_EQ(pairs->at("is_confidential"), "");
    EXPECT_TRUE(parseUploadMetadata("")->empty());
}

TEST(UploadMetadata, RefusesRepeatedKeysEmptyPairsAndValuesThatAreNotBase64) {
    EXPECT_FALSE(parseUploadMetadata("a YQ==,a Yg=="));
    EXPECT_FALSE(parseUploadMetadata("a YQ==,,b Yg=="));
    EXPECT_FALSE(parseUploadMetadata("a not*base64"));
    EXPECT_FALSE(parseUploadMetadata("a YQ== extra"));
    EXPECT_FALSE(parseUploadMetadata("a Y=Q="));
}

TEST(UploadChecksum, ReadsTheAlgorithmAndTheRawDigest) {
    const auto checksum = parseUploadChecksum("SHA1 qZk+NkcGgWq6PiVxeFDCbJzQ2J0=");
    ASSERT_TRUE(checksum);
    EXPECT_EQ(checksum->algorithm, "sha1");
    EXPECT_EQ(checksum->digest.size(), 20U);
    EXPECT_EQ(static_cast<unsigned char>(checksum->digest[0]), 0xA9);
}

TEST(UploadChecksum, RefusesAHeaderWithoutOneAlgorithmAndOneDigest) {
    EXPECT_FALSE(parseUploadChecksum("sha256"));
    EXPECT_FALSE(parseUploadChecksum(" qZk+NkcGgWq6PiVxeFDCbJzQ2J0="));
    EXPECT_FALSE(parseUploadChecksum("sha256 a b"));
    EXPECT_FALSE(parseUploadChecksum("sha256 !!!!"));
}

TEST(TusNumber, AcceptsDigitsOnly) {
    EXPECT_EQ(parseTusNumber("0"), 0);
    EXPECT_EQ(parseTusNumber("4194304"), 4194304);
    EXPECT_FALSE(parseTusNumber(""));
    EXPECT_FALSE(parseTusNumber("-1"));
    EXPECT_FALSE(parseTusNumber("+1"));
    EXPECT_FALSE(parseTusNumber("1e3"));
    EXPECT_FALSE(parseTusNumber("9999999999999999999"));
}

TEST(MediaTypeSniffing, KnowsTheAllowedTypesByTheirMagicNumbers) {
    EXPECT_EQ(sniffMediaType("\xFF\xD8\xFF\xE0\0\x10JFIF\0\x01"s), "image/jpeg");
    EXPECT_EQ(sniffMediaType("\x89PNG\r\n\x1A\n\0\0\0\x0D"s), "image/png");
    EXPECT_EQ(sniffMediaType("\0\0\0\x18"
                             "ftypheic"s),
              "image/heic");
    EXPECT_EQ(sniffMediaType("\0\0\0\x18"
                             "ftypmif1"s),
              "image/heif");
    EXPECT_EQ(sniffMediaType("%PDF-1.7\n%\xE2\xE3"s), "application/pdf");
}

TEST(MediaTypeSniffing, RefusesOtherBytesWhateverTheyAreCalled) {
    EXPECT_FALSE(sniffMediaType("GIF89a\x01\0\x01\0\0\0"s));
    EXPECT_FALSE(sniffMediaType("\xFF\xD8 not quite"s));
    EXPECT_FALSE(
        sniffMediaType("\0\0\0\x18"
                       "ftypisom"s));  // an MP4 video
    EXPECT_FALSE(
        sniffMediaType("\0\0\0\x18"
                       "ftyphe"s));  // cut short
    EXPECT_FALSE(sniffMediaType(""));
}

}  // namespace
}  // namespace verdant::server
