#include "verdant/training/SigningKey.hpp"

#include "Base64Url.hpp"

#include "verdant/shared/ErrorCode.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>

namespace verdant::training {
namespace {

/// Takes ownership of an EVP_PKEY; null stays null.
std::shared_ptr<evp_pkey_st> own(EVP_PKEY* key) {
    if (key == nullptr) {
        return nullptr;
    }
    return std::shared_ptr<evp_pkey_st>(key, EVP_PKEY_free);
}

/// An EVP_MD_CTX freed on scope exit.
using DigestContext = std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)>;

DigestContext newDigestContext() {
    return DigestContext(EVP_MD_CTX_new(), EVP_MD_CTX_free);
}

/// The raw 32 bytes of a key, through `get` (EVP_PKEY_get_raw_public_key or ..._private_key).
template <class Getter>
std::array<std::uint8_t, kEd25519KeySize> rawBytes(const std::shared_ptr<evp_pkey_st>& key,
                                                   Getter get) {
    std::array<std::uint8_t, kEd25519KeySize> raw{};
    std::size_t size = raw.size();
    if (get(key.get(), raw.data(), &size) != 1 || size != raw.size()) {
        throw shared::Error(shared::ErrorCode::InternalError, "An Ed25519 key could not be read.");
    }
    return raw;
}

}  // namespace

std::optional<PublicKey> PublicKey::fromRaw(std::span<const std::uint8_t> raw) {
    if (raw.size() != kEd25519KeySize) {
        return std::nullopt;
    }
    auto key = own(EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, raw.data(), raw.size()));
    if (!key) {
        return std::nullopt;
    }
    return PublicKey(std::move(key));
}

std::optional<PublicKey> PublicKey::fromBase64Url(std::string_view text) {
    // 43 characters carry 32 bytes; checked first so that no long text is decoded.
    if (text.size() != (kEd25519KeySize * 4 + 2) / 3) {
        return std::nullopt;
    }
    const auto raw = detail::base64UrlDecode(text);
    return raw ? fromRaw(*raw) : std::nullopt;
}

std::array<std::uint8_t, kEd25519KeySize> PublicKey::raw() const {
    return rawBytes(_key, EVP_PKEY_get_raw_public_key);
}

std::string PublicKey::toBase64Url() const {
    return detail::base64UrlEncode(raw());
}

bool PublicKey::verifies(std::span<const std::uint8_t> message,
                         std::span<const std::uint8_t> signature) const noexcept {
    if (signature.size() != kEd25519SignatureSize) {
        return false;
    }
    const auto context = newDigestContext();
    // Ed25519 hashes inside the signature scheme: no digest is named, and the message is given
    // whole (one-shot), as RFC 8032 PureEdDSA requires.
    return context &&
           EVP_DigestVerifyInit(context.get(), nullptr, nullptr, nullptr, _key.get()) == 1 &&
           EVP_DigestVerify(context.get(), signature.data(), signature.size(), message.data(),
                            message.size()) == 1;
}

SigningKey SigningKey::generate() {
    auto key = own(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"));
    if (!key) {
        throw shared::Error(shared::ErrorCode::InternalError,
                            "An Ed25519 key could not be generated.");
    }
    return SigningKey(std::move(key));
}

std::optional<SigningKey> SigningKey::fromRaw(std::span<const std::uint8_t> raw) {
    if (raw.size() != kEd25519KeySize) {
        return std::nullopt;
    }
    auto key = own(EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr, raw.data(), raw.size()));
    if (!key) {
        return std::nullopt;
    }
    return SigningKey(std::move(key));
}

std::optional<SigningKey> SigningKey::fromBase64Url(std::string_view text) {
    if (text.size() != (kEd25519KeySize * 4 + 2) / 3) {
        return std::nullopt;
    }
    auto raw = detail::base64UrlDecode(text);
    if (!raw) {
        return std::nullopt;
    }
    auto key = fromRaw(*raw);
    OPENSSL_cleanse(raw->data(), raw->size());
    return key;
}

std::array<std::uint8_t, kEd25519KeySize> SigningKey::rawPrivate() const {
    return rawBytes(_key, EVP_PKEY_get_raw_private_key);
}

std::string SigningKey::privateToBase64Url() const {
    auto raw = rawPrivate();
    auto text = detail::base64UrlEncode(raw);
    OPENSSL_cleanse(raw.data(), raw.size());
    return text;
}

PublicKey SigningKey::publicKey() const {
    const auto raw = rawBytes(_key, EVP_PKEY_get_raw_public_key);
    auto key = PublicKey::fromRaw(raw);
    if (!key) {
        throw shared::Error(shared::ErrorCode::InternalError,
                            "The Ed25519 public key could not be derived.");
    }
    return std::move(*key);
}

Signature SigningKey::sign(std::span<const std::uint8_t> message) const {
    Signature signature{};
    std::size_t size = signature.size();
    const auto context = newDigestContext();
    if (!context || EVP_DigestSignInit(context.get(), nullptr, nullptr, nullptr, _key.get()) != 1 ||
        EVP_DigestSign(context.get(), signature.data(), &size, message.data(), message.size()) !=
            1 ||
        size != signature.size()) {
        throw shared::Error(shared::ErrorCode::InternalError, "A signature could not be made.");
    }
    return signature;
}

}  // namespace verdant::training
