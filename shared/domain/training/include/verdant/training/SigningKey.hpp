#pragma once

/// The tenant's Ed25519 keys that sign and verify what a tablet must trust offline (check-in
/// tokens). The server keeps the signing key; tablets receive the public key through sync, as
/// base64url text of its 32 raw bytes (RFC 8032 encoding).
///
/// Both types hold an OpenSSL 3 EVP_PKEY behind a shared, immutable handle: copies share it, and
/// any number of threads may sign or verify with the same key at once.

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>

struct evp_pkey_st;  // OpenSSL's EVP_PKEY; only the sources include OpenSSL.

namespace verdant::training {

/// Bytes of a raw Ed25519 public key, and of a raw private key (its seed).
inline constexpr std::size_t kEd25519KeySize = 32;
/// Bytes of an Ed25519 signature.
inline constexpr std::size_t kEd25519SignatureSize = 64;

/// An Ed25519 signature.
using Signature = std::array<std::uint8_t, kEd25519SignatureSize>;

/// A tenant's public key: verifies signatures offline.
class PublicKey {
public:
    /// The key of these 32 raw bytes; nullopt for any other length or bytes OpenSSL refuses.
    static std::optional<PublicKey> fromRaw(std::span<const std::uint8_t> raw);
    /// The key of its base64url text (43 characters, no padding); nullopt for anything else.
    static std::optional<PublicKey> fromBase64Url(std::string_view text);

    /// The 32 raw bytes.
    std::array<std::uint8_t, kEd25519KeySize> raw() const;
    /// The base64url text of the raw bytes, as tablets receive it.
    std::string toBase64Url() const;

    /// Whether `signature` is this key's signature of `message`. Never throws: any failure
    /// (a wrong signature size included) is false.
    bool verifies(std::span<const std::uint8_t> message,
                  std::span<const std::uint8_t> signature) const noexcept;

private:
    explicit PublicKey(std::shared_ptr<evp_pkey_st> key) : _key(std::move(key)) {}
    friend class SigningKey;

    std::shared_ptr<evp_pkey_st> _key;  ///< Never null.
};

/// A tenant's private key: signs. Held by the server only.
class SigningKey {
public:
    /// A new random key, from OpenSSL's generator. Throws shared::Error(InternalError) if
    /// OpenSSL cannot make one.
    static SigningKey generate();
    /// The key of these 32 raw private bytes (the seed); nullopt for any other length.
    static std::optional<SigningKey> fromRaw(std::span<const std::uint8_t> raw);
    /// The key of its base64url text (43 characters); nullopt for anything else.
    static std::optional<SigningKey> fromBase64Url(std::string_view text);

    /// The 32 raw private bytes, for the server's key store. A secret: the caller wipes its copy.
    std::array<std::uint8_t, kEd25519KeySize> rawPrivate() const;
    /// The base64url text of the raw private bytes. A secret, as rawPrivate().
    std::string privateToBase64Url() const;
    /// The matching public key.
    PublicKey publicKey() const;

    /// The Ed25519 signature of `message` (deterministic). Throws shared::Error(InternalError)
    /// if OpenSSL fails.
    Signature sign(std::span<const std::uint8_t> message) const;

private:
    explicit SigningKey(std::shared_ptr<evp_pkey_st> key) : _key(std::move(key)) {}

    std::shared_ptr<evp_pkey_st> _key;  ///< Never null.
};

}  // namespace verdant::training
