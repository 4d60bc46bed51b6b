// The C API (verdant.h): a thin shim over verdant::client::Client. Every entry point checks its
// arguments, runs the C++ call inside guarded(), which turns every exception into an error code
// and the calling thread's last-error message, and copies results out as caller-owned UTF-8.

#include "JsonWriter.hpp"
#include "PhotoJson.hpp"
#include "RecordJson.hpp"

#include "verdant/client/Client.hpp"
#include "verdant/domain/DomainSchema.hpp"
#include "verdant/shared/Clock.hpp"
#include "verdant/shared/ErrorCode.hpp"
#include "verdant/shared/IdGenerator.hpp"
#include "verdant/shared/Version.hpp"
#include "verdant/verdant.h"

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <iterator>
#include <limits>
#include <memory>
#include <new>
#include <optional>
#include <string>
#include <utility>

/// The opaque handle of verdant.h: owns one Client.
struct verdant_client {
    std::unique_ptr<verdant::client::Client> client;
};

namespace verdant::capi {
namespace {

using client::Client;
using client::RecordSyncState;
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

static_assert(VERDANT_SYNC_STATE_LOCAL == static_cast<int>(RecordSyncState::Local));
static_assert(VERDANT_SYNC_STATE_QUEUED == static_cast<int>(RecordSyncState::Queued));
static_assert(VERDANT_SYNC_STATE_SENT == static_cast<int>(RecordSyncState::Sent));
static_assert(VERDANT_SYNC_STATE_SYNCED == static_cast<int>(RecordSyncState::Synced));
static_assert(VERDANT_SYNC_STATE_CONFLICT == static_cast<int>(RecordSyncState::Conflict));
static_assert(VERDANT_SYNC_STATE_QUARANTINED == static_cast<int>(RecordSyncState::Quarantined));
static_assert(VERDANT_PHOTO_PENDING == static_cast<int>(client::PhotoUploadState::Pending));
static_assert(VERDANT_PHOTO_UPLOADING == static_cast<int>(client::PhotoUploadState::Uploading));
static_assert(VERDANT_PHOTO_UPLOADED == static_cast<int>(client::PhotoUploadState::Uploaded));
static_assert(VERDANT_PHOTO_FAILED == static_cast<int>(client::PhotoUploadState::Failed));
static_assert(VERDANT_NETWORK_WIFI == static_cast<int>(client::NetworkKind::Wifi));
static_assert(VERDANT_NETWORK_CELLULAR == static_cast<int>(client::NetworkKind::Cellular));
static_assert(VERDANT_NETWORK_NONE == static_cast<int>(client::NetworkKind::None));
static_assert(VERDANT_LOG_DEBUG == static_cast<int>(client::LogLevel::Debug));
static_assert(VERDANT_LOG_INFO == static_cast<int>(client::LogLevel::Info));
static_assert(VERDANT_LOG_WARNING == static_cast<int>(client::LogLevel::Warning));
static_assert(VERDANT_LOG_ERROR == static_cast<int>(client::LogLevel::Error));

// The sizes of the first versions of the versioned structs: a caller compiled against any later
// header passes at least this much. Freeze these when members are added.
constexpr std::size_t kOptionsV1Size =
    offsetof(verdant_options, retry_initial_delay_ms) + sizeof(int);
constexpr std::size_t kSyncReportV1Size =
    offsetof(verdant_sync_report, server_offset_ms) + sizeof(std::int64_t);

// --- Last error, per thread ----------------------------------------------------------------------

struct LastError {
    int code = VERDANT_OK;
    std::string message;
    std::string field;
};

thread_local LastError tLastError;

void setLastError(int code, const char* message, const char* field) noexcept {
    tLastError.code = code;
    try {
        tLastError.message = message;
        tLastError.field = field;
    } catch (...) {  // out of memory: keep the code, drop the words
        tLastError.message.clear();
        tLastError.field.clear();
    }
}

int fail(ErrorCode code, const char* message, const char* field = "") noexcept {
    setLastError(static_cast<int>(code), message, field);
    return static_cast<int>(code);
}

/// Runs `body`, returning VERDANT_OK or the code of whatever it threw; no exception escapes.
template <class Body>
int guarded(Body&& body) noexcept {
    try {
        body();
        setLastError(VERDANT_OK, "", "");
        return VERDANT_OK;
    } catch (const FieldInputError& error) {
        return fail(error.code(), error.what(), error.field().c_str());
    } catch (const shared::Error& error) {
        return fail(error.code(), error.what());
    } catch (const std::bad_alloc&) {
        return fail(ErrorCode::InternalError, "Out of memory.");
    } catch (...) {
        // Foreign exceptions (Poco, the standard library) may carry internals in what():
        // never show those, the code's default message says enough.
        return fail(ErrorCode::InternalError, "An internal error occurred.");
    }
}

// --- Arguments -------------------------------------------------------------------------------

[[noreturn]] void invalid(const std::string& message) {
    throw shared::Error(ErrorCode::InvalidParameter, message);
}

/// A required UTF-8 string argument.
std::string text(const char* value, const char* name) {
    if (!value) {
        invalid(std::string(name) + " is NULL.");
    }
    std::string copy(value);
    if (!isValidUtf8(copy)) {
        invalid(std::string(name) + " is not valid UTF-8.");
    }
    return copy;
}

/// An optional UTF-8 string argument (NULL = empty).
std::string optionalText(const char* value, const char* name) {
    return value ? text(value, name) : std::string();
}

template <class T>
T& required(T* pointer, const char* name) {
    if (!pointer) {
        invalid(std::string(name) + " is NULL.");
    }
    return *pointer;
}

Client& clientOf(verdant_client* handle) {
    if (!handle || !handle->client) {
        invalid("client is NULL.");
    }
    return *handle->client;
}

const shared::CollectionSpec& collectionOf(const char* name) {
    const auto collection = text(name, "collection");
    const auto* spec = domain::domainSchema().collection(collection);
    if (!spec) {
        throw shared::Error(ErrorCode::UnknownCollection,
                            "The collection " + collection + " is not part of the schema.");
    }
    return *spec;
}

shared::RecordId recordIdOf(const char* value, const char* name) {
    const auto id = shared::RecordId::parse(text(value, name));
    if (!id) {
        invalid(std::string(name) + " is not a record id (UUID text).");
    }
    return *id;
}

/// Sets an out-pointer to NULL before anything can fail, so a failed call leaves NULL behind.
template <class T>
void clearOut(T** out) noexcept {
    if (out) {
        *out = nullptr;
    }
}

/// A caller-owned copy of `value`, freed with verdant_string_free().
char* copyOut(const std::string& value) {
    auto* copy = static_cast<char*>(std::malloc(value.size() + 1));
    if (!copy) {
        throw std::bad_alloc();
    }
    std::memcpy(copy, value.c_str(), value.size() + 1);
    return copy;
}

client::ClientOptions clientOptionsOf(const verdant_options* options) {
    const auto& given = required(options, "options");
    if (given.struct_size < kOptionsV1Size) {
        invalid("options->struct_size is too small; fill the options with verdant_options_init().");
    }
    client::ClientOptions result;
    result.dataDirectory = text(given.data_directory, "options->data_directory");
    result.server.baseUrl = text(given.server_url, "options->server_url");
    if (result.dataDirectory.empty() || result.server.baseUrl.empty()) {
        invalid("options->data_directory and options->server_url are required.");
    }
    result.server.caFile = optionalText(given.ca_file, "options->ca_file");
    if (given.device_name) {
        result.deviceName = text(given.device_name, "options->device_name");
    }
    if (given.timeout_seconds < 0 || given.retry_max_attempts < 0 ||
        given.retry_initial_delay_ms < 0) {
        invalid("options: timeouts, attempts and delays must not be negative.");
    }
    if (given.timeout_seconds > 0) {
        result.server.timeoutSeconds = given.timeout_seconds;
    }
    result.durable = given.durable != 0;
    if (given.retry_max_attempts > 0) {
        result.retry.maxAttempts = given.retry_max_attempts;
    }
    if (given.retry_initial_delay_ms > 0) {
        result.retry.initialDelay = std::chrono::milliseconds(given.retry_initial_delay_ms);
    }
    return result;
}

/// Adopts a new Client as a handle the caller owns.
verdant_client* handleOf(std::unique_ptr<Client> client) {
    auto handle = std::make_unique<verdant_client>();
    handle->client = std::move(client);
    return handle.release();
}

/// Turns a refused write into the exception guarded() reports.
void requireWritten(const client::WriteResult& result) {
    if (!result.ok) {
        throw FieldInputError(result.error.value_or(ErrorCode::InvalidChange), result.field,
                              result.message);
    }
}

// --- Sync reports --------------------------------------------------------------------------------

verdant_sync_report reportOf(const client::SyncReport& report) {
    verdant_sync_report out{};
    out.struct_size = sizeof(verdant_sync_report);
    out.complete = report.complete ? 1 : 0;
    out.error_count = static_cast<int>(
        std::min<std::size_t>(report.errors.size(), std::numeric_limits<int>::max()));
    out.first_error_code =
        report.errors.empty() ? VERDANT_OK : static_cast<int>(report.errors.front().code);
    out.pushed = report.pushed;
    out.pulled = report.pulled;
    out.conflicts_raised = report.conflictsRaised;
    out.quarantined = report.quarantined;
    out.restamped = report.restamped;
    out.purged_scopes = report.purgedScopes;
    out.repaired_scopes = report.repairedScopes;
    out.open_conflicts = report.openConflicts;
    out.pending_changes = report.pendingChanges;
    out.bytes_sent = report.bytesSent;
    out.bytes_received = report.bytesReceived;
    out.attempts = report.attempts;
    out.server_offset_ms = report.serverOffsetMs;
    return out;
}

/// Copies as much of `report` as the caller's struct (struct_size) holds.
void copyReport(const verdant_sync_report& report, verdant_sync_report* out) noexcept {
    auto copy = report;
    copy.struct_size = std::min(out->struct_size, sizeof(verdant_sync_report));
    std::memcpy(out, &copy, copy.struct_size);
}

using SyncCall =
    client::SyncReport (Client::*)(const std::function<void(const client::SyncProgress&)>&);

int runSync(verdant_client* handle, verdant_sync_report* out, SyncCall call) noexcept {
    client::SyncReport report;
    const int code = guarded([&] {
        auto& sdk = clientOf(handle);
        if (out && out->struct_size < kSyncReportV1Size) {
            invalid("report->struct_size must be sizeof(verdant_sync_report).");
        }
        report = (sdk.*call)({});
        if (out) {
            copyReport(reportOf(report), out);
        }
    });
    if (code == VERDANT_OK && !report.complete && !report.errors.empty()) {
        // The report is the result; its first problem is what the caller shows or acts on.
        const auto& first = report.errors.front();
        setLastError(static_cast<int>(first.code), first.message.c_str(), "");
    }
    return code;
}

}  // namespace
}  // namespace verdant::capi

