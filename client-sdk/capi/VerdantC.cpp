// The C API (verdant.h): a thin shim over verdant::client::Client. Every entry point checks its
// arguments, runs the C++ call inside guarded(), which turns every exception into an error code
// and the calling thread's last-error message, and copies results out as caller-owned UTF-8.
// This file holds the error codes and the core: errors, version, ids, opening and closing, records,
// writes, subscriptions and the log; the photo, training and sync functions have files of their
// own (VerdantPhotosC.cpp, VerdantTrainingC.cpp, VerdantSyncC.cpp).

#include "CapiSupport.hpp"
#include "RecordJson.hpp"

#include "verdant/audit/Collections.hpp"
#include "verdant/client/Client.hpp"
#include "verdant/shared/Clock.hpp"
#include "verdant/shared/ErrorCode.hpp"
#include "verdant/shared/IdGenerator.hpp"
#include "verdant/shared/Version.hpp"
#include "verdant/verdant.h"

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <iterator>
#include <limits>
#include <string>
#include <utility>

namespace verdant::capi {
namespace {

using client::Client;
using shared::ErrorCode;

// --- The C constants are the C++ values --------------------------------------------------------
//
// verdant.h is plain C and cannot include the X-macro table, so its constants are written out.
// These checks fail the build if a number differs or if a row of the table has no C constant
// (a new code must be added to verdant.h too).

struct CodePair {
    int c;
    ErrorCode cpp;
};

constexpr CodePair kCodePairs[] = {
    {VERDANT_ERROR_INVALID_REQUEST, ErrorCode::InvalidRequest},
    {VERDANT_ERROR_MALFORMED_JSON, ErrorCode::MalformedJson},
    {VERDANT_ERROR_PAYLOAD_TOO_LARGE, ErrorCode::PayloadTooLarge},
    {VERDANT_ERROR_UNSUPPORTED_MEDIA_TYPE, ErrorCode::UnsupportedMediaType},
    {VERDANT_ERROR_ROUTE_NOT_FOUND, ErrorCode::RouteNotFound},
    {VERDANT_ERROR_METHOD_NOT_ALLOWED, ErrorCode::MethodNotAllowed},
    {VERDANT_ERROR_INVALID_PARAMETER, ErrorCode::InvalidParameter},
    {VERDANT_ERROR_HEADER_TOO_LARGE, ErrorCode::HeaderTooLarge},
    {VERDANT_ERROR_URI_TOO_LONG, ErrorCode::UriTooLong},
    {VERDANT_ERROR_HTTP_VERSION_NOT_SUPPORTED, ErrorCode::HttpVersionNotSupported},
    {VERDANT_ERROR_REQUEST_TIMEOUT, ErrorCode::RequestTimeout},
    {VERDANT_ERROR_NOT_IMPLEMENTED, ErrorCode::NotImplemented},
    {VERDANT_ERROR_UNAUTHENTICATED, ErrorCode::Unauthenticated},
    {VERDANT_ERROR_FORBIDDEN, ErrorCode::Forbidden},
    {VERDANT_ERROR_INVALID_CREDENTIALS, ErrorCode::InvalidCredentials},
    {VERDANT_ERROR_TOKEN_EXPIRED, ErrorCode::TokenExpired},
    {VERDANT_ERROR_TOKEN_INVALID, ErrorCode::TokenInvalid},
    {VERDANT_ERROR_TOKEN_REVOKED, ErrorCode::TokenRevoked},
    {VERDANT_ERROR_DEVICE_NOT_REGISTERED, ErrorCode::DeviceNotRegistered},
    {VERDANT_ERROR_ALREADY_EXISTS, ErrorCode::AlreadyExists},
    {VERDANT_ERROR_NOT_FOUND, ErrorCode::NotFound},
    {VERDANT_ERROR_NOT_SIGNED_IN, ErrorCode::NotSignedIn},
    {VERDANT_ERROR_TOO_MANY_ATTEMPTS, ErrorCode::TooManyAttempts},
    {VERDANT_ERROR_UNKNOWN_COLLECTION, ErrorCode::UnknownCollection},
    {VERDANT_ERROR_UNKNOWN_FIELD, ErrorCode::UnknownField},
    {VERDANT_ERROR_WRONG_TYPE, ErrorCode::WrongType},
    {VERDANT_ERROR_INVALID_ENUM_VALUE, ErrorCode::InvalidEnumValue},
    {VERDANT_ERROR_VALUE_TOO_LARGE, ErrorCode::ValueTooLarge},
    {VERDANT_ERROR_IMMUTABLE_FIELD, ErrorCode::ImmutableField},
    {VERDANT_ERROR_INVALID_CHANGE, ErrorCode::InvalidChange},
    {VERDANT_ERROR_CLOCK_SKEW, ErrorCode::ClockSkew},
    {VERDANT_ERROR_INVALID_SCHEMA, ErrorCode::InvalidSchema},
    {VERDANT_ERROR_UNSUPPORTED_STORE_VERSION, ErrorCode::UnsupportedStoreVersion},
    {VERDANT_ERROR_UNKNOWN_QUESTION, ErrorCode::UnknownQuestion},
    {VERDANT_ERROR_INVALID_ANSWER, ErrorCode::InvalidAnswer},
    {VERDANT_ERROR_ANSWER_OUT_OF_RANGE, ErrorCode::AnswerOutOfRange},
    {VERDANT_ERROR_CHOICE_NOT_IN_LIST, ErrorCode::ChoiceNotInList},
    {VERDANT_ERROR_ANSWER_TOO_LONG, ErrorCode::AnswerTooLong},
    {VERDANT_ERROR_INVALID_TRANSITION, ErrorCode::InvalidTransition},
    {VERDANT_ERROR_AUDIT_LOCKED, ErrorCode::AuditLocked},
    {VERDANT_ERROR_UNKNOWN_COURSE, ErrorCode::UnknownCourse},
    {VERDANT_ERROR_INVALID_CAPACITY, ErrorCode::InvalidCapacity},
    {VERDANT_ERROR_INVALID_SCHEDULE, ErrorCode::InvalidSchedule},
    {VERDANT_ERROR_SESSION_CANCELLED, ErrorCode::SessionCancelled},
    {VERDANT_ERROR_SESSION_FULL, ErrorCode::SessionFull},
    {VERDANT_ERROR_OUTCOME_REASON_REQUIRED, ErrorCode::OutcomeReasonRequired},
    {VERDANT_ERROR_INVALID_CURSOR, ErrorCode::InvalidCursor},
    {VERDANT_ERROR_DEVICE_MISMATCH, ErrorCode::DeviceMismatch},
    {VERDANT_ERROR_BATCH_TOO_LARGE, ErrorCode::BatchTooLarge},
    {VERDANT_ERROR_NOT_IN_SCOPE, ErrorCode::NotInScope},
    {VERDANT_ERROR_CHECKSUM_MISMATCH, ErrorCode::ChecksumMismatch},
    {VERDANT_ERROR_CHECKIN_TOKEN_MALFORMED, ErrorCode::CheckInTokenMalformed},
    {VERDANT_ERROR_CHECKIN_TOKEN_FORGED, ErrorCode::CheckInTokenForged},
    {VERDANT_ERROR_CHECKIN_TOKEN_EXPIRED, ErrorCode::CheckInTokenExpired},
    {VERDANT_ERROR_CHECKIN_TOKEN_NOT_YET_VALID, ErrorCode::CheckInTokenNotYetValid},
    {VERDANT_ERROR_CHECKIN_TOKEN_OTHER_SESSION, ErrorCode::CheckInTokenOtherSession},
    {VERDANT_ERROR_CERTIFICATE_MALFORMED, ErrorCode::CertificateMalformed},
    {VERDANT_ERROR_CERTIFICATE_FORGED, ErrorCode::CertificateForged},
    {VERDANT_ERROR_CERTIFICATE_REVOKED, ErrorCode::CertificateRevoked},
    {VERDANT_ERROR_UPLOAD_NOT_FOUND, ErrorCode::UploadNotFound},
    {VERDANT_ERROR_UPLOAD_OFFSET_MISMATCH, ErrorCode::UploadOffsetMismatch},
    {VERDANT_ERROR_UPLOAD_CHECKSUM_MISMATCH, ErrorCode::UploadChecksumMismatch},
    {VERDANT_ERROR_UPLOAD_EXPIRED, ErrorCode::UploadExpired},
    {VERDANT_ERROR_BLOB_TOO_LARGE, ErrorCode::BlobTooLarge},
    {VERDANT_ERROR_MEDIA_TYPE_NOT_ALLOWED, ErrorCode::MediaTypeNotAllowed},
    {VERDANT_ERROR_QUOTA_EXCEEDED, ErrorCode::QuotaExceeded},
    {VERDANT_ERROR_BLOB_HASH_MISMATCH, ErrorCode::BlobHashMismatch},
    {VERDANT_ERROR_UPLOAD_LOCKED, ErrorCode::UploadLocked},
    {VERDANT_ERROR_TUS_VERSION_NOT_SUPPORTED, ErrorCode::TusVersionNotSupported},
    {VERDANT_ERROR_STORAGE_UNAVAILABLE, ErrorCode::StorageUnavailable},
    {VERDANT_ERROR_SHUTTING_DOWN, ErrorCode::ShuttingDown},
    {VERDANT_ERROR_SERVER_UNREACHABLE, ErrorCode::ServerUnreachable},
    {VERDANT_ERROR_TLS_UNTRUSTED, ErrorCode::TlsUntrusted},
    {VERDANT_ERROR_SERVER_BUSY, ErrorCode::ServerBusy},
    {VERDANT_ERROR_INTERNAL_ERROR, ErrorCode::InternalError},
};

constexpr ErrorCode kTableCodes[] = {
#define VERDANT_C_TABLE_CODE(name, value, wire, category, status, message) ErrorCode::name,
    VERDANT_ERROR_CODES(VERDANT_C_TABLE_CODE)
#undef VERDANT_C_TABLE_CODE
};

constexpr bool everyPairMatches() {
    for (const auto& pair : kCodePairs) {
        if (pair.c != static_cast<int>(pair.cpp) || pair.c == VERDANT_OK) {
            return false;
        }
    }
    return true;
}

constexpr bool everyTableRowHasAConstant() {
    for (const auto code : kTableCodes) {
        const bool found = std::any_of(std::begin(kCodePairs), std::end(kCodePairs),
                                       [&](const CodePair& pair) { return pair.cpp == code; });
        if (!found) {
            return false;
        }
    }
    return std::size(kCodePairs) == std::size(kTableCodes);
}

static_assert(everyPairMatches(), "a VERDANT_ERROR_* constant differs from shared::ErrorCode");
static_assert(everyTableRowHasAConstant(),
              "shared::ErrorCode has a code without a VERDANT_ERROR_* constant in verdant.h");

static_assert(VERDANT_CATEGORY_INVALID_INPUT ==
              static_cast<int>(shared::ErrorCategory::InvalidInput));
static_assert(VERDANT_CATEGORY_UNAUTHORISED ==
              static_cast<int>(shared::ErrorCategory::Unauthorised));
static_assert(VERDANT_CATEGORY_FORBIDDEN == static_cast<int>(shared::ErrorCategory::Forbidden));
static_assert(VERDANT_CATEGORY_NOT_FOUND == static_cast<int>(shared::ErrorCategory::NotFound));
static_assert(VERDANT_CATEGORY_CONFLICT == static_cast<int>(shared::ErrorCategory::Conflict));
static_assert(VERDANT_CATEGORY_CLOCK_SKEW == static_cast<int>(shared::ErrorCategory::ClockSkew));
static_assert(VERDANT_CATEGORY_TRANSIENT == static_cast<int>(shared::ErrorCategory::Transient));
static_assert(VERDANT_CATEGORY_INTERNAL == static_cast<int>(shared::ErrorCategory::Internal));

static_assert(VERDANT_LOG_DEBUG == static_cast<int>(client::LogLevel::Debug));
static_assert(VERDANT_LOG_INFO == static_cast<int>(client::LogLevel::Info));
static_assert(VERDANT_LOG_WARNING == static_cast<int>(client::LogLevel::Warning));
static_assert(VERDANT_LOG_ERROR == static_cast<int>(client::LogLevel::Error));

}  // namespace
}  // namespace verdant::capi

