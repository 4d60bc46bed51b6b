#include "verdant/server/auth/PasswordHasher.hpp"

#include "verdant/shared/ErrorCode.hpp"

#include <openssl/rand.h>

#include <argon2.h>
#include <array>
#include <vector>

namespace verdant::server {

using shared::Error;
using shared::ErrorCode;

namespace {
constexpr std::size_t kSaltBytes = 16;
constexpr std::size_t kHashBytes = 32;
}  // namespace

std::string PasswordHasher::hash(std::string_view password) const {
    if (password.size() < kMinimumLength || password.size() > kMaximumLength) {
        throw Error(ErrorCode::InvalidParameter,
                    "A password must have " + std::to_string(kMinimumLength) + " to " +
                        std::to_string(kMaximumLength) + " characters.");
    }
    std::array<unsigned char, kSaltBytes> salt{};
    if (RAND_bytes(salt.data(), static_cast<int>(salt.size())) != 1) {
        throw Error(ErrorCode::InternalError, "no randomness for a password salt");
    }
    std::vector<char> encoded(argon2_encodedlen(_cost.passes, _cost.memoryKiB, _cost.lanes,
                                                kSaltBytes, kHashBytes, Argon2_id));
    const int result = argon2id_hash_encoded(
        _cost.passes, _cost.memoryKiB, _cost.lanes, password.data(), password.size(), salt.data(),
        salt.size(), kHashBytes, encoded.data(), encoded.size());
    if (result != ARGON2_OK) {
        throw Error(ErrorCode::InternalError,
                    std::string("password hashing failed: ") + argon2_error_message(result));
    }
    return encoded.data();
}

bool PasswordHasher::verify(std::string_view password, const std::string& encoded) const noexcept {
    if (password.size() > kMaximumLength || encoded.rfind("$argon2id$", 0) != 0) {
        return false;
    }
    return argon2id_verify(encoded.c_str(), password.data(), password.size()) == ARGON2_OK;
}

}  // namespace verdant::server