// The entry points below name their handle parameter `client` (as verdant.h does), which hides
// the namespace verdant::client inside them: they spell out verdant::client:: and
// verdant::shared::.
using namespace verdant::capi;  // NOLINT(google-build-using-namespace): this file's own helpers

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
    return tLastError.code;
}

const char* verdant_last_error_message(void) {
    return tLastError.message.c_str();
}

const char* verdant_last_error_field(void) {
    return tLastError.field.c_str();
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

int verdant_session_records_json(verdant_client* client, const char* session_id, char** out_json) {
    clearOut(out_json);
    return guarded([&] {
        auto& sdk = clientOf(client);
        const auto id = recordIdOf(session_id, "session_id");
        auto& out = required(out_json, "out_json");
        out = copyOut(recordsJson(sdk.sessionRecords(id)));
    });
}

// --- Training at the door ----------------------------------------------------------------------

int verdant_check_in(verdant_client* client, const char* session_id, const char* token,
                     char** out_result_json) {
    clearOut(out_result_json);
    return guarded([&] {
        auto& sdk = clientOf(client);
        const auto id = recordIdOf(session_id, "session_id");
        const auto result = sdk.checkIn(id, text(token, "token"));
        if (!result.ok) {
            throw FieldInputError(result.error.value_or(ErrorCode::InvalidChange), "",
                                  result.message);
        }
        if (out_result_json) {
            *out_result_json = copyOut(checkInResultJson(result));
        }
    });
}

int verdant_check_out(verdant_client* client, const char* registration_id) {
    return guarded([&] {
        auto& sdk = clientOf(client);
        requireWritten(sdk.checkOut(recordIdOf(registration_id, "registration_id")));
    });
}

int verdant_roster_json(verdant_client* client, const char* session_id, char** out_json) {
    clearOut(out_json);
    return guarded([&] {
        auto& sdk = clientOf(client);
        const auto id = recordIdOf(session_id, "session_id");
        auto& out = required(out_json, "out_json");
        out = copyOut(rosterJson(sdk.roster(id)));
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

// --- Sync state, conflicts, quarantine -----------------------------------------------------------

int verdant_sync_state(verdant_client* client, const char* collection, const char* record_id,
                       int* out_state) {
    return guarded([&] {
        auto& sdk = clientOf(client);
        const auto& spec = collectionOf(collection);
        const auto id = recordIdOf(record_id, "record_id");
        auto& out = required(out_state, "out_state");
        out = static_cast<int>(sdk.syncState(spec.name(), id));
    });
}

int verdant_status_json(verdant_client* client, char** out_json) {
    clearOut(out_json);
    return guarded([&] {
        auto& sdk = clientOf(client);
        auto& out = required(out_json, "out_json");
        out = copyOut(statusJson(sdk.status()));
    });
}

int verdant_conflicts_json(verdant_client* client, char** out_json) {
    clearOut(out_json);
    return guarded([&] {
        auto& sdk = clientOf(client);
        auto& out = required(out_json, "out_json");
        out = copyOut(conflictsJson(sdk.conflicts()));
    });
}

int verdant_quarantine_json(verdant_client* client, char** out_json) {
    clearOut(out_json);
    return guarded([&] {
        auto& sdk = clientOf(client);
        auto& out = required(out_json, "out_json");
        out = copyOut(quarantineJson(sdk.quarantine()));
    });
}

int verdant_pending_changes_json(verdant_client* client, char** out_json) {
    clearOut(out_json);
    return guarded([&] {
        auto& sdk = clientOf(client);
        auto& out = required(out_json, "out_json");
        out = copyOut(changesJson(sdk.pendingChanges()));
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

// --- Sync
// ------------------------------------------------------------------------------------------

int verdant_sync(verdant_client* client, verdant_sync_report* out_report) {
    return runSync(client, out_report, &Client::sync);
}

int verdant_push(verdant_client* client, verdant_sync_report* out_report) {
    return runSync(client, out_report, &Client::push);
}

int verdant_pull(verdant_client* client, verdant_sync_report* out_report) {
    return runSync(client, out_report, &Client::pull);
}

int verdant_photo_add(verdant_client* client, const char* audit_id, const char* source_path,
                      const char* details_json, char** out_photo_id) {
    clearOut(out_photo_id);
    return guarded([&] {
        auto& sdk = clientOf(client);
        auto& out = required(out_photo_id, "out_photo_id");
        verdant::client::PhotoDraft draft;
        draft.auditId = recordIdOf(audit_id, "audit_id");
        draft.sourcePath = text(source_path, "source_path");
        if (draft.sourcePath.empty()) {
            invalid("source_path is empty.");
        }
        readPhotoDetails(optionalText(details_json, "details_json"), draft);
        const auto result = sdk.addPhoto(draft);
        requireWritten(result);
        out = copyOut(result.recordId.toString());
    });
}

int verdant_photo_list_json(verdant_client* client, const char* audit_id, char** out_json) {
    clearOut(out_json);
    return guarded([&] {
        auto& sdk = clientOf(client);
        auto& out = required(out_json, "out_json");
        std::optional<verdant::shared::RecordId> audit;
        if (audit_id) {
            audit = recordIdOf(audit_id, "audit_id");
        }
        out = copyOut(photoUploadsJson(sdk.photoUploads(audit)));
    });
}

int verdant_photo_upload(verdant_client* client, verdant_upload_report* out_report) {
    verdant::client::UploadReport report;
    const int code = guarded([&] {
        auto& sdk = clientOf(client);
        if (out_report && out_report->struct_size < sizeof(verdant_upload_report)) {
            invalid("report->struct_size must be sizeof(verdant_upload_report).");
        }
        report = sdk.uploadPhotos();
        if (out_report) {
            verdant_upload_report c{};
            c.struct_size = sizeof(verdant_upload_report);
            c.complete = report.complete() ? 1 : 0;
            c.first_error_code =
                report.errors.empty() ? VERDANT_OK : static_cast<int>(report.errors[0].first);
            c.uploaded = report.uploaded;
            c.deduplicated = report.deduplicated;
            c.failed = report.failed;
            c.pending = report.pending;
            c.bytes_sent = report.bytesSent;
            c.attempts = report.attempts;
            *out_report = c;
        }
    });
    if (code == VERDANT_OK && !report.errors.empty()) {
        const auto& [first, message] = report.errors.front();
        setLastError(static_cast<int>(first), message.c_str(), "");
    }
    return code;
}

int verdant_photo_download(verdant_client* client, const char* photo_id_or_sha256,
                           const char* destination_path) {
    return guarded([&] {
        auto& sdk = clientOf(client);
        sdk.downloadPhoto(text(photo_id_or_sha256, "photo_id_or_sha256"),
                          text(destination_path, "destination_path"));
    });
}

int verdant_set_upload_settings(verdant_client* client, int wifi_only,
                                uint64_t max_bytes_per_second, uint32_t chunk_bytes) {
    return guarded([&] {
        auto& sdk = clientOf(client);
        verdant::client::UploadSettings settings;
        settings.wifiOnly = wifi_only != 0;
        settings.maxBytesPerSecond = max_bytes_per_second;
        if (chunk_bytes != 0) {
            settings.chunkBytes = chunk_bytes;
        }
        sdk.setUploadSettings(settings);
    });
}

int verdant_set_network(verdant_client* client, int network) {
    return guarded([&] {
        auto& sdk = clientOf(client);
        if (network < VERDANT_NETWORK_WIFI || network > VERDANT_NETWORK_NONE) {
            invalid("network must be a verdant_network.");
        }
        sdk.setNetwork(static_cast<verdant::client::NetworkKind>(network));
    });
}

int verdant_start_background_sync(verdant_client* client, int64_t interval_ms,
                                  verdant_sync_report_callback on_report, void* user_data) {
    return guarded([&] {
        auto& sdk = clientOf(client);
        if (interval_ms <= 0) {
            invalid("interval_ms must be positive.");
        }
        std::function<void(const verdant::client::SyncReport&)> forward;
        if (on_report) {
            forward = [on_report, user_data](const verdant::client::SyncReport& report) noexcept {
                const auto c = reportOf(report);
                on_report(user_data, &c);
            };
        }
        sdk.startBackgroundSync(std::chrono::milliseconds(interval_ms), std::move(forward));
    });
}

int verdant_request_sync(verdant_client* client) {
    return guarded([&] { clientOf(client).requestSync(); });
}

int verdant_stop_background_sync(verdant_client* client) {
    return guarded([&] { clientOf(client).stopBackgroundSync(); });
}

int verdant_background_sync_running(verdant_client* client, int* out_running) {
    return guarded([&] {
        auto& sdk = clientOf(client);
        auto& out = required(out_running, "out_running");
        out = sdk.backgroundSyncRunning() ? 1 : 0;
    });
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
