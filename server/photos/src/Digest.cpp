#include "Digest.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <cstdint>
#include <stdexcept>

namespace verdant::server {

struct Digest::State {
    EVP_MD_CTX* md = nullptr;
    ~State() { EVP_MD_CTX_free(md); }
};

namespace {

const EVP_MD* messageDigest(std::string_view algorithm) noexcept {
    if (algorithm == "sha256") {
        return EVP_sha256();
    }
    if (algorithm == "sha1") {
        return EVP_sha1();
    }
    if (algorithm == "md5") {
        return EVP_md5();
    }
    return nullptr;
}

}  // namespace

bool Digest::supported(std::string_view algorithm) noexcept {
    return messageDigest(algorithm) != nullptr;
}

Digest::Digest(std::string_view algorithm) : _state(std::make_unique<State>()) {
    const auto* md = messageDigest(algorithm);
    if (md == nullptr) {
        throw std::invalid_argument("unsupported digest algorithm");
    }
    _state->md = EVP_MD_CTX_new();
    if (_state->md == nullptr || EVP_DigestInit_ex(_state->md, md, nullptr) != 1) {
        throw std::runtime_error("cannot start a digest");
    }
}

Digest::~Digest() = default;
Digest::Digest(Digest&&) noexcept = default;

void Digest::update(const void* data, std::size_t size) {
    if (EVP_DigestUpdate(_state->md, data, size) != 1) {
        throw std::runtime_error("digest update failed");
    }
}

std::string Digest::finish() {
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned int size = 0;
    if (EVP_DigestFinal_ex(_state->md, out, &size) != 1) {
        throw std::runtime_error("digest final failed");
    }
    return std::string(reinterpret_cast<const char*>(out), size);
}

std::string toHex(std::string_view bytes) {
    static constexpr char kDigits[] = "0123456789abcdef";
    std::string hex;
    hex.reserve(bytes.size() * 2);
    for (const unsigned char byte : bytes) {
        hex.push_back(kDigits[byte >> 4]);
        hex.push_back(kDigits[byte & 0x0F]);
    }
    return hex;
}

std::string fromHex(std::string_view hex) {
    auto nibble = [](char c) -> int {
        if (c >= '0' && c <= '9') {
            return c - '0';
        }
        if (c >= 'a' && c <= 'f') {
            return c - 'a' + 10;
        }
        if (c >= 'A' && c <= 'F') {
            return c - 'A' + 10;
        }
        return -1;
    };
    if (hex.size() % 2 != 0) {
        return {};
    }
    std::string bytes;
    bytes.reserve(hex.size() / 2);
    for (std::size_t i = 0; i < hex.size(); i += 2) {
        const int high = nibble(hex[i]);
        const int low = nibble(hex[i + 1]);
        if (high < 0 || low < 0) {
            return {};
        }
        bytes.push_back(static_cast<char>((high << 4) | low));
    }
    return bytes;
}

std::string randomBytes(std::size_t count) {
    std::string bytes(count, '\0');
    if (RAND_bytes(reinterpret_cast<unsigned char*>(bytes.data()), static_cast<int>(count)) != 1) {
        throw std::runtime_error("the random number generator failed");
    }
    return bytes;
}

std::string toBase64Url(std::string_view bytes) {
    static constexpr char kAlphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    std::string text;
    std::uint32_t buffer = 0;
    int bits = 0;
    for (const unsigned char byte : bytes) {
        buffer = (buffer << 8) | byte;
        bits += 8;
        while (bits >= 6) {
            bits -= 6;
            text.push_back(kAlphabet[(buffer >> bits) & 0x3F]);
        }
    }
    if (bits > 0) {
        text.push_back(kAlphabet[(buffer << (6 - bits)) & 0x3F]);
    }
    return text;
}

bool equalInConstantTime(std::string_view a, std::string_view b) noexcept {
    return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace verdant::server
