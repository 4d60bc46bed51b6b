#include "verdant/shared/ErrorCode.hpp"
#include "verdant/training/CheckInToken.hpp"
#include "verdant/training/SigningKey.hpp"

#include <gtest/gtest.h>

#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace verdant::training {
namespace {

using shared::ErrorCode;
using shared::RecordId;

constexpr std::int64_t kDayStartMs = 1'767'250'800'000;  // 2026-01-01T07:00:00Z
constexpr std::int64_t kHourMs = 60LL * 60 * 1000;
constexpr std::int64_t kDuringMs = kDayStartMs + 2 * kHourMs;

RecordId id(std::string_view text) {
    return *RecordId::parse(text);
}

const RecordId kSession = id("0190f3a2-7b1c-7d3e-8f00-1a2b3c4d5e6f");
const RecordId kOtherSession = id("0190f3a2-7b1c-7d3e-8f00-1a2b3c4d5e70");

CheckInClaims claimsFor(std::string personName) {
    CheckInClaims claims;
    claims.tenantId = *TenantId::parse("0190f000-0000-7000-8000-00000000000a");
    claims.sessionId = kSession;
    claims.registrationId = id("0190f3a2-9999-7d3e-8f00-1a2b3c4d5e6f");
    claims.personName = std::move(personName);
    claims.validFromMs = kDayStartMs;
    claims.validUntilMs = kDayStartMs + 12 * kHourMs;
    return claims;
}

/// The code a verdict refuses with, or nullopt if it accepts.
std::optional<ErrorCode> refusalOf(const CheckInVerdict& verdict) {
    if (const auto* error = std::get_if<shared::ValidationError>(&verdict)) {
        return error->code;
    }
    return std::nullopt;
}

class CheckInTokenTest : public ::testing::Test {
protected:
    CheckInVerdict validate(std::string_view token, std::int64_t nowMs = kDuringMs) const {
        return validateCheckInToken(_key.publicKey(), token, kSession, nowMs);
    }

