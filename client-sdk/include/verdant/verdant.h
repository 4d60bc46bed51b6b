/*
 * verdant.h — the C API of the Verdant device SDK, for bindings (Kotlin through JNI, Swift).
 *
 * A thin, stable shim over the C++ API (verdant/client/Client.hpp): every function catches every
 * C++ exception and turns it into an error code, so nothing but plain C crosses this boundary.
 * Plain C99; include it from C, C++, Objective-C or a Swift module map.
 *
 * CONVENTIONS
 *
 * Errors. Every function that can fail returns an `int`: VERDANT_OK (0) on success, otherwise the
 * numeric value of a code from the one Verdant error table (shared/ErrorCode.hpp), listed below as
 * VERDANT_ERROR_*. The numbers are stable: a code is never renumbered or reused. Decide what to do
 * (retry, sign in again, show the user) from verdant_error_category(), never from message text.
 * A failing call also records, for the calling thread, the code, a message safe to show a user
 * (UTF-8, never SQL or paths) and, for a write, the field to blame; read them with
 * verdant_last_error_code(), verdant_last_error_message() and verdant_last_error_field().
 * A NULL where a pointer is required fails with VERDANT_ERROR_INVALID_PARAMETER; it never crashes.
 * An unexpected failure inside the SDK is VERDANT_ERROR_INTERNAL_ERROR.
 *
 * Outputs. Results are returned through out-parameters, which are written only on success (an
 * out-pointer is set to NULL first, so on failure it reads NULL). Where several functions write
 * the same struct, its first member is `struct_size`: set it to sizeof the struct you compiled
 * against, so that a newer library can add members at the end without breaking older callers.
 *
 * Strings. Every string, in and out, is NUL-terminated UTF-8; input that is not valid UTF-8 is
 * refused with VERDANT_ERROR_INVALID_PARAMETER. Input strings are copied: the caller may free
 * them as soon as the call returns. Every `char*` an out-parameter returns is heap memory owned by
 * the caller, to be released with verdant_string_free() (not free(): the SDK may use another
 * allocator). Every `const char*` a function returns is owned by the library (see each function).
 *
 * Records as JSON. Records, statuses, conflicts and queues are returned as compact JSON text.
 * Field values use plain JSON, chosen by the field's type in the schema (docs/c-api.md):
 *   string, enum       "text"
 *   int                integer (64-bit; large values are exact in the text)
 *   real               number
 *   bool               true / false
 *   timestamp          integer Unix milliseconds (UTC)
 *   id reference       "0190f3a2-7b1c-7d3e-8f00-1a2b3c4d5e6f" (a record id)
 *   json               a JSON object or array, embedded as is (written compact)
 *   string set         ["a", "b"] when read; written as {"add": ...} / {"remove": ...}
 *   (cleared field)    null
 *
 * Thread-safety. A verdant_client may be used from any number of threads at once, except that
 * verdant_close() must not run concurrently with any other call on the same client (nor from a
 * callback of that client). Functions without a client are thread-safe. The last-error state is
 * per thread.
 */
#ifndef VERDANT_VERDANT_H
#define VERDANT_VERDANT_H

#include <stddef.h>
#include <stdint.h>

#if defined(_WIN32)
#define VERDANT_API
#elif defined(__GNUC__) || defined(__clang__)
#define VERDANT_API __attribute__((visibility("default")))
#else
#define VERDANT_API
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------------------------------------
 * Error codes: the same numbers as verdant::shared::ErrorCode (checked at compile time).
 * ------------------------------------------------------------------------------------------- */

/** Return values of the API: VERDANT_OK or a code of the Verdant error table. */
enum verdant_error_code {
    VERDANT_OK = 0, /**< Success. */

    /* 1xx: request shape and transport */
    VERDANT_ERROR_INVALID_REQUEST = 100,        /**< invalid_request */
    VERDANT_ERROR_MALFORMED_JSON = 101,         /**< malformed_json: a JSON argument is not JSON */
    VERDANT_ERROR_PAYLOAD_TOO_LARGE = 102,      /**< payload_too_large */
    VERDANT_ERROR_UNSUPPORTED_MEDIA_TYPE = 103, /**< unsupported_media_type */
    VERDANT_ERROR_ROUTE_NOT_FOUND = 104,        /**< route_not_found */
    VERDANT_ERROR_METHOD_NOT_ALLOWED = 105,     /**< method_not_allowed */
    VERDANT_ERROR_INVALID_PARAMETER = 106,      /**< invalid_parameter: NULL, bad id, bad UTF-8 */
    VERDANT_ERROR_HEADER_TOO_LARGE = 107,       /**< header_too_large */
    VERDANT_ERROR_URI_TOO_LONG = 108,           /**< uri_too_long */
    VERDANT_ERROR_HTTP_VERSION_NOT_SUPPORTED = 109, /**< http_version_not_supported */
    VERDANT_ERROR_REQUEST_TIMEOUT = 110,            /**< request_timeout: retry */
    VERDANT_ERROR_NOT_IMPLEMENTED = 111,            /**< not_implemented */

