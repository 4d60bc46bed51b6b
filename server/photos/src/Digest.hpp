#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

namespace verdant::server {

/// A running message digest (OpenSSL EVP) of one of the algorithms tus clients send in
/// `Upload-Checksum`: sha1, sha256, md5. Not thread-safe.
class Digest {
public:
    /// Whether `algorithm` (lower-case) is one Digest computes.
    static bool supported(std::string_view algorithm) noexcept;

    /// A digest of `algorithm`; throws std::invalid_argument when it is not supported.
    explicit Digest(std::string_view algorithm);
    ~Digest();
    Digest(Digest&&) noexcept;
    Digest& operator=(Digest&&) = delete;
    Digest(const Digest&) = delete;
    Digest& operator=(const Digest&) = delete;

    /// Adds bytes.
    void update(const void* data, std::size_t size);
    /// The raw digest; the digest takes no more bytes afterwards.
    std::string finish();

private:
    struct State;
    std::unique_ptr<State> _state;
};

/// Lower-case hexadecimal of raw bytes.
std::string toHex(std::string_view bytes);

/// The raw bytes of lower-case or upper-case hexadecimal, or "" when `hex` is not hexadecimal of
/// an even length.
std::string fromHex(std::string_view hex);

/// `count` bytes from OpenSSL's CSPRNG. Throws std::runtime_error when it fails.
std::string randomBytes(std::size_t count);

/// base64url without padding (the proof nonce on the wire).
std::string toBase64Url(std::string_view bytes);

/// Whether two byte strings are equal, in time that depends on their length only.
bool equalInConstantTime(std::string_view a, std::string_view b) noexcept;

}  // namespace verdant::server
