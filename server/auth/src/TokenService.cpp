#include "verdant/server/auth/TokenService.hpp"

#include "verdant/shared/ErrorCode.hpp"

#include <Poco/Exception.h>
#include <Poco/File.h>
#include <Poco/JWT/JWTException.h>
#include <Poco/JWT/Signer.h>
#include <Poco/JWT/Token.h>
#include <Poco/Path.h>
#include <Poco/UUIDGenerator.h>
#include <openssl/rand.h>

#include <cctype>
#include <fstream>
#include <optional>
#include <sys/stat.h>

namespace verdant::server {

using shared::Error;
using shared::ErrorCode;

namespace {

constexpr const char* kIssuer = "verdant";
constexpr std::size_t kKeyBytes = 32;

std::string randomHex(std::size_t bytes) {
    std::vector<unsigned char> buffer(bytes);
    if (RAND_bytes(buffer.data(), static_cast<int>(buffer.size())) != 1) {
        throw Error(ErrorCode::InternalError, "no randomness for a key");
    }
    static constexpr char kDigits[] = "0123456789abcdef";
    std::string hex;
    for (auto byte : buffer) {
        hex += kDigits[byte >> 4];
        hex += kDigits[byte & 0xF];
    }
    return hex;
}

/// A compact JWS is exactly three non-empty base64url segments, written one way only. Poco's
/// parser splits on '.' and ignores what follows the third, so `a.b.c.` and `a.b.c.d` would
/// verify as `a.b.c`; and a base64 decoder ignores padding and the spare low bits of the last
/// character, so several spellings of one HS256 signature would verify. Only the canonical one
/// (43 characters, the last with its two spare bits zero) is accepted.
bool isCanonicalCompactJws(std::string_view token) {
    const auto isBase64Url = [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-' || c == '_';
    };
    std::size_t segments = 1;
    std::size_t length = 0;
    for (const char c : token) {
        if (c == '.') {
            if (length == 0) {
                return false;
            }
            ++segments;
            length = 0;
        } else if (!isBase64Url(c)) {
            return false;
        } else {
            ++length;
        }
    }
    constexpr std::size_t kSignatureChars = 43;  // 32 bytes, unpadded
    constexpr std::string_view kZeroSpareBits = "AEIMQUYcgkosw048";
    return segments == 3 && length == kSignatureChars &&
           kZeroSpareBits.find(token.back()) != std::string_view::npos;
}

}  // namespace

TokenService::TokenService(std::string signingKey, const shared::Clock& clock,
                           std::int64_t accessTtlSeconds)
    : _signingKey(std::move(signingKey)), _clock(clock), _accessTtlSeconds(accessTtlSeconds) {
    if (_signingKey.size() < kKeyBytes) {
        throw Error(ErrorCode::InternalError, "the token signing key is too short");
    }
}

std::string TokenService::loadOrCreateSigningKey(const std::string& dataDir) {
    const auto path = Poco::Path(dataDir).append("token-signing.key").toString();
    {
        std::ifstream in(path);
        std::string key;
        if (in >> key && key.size() >= 2 * kKeyBytes) {
            return key;
        }
    }
    const auto key = randomHex(kKeyBytes);
    const auto temporary = path + ".tmp";
    {
        const auto previous = ::umask(077);
        std::ofstream out(temporary, std::ios::trunc);
        out << key << '\n';
        ::umask(previous);
        if (!out) {
            throw Error(ErrorCode::StorageUnavailable, "cannot write the token signing key");
        }
    }
    Poco::File(temporary).renameTo(path);
    return key;
}

std::string TokenService::issue(const Principal& principal) const {
    const auto now = _clock.nowMs();
    Poco::JWT::Token token;
    token.setType("JWT");
    token.setIssuer(kIssuer);
    token.setSubject(principal.userId);
    // Whole-second NumericDates (RFC 7519); Poco's setters would write fractional seconds.
    token.payload().set("iat", static_cast<Poco::Int64>(now / 1000));
    token.payload().set("exp", static_cast<Poco::Int64>(now / 1000 + _accessTtlSeconds));
    token.setId(Poco::UUIDGenerator::defaultGenerator().createRandom().toString());
    token.payload().set("tid", principal.tenantId);
    token.payload().set("role", std::string(wireName(principal.role)));
    token.payload().set("name", principal.username);
    if (!principal.deviceId.empty()) {
        token.payload().set("did", principal.deviceId);
    }
    if (!principal.signInId.empty()) {
        token.payload().set("sid", principal.signInId);
    }
    Poco::JWT::Signer signer(_signingKey);
    return signer.sign(token, Poco::JWT::Signer::ALGO_HS256);
}

Principal TokenService::verify(std::string_view text) const {
    Poco::JWT::Token token;
    double expiresAtSeconds = 0;
    std::optional<Role> role;
    if (!isCanonicalCompactJws(text)) {
        throw Error(ErrorCode::TokenInvalid);
    }
    try {
        Poco::JWT::Signer signer(_signingKey);  // accepts HS256 only
        if (!signer.tryVerify(std::string(text), token)) {
            throw Error(ErrorCode::TokenInvalid);
        }
        const auto& claims = token.payload();
        if (token.getIssuer() != kIssuer || !claims.has("exp") || !claims.has("tid") ||
            token.getSubject().empty()) {
            throw Error(ErrorCode::TokenInvalid);
        }
        expiresAtSeconds = claims.getValue<double>("exp");
        role = roleFromWireName(claims.optValue<std::string>("role", ""));
    } catch (const Poco::Exception&) {
        // A signed token from this server is well formed; anything odd inside is a forgery.
        throw Error(ErrorCode::TokenInvalid);
    }
    if (!role) {
        throw Error(ErrorCode::TokenInvalid);
    }
    if (expiresAtSeconds * 1000.0 <= static_cast<double>(_clock.nowMs())) {
        throw Error(ErrorCode::TokenExpired);
    }
    const auto& claims = token.payload();
    return {claims.optValue<std::string>("tid", ""),  token.getSubject(),
            claims.optValue<std::string>("name", ""), *role,
            claims.optValue<std::string>("did", ""),  claims.optValue<std::string>("sid", "")};
}

}  // namespace verdant::server