    /* 2xx: authentication and permission */
    VERDANT_ERROR_UNAUTHENTICATED = 200,       /**< unauthenticated */
    VERDANT_ERROR_FORBIDDEN = 201,             /**< forbidden */
    VERDANT_ERROR_INVALID_CREDENTIALS = 202,   /**< invalid_credentials */
    VERDANT_ERROR_TOKEN_EXPIRED = 203,         /**< token_expired */
    VERDANT_ERROR_TOKEN_INVALID = 204,         /**< token_invalid */
    VERDANT_ERROR_TOKEN_REVOKED = 205,         /**< token_revoked */
    VERDANT_ERROR_DEVICE_NOT_REGISTERED = 206, /**< device_not_registered */
    VERDANT_ERROR_ALREADY_EXISTS = 207,        /**< already_exists */
    VERDANT_ERROR_NOT_FOUND = 208,             /**< not_found: e.g. no such record here */
    VERDANT_ERROR_NOT_SIGNED_IN = 209,         /**< not_signed_in: verdant_open without sign-in */
    VERDANT_ERROR_TOO_MANY_ATTEMPTS = 210, /**< too_many_attempts: sign-in slowed; retry later */

    /* 3xx: schema and values */
    VERDANT_ERROR_UNKNOWN_COLLECTION = 300,        /**< unknown_collection */
    VERDANT_ERROR_UNKNOWN_FIELD = 301,             /**< unknown_field */
    VERDANT_ERROR_WRONG_TYPE = 302,                /**< wrong_type */
    VERDANT_ERROR_INVALID_ENUM_VALUE = 303,        /**< invalid_enum_value */
    VERDANT_ERROR_VALUE_TOO_LARGE = 304,           /**< value_too_large */
    VERDANT_ERROR_IMMUTABLE_FIELD = 305,           /**< immutable_field */
    VERDANT_ERROR_INVALID_CHANGE = 306,            /**< invalid_change */
    VERDANT_ERROR_CLOCK_SKEW = 307,                /**< clock_skew */
    VERDANT_ERROR_INVALID_SCHEMA = 308,            /**< invalid_schema */
    VERDANT_ERROR_UNSUPPORTED_STORE_VERSION = 309, /**< unsupported_store_version */
    VERDANT_ERROR_UNKNOWN_QUESTION = 310,          /**< unknown_question */
    VERDANT_ERROR_INVALID_ANSWER = 311,            /**< invalid_answer: wrong form */
    VERDANT_ERROR_ANSWER_OUT_OF_RANGE = 312,       /**< answer_out_of_range */
    VERDANT_ERROR_CHOICE_NOT_IN_LIST = 313,        /**< choice_not_in_list */
    VERDANT_ERROR_ANSWER_TOO_LONG = 314,           /**< answer_too_long */
    VERDANT_ERROR_INVALID_TRANSITION = 315,        /**< invalid_transition */
    VERDANT_ERROR_AUDIT_LOCKED = 316,              /**< audit_locked */
    VERDANT_ERROR_UNKNOWN_COURSE = 320,            /**< unknown_course */
    VERDANT_ERROR_INVALID_CAPACITY = 321,          /**< invalid_capacity */
    VERDANT_ERROR_INVALID_SCHEDULE = 322,          /**< invalid_schedule */
    VERDANT_ERROR_SESSION_CANCELLED = 323,         /**< session_cancelled */
    VERDANT_ERROR_SESSION_FULL = 324,              /**< session_full */
    VERDANT_ERROR_OUTCOME_REASON_REQUIRED = 325,   /**< outcome_reason_required */

    /* 4xx: sync protocol */
    VERDANT_ERROR_INVALID_CURSOR = 400,    /**< invalid_cursor */
    VERDANT_ERROR_DEVICE_MISMATCH = 401,   /**< device_mismatch */
    VERDANT_ERROR_BATCH_TOO_LARGE = 402,   /**< batch_too_large */
    VERDANT_ERROR_NOT_IN_SCOPE = 403,      /**< not_in_scope */
    VERDANT_ERROR_CHECKSUM_MISMATCH = 404, /**< checksum_mismatch */

