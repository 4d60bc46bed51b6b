/*
 * capi_smoke — a C11 program that uses the Verdant SDK through verdant.h only: it signs in,
 * writes, syncs and reads back against a real server, re-opens offline, and checks that bad
 * input gives the documented codes. Run under AddressSanitizer and UndefinedBehaviorSanitizer by
 * CapiSmokeTest.cpp, which starts the server and checks what arrived there.
 *
 * usage: capi_smoke <server-url> <ca-file> <tenant> <username> <password> <data-dir> <audit-id>
 *
 * The user must be allowed to write audits (an HQ reviewer). Prints "finding=<id>" for the
 * finding it creates; exits 0 when every check passed, else 1 with the failed check on stderr.
 */
#define _POSIX_C_SOURCE 200809L

#include "verdant/verdant.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- checks ---------------------------------------------------------------------------------- */

static void failCheck(int line, const char* format, ...) {
    va_list arguments;
    fprintf(stderr, "capi_smoke.c:%d: check failed: ", line);
    va_start(arguments, format);
    vfprintf(stderr, format, arguments);
    va_end(arguments);
    fprintf(stderr, "\n  last error: %d %s: %s (field '%s')\n", verdant_last_error_code(),
            verdant_error_name(verdant_last_error_code()), verdant_last_error_message(),
            verdant_last_error_field());
    exit(1);
}