    SigningKey _key = SigningKey::generate();
    std::string _token = issueCheckInToken(_key, claimsFor("王小明"));
};

TEST_F(CheckInTokenTest, ValidTokenIsAcceptedWithItsClaims) {
    for (const std::string name : {"王小明", "欧阳娜娜 (Nana Ouyang)", "José Núñez", "李"}) {
        const auto claims = claimsFor(name);
        const auto verdict = validate(issueCheckInToken(_key, claims));
        ASSERT_TRUE(std::holds_alternative<CheckInClaims>(verdict)) << name;
        EXPECT_EQ(std::get<CheckInClaims>(verdict), claims);
    }
}

TEST_F(CheckInTokenTest, TokenIsShortPrintableTextForAQrCode) {
    EXPECT_TRUE(_token.starts_with("vct1."));
    EXPECT_LE(_token.size(), 200U);
    for (const char c : _token) {
        EXPECT_TRUE(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.')
            << c;
    }
    // Ed25519 is deterministic: the same claims give the same badge.
    EXPECT_EQ(issueCheckInToken(_key, claimsFor("王小明")), _token);
}

TEST_F(CheckInTokenTest, LongestNameFitsTheBoundAndIsAccepted) {
    std::string name;
    while (name.size() + 3 <= kMaxPersonNameBytes) {
        name += "张";
    }
    const auto token = issueCheckInToken(_key, claimsFor(name));
    EXPECT_LE(token.size(), kMaxCheckInTokenLength);
    EXPECT_TRUE(std::holds_alternative<CheckInClaims>(validate(token)));
}

TEST_F(CheckInTokenTest, EveryChangedByteIsRefusedNeverAccepted) {
    using namespace std::string_view_literals;
    // Every base64url character, the separators, and bytes no token has (NUL included).
    constexpr auto kCandidates =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.=+/ \n\x00\xff"sv;
    std::size_t forged = 0;
    for (std::size_t at = 0; at < _token.size(); ++at) {
        for (const char replacement : kCandidates) {
            if (replacement == _token[at]) {
                continue;
            }
            auto changed = _token;
            changed[at] = replacement;
            const auto code = refusalOf(validate(changed));
            ASSERT_TRUE(code == ErrorCode::CheckInTokenForged ||
                        code == ErrorCode::CheckInTokenMalformed)
                << "position " << at << " replaced by " << static_cast<int>(replacement);
            forged += code == ErrorCode::CheckInTokenForged ? 1 : 0;
        }
    }
    // Most single changes keep the form and are caught by the signature alone.
    EXPECT_GT(forged, _token.size() * 20);
}

TEST_F(CheckInTokenTest, TruncatedTokensAreMalformed) {
    for (std::size_t length = 0; length < _token.size(); ++length) {
        EXPECT_EQ(refusalOf(validate(std::string_view(_token).substr(0, length))),
                  ErrorCode::CheckInTokenMalformed)
            << "length " << length;
    }
}

TEST_F(CheckInTokenTest, GarbageEmptyAndOversizedInputIsMalformed) {
    const std::string signature(86, 'A');
    const std::string oversized = "vct1." + std::string(1 << 20, 'A') + "." + signature;
    for (const std::string& input : std::initializer_list<std::string>{
             "", "vct1.", "vct1..", "vct1.." + signature, "vct2." + _token.substr(5),
             "VCT1." + _token.substr(5), _token + ".", _token + "=", _token + "\n", " " + _token,
             _token + _token, "https://example.com/checkin?t=" + _token, oversized,
             std::string("vct1.\0\0\0.", 9) + signature,
             "vct1."
             "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
             "A"
             "AAAAAAA." +
                 signature}) {
        EXPECT_EQ(refusalOf(validate(input)), ErrorCode::CheckInTokenMalformed)
            << input.substr(0, 80);
    }
}

/// A token of these payload bytes, signed properly with `key`: what a defective issuer might
/// make.
std::string signedToken(const SigningKey& key, const std::vector<std::uint8_t>& payload) {
    static constexpr std::string_view kAlphabet =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    const auto encode = [](std::span<const std::uint8_t> bytes) {
        std::string text;
        std::uint32_t bits = 0;
        int pending = 0;
        for (const auto byte : bytes) {
            bits = (bits << 8) | byte;
            for (pending += 8; pending >= 6; pending -= 6) {
                text += kAlphabet[(bits >> (pending - 6)) & 0x3F];
            }
        }
        if (pending > 0) {
            text += kAlphabet[(bits << (6 - pending)) & 0x3F];
        }
        return text;
    };
    const auto signedText = "vct1." + encode(payload);
    const auto signature = key.sign(
        std::span(reinterpret_cast<const std::uint8_t*>(signedText.data()), signedText.size()));
    return signedText + "." + encode(signature);
}

/// The version-1 payload of a token for kSession, valid all day, for `name`.
std::vector<std::uint8_t> payloadFor(std::string_view name) {
    std::vector<std::uint8_t> payload = {1};
    const auto registration = claimsFor("x").registrationId;
    for (const auto* id : {&registration, &kSession, &registration}) {
        payload.insert(payload.end(), id->bytes().begin(), id->bytes().end());
    }
    for (const auto ms : {kDayStartMs, kDayStartMs + 12 * kHourMs}) {
        for (int shift = 56; shift >= 0; shift -= 8) {
            payload.push_back(static_cast<std::uint8_t>(static_cast<std::uint64_t>(ms) >> shift));
        }
    }
    payload.push_back(static_cast<std::uint8_t>(name.size()));
    payload.insert(payload.end(), name.begin(), name.end());
    return payload;
}

TEST_F(CheckInTokenTest, SignedButMisshapenPayloadIsMalformed) {
    ASSERT_FALSE(refusalOf(validate(signedToken(_key, payloadFor("Wang")))));
    auto payload = payloadFor("Wang");
    payload.push_back('!');  // a byte after the name
    EXPECT_EQ(refusalOf(validate(signedToken(_key, payload))), ErrorCode::CheckInTokenMalformed);
    payload = payloadFor("Wang");
    payload[0] = 2;  // another version under the "vct1." prefix
    EXPECT_EQ(refusalOf(validate(signedToken(_key, payload))), ErrorCode::CheckInTokenMalformed);
    payload = payloadFor("Wang");
    payload[kCheckInPayloadFixedBytes - 1] = 5;  // a name length beyond the payload
    EXPECT_EQ(refusalOf(validate(signedToken(_key, payload))), ErrorCode::CheckInTokenMalformed);
    for (const std::string_view name :
         {std::string_view(), std::string_view("\xe7\x8e"), std::string_view("a\tb")}) {
        EXPECT_EQ(refusalOf(validate(signedToken(_key, payloadFor(name)))),
                  ErrorCode::CheckInTokenMalformed);
    }
    payload = payloadFor("Wang");
    std::swap_ranges(payload.begin() + 49, payload.begin() + 57, payload.begin() + 57);
    EXPECT_EQ(refusalOf(validate(signedToken(_key, payload))), ErrorCode::CheckInTokenMalformed)
        << "a window that ends before it starts";
}

TEST_F(CheckInTokenTest, ExpiredAndNotYetValidTokensAreRefusedEachWithItsCode) {
    const auto claims = claimsFor("王小明");
    EXPECT_EQ(refusalOf(validate(_token, claims.validUntilMs + 1)), ErrorCode::CheckInTokenExpired);
    EXPECT_EQ(refusalOf(validate(_token, claims.validFromMs - 1)),
              ErrorCode::CheckInTokenNotYetValid);
    // The window includes both ends.
    EXPECT_FALSE(refusalOf(validate(_token, claims.validFromMs)));
    EXPECT_FALSE(refusalOf(validate(_token, claims.validUntilMs)));
    const auto verdict = validate(_token, kDayStartMs * 2);
    EXPECT_EQ(std::get<shared::ValidationError>(verdict).message,
              "The check-in token expired at 2026-01-01T19:00:00Z.");
}

TEST_F(CheckInTokenTest, TokenOfAnotherSessionIsRefused) {
    EXPECT_EQ(refusalOf(validateCheckInToken(_key.publicKey(), _token, kOtherSession, kDuringMs)),
              ErrorCode::CheckInTokenOtherSession);
}

TEST_F(CheckInTokenTest, TokenSignedWithAnotherTenantsKeyIsForged) {
    const auto otherTenantKey = SigningKey::generate();
    const auto token = issueCheckInToken(otherTenantKey, claimsFor("王小明"));
    EXPECT_EQ(refusalOf(validate(token)), ErrorCode::CheckInTokenForged);
    // A well-formed token whose payload and signature come from two different tokens.
    const auto mixed = _token.substr(0, _token.rfind('.')) + token.substr(token.rfind('.'));
    EXPECT_EQ(refusalOf(validate(mixed)), ErrorCode::CheckInTokenForged);
}

TEST_F(CheckInTokenTest, RefusalsNeverQuoteTheScannedText) {
    const std::string hostile = "vct1.<script>" + std::string(300, 'x');
    const auto verdict = validate(hostile);
    const auto& error = std::get<shared::ValidationError>(verdict);
    EXPECT_EQ(error.message.find("script"), std::string::npos);
    EXPECT_LT(error.message.size(), 100U);
}

TEST_F(CheckInTokenTest, ClaimsNoTokenMayCarryAreNotIssued) {
    const auto refused = [&](const CheckInClaims& claims) {
        try {
            issueCheckInToken(_key, claims);
        } catch (const shared::Error& error) {
            return error.code() == ErrorCode::InvalidParameter;
        }
        return false;
    };
    auto claims = claimsFor("");
    EXPECT_TRUE(refused(claims));
    claims = claimsFor(std::string(kMaxPersonNameBytes + 1, 'a'));
    EXPECT_TRUE(refused(claims));
    claims = claimsFor("\xe7\x8e");  // a cut UTF-8 sequence
    EXPECT_TRUE(refused(claims));
    claims = claimsFor("Wang\nXiaoming");
    EXPECT_TRUE(refused(claims));
    claims = claimsFor("王小明");
    claims.sessionId = RecordId();
    EXPECT_TRUE(refused(claims));
    claims = claimsFor("王小明");
    claims.validUntilMs = claims.validFromMs - 1;
    EXPECT_TRUE(refused(claims));
    claims = claimsFor("王小明");
    claims.version = 2;
    EXPECT_TRUE(refused(claims));
}

}  // namespace
}  // namespace verdant::training