    /* 5xx: training (offline check-in at the door) */
    VERDANT_ERROR_CHECKIN_TOKEN_MALFORMED = 500,     /**< checkin_token_malformed */
    VERDANT_ERROR_CHECKIN_TOKEN_FORGED = 501,        /**< checkin_token_forged */
    VERDANT_ERROR_CHECKIN_TOKEN_EXPIRED = 502,       /**< checkin_token_expired */
    VERDANT_ERROR_CHECKIN_TOKEN_NOT_YET_VALID = 503, /**< checkin_token_not_yet_valid */
    VERDANT_ERROR_CHECKIN_TOKEN_OTHER_SESSION = 504, /**< checkin_token_other_session */
    VERDANT_ERROR_CERTIFICATE_MALFORMED = 505,       /**< certificate_malformed */
    VERDANT_ERROR_CERTIFICATE_FORGED = 506,          /**< certificate_forged */
    VERDANT_ERROR_CERTIFICATE_REVOKED = 507,         /**< certificate_revoked */

    /* 6xx: photos (resumable uploads, blob store) */
    VERDANT_ERROR_UPLOAD_NOT_FOUND = 600,          /**< upload_not_found */
    VERDANT_ERROR_UPLOAD_OFFSET_MISMATCH = 601,    /**< upload_offset_mismatch */
    VERDANT_ERROR_UPLOAD_CHECKSUM_MISMATCH = 602,  /**< upload_checksum_mismatch */
    VERDANT_ERROR_UPLOAD_EXPIRED = 603,            /**< upload_expired */
    VERDANT_ERROR_BLOB_TOO_LARGE = 604,            /**< blob_too_large */
    VERDANT_ERROR_MEDIA_TYPE_NOT_ALLOWED = 605,    /**< media_type_not_allowed */
    VERDANT_ERROR_QUOTA_EXCEEDED = 606,            /**< quota_exceeded */
    VERDANT_ERROR_BLOB_HASH_MISMATCH = 607,        /**< blob_hash_mismatch */
    VERDANT_ERROR_UPLOAD_LOCKED = 608,             /**< upload_locked */
    VERDANT_ERROR_TUS_VERSION_NOT_SUPPORTED = 609, /**< tus_version_not_supported */

    /* 9xx: server and connection state */
    VERDANT_ERROR_STORAGE_UNAVAILABLE = 900, /**< storage_unavailable */
    VERDANT_ERROR_SHUTTING_DOWN = 901,       /**< shutting_down */
    VERDANT_ERROR_SERVER_UNREACHABLE = 902,  /**< server_unreachable */
    VERDANT_ERROR_TLS_UNTRUSTED = 903,       /**< tls_untrusted */
    VERDANT_ERROR_SERVER_BUSY = 904,         /**< server_busy: retry shortly */
    VERDANT_ERROR_INTERNAL_ERROR = 999       /**< internal_error */
};

/** What kind of failure a code is; retry and UI decisions read this (ErrorCategory). */
enum verdant_error_category {
    VERDANT_CATEGORY_INVALID_INPUT = 0, /**< Wrong request or value; retrying unchanged fails. */
    VERDANT_CATEGORY_UNAUTHORISED = 1,  /**< Missing, expired or bad credentials: sign in. */
    VERDANT_CATEGORY_FORBIDDEN = 2,     /**< Not allowed; retrying does not help. */
    VERDANT_CATEGORY_NOT_FOUND = 3,     /**< The addressed thing does not exist. */
    VERDANT_CATEGORY_CONFLICT = 4,      /**< The state changed underneath. */
    VERDANT_CATEGORY_CLOCK_SKEW = 5,    /**< The device clock is too far off. */
    VERDANT_CATEGORY_TRANSIENT = 6,     /**< Temporary; retry with backoff. */
    VERDANT_CATEGORY_INTERNAL = 7       /**< A defect; retry later, report it. */
};

/** The wire name of a code, e.g. "unknown_collection"; "ok" for VERDANT_OK and "unknown" for a
 *  number not in the table. Static storage: never free it. Thread-safe. */
VERDANT_API const char* verdant_error_name(int code);

/** The verdant_error_category of a code, or -1 for VERDANT_OK and unknown numbers. */
VERDANT_API int verdant_error_category(int code);

/** 1 if the same call may succeed later unchanged (transient, or clock skew after re-stamping),
 *  else 0. */
VERDANT_API int verdant_error_is_retryable(int code);

/** The code of the last call made on this thread that failed, or VERDANT_OK if the last call
 *  succeeded. Every function returning an error code sets it; the functions of this block and
 *  verdant_string_free() / verdant_close() leave it alone. */
VERDANT_API int verdant_last_error_code(void);

/** The message of the last failure on this thread ("" after a success); UTF-8, safe to show a
 *  user. Owned by the library and valid until this thread's next call of a function returning an
 *  error code: copy it to keep it. Never NULL. */
VERDANT_API const char* verdant_last_error_message(void);

/** The field to blame for the last failure on this thread (a write naming an unknown field or
 *  giving a value of the wrong type), or "" if no one field is. Lifetime as
 *  verdant_last_error_message(). Never NULL. */
VERDANT_API const char* verdant_last_error_field(void);

/** Frees a string returned through a `char**` out-parameter. NULL is ignored. */
VERDANT_API void verdant_string_free(char* string);

