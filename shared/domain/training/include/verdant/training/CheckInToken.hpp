#pragma once

/// Check-in tokens: what a registration's badge or invitation letter carries (as a QR code), so
/// that a coordinator's tablet at the door can check a person in offline. The server signs each
/// token with the tenant's Ed25519 key; a tablet holding the session and the tenant's public key
/// validates it with no network.
///
/// Wire form (version 1), at most kMaxCheckInTokenLength ASCII characters:
///
///     vct1.<payload>.<signature>
///
/// `payload` is the base64url (no padding) of the claims in a fixed binary layout, big-endian:
/// version (1 byte, = 1), tenant id, session id and registration id (16 raw UUID bytes each),
/// valid-from and valid-until (signed 64-bit Unix milliseconds), the person's name length
/// (1 byte, 1 to kMaxPersonNameBytes) and name (UTF-8, no control characters); nothing after.
/// `signature` is the base64url of the 64-byte Ed25519 signature of the ASCII text
/// "vct1.<payload>" (the token without its last segment), so the prefix is signed as well and
/// a signature made by the same key over anything else (a certificate) never passes as a token.
///
/// Validation refuses, in this order, each with its own code:
///  1. checkin_token_malformed: not exactly that form (prefix, segments, strict base64url, sizes,
///     layout, name, a window that ends before it starts), or longer than the bound;
///  2. checkin_token_forged: well formed, but the signature is not the tenant key's;
///  3. checkin_token_other_session: signed, but for another session than the tablet's;
///  4. checkin_token_not_yet_valid: now is before valid-from (a badge used on the wrong day, or a
///     tablet whose clock is wrong: its own code, since the coordinator's next step differs);
///  5. checkin_token_expired: now is after valid-until.
/// The window includes both ends.

#include "verdant/shared/Id.hpp"
#include "verdant/shared/Schema.hpp"
#include "verdant/training/SigningKey.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

namespace verdant::training {

/// Tag of tenant ids (a tenant's id is a UUID).
struct TenantIdTag {};
/// The id of a tenant, as its accounts name it.
using TenantId = shared::Id<TenantIdTag>;

/// The token format this code writes and reads.
inline constexpr std::uint8_t kCheckInTokenVersion = 1;
/// The text every version-1 token starts with.
inline constexpr std::string_view kCheckInTokenPrefix = "vct1.";
/// The longest person name a token carries, in UTF-8 bytes (42 CJK characters, 128 Latin).
inline constexpr std::size_t kMaxPersonNameBytes = 128;
/// Bytes of a payload besides the name: version, three ids, two times, the name's length.
inline constexpr std::size_t kCheckInPayloadFixedBytes = 1 + 3 * 16 + 2 * 8 + 1;
/// The longest token text: one with a name of kMaxPersonNameBytes. Longer input is refused
/// before it is decoded.
inline constexpr std::size_t kMaxCheckInTokenLength =
    kCheckInTokenPrefix.size() + ((kCheckInPayloadFixedBytes + kMaxPersonNameBytes) * 4 + 2) / 3 +
    1 + (kEd25519SignatureSize * 4 + 2) / 3;

/// What a check-in token asserts about one registration.
struct CheckInClaims {
    std::uint8_t version = kCheckInTokenVersion;  ///< The token format; only 1 is issued.
    TenantId tenantId;                            ///< The tenant whose key signs.
    shared::RecordId sessionId;                   ///< The training session.
    shared::RecordId registrationId;              ///< The registration (the attendance record).
    std::string personName;         ///< As printed on the badge: UTF-8, 1 to kMaxPersonNameBytes.
    std::int64_t validFromMs = 0;   ///< First valid instant, Unix milliseconds.
    std::int64_t validUntilMs = 0;  ///< Last valid instant, Unix milliseconds.

    /// Field-wise equality.
    friend bool operator==(const CheckInClaims&, const CheckInClaims&) = default;
};

/// The token text of `claims`, signed with `key` (deterministic: the same claims and key give
/// the same text). Throws shared::Error(InvalidParameter) for claims no token may carry (another
/// version, a nil id, a name that is empty, too long, not UTF-8 or has control characters,
/// a negative time or a window that ends before it starts), shared::Error(InternalError) if
/// OpenSSL fails. Thread-safe.
std::string issueCheckInToken(const SigningKey& key, const CheckInClaims& claims);

/// A validated token's claims, or why it is refused (a checkin_token_* code and a message that
/// never quotes the token).
using CheckInVerdict = std::variant<CheckInClaims, shared::ValidationError>;

/// Validates a scanned token offline for the session a tablet holds, at `nowMs` (Unix ms): the
/// claims if `token` is a well-formed token signed by `publicKey`, for `expectedSessionId`, and
/// valid at `nowMs`; else the first refusal of the order above. `token` is the scanned text as
/// is (no whitespace is trimmed). Reads at most kMaxCheckInTokenLength bytes of any input and
/// refuses whatever it is given with a verdict, never an exception (save std::bad_alloc).
/// Thread-safe.
CheckInVerdict validateCheckInToken(const PublicKey& publicKey, std::string_view token,
                                    const shared::RecordId& expectedSessionId, std::int64_t nowMs);

}  // namespace verdant::training
