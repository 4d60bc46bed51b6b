#include "verdant/training/CheckInToken.hpp"

#include "Base64Url.hpp"

#include "verdant/shared/ErrorCode.hpp"
#include "verdant/shared/Utf8.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <optional>
#include <span>
#include <vector>

namespace verdant::training {
namespace {

using shared::ErrorCode;
using Bytes = std::vector<std::uint8_t>;

/// 9999-12-31T23:59:59.999Z: the latest time a token may name, so that every time it carries
/// prints as a date.
constexpr std::int64_t kLastTokenTimeMs = 253'402'300'799'999;

/// Whether a name may go on a token: 1 to kMaxPersonNameBytes of UTF-8 without control
/// characters (which a badge cannot print and a tablet should not show).
bool isPrintableName(std::string_view name) {
    return !name.empty() && name.size() <= kMaxPersonNameBytes && shared::isUtf8(name) &&
           std::none_of(name.begin(), name.end(), [](char c) {
               const auto byte = static_cast<unsigned char>(c);
               return byte < 0x20 || byte == 0x7F;
           });
}

/// Why claims cannot be carried by a token, or nullopt if they can.
std::optional<std::string> claimsProblem(const CheckInClaims& claims) {
    if (claims.version != kCheckInTokenVersion) {
        return "only version 1 is issued";
    }
    if (claims.tenantId.isNil() || claims.sessionId.isNil() || claims.registrationId.isNil()) {
        return "the tenant, session and registration ids must not be nil";
    }
    if (!isPrintableName(claims.personName)) {
        return "the person's name must be 1 to 128 bytes of UTF-8 without control characters";
    }
    if (claims.validFromMs < 0 || claims.validUntilMs < claims.validFromMs ||
        claims.validUntilMs > kLastTokenTimeMs) {
        return "the validity window must lie within 1970 to 9999 and not end before it starts";
    }
    return std::nullopt;
}

void putId(Bytes& out, const std::array<std::uint8_t, 16>& id) {
    out.insert(out.end(), id.begin(), id.end());
}

void putTime(Bytes& out, std::int64_t ms) {
    const auto bits = static_cast<std::uint64_t>(ms);
    for (int shift = 56; shift >= 0; shift -= 8) {
        out.push_back(static_cast<std::uint8_t>(bits >> shift));
    }
}

/// The payload bytes of claims that claimsProblem() accepted.
Bytes encodePayload(const CheckInClaims& claims) {
    Bytes out;
    out.reserve(kCheckInPayloadFixedBytes + claims.personName.size());
    out.push_back(claims.version);
    putId(out, claims.tenantId.bytes());
    putId(out, claims.sessionId.bytes());
    putId(out, claims.registrationId.bytes());
    putTime(out, claims.validFromMs);
    putTime(out, claims.validUntilMs);
    out.push_back(static_cast<std::uint8_t>(claims.personName.size()));
    out.insert(out.end(), claims.personName.begin(), claims.personName.end());
    return out;
}

/// Reads a payload front to back; every read is bounds-checked by the caller's size check.
class PayloadReader {
public:
    explicit PayloadReader(std::span<const std::uint8_t> bytes) : _bytes(bytes) {}

    std::uint8_t byte() { return _bytes[_at++]; }

    std::array<std::uint8_t, 16> id() {
        std::array<std::uint8_t, 16> id{};
        std::copy_n(_bytes.begin() + static_cast<std::ptrdiff_t>(_at), id.size(), id.begin());
        _at += id.size();
        return id;
    }

    std::int64_t time() {
        std::uint64_t bits = 0;
        for (int i = 0; i < 8; ++i) {
            bits = (bits << 8) | byte();
        }
        return static_cast<std::int64_t>(bits);
    }