/* ---------------------------------------------------------------------------------------------
 * Library and ids
 * ------------------------------------------------------------------------------------------- */

/** The SDK's release, e.g. "0.1.0". Static storage: never free it. */
VERDANT_API const char* verdant_version(void);

/** A new record id (a UUIDv7 that sorts by creation time), for records created offline.
 *  `*out_id` receives the canonical text, freed with verdant_string_free(). Thread-safe. */
VERDANT_API int verdant_new_record_id(char** out_id);

/** The id of the answer to question `question_id` of audit `audit_id`: the same on every device,
 *  so two auditors answering one item offline write one record (and a conflict, not two
 *  answers). `*out_id` is freed with verdant_string_free(). INVALID_PARAMETER if `audit_id` is
 *  not a record id. */
VERDANT_API int verdant_answer_record_id(const char* audit_id, const char* question_id,
                                         char** out_id);

/* ---------------------------------------------------------------------------------------------
 * Opening and closing
 * ------------------------------------------------------------------------------------------- */

/** A signed-in user's local replica on this device, with its outbox and sync loop. Opaque;
 *  made by verdant_sign_in() or verdant_open(), destroyed by verdant_close(). */
typedef struct verdant_client verdant_client;

/** How the SDK opens a user's local store and reaches the server. Fill it with
 *  verdant_options_init(), then set the members you need. The strings are copied by the call
 *  that takes the options; they are not kept. */
typedef struct verdant_options {
    /** sizeof(verdant_options) as the caller compiled it (set by verdant_options_init()). */
    size_t struct_size;
    /** Folder holding one local database per signed-in user (created if missing). Required. */
    const char* data_directory;
    /** e.g. "https://audit.example.org:8443". Required. */
    const char* server_url;
    /** PEM file of the CA to trust; NULL or "" = the system's trusted CAs. */
    const char* ca_file;
    /** Shown to the user's administrators in the device list; NULL = "Verdant tablet". */
    const char* device_name;
    /** Network timeout of one request, seconds; 0 = 30. */
    int timeout_seconds;
    /** Non-zero: commits survive power loss (slower writes); 0 = survive crashes only. */
    int durable;
    /** Attempts of one request inside one sync before it gives up; 0 = 4. */
    int retry_max_attempts;
    /** Upper bound of the first retry delay, milliseconds (doubling per failure); 0 = 500. */
    int retry_initial_delay_ms;
} verdant_options;

/** Sets every member of `*options` to its default and struct_size to sizeof(verdant_options).
 *  NULL is ignored. */
VERDANT_API void verdant_options_init(verdant_options* options);

/** Signs `username` of `tenant` in online and opens (creating if new) their local store on this
 *  device. On success `*out_client` is a new client, to be closed with verdant_close().
 *  Errors: INVALID_CREDENTIALS, SERVER_UNREACHABLE, TLS_UNTRUSTED, INVALID_PARAMETER (a required
 *  option missing, a bad URL), STORAGE_UNAVAILABLE... */
VERDANT_API int verdant_sign_in(const verdant_options* options, const char* tenant,
                                const char* username, const char* password,
                                verdant_client** out_client);

/** Re-opens, without the network, the local store of a user who signed in on this device
 *  before. NOT_SIGNED_IN if there is none. Close the client with verdant_close(). */
VERDANT_API int verdant_open(const verdant_options* options, const char* tenant,
                             const char* username, verdant_client** out_client);

/** The path of the local database of `username` of `tenant` under `data_directory` (to show or
 *  delete it). `*out_path` is freed with verdant_string_free(). */
VERDANT_API int verdant_database_path(const char* data_directory, const char* tenant,
                                      const char* username, char** out_path);

/** Revokes the sign-in on the server (best effort) and forgets the tokens on this device. The
 *  local data and outbox stay; the client stays open for reading and writing, and syncs fail
 *  until the same user signs in again. */
VERDANT_API int verdant_sign_out(verdant_client* client);

/** Stops background sync, waits for a callback in progress, closes the store and frees the
 *  client. Unsent changes stay in the outbox. NULL is ignored. No other call on this client may
 *  run concurrently or follow, and it must not be called from one of the client's callbacks. */
VERDANT_API void verdant_close(verdant_client* client);

/* ---------------------------------------------------------------------------------------------
 * Reads: the local replica, never the network. Every `char**` result is JSON freed with
 * verdant_string_free(). A record is
 *   {"collection":"audits","id":"0190…","deleted":false,
 *    "fields":{"type":"periodic","team":["li"],…},"conflicted_fields":["value"]}
 * with every field ever written (a cleared one is null). UNKNOWN_COLLECTION for a collection
 * not in the schema, INVALID_PARAMETER for text that is not a record id.
 * ------------------------------------------------------------------------------------------- */

