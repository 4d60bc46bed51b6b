#include "verdant/training/SigningKey.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace verdant::training {
namespace {

std::vector<std::uint8_t> bytesOf(std::string_view text) {
    return {text.begin(), text.end()};
}

TEST(SigningKey, PublicKeyRoundTripsThroughItsBase64UrlText) {
    const auto key = SigningKey::generate();
    const auto text = key.publicKey().toBase64Url();
    EXPECT_EQ(text.size(), 43U);
    const auto imported = PublicKey::fromBase64Url(text);
    ASSERT_TRUE(imported);
    EXPECT_EQ(imported->raw(), key.publicKey().raw());
    const auto message = bytesOf("check in");
    EXPECT_TRUE(imported->verifies(message, key.sign(message)));
}

TEST(SigningKey, PrivateKeyRoundTripsAndSignsTheSame) {
    const auto key = SigningKey::generate();
    const auto restored = SigningKey::fromBase64Url(key.privateToBase64Url());
    ASSERT_TRUE(restored);
    EXPECT_EQ(restored->publicKey().raw(), key.publicKey().raw());
    const auto message = bytesOf("check in");
    EXPECT_EQ(restored->sign(message), key.sign(message));
    EXPECT_EQ(SigningKey::fromRaw(key.rawPrivate())->publicKey().raw(), key.publicKey().raw());
}

TEST(SigningKey, KnownVectorOfRfc8032IsReproduced) {
    // RFC 8032, 7.1, TEST 1: the empty message.
    const std::vector<std::uint8_t> seed = {0x9d, 0x61, 0xb1, 0x9d, 0xef, 0xfd, 0x5a, 0x60,
                                            0xba, 0x84, 0x4a, 0xf4, 0x92, 0xec, 0x2c, 0xc4,
                                            0x44, 0x49, 0xc5, 0x69, 0x7b, 0x32, 0x69, 0x19,
                                            0x70, 0x3b, 0xac, 0x03, 0x1c, 0xae, 0x7f, 0x60};
    const auto key = SigningKey::fromRaw(seed);
    ASSERT_TRUE(key);
    EXPECT_EQ(key->publicKey().toBase64Url(), "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo");
    const auto signature = key->sign({});
    EXPECT_EQ(signature[0], 0xe5);
    EXPECT_EQ(signature[63], 0x0b);
}

TEST(SigningKey, KeysOfTheWrongLengthOrTextAreRefused) {
    const auto raw = SigningKey::generate().publicKey().raw();
    for (const std::size_t size : {0, 1, 31, 33, 64}) {
        const std::vector<std::uint8_t> bytes(size, 0x42);
        EXPECT_FALSE(PublicKey::fromRaw(bytes)) << size;
        EXPECT_FALSE(SigningKey::fromRaw(bytes)) << size;
    }
    EXPECT_TRUE(PublicKey::fromRaw(raw));
    const auto text = PublicKey::fromRaw(raw)->toBase64Url();
    for (const std::string& bad :
         {std::string(), text.substr(1), text + "A", text + "=", text.substr(0, 42) + "+",
          text.substr(0, 42) + "/", std::string(44, 'A'), std::string(1000, 'A')}) {
        EXPECT_FALSE(PublicKey::fromBase64Url(bad)) << bad;
        EXPECT_FALSE(SigningKey::fromBase64Url(bad)) << bad;
    }
}

TEST(SigningKey, SignatureOfAnotherKeyOrMessageDoesNotVerify) {
    const auto key = SigningKey::generate();
    const auto other = SigningKey::generate();
    const auto message = bytesOf("check in");
    const auto signature = key.sign(message);
    EXPECT_FALSE(other.publicKey().verifies(message, signature));
    EXPECT_FALSE(key.publicKey().verifies(bytesOf("check out"), signature));
    EXPECT_FALSE(key.publicKey().verifies(message, std::span(signature).first(63)));
}

}  // namespace
}  // namespace verdant::training