    std::string_view rest() const {
        const auto tail = _bytes.subspan(_at);
        return {reinterpret_cast<const char*>(tail.data()), tail.size()};
    }

private:
    std::span<const std::uint8_t> _bytes;
    std::size_t _at = 0;
};

/// The claims of payload bytes, or nullopt unless they are exactly the version-1 layout of
/// claims that could have been issued.
std::optional<CheckInClaims> decodePayload(std::span<const std::uint8_t> bytes) {
    if (bytes.size() < kCheckInPayloadFixedBytes + 1 ||
        bytes.size() > kCheckInPayloadFixedBytes + kMaxPersonNameBytes) {
        return std::nullopt;
    }
    PayloadReader reader(bytes);
    CheckInClaims claims;
    claims.version = reader.byte();
    claims.tenantId = TenantId(reader.id());
    claims.sessionId = shared::RecordId(reader.id());
    claims.registrationId = shared::RecordId(reader.id());
    claims.validFromMs = reader.time();
    claims.validUntilMs = reader.time();
    const std::size_t nameBytes = reader.byte();
    const auto name = reader.rest();
    if (name.size() != nameBytes) {
        return std::nullopt;
    }
    claims.personName = std::string(name);
    if (claimsProblem(claims)) {
        return std::nullopt;
    }
    return claims;
}

/// The signed part and the two segments of a token text, if it has the version-1 shape.
struct TokenParts {
    std::string_view signedText;  ///< "vct1.<payload>"
    std::string_view payload;
    std::string_view signature;
};

std::optional<TokenParts> splitToken(std::string_view token) {
    if (token.size() > kMaxCheckInTokenLength || !token.starts_with(kCheckInTokenPrefix)) {
        return std::nullopt;
    }
    const auto dot = token.find('.', kCheckInTokenPrefix.size());
    if (dot == std::string_view::npos) {
        return std::nullopt;
    }
    TokenParts parts;
    parts.signedText = token.substr(0, dot);
    parts.payload = token.substr(kCheckInTokenPrefix.size(), dot - kCheckInTokenPrefix.size());
    parts.signature = token.substr(dot + 1);
    return parts;  // A further '.' is not base64url: the signature's decoding refuses it.
}

/// "2024-03-05T17:00:00Z" for Unix milliseconds (whole seconds, UTC).
std::string utcText(std::int64_t ms) {
    using namespace std::chrono;
    const sys_seconds at{duration_cast<seconds>(milliseconds(ms))};
    const auto day = floor<days>(at);
    const year_month_day date{day};
    const hh_mm_ss time{at - day};
    char text[32];
    std::snprintf(text, sizeof text, "%04d-%02u-%02uT%02d:%02d:%02dZ",
                  static_cast<int>(date.year()), static_cast<unsigned>(date.month()),
                  static_cast<unsigned>(date.day()), static_cast<int>(time.hours().count()),
                  static_cast<int>(time.minutes().count()),
                  static_cast<int>(time.seconds().count()));
    return text;
}

shared::ValidationError refusal(ErrorCode code) {
    return {code, std::string(shared::defaultMessage(code))};
}

shared::ValidationError refusal(ErrorCode code, std::string message) {
    return {code, std::move(message)};
}

}  // namespace

std::string issueCheckInToken(const SigningKey& key, const CheckInClaims& claims) {
    if (const auto problem = claimsProblem(claims)) {
        throw shared::Error(ErrorCode::InvalidParameter,
                            "A check-in token cannot be issued: " + *problem + ".");
    }
    std::string token(kCheckInTokenPrefix);
    token += detail::base64UrlEncode(encodePayload(claims));
    const auto signature =
        key.sign(std::span(reinterpret_cast<const std::uint8_t*>(token.data()), token.size()));
    token += '.';
    token += detail::base64UrlEncode(signature);
    return token;
}

CheckInVerdict validateCheckInToken(const PublicKey& publicKey, std::string_view token,
                                    const shared::RecordId& expectedSessionId, std::int64_t nowMs) {
    const auto parts = splitToken(token);
    if (!parts) {
        return refusal(ErrorCode::CheckInTokenMalformed);
    }
    const auto payload = detail::base64UrlDecode(parts->payload);
    const auto signature = detail::base64UrlDecode(parts->signature);
    if (!payload || !signature || signature->size() != kEd25519SignatureSize) {
        return refusal(ErrorCode::CheckInTokenMalformed);
    }
    auto claims = decodePayload(*payload);
    if (!claims) {
        return refusal(ErrorCode::CheckInTokenMalformed);
    }
    const auto signedBytes = std::span(
        reinterpret_cast<const std::uint8_t*>(parts->signedText.data()), parts->signedText.size());
    if (!publicKey.verifies(signedBytes, *signature)) {
        return refusal(ErrorCode::CheckInTokenForged);
    }
    if (claims->sessionId != expectedSessionId) {
        return refusal(ErrorCode::CheckInTokenOtherSession);
    }
    if (nowMs < claims->validFromMs) {
        return refusal(ErrorCode::CheckInTokenNotYetValid, "The check-in token is valid from " +
                                                               utcText(claims->validFromMs) +
                                                               " (check this device's clock).");
    }
    if (nowMs > claims->validUntilMs) {
        return refusal(ErrorCode::CheckInTokenExpired,
                       "The check-in token expired at " + utcText(claims->validUntilMs) + ".");
    }
    return std::move(*claims);
}

}  // namespace verdant::training