/** One record as JSON; NOT_FOUND if this device does not hold it. */
VERDANT_API int verdant_record_json(verdant_client* client, const char* collection,
                                    const char* record_id, char** out_json);

/** Every record of `collection` this device holds (not deleted), by id: a JSON array. */
VERDANT_API int verdant_records_json(verdant_client* client, const char* collection,
                                     char** out_json);

/** The records of `collection` whose `field` equals `value_json` (a JSON value of the field's
 *  type; for a string set: an element it contains), as a JSON array. */
VERDANT_API int verdant_query_json(verdant_client* client, const char* collection,
                                   const char* field, const char* value_json, char** out_json);

/** An audit with everything in its scope (answers, findings...), the audit first: JSON array. */
VERDANT_API int verdant_audit_records_json(verdant_client* client, const char* audit_id,
                                           char** out_json);

/** A training session with everything in its scope (attendance...), the session first. */
VERDANT_API int verdant_session_records_json(verdant_client* client, const char* session_id,
                                             char** out_json);

/* Training at the door ------------------------------------------------------------------------ */

/** Checks in the holder of a scanned check-in token at `session_id`, offline (Client::checkIn):
 *  surrounding whitespace is trimmed; a refused token returns its code
 *  (VERDANT_ERROR_CHECKIN_TOKEN_MALFORMED, _FORGED, _EXPIRED, _NOT_YET_VALID, _OTHER_SESSION;
 *  VERDANT_ERROR_NOT_FOUND before the tenant's key has been synced) and writes nothing. If
 * `out_result_json` is not NULL it receives {"registration_id":"…","person_name":"…","changes":N},
 * freed with verdant_string_free(). */
VERDANT_API int verdant_check_in(verdant_client* client, const char* session_id, const char* token,
                                 char** out_result_json);

/** Records that the person of `registration_id` left now (last_check_out). */
VERDANT_API int verdant_check_out(verdant_client* client, const char* registration_id);

/** The roster of `session_id` this device holds: {"people":[{registration_id, person_name_zh,
 *  person_name_en, state, first_check_in, last_check_out, recorded_by}], "counts":{state: N}}. */
VERDANT_API int verdant_roster_json(verdant_client* client, const char* session_id,
                                    char** out_json);

/* ---------------------------------------------------------------------------------------------
 * Writes: one user action, validated, applied locally and queued for sync in one transaction,
 * all or nothing; never waits for the network.
 *
 * `fields_json` is a JSON object {"field": value, …}. A value has the field's type (see the top
 * of this file) and sets the field; null clears it. A string-set field takes an object
 * {"add": "x"} or {"remove": "x"} (each also an array of strings; both keys may appear). A
 * monotone-state field (e.g. audits.state) may take {"reopen": "state"} to go back (HQ only on
 * the server). On a validation error nothing is written and the code (UNKNOWN_FIELD,
 * WRONG_TYPE, INVALID_ENUM_VALUE, VALUE_TOO_LARGE, IMMUTABLE_FIELD...) is returned, with the
 * field in verdant_last_error_field(). MALFORMED_JSON if `fields_json` is not JSON.
 * ------------------------------------------------------------------------------------------- */

/** Writes fields of the record `record_id` (created if this device does not hold it). If
 *  `out_result_json` is not NULL it receives {"record_id":"…","changes":N}, freed with
 *  verdant_string_free(). */
VERDANT_API int verdant_write_json(verdant_client* client, const char* collection,
                                   const char* record_id, const char* fields_json,
                                   char** out_result_json);

/** As verdant_write_json() for a new record with a fresh id, returned in `*out_record_id`
 *  (freed with verdant_string_free()). `out_record_id` may be NULL. */
VERDANT_API int verdant_create_json(verdant_client* client, const char* collection,
                                    const char* fields_json, char** out_record_id);

/** Deletes a record (a tombstone; it stays deleted unless explicitly restored). */
VERDANT_API int verdant_remove(verdant_client* client, const char* collection,
                               const char* record_id);

/* ---------------------------------------------------------------------------------------------
 * Sync state, conflicts, quarantine
 * ------------------------------------------------------------------------------------------- */

/** Where a record stands between this device and the server (RecordSyncState). */
enum verdant_sync_state {
    VERDANT_SYNC_STATE_LOCAL = 0,      /**< Made on this device and never sent. */
    VERDANT_SYNC_STATE_QUEUED = 1,     /**< Has changes waiting in the outbox. */
    VERDANT_SYNC_STATE_SENT = 2,       /**< Sent; the server has not acknowledged them yet. */
    VERDANT_SYNC_STATE_SYNCED = 3,     /**< The server holds every change of it this device made. */
    VERDANT_SYNC_STATE_CONFLICT = 4,   /**< A field has concurrent values waiting for a person. */
    VERDANT_SYNC_STATE_QUARANTINED = 5 /**< The server refused a change to it. */
};

