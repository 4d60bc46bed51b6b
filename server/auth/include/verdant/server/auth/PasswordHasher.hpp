#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace verdant::server {

/// Argon2id cost. The defaults are OWASP's recommended minimum (19 MiB, 2 passes, 1 lane).
struct PasswordCost {
    std::uint32_t memoryKiB = 19 * 1024;
    std::uint32_t passes = 2;
    std::uint32_t lanes = 1;
};

/// Hashes and checks passwords with Argon2id (memory-hard; RFC 9106), a fresh 16-byte random salt
/// per hash, in the self-describing PHC string form ("$argon2id$v=19$m=...,t=...,p=...$salt$hash")
/// so that the cost can be raised later without breaking stored hashes.
///
/// Thread-safe: holds only its parameters.
class PasswordHasher {
public:
    explicit PasswordHasher(PasswordCost cost = {}) : _cost(cost) {}

    /// The PHC string of `password`. Throws shared::Error(InvalidParameter) for a password shorter
    /// than kMinimumLength or longer than kMaximumLength, InternalError if hashing fails.
    std::string hash(std::string_view password) const;

    /// Whether `password` matches `encoded` (a PHC string from hash()). False for a malformed
    /// `encoded`; never throws. Takes the same time whether or not the password matches.
    bool verify(std::string_view password, const std::string& encoded) const noexcept;

    /// Passwords shorter than this are refused (NIST SP 800-63B).
    static constexpr std::size_t kMinimumLength = 8;
    /// Passwords longer than this are refused (bounds hashing work per request).
    static constexpr std::size_t kMaximumLength = 1024;

private:
    PasswordCost _cost;
};

}  // namespace verdant::server