#define CHECK(condition)                           \
    do {                                           \
        if (!(condition)) {                        \
            failCheck(__LINE__, "%s", #condition); \
        }                                          \
    } while (0)

/* The call returns VERDANT_OK. */
#define CHECK_OK(call)                                                                       \
    do {                                                                                     \
        int rc_ = (call);                                                                    \
        if (rc_ != VERDANT_OK) {                                                             \
            failCheck(__LINE__, "%s returned %d (%s)", #call, rc_, verdant_error_name(rc_)); \
        }                                                                                    \
    } while (0)

/* The call fails with `expected`, and the thread's last error says so with a message. */
#define CHECK_CODE(call, expected)                                                                \
    do {                                                                                          \
        int rc_ = (call);                                                                         \
        if (rc_ != (expected)) {                                                                  \
            failCheck(__LINE__, "%s returned %d (%s), expected %d (%s)", #call, rc_,              \
                      verdant_error_name(rc_), (int)(expected), verdant_error_name(expected));    \
        }                                                                                         \
        if (verdant_last_error_code() != (expected) || verdant_last_error_message()[0] == '\0') { \
            failCheck(__LINE__, "%s: the last error does not describe the failure", #call);       \
        }                                                                                         \
    } while (0)

/* `json` contains `part`. */
#define CHECK_CONTAINS(json, part)                                                        \
    do {                                                                                  \
        if ((json) == NULL || strstr((json), (part)) == NULL) {                           \
            failCheck(__LINE__, "expected %s in %s", (part), (json) ? (json) : "(null)"); \
        }                                                                                 \
    } while (0)

static void sleepMs(long ms) {
    struct timespec delay;
    delay.tv_sec = ms / 1000;
    delay.tv_nsec = (ms % 1000) * 1000000L;
    nanosleep(&delay, NULL);
}

/* Occurrences of `part` in `text`. */
static int countOf(const char* text, const char* part) {
    int count = 0;
    const char* at = text;
    while ((at = strstr(at, part)) != NULL) {
        ++count;
        at += strlen(part);
    }
    return count;
}

/* Changes in the outbox. */
static int pendingChanges(verdant_client* client) {
    char* json = NULL;
    int count;
    CHECK_OK(verdant_pending_changes_json(client, &json));
    count = countOf(json, "\"device_seq\":");
    verdant_string_free(json);
    return count;
}

static int syncStateOf(verdant_client* client, const char* collection, const char* id) {
    int state = -1;
    CHECK_OK(verdant_sync_state(client, collection, id, &state));
    return state;
}

/* The record's verdant_sync_state is `expected`. */
#define CHECK_STATE(client, collection, id, expected)                                         \
    do {                                                                                      \
        int state_ = syncStateOf((client), (collection), (id));                               \
        if (state_ != (expected)) {                                                           \
            failCheck(__LINE__, "sync state of %s %s is %d, expected %s", (collection), (id), \
                      state_, #expected);                                                     \
        }                                                                                     \
    } while (0)

/* ---- callbacks ------------------------------------------------------------------------------- */

static atomic_int gRecordEvents;
static atomic_int gLocalAuditEvents;
static atomic_int gBackgroundReports;
static atomic_int gBackgroundCompleteReports;
static char gAuditId[64];

static void onRecord(void* userData, const verdant_record_event* event) {
    atomic_fetch_add(&gRecordEvents, 1);
    if (userData == (void*)&gRecordEvents && event->struct_size >= sizeof(verdant_record_event) &&
        event->origin == VERDANT_ORIGIN_LOCAL && strcmp(event->collection, "audits") == 0 &&
        strcmp(event->record_id, gAuditId) == 0) {
        atomic_fetch_add(&gLocalAuditEvents, 1);
    }
}

static void onReport(void* userData, const verdant_sync_report* report) {
    (void)userData;
    atomic_fetch_add(&gBackgroundReports, 1);
    if (report->complete) {
        atomic_fetch_add(&gBackgroundCompleteReports, 1);
    }
}

/* ---- the program ----------------------------------------------------------------------------- */

struct Arguments {
    const char* serverUrl;
    const char* caFile;
    const char* tenant;
    const char* username;
    const char* password;
    const char* dataDir;
    const char* auditId;
};

static void checkLibrary(void) {
    CHECK(verdant_version() != NULL && verdant_version()[0] != '\0');
    CHECK(strcmp(verdant_error_name(VERDANT_OK), "ok") == 0);
    CHECK(strcmp(verdant_error_name(VERDANT_ERROR_UNKNOWN_COLLECTION), "unknown_collection") == 0);
    CHECK(strcmp(verdant_error_name(VERDANT_ERROR_NOT_SIGNED_IN), "not_signed_in") == 0);
    CHECK(strcmp(verdant_error_name(12345), "unknown") == 0);
    CHECK(verdant_error_category(VERDANT_ERROR_SERVER_UNREACHABLE) == VERDANT_CATEGORY_TRANSIENT);
    CHECK(verdant_error_category(VERDANT_ERROR_WRONG_TYPE) == VERDANT_CATEGORY_INVALID_INPUT);
    CHECK(verdant_error_category(VERDANT_OK) == -1);
    CHECK(verdant_error_is_retryable(VERDANT_ERROR_SERVER_UNREACHABLE) == 1);
    CHECK(verdant_error_is_retryable(VERDANT_ERROR_INVALID_CREDENTIALS) == 0);

    {
        char* first = NULL;
        char* second = NULL;
        char* answer = NULL;
        char* again = NULL;
        CHECK_OK(verdant_new_record_id(&first));
        CHECK_OK(verdant_new_record_id(&second));
        CHECK(strlen(first) == 36 && strcmp(first, second) != 0);
        CHECK_OK(verdant_answer_record_id(first, "q1", &answer));
        CHECK_OK(verdant_answer_record_id(first, "q1", &again));
        CHECK(strcmp(answer, again) == 0); /* the same answer record on every device */
        verdant_string_free(again);
        CHECK_CODE(verdant_answer_record_id("not-an-id", "q1", &again),
                   VERDANT_ERROR_INVALID_PARAMETER);
        CHECK(again == NULL); /* a failed call leaves NULL in its out-parameter */
        CHECK_CODE(verdant_new_record_id(NULL), VERDANT_ERROR_INVALID_PARAMETER);
        verdant_string_free(first);
        verdant_string_free(second);
        verdant_string_free(answer);
    }
    verdant_string_free(NULL);
    verdant_close(NULL);
    verdant_options_init(NULL);
}

static void checkSignInRefusals(const verdant_options* options, const struct Arguments* args) {
    verdant_client* client = (verdant_client*)&client; /* not NULL: must be reset */
    verdant_options tooSmall = *options;
    tooSmall.struct_size = 0;

    CHECK_CODE(verdant_sign_in(NULL, args->tenant, args->username, args->password, &client),
               VERDANT_ERROR_INVALID_PARAMETER);
    CHECK(client == NULL);
    CHECK_CODE(verdant_sign_in(&tooSmall, args->tenant, args->username, args->password, &client),
               VERDANT_ERROR_INVALID_PARAMETER);
    CHECK_CODE(verdant_sign_in(options, NULL, args->username, args->password, &client),
               VERDANT_ERROR_INVALID_PARAMETER);
    CHECK_CODE(verdant_sign_in(options, args->tenant, "\xff\xfe", args->password, &client),
               VERDANT_ERROR_INVALID_PARAMETER);
    CHECK_CODE(verdant_sign_in(options, args->tenant, args->username, args->password, NULL),
               VERDANT_ERROR_INVALID_PARAMETER);
    CHECK_CODE(verdant_sign_in(options, args->tenant, args->username, "wrong password", &client),
               VERDANT_ERROR_INVALID_CREDENTIALS);
    CHECK(client == NULL);
    CHECK_CODE(verdant_open(options, args->tenant, "nobody-signed-in-here", &client),
               VERDANT_ERROR_NOT_SIGNED_IN);
    CHECK(client == NULL);
}

/* Bad input is refused with its code and writes nothing. */
static void checkBadInput(verdant_client* client, const char* auditId) {
    char* json = NULL;
    char* freshId = NULL;
    int state = 0;
    verdant_sync_report report;
    const int pendingBefore = pendingChanges(client);

    CHECK_CODE(verdant_write_json(NULL, "audits", auditId, "{\"type\":\"periodic\"}", NULL),
               VERDANT_ERROR_INVALID_PARAMETER);
    CHECK_CODE(verdant_write_json(client, NULL, auditId, "{\"type\":\"periodic\"}", NULL),
               VERDANT_ERROR_INVALID_PARAMETER);
    CHECK_CODE(verdant_write_json(client, "audits", NULL, "{\"type\":\"periodic\"}", NULL),
               VERDANT_ERROR_INVALID_PARAMETER);
    CHECK_CODE(verdant_write_json(client, "audits", auditId, NULL, NULL),
               VERDANT_ERROR_INVALID_PARAMETER);
    CHECK_CODE(verdant_write_json(client, "audits", "not-an-id", "{\"type\":\"periodic\"}", NULL),
               VERDANT_ERROR_INVALID_PARAMETER);
    CHECK_CODE(
        verdant_write_json(client, "no_such_things", auditId, "{\"type\":\"periodic\"}", &json),
        VERDANT_ERROR_UNKNOWN_COLLECTION);
    CHECK(json == NULL);
    CHECK_CODE(verdant_write_json(client, "audits", auditId, "{\"type\":", NULL),
               VERDANT_ERROR_MALFORMED_JSON);
    CHECK_CODE(verdant_write_json(client, "audits", auditId, "[1,2]", NULL),
               VERDANT_ERROR_INVALID_PARAMETER);
    CHECK_CODE(verdant_write_json(client, "audits", auditId, "{\"colour\":\"green\"}", NULL),
               VERDANT_ERROR_UNKNOWN_FIELD);
    CHECK(strcmp(verdant_last_error_field(), "colour") == 0);
    /* All or nothing: a good field next to a bad one is not written either. */
    CHECK_CODE(verdant_write_json(client, "audits", auditId,
                                  "{\"type\":\"closure\",\"scheduled_for\":\"tomorrow\"}", NULL),
               VERDANT_ERROR_WRONG_TYPE);
    CHECK(strcmp(verdant_last_error_field(), "scheduled_for") == 0);
    CHECK_CODE(verdant_write_json(client, "audits", auditId, "{\"team\":[\"li\"]}", NULL),
               VERDANT_ERROR_WRONG_TYPE);
    CHECK_CODE(verdant_write_json(client, "audits", auditId, "{\"type\":\"surprise_visit\"}", NULL),
               VERDANT_ERROR_INVALID_ENUM_VALUE);
    CHECK_CODE(verdant_create_json(client, "answers", "{\"value\":\"yes\"}", &freshId),
               VERDANT_ERROR_WRONG_TYPE); /* a JSON field takes an object or array */
    CHECK(freshId == NULL);
    CHECK(pendingChanges(client) == pendingBefore);

    CHECK_OK(verdant_new_record_id(&freshId));
    CHECK_CODE(verdant_record_json(client, "audits", freshId, &json), VERDANT_ERROR_NOT_FOUND);
    CHECK(json == NULL);
    CHECK_CODE(verdant_record_json(client, "no_such_things", freshId, &json),
               VERDANT_ERROR_UNKNOWN_COLLECTION);
    CHECK_CODE(verdant_records_json(client, "audits", NULL), VERDANT_ERROR_INVALID_PARAMETER);
    CHECK_CODE(verdant_sync_state(client, "audits", freshId, NULL),
               VERDANT_ERROR_INVALID_PARAMETER);
    CHECK_CODE(verdant_sync_state(NULL, "audits", freshId, &state),
               VERDANT_ERROR_INVALID_PARAMETER);
    CHECK_CODE(verdant_query_json(client, "audits", "type", "periodic", &json),
               VERDANT_ERROR_MALFORMED_JSON); /* a JSON string needs its quotes */
    CHECK_CODE(verdant_status_json(NULL, &json), VERDANT_ERROR_INVALID_PARAMETER);
    CHECK_CODE(verdant_subscribe(client, NULL, NULL, NULL), VERDANT_ERROR_INVALID_PARAMETER);
    CHECK_CODE(verdant_start_background_sync(client, 0, NULL, NULL),
               VERDANT_ERROR_INVALID_PARAMETER);
    memset(&report, 0, sizeof report); /* struct_size 0: refused before any network */
    CHECK_CODE(verdant_sync(client, &report), VERDANT_ERROR_INVALID_PARAMETER);
    CHECK_CODE(verdant_sync(NULL, NULL), VERDANT_ERROR_INVALID_PARAMETER);
    verdant_string_free(freshId);
}

/* Signs in, writes an audit, a finding and an answer, syncs, and reads them back. */
static void signInWriteSyncRead(const verdant_options* options, const struct Arguments* args,
                                char* findingId, size_t findingIdSize) {
    verdant_client* client = NULL;
    char* json = NULL;
    char* created = NULL;
    char* answerId = NULL;
    char fields[1024];
    char expected[256];
    uint64_t subscription = 0;
    verdant_sync_report report;
    int running = -1;
    int waited;

    CHECK_OK(verdant_sign_in(options, args->tenant, args->username, args->password, &client));
    CHECK(client != NULL);
    CHECK(verdant_last_error_code() == VERDANT_OK && verdant_last_error_message()[0] == '\0');

    CHECK_OK(verdant_status_json(client, &json));
    CHECK_CONTAINS(json, "\"signed_in\":true");
    snprintf(expected, sizeof expected, "\"username\":\"%s\"", args->username);
    CHECK_CONTAINS(json, expected);
    CHECK_CONTAINS(json, "\"role\":\"hq_reviewer\"");
    verdant_string_free(json);

    CHECK_OK(verdant_subscribe(client, onRecord, (void*)&gRecordEvents, &subscription));

    /* Write: an audit (the id the test chose), with a set, a timestamp and an enum. */
    CHECK_OK(verdant_write_json(client, "audits", args->auditId,
                                "{\"type\":\"periodic\",\"assignee_id\":\"someone\","
                                "\"team\":{\"add\":[\"li\",\"wang\"]},"
                                "\"scheduled_for\":1800000000000}",
                                &json));
    snprintf(expected, sizeof expected, "\"record_id\":\"%s\"", args->auditId);
    CHECK_CONTAINS(json, expected);
    CHECK_CONTAINS(json, "\"changes\":5");
    verdant_string_free(json);
    CHECK(atomic_load(&gLocalAuditEvents) >= 1); /* subscribers run on the writer's thread */
    CHECK_STATE(client, "audits", args->auditId, VERDANT_SYNC_STATE_LOCAL);

    /* A finding of that audit, created with a fresh id; UTF-8 text beyond ASCII. */
    snprintf(
        fields, sizeof fields,
        "{\"severity\":\"minor\",\"description\":\"Wastewater log missing \xe5\xba\x9f\xe6\xb0\xb4"
        " \xf0\x9f\x8c\xbf\",\"evidence\":{\"add\":\"photo-1\"},\"audit_id\":\"%s\"}",
        args->auditId);
    CHECK_OK(verdant_create_json(client, "findings", fields, &created));
    CHECK(created != NULL && strlen(created) == 36);
    snprintf(findingId, findingIdSize, "%s", created);
    verdant_string_free(created);
    printf("finding=%s\n", findingId);
    fflush(stdout);

    /* The answer to question q1: the id every device computes for it. */
    CHECK_OK(verdant_answer_record_id(args->auditId, "q1", &answerId));
    snprintf(
        fields, sizeof fields,
        "{\"audit_id\":\"%s\",\"question_id\":\"q1\",\"value\":{\"answer\":\"yes\",\"score\":3}}",
        args->auditId);
    CHECK_OK(verdant_write_json(client, "answers", answerId, fields, NULL));

    checkBadInput(client, args->auditId);
    CHECK(pendingChanges(client) == 5 + 4 + 3);

    /* Sync. */
    memset(&report, 0, sizeof report);
    report.struct_size = sizeof report;
    CHECK_OK(verdant_sync(client, &report));
    if (!report.complete) {
        failCheck(__LINE__, "sync incomplete: %d errors, first %d (%s)", report.error_count,
                  report.first_error_code, verdant_error_name(report.first_error_code));
    }
    CHECK(report.error_count == 0 && report.first_error_code == VERDANT_OK);
    CHECK(report.pushed == 12);
    CHECK(report.pending_changes == 0 && report.open_conflicts == 0);
    CHECK(report.bytes_sent > 0 && report.bytes_received > 0);
    CHECK(pendingChanges(client) == 0);
    CHECK_STATE(client, "audits", args->auditId, VERDANT_SYNC_STATE_SYNCED);
    CHECK_STATE(client, "findings", findingId, VERDANT_SYNC_STATE_SYNCED);
    CHECK_STATE(client, "answers", answerId, VERDANT_SYNC_STATE_SYNCED);

    /* Read back. */
    CHECK_OK(verdant_record_json(client, "audits", args->auditId, &json));
    CHECK_CONTAINS(json, "\"collection\":\"audits\"");
    CHECK_CONTAINS(json, "\"deleted\":false");
    CHECK_CONTAINS(json, "\"type\":\"periodic\"");
    CHECK_CONTAINS(json, "\"team\":[\"li\",\"wang\"]");
    CHECK_CONTAINS(json, "\"scheduled_for\":1800000000000");
    CHECK_CONTAINS(json, "\"conflicted_fields\":[]");
    verdant_string_free(json);

    CHECK_OK(verdant_record_json(client, "findings", findingId, &json));
    CHECK_CONTAINS(json,
                   "\"description\":\"Wastewater log missing \xe5\xba\x9f\xe6\xb0\xb4 "
                   "\xf0\x9f\x8c\xbf\"");
    CHECK_CONTAINS(json, "\"evidence\":[\"photo-1\"]");
    CHECK_CONTAINS(json, "\"severity\":\"minor\"");
    verdant_string_free(json);

    CHECK_OK(verdant_record_json(client, "answers", answerId, &json));
    CHECK_CONTAINS(json, "\"value\":{\"answer\":\"yes\",\"score\":3}");
    verdant_string_free(json);

    CHECK_OK(verdant_records_json(client, "audits", &json));
    CHECK_CONTAINS(json, args->auditId);
    verdant_string_free(json);

    CHECK_OK(verdant_audit_records_json(client, args->auditId, &json));
    CHECK(json[0] == '[');
    CHECK_CONTAINS(json, findingId);
    CHECK_CONTAINS(json, answerId);
    verdant_string_free(json);

    CHECK_OK(verdant_query_json(client, "findings", "severity", "\"minor\"", &json));
    CHECK_CONTAINS(json, findingId);
    verdant_string_free(json);
    CHECK_OK(verdant_query_json(client, "audits", "team", "\"wang\"", &json));
    CHECK_CONTAINS(json, args->auditId);
    verdant_string_free(json);

    CHECK_OK(verdant_conflicts_json(client, &json));
    CHECK(strcmp(json, "[]") == 0);
    verdant_string_free(json);
    CHECK_OK(verdant_quarantine_json(client, &json));
    CHECK(strcmp(json, "[]") == 0);
    verdant_string_free(json);
    CHECK_OK(verdant_status_json(client, &json));
    CHECK_CONTAINS(json, "\"pending_changes\":0");
    CHECK_CONTAINS(json, "\"last_error\":null");
    verdant_string_free(json);

    /* Background sync sends a later write on its own. */
    CHECK_OK(verdant_start_background_sync(client, 60000, onReport, NULL));
    CHECK_OK(verdant_background_sync_running(client, &running));
    CHECK(running == 1);
    CHECK_OK(verdant_write_json(client, "findings", findingId, "{\"clause\":\"4.2\"}", NULL));
    CHECK_OK(verdant_request_sync(client));
    for (waited = 0; waited < 30000; waited += 50) {
        if (atomic_load(&gBackgroundCompleteReports) >= 1 &&
            syncStateOf(client, "findings", findingId) == VERDANT_SYNC_STATE_SYNCED) {
            break;
        }
        sleepMs(50);
    }
    CHECK(atomic_load(&gBackgroundCompleteReports) >= 1);
    CHECK_STATE(client, "findings", findingId, VERDANT_SYNC_STATE_SYNCED);
    CHECK_OK(verdant_stop_background_sync(client));
    CHECK_OK(verdant_background_sync_running(client, &running));
    CHECK(running == 0);

    /* After unsubscribing, writes call no one. */
    CHECK_OK(verdant_unsubscribe(client, subscription));
    {
        const int before = atomic_load(&gRecordEvents);
        CHECK_OK(
            verdant_write_json(client, "audits", args->auditId, "{\"assignee_id\":\"hq\"}", NULL));
        CHECK(atomic_load(&gRecordEvents) == before);
    }
    report.struct_size = sizeof report;
    CHECK_OK(verdant_sync(client, &report));
    CHECK(report.complete == 1);

    verdant_string_free(answerId);
    verdant_close(client);
}

/* Re-opens without the network, reads and writes, and finds the server unreachable. */
static void reopenOffline(const verdant_options* options, const struct Arguments* args,
                          const char* findingId) {
    verdant_options offline = *options;
    verdant_client* client = NULL;
    verdant_sync_report report;
    char* json = NULL;

    offline.server_url = "https://127.0.0.1:9"; /* discard port: nothing listens */
    CHECK_OK(verdant_open(&offline, args->tenant, args->username, &client));
    CHECK_OK(verdant_record_json(client, "audits", args->auditId, &json));
    CHECK_CONTAINS(json, "\"type\":\"periodic\"");
    CHECK_CONTAINS(json, "\"assignee_id\":\"hq\"");
    verdant_string_free(json);

    CHECK_OK(verdant_write_json(client, "findings", findingId,
                                "{\"description\":\"Edited offline\"}", NULL));
    CHECK_STATE(client, "findings", findingId, VERDANT_SYNC_STATE_QUEUED);

    memset(&report, 0, sizeof report);
    report.struct_size = sizeof report;
    CHECK_OK(verdant_sync(client, &report)); /* a report, though the sync failed */
    CHECK(report.complete == 0 && report.error_count >= 1);
    CHECK(verdant_error_category(report.first_error_code) == VERDANT_CATEGORY_TRANSIENT);
    CHECK(verdant_last_error_code() == report.first_error_code);
    CHECK(verdant_last_error_message()[0] != '\0');
    CHECK(report.pending_changes == 1);
    {
        /* Attempted but never acknowledged: Sent (it may have reached the server) or Queued. */
        const int state = syncStateOf(client, "findings", findingId);
        CHECK(state == VERDANT_SYNC_STATE_SENT || state == VERDANT_SYNC_STATE_QUEUED);
    }

    CHECK_OK(verdant_status_json(client, &json));
    CHECK_CONTAINS(json, "\"pending_changes\":1");
    verdant_string_free(json);
    verdant_close(client);
}

/* Back online: the offline edit goes out; then sign out. */
static void reopenOnlineAndSignOut(const verdant_options* options, const struct Arguments* args,
                                   const char* findingId) {
    verdant_client* client = NULL;
    verdant_sync_report report;
    char* json = NULL;
    char* path = NULL;

    CHECK_OK(verdant_open(options, args->tenant, args->username, &client));
    memset(&report, 0, sizeof report);
    report.struct_size = sizeof report;
    CHECK_OK(verdant_sync(client, &report));
    CHECK(report.complete == 1 && report.pushed == 1);
    CHECK_STATE(client, "findings", findingId, VERDANT_SYNC_STATE_SYNCED);

    CHECK_OK(verdant_sign_out(client));
    CHECK_OK(verdant_status_json(client, &json));
    CHECK_CONTAINS(json, "\"signed_in\":false");
    verdant_string_free(json);
    /* Still readable after signing out: the data stays on the device. */
    CHECK_OK(verdant_record_json(client, "findings", findingId, &json));
    CHECK_CONTAINS(json, "\"description\":\"Edited offline\"");
    verdant_string_free(json);

    CHECK_OK(verdant_database_path(args->dataDir, args->tenant, args->username, &path));
    CHECK(strncmp(path, args->dataDir, strlen(args->dataDir)) == 0);
    verdant_string_free(path);
    verdant_close(client);
}

int main(int argc, char** argv) {
    struct Arguments args;
    verdant_options options;
    char findingId[64];

    if (argc != 8) {
        fprintf(stderr,
                "usage: %s <server-url> <ca-file> <tenant> <username> <password> <data-dir> "
                "<audit-id>\n",
                argv[0]);
        return 2;
    }
    args.serverUrl = argv[1];
    args.caFile = argv[2];
    args.tenant = argv[3];
    args.username = argv[4];
    args.password = argv[5];
    args.dataDir = argv[6];
    args.auditId = argv[7];
    snprintf(gAuditId, sizeof gAuditId, "%s", args.auditId);

    checkLibrary();

    verdant_options_init(&options);
    CHECK(options.struct_size == sizeof options);
    options.data_directory = args.dataDir;
    options.server_url = args.serverUrl;
    options.ca_file = args.caFile;
    options.device_name = "capi_smoke";
    options.timeout_seconds = 10;
    options.retry_max_attempts = 2;
    options.retry_initial_delay_ms = 20;

    checkSignInRefusals(&options, &args);
    signInWriteSyncRead(&options, &args, findingId, sizeof findingId);
    reopenOffline(&options, &args, findingId);
    reopenOnlineAndSignOut(&options, &args, findingId);

    printf("capi_smoke: ok\n");
    return 0;
}