/** Writes a verdant_sync_state to `*out_state` (SYNCED for a record this device does not
 *  hold). */
VERDANT_API int verdant_sync_state(verdant_client* client, const char* collection,
                                   const char* record_id, int* out_state);

/** Status, identity and counters as a JSON object:
 *  {"tenant","username","user_id","role","device_id","signed_in":bool,"pending_changes":n,
 *   "open_conflicts":n,"quarantined":n,"last_sync_ms":n|null,
 *   "last_error":null|{"code":n,"name":"…","message":"…"},"server_offset_ms":n} */
VERDANT_API int verdant_status_json(verdant_client* client, char** out_json);

/** The conflicts open on this device, a JSON array of
 *  {"collection","record_id","field","version":"<hlc>","candidates":[{"value","author",
 *   "device_id","device_seq","hlc","time_ms"}…]}. Resolve one by writing the field. */
VERDANT_API int verdant_conflicts_json(verdant_client* client, char** out_json);

/** The changes the server refused, oldest first, a JSON array of {"collection","record_id",
 *  "field","operation","value","device_seq","hlc","code":n,"error":"<name>","message",
 *  "refused_at_ms","decision"}; "decision" is null while HQ has not decided, then "accepted" or
 *  "discarded" (learned on a sync). */
VERDANT_API int verdant_quarantine_json(verdant_client* client, char** out_json);

/** The changes in the outbox, in device order, a JSON array of {"collection","record_id",
 *  "field","operation","value","device_seq","hlc"}. */
VERDANT_API int verdant_pending_changes_json(verdant_client* client, char** out_json);

/* ---------------------------------------------------------------------------------------------
 * Subscriptions
 * ------------------------------------------------------------------------------------------- */

/** Where a record change came from. */
enum verdant_origin {
    VERDANT_ORIGIN_LOCAL = 0, /**< A write on this device. */
    VERDANT_ORIGIN_SYNC = 1   /**< Received or purged by a sync. */
};

/** A record changed. The strings are owned by the library and valid only during the callback. */
typedef struct verdant_record_event {
    size_t struct_size;     /**< sizeof(verdant_record_event) of the library. */
    const char* collection; /**< Its collection. */
    const char* record_id;  /**< Its id. */
    int origin;             /**< A verdant_origin. */
    int removed;            /**< 1 if it left this device (scope taken away, refusal undone). */
} verdant_record_event;

/** Called after a change is committed, on the thread that made it (a writer's, or the sync
 *  thread); may read and write through the client, must not close it, must return quickly. */
typedef void (*verdant_record_callback)(void* user_data, const verdant_record_event* event);

/** Calls `callback(user_data, event)` whenever a record changes. `*out_handle` receives the
 *  handle for verdant_unsubscribe(). `user_data` is passed through untouched and must stay valid
 *  until verdant_unsubscribe() returns or the client is closed. */
VERDANT_API int verdant_subscribe(verdant_client* client, verdant_record_callback callback,
                                  void* user_data, uint64_t* out_handle);

/** Stops a subscription; when it returns, the callback is not running and never will again. */
VERDANT_API int verdant_unsubscribe(verdant_client* client, uint64_t handle);

/* ---------------------------------------------------------------------------------------------
 * Sync
 * ------------------------------------------------------------------------------------------- */

/** What one sync did (SyncReport). */
typedef struct verdant_sync_report {
    /** Set to sizeof(verdant_sync_report) before passing it to verdant_sync(). */
    size_t struct_size;
    int complete;              /**< 1: pushed everything and pulled up to date, without error. */
    int error_count;           /**< Problems met (0 when complete). */
    int first_error_code;      /**< The first problem's code, VERDANT_OK when none. */
    uint64_t pushed;           /**< Changes the server acknowledged. */
    uint64_t pulled;           /**< Changes received from the server. */
    uint64_t conflicts_raised; /**< Pushed changes that raised a conflict. */
    uint64_t quarantined;      /**< Pushed changes the server refused and quarantined. */
    uint64_t restamped;        /**< Unsent changes re-stamped after a clock-skew refusal. */
    uint64_t purged_scopes;    /**< Scopes taken away from this user and removed. */
    uint64_t repaired_scopes;  /**< Scopes re-fetched whole after a checksum mismatch. */
    uint64_t open_conflicts;   /**< Conflicts open on this device after the sync. */
    uint64_t pending_changes;  /**< Changes still in the outbox after the sync. */
    uint64_t bytes_sent;       /**< Request bodies sent. */
    uint64_t bytes_received;   /**< Response bodies received. */
    uint64_t attempts;         /**< Requests retried after transient failures. */
    int64_t server_offset_ms;  /**< Server clock minus device clock, as learned. */
} verdant_sync_report;

