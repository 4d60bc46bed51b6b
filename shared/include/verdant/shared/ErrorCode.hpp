#pragma once

/// The one table of Verdant error codes, used by the server's responses, the SDK and the C API.
///
/// Every error that crosses a boundary (HTTP response, SDK result, C API return) carries one of
/// these codes plus a human-readable message. Clients decide what to do (retry, re-stamp, sign in
/// again, show the user) from the code's category, never from the message text.
///
/// Rules for this table:
///  - Codes are stable: never rename or renumber a row that has shipped; add new rows at the end
///    of their group. The numeric value is what the C API returns.
///  - The wire name (snake_case) is what JSON bodies carry in `error.code`.
///  - The HTTP status is part of the protocol, so it lives here rather than in the server.

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace verdant::shared {

/// What kind of failure a code is; retry and UI decisions read this.
enum class ErrorCategory : std::uint8_t {
    InvalidInput,  ///< The request or value is wrong; retrying unchanged fails again.
    Unauthorised,  ///< Missing, expired or bad credentials; sign in again.
    Forbidden,     ///< Authenticated but not allowed; retrying does not help.
    NotFound,      ///< The addressed thing does not exist (for this tenant).
    Conflict,      ///< The state changed underneath; a person or a merge decides.
    ClockSkew,     ///< The device clock is too far off; re-stamp and retry.
    Transient,     ///< Temporary; retry with backoff.
    Internal,      ///< A defect on the server side; retry later, report it.
};

// X(Enumerator, numeric value, wire name, category, HTTP status, default message)
#define VERDANT_ERROR_CODES(X)                                                                     \
    /* 1xx: request shape and transport */                                                         \
    X(InvalidRequest, 100, "invalid_request", InvalidInput, 400, "The request is malformed.")      \
    X(MalformedJson, 101, "malformed_json", InvalidInput, 400,                                     \
      "The request body is not valid JSON.")                                                       \
    X(PayloadTooLarge, 102, "payload_too_large", InvalidInput, 413,                                \
      "The request body is larger than the server accepts.")                                       \
    X(UnsupportedMediaType, 103, "unsupported_media_type", InvalidInput, 415,                      \
      "The request body's Content-Type is not supported.")                                         \
    X(RouteNotFound, 104, "route_not_found", NotFound, 404, "No such endpoint.")                   \
    X(MethodNotAllowed, 105, "method_not_allowed", InvalidInput, 405,                              \
      "The endpoint does not accept this HTTP method.")                                            \
    X(InvalidParameter, 106, "invalid_parameter", InvalidInput, 400,                               \
      "A request parameter has an invalid value.")                                                 \
    X(HeaderTooLarge, 107, "header_too_large", InvalidInput, 431,                                  \
      "The request's header section, or one header line, is larger than the server accepts.")      \
    X(UriTooLong, 108, "uri_too_long", InvalidInput, 414,                                          \
      "The request URI is longer than the server accepts.")                                        \
    X(HttpVersionNotSupported, 109, "http_version_not_supported", InvalidInput, 505,               \
      "Only HTTP/1.1 and HTTP/1.0 are served.")                                                    \
    X(RequestTimeout, 110, "request_timeout", Transient, 408,                                      \
      "The request did not arrive in time.")                                                       \
    X(NotImplemented, 111, "not_implemented", InvalidInput, 501,                                   \
      "The server does not support this feature of HTTP (a transfer coding).")                     \
    /* 2xx: authentication and permission */                                                       \
    X(Unauthenticated, 200, "unauthenticated", Unauthorised, 401, "Sign in to use this endpoint.") \
    X(Forbidden, 201, "forbidden", Forbidden, 403, "You are not allowed to do this.")              \
    X(InvalidCredentials, 202, "invalid_credentials", Unauthorised, 401,                           \
      "The tenant, user name or password is wrong.")                                               \
    X(TokenExpired, 203, "token_expired", Unauthorised, 401,                                       \
      "The access token has expired; refresh it.")                                                 \
    X(TokenInvalid, 204, "token_invalid", Unauthorised, 401, "The token is not valid.")            \
    X(TokenRevoked, 205, "token_revoked", Unauthorised, 401,                                       \
      "The token was revoked; sign in again.")                                                     \
    X(DeviceNotRegistered, 206, "device_not_registered", Forbidden, 403,                           \
      "The device is not registered to this user.")                                                \
    X(AlreadyExists, 207, "already_exists", Conflict, 409, "It already exists.")                   \
    X(NotFound, 208, "not_found", NotFound, 404, "No such item.")                                  \
    X(NotSignedIn, 209, "not_signed_in", Unauthorised, 401,                                        \
      "No one is signed in on this device for that account; sign in online first.")                \
    X(TooManyAttempts, 210, "too_many_attempts", Transient, 429,                                   \
      "Too many failed sign-ins for this account; wait before trying again.")                      \
    /* 3xx: schema and values (sync engine) */                                                     \
    X(UnknownCollection, 300, "unknown_collection", InvalidInput, 400,                             \
      "The collection is not part of the schema.")                                                 \
    X(UnknownField, 301, "unknown_field", InvalidInput, 400,                                       \
      "The field is not part of the collection.")                                                  \
    X(WrongType, 302, "wrong_type", InvalidInput, 400,                                             \
      "The value does not have the field's type.")                                                 \
    X(InvalidEnumValue, 303, "invalid_enum_value", InvalidInput, 400,                              \
      "The value is not one of the field's allowed values.")                                       \
    X(ValueTooLarge, 304, "value_too_large", InvalidInput, 400,                                    \
      "The value is larger than the field allows.")                                                \
    X(ImmutableField, 305, "immutable_field", Conflict, 409,                                       \
      "The field was already written and cannot change.")                                          \
    X(InvalidChange, 306, "invalid_change", InvalidInput, 400, "The change is not well formed.")   \
    X(ClockSkew, 307, "clock_skew", ClockSkew, 422,                                                \
      "The change is dated too far in the future; re-stamp and retry.")                            \
    X(InvalidSchema, 308, "invalid_schema", Internal, 500, "The declared schema is inconsistent.") \
    X(UnsupportedStoreVersion, 309, "unsupported_store_version", Internal, 500,                    \
      "The database was written by a newer version of Verdant.")                                   \
    X(UnknownQuestion, 310, "unknown_question", InvalidInput, 422,                                 \
      "The question is not part of the audit's template version.")                                 \
    X(InvalidAnswer, 311, "invalid_answer", InvalidInput, 422,                                     \
      "The answer does not have the form the question asks for.")                                  \
    X(AnswerOutOfRange, 312, "answer_out_of_range", InvalidInput, 422,                             \
      "The answer is outside the range the question allows.")                                      \
    X(ChoiceNotInList, 313, "choice_not_in_list", InvalidInput, 422,                               \
      "The answer is not one of the question's choices.")                                          \
    X(AnswerTooLong, 314, "answer_too_long", InvalidInput, 422,                                    \
      "The answer is longer than the question allows.")                                            \
    X(InvalidTransition, 315, "invalid_transition", Conflict, 409,                                 \
      "The record's workflow does not allow that step from where it is now.")                      \
    X(AuditLocked, 316, "audit_locked", Conflict, 409,                                             \
      "The audit is approved; its checklist can no longer be changed.")                            \
    X(UnknownCourse, 320, "unknown_course", InvalidInput, 422,                                     \
      "The training session names a course that does not exist.")                                  \
    X(InvalidCapacity, 321, "invalid_capacity", InvalidInput, 422,                                 \
      "A capacity, duration or grace period must be a whole number of at least 0.")                \
    X(InvalidSchedule, 322, "invalid_schedule", InvalidInput, 422,                                 \
      "A training session must end after it starts.")                                              \
    X(SessionCancelled, 323, "session_cancelled", Conflict, 409,                                   \
      "The training session is cancelled; nobody can register or check in any more.")              \
    X(SessionFull, 324, "session_full", Conflict, 409,                                             \
      "The training session is full and keeps no waitlist.")                                       \
    X(OutcomeReasonRequired, 325, "outcome_reason_required", InvalidInput, 422,                    \
      "An attendance outcome set by hand needs a reason in the same action.")                      \
    /* 4xx: sync protocol */                                                                       \
    X(InvalidCursor, 400, "invalid_cursor", InvalidInput, 400, "A pull cursor is not valid.")      \
    X(DeviceMismatch, 401, "device_mismatch", Forbidden, 403,                                      \
      "The changes are not from the device this sign-in belongs to.")                              \
    X(BatchTooLarge, 402, "batch_too_large", InvalidInput, 413,                                    \
      "The batch has more changes than the server accepts in one push.")                           \
    X(NotInScope, 403, "not_in_scope", Forbidden, 403,                                             \
      "The record is not among those you may change (not assigned to you).")                       \
    X(ChecksumMismatch, 404, "checksum_mismatch", Transient, 500,                                  \
      "The device's copy of a scope still differs from the server's after a repair.")              \
    /* 5xx: training (offline check-in at the door) */                                             \
    X(CheckInTokenMalformed, 500, "checkin_token_malformed", InvalidInput, 400,                    \
      "This is not a readable Verdant check-in token.")                                            \
    X(CheckInTokenForged, 501, "checkin_token_forged", Forbidden, 403,                             \
      "The check-in token was not signed by this organisation: it is forged or altered.")          \
    X(CheckInTokenExpired, 502, "checkin_token_expired", InvalidInput, 422,                        \
      "The check-in token has expired.")                                                           \
    X(CheckInTokenNotYetValid, 503, "checkin_token_not_yet_valid", InvalidInput, 422,              \
      "The check-in token is not valid yet (or this device's clock is wrong).")                    \
    X(CheckInTokenOtherSession, 504, "checkin_token_other_session", InvalidInput, 422,             \
      "The check-in token is for another training session.")                                       \
    X(CertificateMalformed, 505, "certificate_malformed", InvalidInput, 400,                       \
      "This is not a Verdant training certificate.")                                               \
    X(CertificateForged, 506, "certificate_forged", Forbidden, 403,                                \
      "The certificate's signature is not the issuer's.")                                          \
    X(CertificateRevoked, 507, "certificate_revoked", Conflict, 409,                               \
      "The certificate was revoked by its issuer.")                                                \
    /* 6xx: photos (resumable uploads, blob store) */                                              \
    X(UploadNotFound, 600, "upload_not_found", NotFound, 404,                                      \
      "No such upload (or it is not yours); start a new one.")                                     \
    X(UploadOffsetMismatch, 601, "upload_offset_mismatch", Conflict, 409,                          \
      "The chunk does not start where the upload stands; ask for its offset and resume there.")    \
    X(UploadChecksumMismatch, 602, "upload_checksum_mismatch", Transient, 460,                     \
      "The chunk does not match its checksum; nothing of it was kept, send it again.")             \
    X(UploadExpired, 603, "upload_expired", NotFound, 410,                                         \
      "The upload expired unfinished and was removed; start a new one.")                           \
    X(BlobTooLarge, 604, "blob_too_large", InvalidInput, 413,                                      \
      "The file is larger than the server accepts.")                                               \
    X(MediaTypeNotAllowed, 605, "media_type_not_allowed", InvalidInput, 415,                       \
      "The file is not a JPEG, PNG, HEIC or PDF (judged by its bytes, not its name).")             \
    X(QuotaExceeded, 606, "quota_exceeded", Forbidden, 403,                                        \
      "The organisation's photo storage is full; ask an administrator to raise the quota.")        \
    X(BlobHashMismatch, 607, "blob_hash_mismatch", Transient, 460,                                 \
      "The uploaded bytes do not have the SHA-256 the upload named; nothing was kept, upload "     \
      "again.")                                                                                    \
    X(UploadLocked, 608, "upload_locked", Transient, 423,                                          \
      "Another request is writing to this upload; retry shortly.")                                 \
    X(TusVersionNotSupported, 609, "tus_version_not_supported", InvalidInput, 412,                 \
      "Only tus 1.0.0 is served (send Tus-Resumable: 1.0.0).")                                     \
    /* 9xx: server and connection state */                                                         \
    X(StorageUnavailable, 900, "storage_unavailable", Transient, 503,                              \
      "The storage is temporarily unavailable.")                                                   \
    X(ShuttingDown, 901, "shutting_down", Transient, 503, "The server is shutting down.")          \
    X(ServerUnreachable, 902, "server_unreachable", Transient, 503,                                \
      "The server cannot be reached.")                                                             \
    X(TlsUntrusted, 903, "tls_untrusted", Forbidden, 495,                                          \
      "The server's TLS certificate is not trusted.")                                              \
    X(ServerBusy, 904, "server_busy", Transient, 503, "The server is busy; retry shortly.")        \
    X(InternalError, 999, "internal_error", Internal, 500, "An internal error occurred.")

/// Stable error codes; the numeric value is part of the C API.
enum class ErrorCode : std::uint16_t {
#define VERDANT_ERROR_ENUM(name, value, wire, category, status, message) name = value,
    VERDANT_ERROR_CODES(VERDANT_ERROR_ENUM)
#undef VERDANT_ERROR_ENUM
};

/// The wire name of a code, e.g. "payload_too_large".
std::string_view wireName(ErrorCode code) noexcept;

/// The code with that wire name, or nullopt for a name not in the table.
std::optional<ErrorCode> errorCodeFromWireName(std::string_view name) noexcept;

/// The code with that numeric value, or nullopt for a value not in the table.
std::optional<ErrorCode> errorCodeFromNumber(std::uint16_t value) noexcept;

/// The category of a code.
ErrorCategory categoryOf(ErrorCode code) noexcept;

/// The lower-case name of a category, e.g. "invalid_input".
std::string_view wireName(ErrorCategory category) noexcept;

/// The HTTP status a response carrying this code uses.
int httpStatusOf(ErrorCode code) noexcept;

/// A piece of a client's text (a name, a key, a query value) as an error message may quote it:
/// whole up to 64 bytes, else cut there at a UTF-8 character boundary and marked with an
/// ellipsis, so that no message echoes a huge client string.
std::string quotedInput(std::string_view text);

/// The default, user-presentable message of a code.
std::string_view defaultMessage(ErrorCode code) noexcept;

/// Whether a client should retry the same request later (transient or clock skew after
/// re-stamping).
bool isRetryable(ErrorCode code) noexcept;

/// An error code with a message, thrown at layer edges and carried in results.
///
/// The message is safe to show to a user: it never contains SQL, paths or stack traces.
class Error : public std::runtime_error {
public:
    /// An error with the code's default message.
    explicit Error(ErrorCode code);
    /// An error with a specific message (which must be safe to show a user).
    Error(ErrorCode code, std::string message);

    /// The stable code.
    ErrorCode code() const noexcept { return _code; }

private:
    ErrorCode _code;
};

}  // namespace verdant::shared
