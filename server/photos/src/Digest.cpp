#include "Digest.hpp"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include <cstdint>
#include <stdexcept>

namespace verdant::server {

struct Digest::State {
    EVP_MD_CTX* md = nullptr;
    EVP_MAC* macAlgorithm = nullptr;
    EVP_MAC_CTX* mac = nullptr;
    ~State() {
        EVP_MD_CTX_free(md);
        EVP_MAC_CTX_free(mac);
        EVP_MAC_free(macAlgorithm);
    }
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

Digest Digest::hmacSha256(std::string_view key) {
    Digest digest;
    digest._state = std::make_unique<State>();
    auto& state = *digest._state;
    state.macAlgorithm = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
    state.mac = state.macAlgorithm != nullptr ? EVP_MAC_CTX_new(state.macAlgorithm) : nullptr;
    char sha256[] = "SHA256";
    const OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, sha256, 0),
                                 OSSL_PARAM_END};
    if (state.mac == nullptr ||
        EVP_MAC_init(state.mac, reinterpret_cast<const unsigned char*>(key.data()), key.size(),
                     params) != 1) {
        throw std::runtime_error("cannot start an HMAC");
    }
    return digest;
}

Digest::~Digest() = default;
Digest::Digest(Digest&&) noexcept = default;

void Digest::update(const void* data, std::size_t size) {
    const auto* bytes = static_cast<const unsigned char*>(data);
    const int ok = _state->md != nullptr ? EVP_DigestUpdate(_state->md, bytes, size)
                                         : EVP_MAC_update(_state->mac, bytes, size);
    if (ok != 1) {
        throw std::runtime_error("digest update failed");
    }
}

std::string Digest::finish() {
    unsigned char out[EVP_MAX_MD_SIZE];
    std::size_t size = 0;
    if (_state->md != nullptr) {
        unsigned int mdSize = 0;
        if (EVP_DigestFinal_ex(_state->md, out, &mdSize) != 1) {
            throw std::runtime_error("digest final failed");
        }
        size = mdSize;
    } else if (EVP_MAC_final(_state->mac, out, &size, sizeof out) != 1) {
        throw std::runtime_error("HMAC final failed");
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