/** Pushes the outbox, then pulls until up to date, blocking the caller for the round trips.
 *  Returns VERDANT_OK whenever a report was produced, also for a sync that failed part-way:
 *  check `complete`. When it is 0, the thread's last error (verdant_last_error_code() and
 *  _message()) holds the first problem, e.g. SERVER_UNREACHABLE, NOT_SIGNED_IN. A non-zero
 *  return means no report (bad arguments, storage failure). One sync runs at a time; a second
 *  caller waits. `out_report` may be NULL. */
VERDANT_API int verdant_sync(verdant_client* client, verdant_sync_report* out_report);

/** Only pushes the outbox; as verdant_sync(). */
VERDANT_API int verdant_push(verdant_client* client, verdant_sync_report* out_report);

/** Only pulls; as verdant_sync(). Refuses to purge scopes with unsent edits. */
VERDANT_API int verdant_pull(verdant_client* client, verdant_sync_report* out_report);

/** Receives each report of the background sync, on the SDK's sync thread; the report is valid
 *  only during the call. Must not close the client. */
typedef void (*verdant_sync_report_callback)(void* user_data, const verdant_sync_report* report);

/** Starts syncing on the SDK's own thread: now, every `interval_ms` (> 0), soon after each local
 *  write and after verdant_request_sync(); transient failures back off, authentication failures
 *  stop the loop. `on_report` may be NULL; `user_data` must stay valid until
 *  verdant_stop_background_sync() returns or the client is closed. */
VERDANT_API int verdant_start_background_sync(verdant_client* client, int64_t interval_ms,
                                              verdant_sync_report_callback on_report,
                                              void* user_data);

/** Asks the background loop to sync now (no effect when it is not running). */
VERDANT_API int verdant_request_sync(verdant_client* client);

/** Stops the background loop, waiting for a sync in progress to finish. */
VERDANT_API int verdant_stop_background_sync(verdant_client* client);

/** Writes 1 to `*out_running` if the background loop runs, else 0. */
VERDANT_API int verdant_background_sync_running(verdant_client* client, int* out_running);

/* ---------------------------------------------------------------------------------------------
 * Photos (Client.hpp › Photos; the wire protocol is docs/protocol.md › "Photos")
 * ------------------------------------------------------------------------------------------- */

/** Where a photo's bytes stand (the "state_code" of verdant_photo_list_json()). */
enum verdant_photo_state {
    VERDANT_PHOTO_PENDING = 0,   /**< Waiting: its record unsent, Wi-Fi, the network, a retry. */
    VERDANT_PHOTO_UPLOADING = 1, /**< Some bytes are on the server ("bytes_confirmed"). */
    VERDANT_PHOTO_UPLOADED = 2,  /**< The server holds the bytes, verified. */
    VERDANT_PHOTO_FAILED = 3     /**< Refused for good ("error"); the queue went on without it. */
};

/** The network the device is on (verdant_set_network()). */
enum verdant_network {
    VERDANT_NETWORK_WIFI = 0,     /**< Unmetered: the default. */
    VERDANT_NETWORK_CELLULAR = 1, /**< Metered: no uploads while Wi-Fi only is set. */
    VERDANT_NETWORK_NONE = 2      /**< Offline: no uploads. */
};

/** Takes a photo as evidence for `audit_id`, offline: the bytes of the file `source_path` are
 *  copied into the SDK's blob folder (the app may delete its file afterwards), the `photos`
 *  record is written and queued for the next sync, and the upload of the bytes is queued.
 *  `details_json` may be NULL or an object with any of "caption", "answer_id", "finding_id",
 *  "captured_at" (Unix ms; default now), "gps" and "media_type" (default: judged from the
 *  bytes). Writes the new photo's id to `*out_photo_id` (free it with verdant_string_free()).
 *  Fails with NOT_FOUND when the file cannot be read, or the write's own error. */
VERDANT_API int verdant_photo_add(verdant_client* client, const char* audit_id,
                                  const char* source_path, const char* details_json,
                                  char** out_photo_id);

/** The upload queue as a JSON array, in the order photos were taken (all photos, or those of
 *  `audit_id` when it is not NULL): [{"photo_id", "audit_id", "sha256", "size_bytes", "state"
 *  ("pending", "uploading", "uploaded", "failed"), "state_code" (a verdant_photo_state),
 *  "bytes_confirmed", "bytes_sent", "percent" (0-100), "deduplicated", "error" ({"code",
 *  "name"} or null), "message" (why it failed, or what a pending photo waits for)}]. */
VERDANT_API int verdant_photo_list_json(verdant_client* client, const char* audit_id,
                                        char** out_json);