// The entry points below name their handle parameter `client` (as verdant.h does), which hides
// the namespace verdant::client inside them: they spell out verdant::client:: and
// verdant::shared::.
using namespace verdant::capi;  // NOLINT(google-build-using-namespace): the C API's own helpers

extern "C" {

// --- Errors and strings --------------------------------------------------------------------------

const char* verdant_error_name(int code) {
    if (code == VERDANT_OK) {
        return "ok";
    }
    if (code < 0 || code > std::numeric_limits<std::uint16_t>::max()) {
        return "unknown";
    }
    const auto known = verdant::shared::errorCodeFromNumber(static_cast<std::uint16_t>(code));
    if (!known) {
        return "unknown";
    }
    // wireName() views the table's string literals, which are NUL-terminated.
    return verdant::shared::wireName(*known).data();
}

int verdant_error_category(int code) {
    if (code <= 0 || code > std::numeric_limits<std::uint16_t>::max()) {
        return -1;
    }
    const auto known = verdant::shared::errorCodeFromNumber(static_cast<std::uint16_t>(code));
    return known ? static_cast<int>(verdant::shared::categoryOf(*known)) : -1;
}

int verdant_error_is_retryable(int code) {
    if (code <= 0 || code > std::numeric_limits<std::uint16_t>::max()) {
        return 0;
    }
    const auto known = verdant::shared::errorCodeFromNumber(static_cast<std::uint16_t>(code));
    return known && verdant::shared::isRetryable(*known) ? 1 : 0;
}

int verdant_last_error_code(void) {
    return lastError().code;
}

const char* verdant_last_error_message(void) {
    return lastError().message.c_str();
}

const char* verdant_last_error_field(void) {
    return lastError().field.c_str();
}

void verdant_string_free(char* string) {
    std::free(string);
}

// --- Library and ids
// -------------------------------------------------------------------------------

const char* verdant_version(void) {
    // versionString() views a string literal (the CMake project version), so it is terminated.
    return verdant::shared::versionString().data();
}

int verdant_new_record_id(char** out_id) {
    clearOut(out_id);
    return guarded([&] {
        auto& out = required(out_id, "out_id");
        static verdant::shared::IdGenerator generator(verdant::shared::SystemClock::instance());
        out = copyOut(generator.nextRecordId().toString());
    });
}

int verdant_answer_record_id(const char* audit_id, const char* question_id, char** out_id) {
    clearOut(out_id);
    return guarded([&] {
        const auto audit = recordIdOf(audit_id, "audit_id");
        const auto question = text(question_id, "question_id");
        auto& out = required(out_id, "out_id");
        out = copyOut(verdant::audit::answerRecordId(audit, question).toString());
    });
}

// --- Opening and closing -------------------------------------------------------------------------

void verdant_options_init(verdant_options* options) {
    if (!options) {
        return;
    }
    *options = verdant_options{};
    options->struct_size = sizeof(verdant_options);
}

int verdant_sign_in(const verdant_options* options, const char* tenant, const char* username,
                    const char* password, verdant_client** out_client) {
    clearOut(out_client);
    return guarded([&] {
        auto clientOptions = clientOptionsOf(options);
        const auto tenantText = text(tenant, "tenant");
        const auto usernameText = text(username, "username");
        const auto passwordText = text(password, "password");
        auto& out = required(out_client, "out_client");
        out = handleOf(
            Client::signIn(std::move(clientOptions), tenantText, usernameText, passwordText));
    });
}

int verdant_open(const verdant_options* options, const char* tenant, const char* username,
                 verdant_client** out_client) {
    clearOut(out_client);
    return guarded([&] {
        auto clientOptions = clientOptionsOf(options);
        const auto tenantText = text(tenant, "tenant");
        const auto usernameText = text(username, "username");
        auto& out = required(out_client, "out_client");
        out = handleOf(Client::open(std::move(clientOptions), tenantText, usernameText));
    });
}

int verdant_database_path(const char* data_directory, const char* tenant, const char* username,
                          char** out_path) {
    clearOut(out_path);
    return guarded([&] {
        const auto directory = text(data_directory, "data_directory");
        const auto tenantText = text(tenant, "tenant");
        const auto usernameText = text(username, "username");
        auto& out = required(out_path, "out_path");
        out = copyOut(Client::databasePath(directory, tenantText, usernameText));
    });
}

int verdant_sign_out(verdant_client* client) {
    return guarded([&] { clientOf(client).signOut(); });
}

void verdant_close(verdant_client* client) {
    delete client;  // ~Client stops background sync and closes the store; it does not throw.
}

// --- Reads
// -----------------------------------------------------------------------------------------

int verdant_record_json(verdant_client* client, const char* collection, const char* record_id,
                        char** out_json) {
    clearOut(out_json);
    return guarded([&] {
        auto& sdk = clientOf(client);
        const auto& spec = collectionOf(collection);
        const auto id = recordIdOf(record_id, "record_id");
        auto& out = required(out_json, "out_json");
        const auto record = sdk.record(spec.name(), id);
        if (!record) {
            throw verdant::shared::Error(
                ErrorCode::NotFound,
                "This device holds no record " + id.toString() + " in " + spec.name() + ".");
        }
        out = copyOut(recordJson(*record));
    });
}

int verdant_records_json(verdant_client* client, const char* collection, char** out_json) {
    clearOut(out_json);
    return guarded([&] {
        auto& sdk = clientOf(client);
        const auto& spec = collectionOf(collection);
        auto& out = required(out_json, "out_json");
        out = copyOut(recordsJson(sdk.records(spec.name())));
    });
}

int verdant_query_json(verdant_client* client, const char* collection, const char* field,
                       const char* value_json, char** out_json) {
    clearOut(out_json);
    return guarded([&] {
        auto& sdk = clientOf(client);
        const auto& spec = collectionOf(collection);
        const auto fieldName = text(field, "field");
        const auto* fieldSpec = spec.field(fieldName);
        if (!fieldSpec) {
            throw FieldInputError(
                ErrorCode::UnknownField, fieldName,
                "The collection " + spec.name() + " has no field " + fieldName + ".");
        }
        const auto value = queryValueFromJson(*fieldSpec, text(value_json, "value_json"));
        auto& out = required(out_json, "out_json");
        out = copyOut(recordsJson(sdk.query(spec.name(), fieldName, value)));
    });
}

int verdant_audit_records_json(verdant_client* client, const char* audit_id, char** out_json) {
    clearOut(out_json);
    return guarded([&] {
        auto& sdk = clientOf(client);
        const auto id = recordIdOf(audit_id, "audit_id");
        auto& out = required(out_json, "out_json");
        out = copyOut(recordsJson(sdk.auditRecords(id)));
    });
}

// --- Writes
// ----------------------------------------------------------------------------------------

int verdant_write_json(verdant_client* client, const char* collection, const char* record_id,
                       const char* fields_json, char** out_result_json) {
    clearOut(out_result_json);
    return guarded([&] {
        auto& sdk = clientOf(client);
        const auto& spec = collectionOf(collection);
        const auto id = recordIdOf(record_id, "record_id");
        const auto writes = fieldWritesFromJson(spec, text(fields_json, "fields_json"));
        const auto result = sdk.write(spec.name(), id, writes);
        requireWritten(result);
        if (out_result_json) {
            *out_result_json = copyOut(writeResultJson(result));
        }
    });
}

int verdant_create_json(verdant_client* client, const char* collection, const char* fields_json,
                        char** out_record_id) {
    clearOut(out_record_id);
    return guarded([&] {
        auto& sdk = clientOf(client);
        const auto& spec = collectionOf(collection);
        const auto writes = fieldWritesFromJson(spec, text(fields_json, "fields_json"));
        const auto result = sdk.create(spec.name(), writes);
        requireWritten(result);
        if (out_record_id) {
            *out_record_id = copyOut(result.recordId.toString());
        }
    });
}

int verdant_remove(verdant_client* client, const char* collection, const char* record_id) {
    return guarded([&] {
        auto& sdk = clientOf(client);
        const auto& spec = collectionOf(collection);
        const auto id = recordIdOf(record_id, "record_id");
        requireWritten(sdk.remove(spec.name(), id));
    });
}

// --- Subscriptions -------------------------------------------------------------------------------

int verdant_subscribe(verdant_client* client, verdant_record_callback callback, void* user_data,
                      uint64_t* out_handle) {
    return guarded([&] {
        auto& sdk = clientOf(client);
        if (!callback) {
            invalid("callback is NULL.");
        }
        auto& out = required(out_handle, "out_handle");
        out = sdk.subscribe(
            [callback, user_data](const verdant::client::RecordEvent& event) noexcept {
                try {
                    const auto id = event.id.toString();
                    verdant_record_event c{};
                    c.struct_size = sizeof(verdant_record_event);
                    c.collection = event.collection.c_str();
                    c.record_id = id.c_str();
                    c.origin = event.origin == verdant::client::RecordEvent::Origin::Sync
                                   ? VERDANT_ORIGIN_SYNC
                                   : VERDANT_ORIGIN_LOCAL;
                    c.removed = event.removed ? 1 : 0;
                    callback(user_data, &c);
                } catch (...) {  // out of memory making the id text: skip this one event
                }
            });
    });
}

int verdant_unsubscribe(verdant_client* client, uint64_t handle) {
    return guarded([&] { clientOf(client).unsubscribe(handle); });
}

// --- Log -----------------------------------------------------------------------------------------

int verdant_set_log_callback(verdant_client* client, verdant_log_callback callback,
                             void* user_data) {
    return guarded([&] {
        auto& sdk = clientOf(client);
        if (!callback) {
            sdk.setLogCallback({});
            return;
        }
        sdk.setLogCallback([callback, user_data](const verdant::client::LogEntry& entry) {
            const std::string event(entry.event);  // NUL-terminated for C
            verdant_log_entry c{};
            c.struct_size = sizeof(verdant_log_entry);
            c.level = static_cast<int>(entry.level);
            c.event = event.c_str();
            c.message = entry.message.c_str();
            c.changes = entry.changes;
            c.bytes = entry.bytes;
            c.scopes = entry.scopes;
            c.duration_ms = entry.durationMs;
            c.error_code = entry.error ? static_cast<int>(*entry.error) : VERDANT_OK;
            callback(user_data, &c);
        });
    });
}

}  // extern "C"