/** What one run of the upload queue did (verdant_photo_upload()). */
typedef struct verdant_upload_report {
    /** Set to sizeof(verdant_upload_report) before passing it to verdant_photo_upload(). */
    size_t struct_size;
    int complete;          /**< 1: nothing failed and nothing is left to upload. */
    int first_error_code;  /**< The first problem's code, VERDANT_OK when none. */
    uint64_t uploaded;     /**< Photos whose bytes the server now holds (this run). */
    uint64_t deduplicated; /**< Of those, proven possessed: no byte sent. */
    uint64_t failed;       /**< Photos refused for good in this run. */
    uint64_t pending;      /**< Photos still waiting after the run. */
    uint64_t bytes_sent;   /**< Upload body bytes sent in this run. */
    uint64_t attempts;     /**< Requests retried after transient failures. */
} verdant_upload_report;

/** Runs the upload queue once, blocking the caller for the uploads (the background sync also
 *  uploads, on its own thread). Returns VERDANT_OK whenever a report was produced: check
 *  `complete`; when it is 0 and something went wrong, the thread's last error holds the first
 *  problem. `out_report` may be NULL. */
VERDANT_API int verdant_photo_upload(verdant_client* client, verdant_upload_report* out_report);

/** Writes the bytes of a photo (its id, or a SHA-256) to `destination_path`: from the device
 *  when it holds them, else downloaded in ranges, verified, then renamed into place. Fails with
 *  NOT_FOUND (no such photo, or not one this user may see), BLOB_HASH_MISMATCH, or the
 *  network's errors. */
VERDANT_API int verdant_photo_download(verdant_client* client, const char* photo_id_or_sha256,
                                       const char* destination_path);

/** Puts a failed photo back in the upload queue, pending, to upload from the start with the next
 *  run (after its refusal was dealt with: the file restored, the server's limits changed). Fails
 *  with NOT_FOUND when this device did not take `photo_id`, and INVALID_PARAMETER when the photo
 *  is not failed (a photo waiting for storage on the server, quota_exceeded, is pending and is
 *  tried again by itself). */
VERDANT_API int verdant_photo_retry(verdant_client* client, const char* photo_id);

/** Upload settings: Wi-Fi only (0/1), an average rate cap in bytes per second (0 = none), and
 *  the bytes per upload request (0 = the default, 1 MiB). */
VERDANT_API int verdant_set_upload_settings(verdant_client* client, int wifi_only,
                                            uint64_t max_bytes_per_second, uint32_t chunk_bytes);

/** Tells the SDK which network the device is on (a verdant_network); uploads wait on NONE, and
 *  on CELLULAR while Wi-Fi only is set. */
VERDANT_API int verdant_set_network(verdant_client* client, int network);

/* ---------------------------------------------------------------------------------------------
 * Log
 * ------------------------------------------------------------------------------------------- */

/** How much a log entry matters. */
enum verdant_log_level {
    VERDANT_LOG_DEBUG = 0,   /**< Each request of a sync (a push batch sent, a pull round). */
    VERDANT_LOG_INFO = 1,    /**< What a sync achieved (changes acknowledged, pull done...). */
    VERDANT_LOG_WARNING = 2, /**< A sync went on despite something (retry, conflict, refusal). */
    VERDANT_LOG_ERROR = 3    /**< A sync stopped before it was complete. */
};

/** One thing sync did (LogEntry in Client.hpp, which lists every event and its numbers). The
 *  strings are owned by the library and valid only during the callback: copy what you keep.
 *  No entry holds a password, a token or a value a user wrote (answer texts, comments). */
typedef struct verdant_log_entry {
    size_t struct_size;  /**< sizeof(verdant_log_entry) of the library. */
    int level;           /**< A verdant_log_level. */
    const char* event;   /**< Stable name, e.g. "push.sent", "pull.done", "sync.failed". */
    const char* message; /**< For a person (UTF-8); may change between versions. */
    uint64_t changes;    /**< Changes concerned, else 0. */
    uint64_t bytes;      /**< Body bytes moved, else 0. */
    uint64_t scopes;     /**< Scopes concerned, else 0. */
    int64_t duration_ms; /**< Time taken or waited, else 0. */
    int error_code;      /**< VERDANT_ERROR_* of a failure, retry or refusal, else VERDANT_OK. */
} verdant_log_entry;

/** Receives log entries on the thread that syncs, one call at a time, while the sync holds the
 *  client's locks: it must return quickly and must not call any function on the client, except
 *  verdant_set_log_callback(). */
typedef void (*verdant_log_callback)(void* user_data, const verdant_log_entry* entry);

/** Calls `callback(user_data, entry)` for what sync does from now on, replacing the previous
 *  callback; NULL stops logging. When it returns, the previous callback is not running and
 *  never will again (unless called from inside that callback). `user_data` is passed through
 *  untouched and must stay valid until the callback is replaced or the client is closed. */
VERDANT_API int verdant_set_log_callback(verdant_client* client, verdant_log_callback callback,
                                         void* user_data);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* VERDANT_VERDANT_H */
