#pragma once

#include "verdant/client/Backoff.hpp"
#include "verdant/client/HttpsTransport.hpp"
#include "verdant/client/Photos.hpp"
#include "verdant/client/Transport.hpp"
#include "verdant/shared/Change.hpp"
#include "verdant/shared/Clock.hpp"
#include "verdant/shared/ErrorCode.hpp"
#include "verdant/shared/Id.hpp"
#include "verdant/shared/Value.hpp"
#include "verdant/sync/Conflict.hpp"
#include "verdant/sync/Store.hpp"

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

struct sqlite3;

namespace verdant::client {

/// Where a record stands between this device and the server, as a list row can show it.
enum class RecordSyncState : std::uint8_t {
    Local = 0,        ///< Made on this device and never sent: only this tablet has it.
    Queued = 1,       ///< Has changes waiting in the outbox.
    Sent = 2,         ///< Its changes were sent; the server has not acknowledged them yet.
    Synced = 3,       ///< The server holds every change of it this device made.
    Conflict = 4,     ///< A field has concurrent values waiting for a person to choose.
    Quarantined = 5,  ///< The server refused a change to it; kept for HQ to accept or discard.
};

/// The lower-case name of a state, e.g. "quarantined".
std::string_view wireName(RecordSyncState state) noexcept;

/// How much a log entry matters.
enum class LogLevel : std::uint8_t {
    Debug = 0,    ///< Each request of a sync (a push batch sent, a pull round).
    Info = 1,     ///< What a sync achieved (changes acknowledged, pull done, sync done).
    Warning = 2,  ///< A sync went on despite something (a retry, a conflict, a refusal, a repair).
    Error = 3,    ///< A sync stopped before it was complete.
};

/// The lower-case name of a level: "debug", "info", "warning" or "error".
std::string_view wireName(LogLevel level) noexcept;

/// One thing sync did, as an app's log shows it. Events and their numbers:
///
/// | event                | level   | numbers                                                  |
/// |----------------------|---------|----------------------------------------------------------|
/// | `sync.started`       | debug   | none                                                     |
/// | `push.sent`          | debug   | changes (in the batch about to be sent)                  |
/// | `push.acknowledged`  | info    | changes (applied or duplicate), bytes, durationMs        |
/// | `conflict.raised`    | warning | changes (1); the message names the record and field      |
/// | `quarantine.refused` | warning | changes (1), error (the server's code)                   |
/// | `clock.restamped`    | warning | changes (re-dated with the server's clock)               |
/// | `pull.round`         | debug   | changes, bytes (answer), scopes (pages), durationMs      |
/// | `scope.purged`       | info    | scopes (1); the message names the scope                  |
/// | `replica.repaired`   | warning | scopes (1); the message names the scope                  |
/// | `pull.done`          | info    | changes, bytes (answers), scopes (held now), durationMs  |
/// | `sync.retry`         | warning | error, durationMs (the wait before the next attempt)     |
/// | `sync.failed`        | error   | error (the first), changes, bytes, durationMs (the sync) |
/// | `sync.completed`     | info    | changes (pushed + pulled), bytes (both ways), durationMs |
///
/// Bytes are request and answer bodies, retries included. Durations are measured on a steady
/// clock and include retries and their waits.
///
/// Event names are stable: an app may match on them. Messages are for people and may change.
/// No entry ever holds a secret (password, access or refresh token) or a value a user wrote
/// (answer texts, comments, any field value): only counts, codes, ids, collection, field and
/// scope names, and bounded error messages.
struct LogEntry {
    LogLevel level = LogLevel::Info;         ///< How much it matters.
    std::string_view event;                  ///< Stable name, e.g. "push.sent".
    std::string message;                     ///< For a person, e.g. "Sent 12 changes (3 kB).".
    std::uint64_t changes = 0;               ///< Changes concerned (see the table), else 0.
    std::uint64_t bytes = 0;                 ///< Body bytes moved (see the table), else 0.
    std::uint64_t scopes = 0;                ///< Scopes concerned (see the table), else 0.
    std::int64_t durationMs = 0;             ///< Time taken or waited (see the table), else 0.
    std::optional<shared::ErrorCode> error;  ///< The stable code of a failure, retry or refusal.
};

/// Receives log entries; see ClientOptions::log for when and on which thread.
using LogCallback = std::function<void(const LogEntry&)>;

/// How the SDK opens a user's local store and reaches the server.
struct ClientOptions {
    /// Folder holding one local database per signed-in user (created if missing).
    std::string dataDirectory;
    /// The server and the CA to trust.
    ServerEndpoint server;
    /// Shown to the user's administrators in the device list.
    std::string deviceName = "Verdant tablet";
    /// The device's wall clock; null = the system clock. Must outlive the Client.
    const shared::Clock* clock = nullptr;
    /// Durable commits (synchronous=FULL: survive power loss) instead of the default NORMAL in
    /// WAL mode, which survives any crash of the app or the OS process but may lose the last
    /// moments of work on sudden power loss, and is what keeps a write under 100 µs.
    bool durable = false;
    /// Called with each new SQLite connection to the local database before it is used: the seam
    /// for an encrypting SQLite build (run `PRAGMA key` here). Empty = plain SQLite.
    std::function<void(sqlite3* connection)> onOpenDatabase;
    /// Replaces the HTTPS transport (tests inject failures). Null = HttpsTransport(server).
    std::shared_ptr<Transport> transport;
    /// Retries of transient failures inside one sync() and between background syncs.
    RetryPolicy retry;
    /// How the SDK waits between retries; empty = really sleep. Tests record the delays.
    std::function<void(std::chrono::milliseconds)> sleep;
    /// Most changes sent in one push request, 1 to 5000 (the server's limit); a batch is also
    /// cut at about 4 MiB, and halved if the server still finds it too large.
    std::uint32_t pushBatchSize = 1000;
    /// Most changes asked for in one pull page (the server caps it at 5000).
    std::uint32_t pullPageSize = 2000;
    /// Use the JSON encoding instead of the compact binary one (for debugging with a proxy).
    bool useJson = false;
    /// Receives what sync does (LogEntry), for an app's log or a support screen; empty = no
    /// log. Called on the thread that syncs (the caller of sync(), the background thread, or
    /// the thread fetching the next pull page ahead), one call at a time, while the sync holds
    /// the Client's locks: it must return quickly and must not call any member of the Client
    /// (it would deadlock), except setLogCallback(). An exception it throws is caught and
    /// dropped: logging never breaks a sync. The entry is valid only during the call.
    LogCallback log;
    /// How photo bytes are uploaded at first; setUploadSettings() changes it.
    UploadSettings uploads;
    /// Replaces the transport of photo uploads and downloads. Null = `transport` when one is
    /// given (it must then be safe to use from two threads at once: uploads run beside syncs),
    /// else an HttpsTransport(server) of their own, so bytes never hold up records.
    std::shared_ptr<Transport> uploadTransport;
};

/// One field written by a user action.
struct FieldWrite {
    std::string field;                                     ///< Field name from the schema.
    shared::Value value;                                   ///< Value, element or state.
    shared::Operation operation = shared::Operation::Set;  ///< Set, Add, Remove or Reopen.

    /// Sets `field` to `value`.
    static FieldWrite set(std::string field, shared::Value value);
    /// Adds `element` to the string-set `field`.
    static FieldWrite add(std::string field, std::string element);
    /// Removes `element` from the string-set `field`.
    static FieldWrite remove(std::string field, std::string element);
    /// Moves the monotone-state `field` back to `state` (role-checked on the server).
    static FieldWrite reopen(std::string field, std::string state);
};

/// The outcome of a local write: either every field was written (in one transaction) or none
/// was, and the error says which field was wrong and why, in words the app can show.
struct WriteResult {
    bool ok = false;                         ///< Written.
    shared::RecordId recordId;               ///< The record written (the new id on create()).
    std::optional<shared::ErrorCode> error;  ///< Why nothing was written.
    std::string message;                     ///< Human-readable reason.
    std::string field;                       ///< The offending field, when one is to blame.
    std::vector<shared::Change> changes;     ///< The changes queued, in outbox order.
};

/// A problem met during a sync, as the app shows it.
struct SyncError {
    shared::ErrorCode code = shared::ErrorCode::InternalError;  ///< Stable code.
    std::string message;                                        ///< Human-readable reason.
};

/// A change the server refused, kept on the device with the reason (and on the server for HQ).
struct QuarantineEntry {
    shared::Change change;         ///< The change as this device made it.
    shared::ErrorCode code;        ///< Why it was refused, e.g. not_in_scope.
    std::string message;           ///< Human-readable reason.
    std::int64_t refusedAtMs = 0;  ///< When the device learned of the refusal (its clock).
    /// HQ's decision, once a sync learned it: "accepted" (applied on HQ's authority; the record
    /// arrives by pull when this user may still see it) or "discarded". While none, the record
    /// shows as quarantined.
    std::optional<std::string> decision;
};

/// What one sync did.
struct SyncReport {
    bool complete = false;              ///< Pushed everything and pulled up to date, no error.
    std::size_t pushed = 0;             ///< Changes the server acknowledged (applied or duplicate).
    std::size_t pulled = 0;             ///< Changes received from the server.
    std::size_t conflictsRaised = 0;    ///< Pushed changes that raised a conflict.
    std::size_t quarantined = 0;        ///< Pushed changes the server refused and quarantined.
    std::size_t quarantineDecided = 0;  ///< Refused changes HQ accepted or discarded, learned now.
    std::size_t restamped = 0;          ///< Unsent changes re-stamped after a clock-skew refusal.
    std::size_t purgedScopes = 0;       ///< Scopes taken away from this user and removed.
    std::size_t repairedScopes = 0;     ///< Scopes re-fetched whole after a checksum mismatch.
    std::size_t openConflicts = 0;      ///< Conflicts open on this device after the sync.
    std::size_t pendingChanges = 0;     ///< Changes still in the outbox after the sync.
    std::uint64_t bytesSent = 0;        ///< Request bodies sent.
    std::uint64_t bytesReceived = 0;    ///< Response bodies received.
    std::int64_t serverOffsetMs = 0;    ///< Server clock minus device clock, as learned.
    std::size_t attempts = 0;           ///< Requests retried after transient failures.
    std::vector<SyncError> errors;      ///< Empty when complete.
};

/// Progress of a long sync, reported after each request.
struct SyncProgress {
    enum class Phase : std::uint8_t { Pushing, Pulling };
    Phase phase = Phase::Pushing;        ///< What the sync is doing.
    std::size_t changesDone = 0;         ///< Changes pushed or pulled so far in this phase.
    std::size_t changesTotal = 0;        ///< Changes to push (0 when unknown, as for pulls).
    std::uint64_t bytesTransferred = 0;  ///< Bytes sent and received so far in this sync.
};

/// What the status screen shows.
struct ClientStatus {
    std::string tenant;                      ///< Tenant slug signed in to.
    std::string username;                    ///< Who is signed in.
    std::string userId;                      ///< Their id.
    std::string role;                        ///< Their role, e.g. "field_expert".
    std::string deviceId;                    ///< This device's id for that user.
    bool signedIn = false;                   ///< Holds tokens (false after signOut or revocation).
    std::size_t pendingChanges = 0;          ///< Changes in the outbox.
    std::size_t openConflicts = 0;           ///< Conflicts on this device.
    std::size_t quarantined = 0;             ///< Changes the server refused.
    std::optional<std::int64_t> lastSyncMs;  ///< When the last complete sync ended (device clock).
    std::optional<SyncError> lastError;      ///< The last sync's first error, if it failed.
    std::int64_t serverOffsetMs = 0;         ///< Server clock minus device clock.
};

/// What a check-in at the door did (Client::checkIn).
struct CheckInResult {
    bool ok = false;                         ///< The person is checked in (written and queued).
    std::optional<shared::ErrorCode> error;  ///< Why not: a checkin_token_* code, or the write's.
    std::string message;                     ///< Human-readable reason; never quotes the token.
    shared::RecordId registrationId;         ///< The registration the token names (when read).
    std::string personName;                  ///< The name on the badge (when the token is valid).
    std::vector<shared::Change> changes;     ///< The changes queued, in outbox order.
};

/// What a training certificate says, checked offline (Client::verifyCertificate).
struct CertificateCheck {
    bool valid = false;  ///< Signed by the tenant's key, and not revoked as this device knows.
    std::optional<shared::ErrorCode> error;  ///< certificate_malformed / _forged / _revoked, or
                                             ///< not_found before the tenant's key is synced.
    std::string message;                     ///< Human-readable reason.
    shared::RecordId certificateId;          ///< When it was read.
    std::string personName;                  ///< The person it names.
    std::string courseTitleEn;               ///< The course (the achievement).
    std::string courseTitleZh;
    std::int64_t issuedAtMs = 0;  ///< When it was issued.
};

/// One person on a session's roster (Client::roster).
struct RosterEntry {
    shared::RecordId registrationId;           ///< The registration (attendance record).
    std::string personNameZh;                  ///< Chinese name, if known.
    std::string personNameEn;                  ///< English name, if known.
    std::string state;                         ///< e.g. "registered", "checked_in".
    std::optional<std::int64_t> firstCheckIn;  ///< Earliest check-in at any door (Unix ms).
    std::optional<std::int64_t> lastCheckOut;  ///< Latest check-out (Unix ms).
    std::vector<std::string> recordedBy;       ///< Devices that recorded the person.
};

/// A session's registrations as this device holds them, and how many are in each state.
struct Roster {
    std::vector<RosterEntry> people;                   ///< By registration id.
    std::map<std::string, std::size_t> countsByState;  ///< e.g. {"checked_in": 12, ...}.
};

/// A record changed, by a local write or by sync.
struct RecordEvent {
    enum class Origin : std::uint8_t { Local, Sync };
    std::string collection;         ///< Its collection.
    shared::RecordId id;            ///< Its id.
    Origin origin = Origin::Local;  ///< What changed it.
    bool removed = false;  ///< It left this device (scope taken away, or a refusal undone).
};

/// The device SDK: an offline-first local replica of what the signed-in user may see, an
/// outbox of their changes, and the sync loop that reconciles both with the server.
///
/// Offline first: reads and writes go to the local SQLite store (one file per signed-in user)
/// and never wait for the network. Every write is validated against the shared schema, applied
/// locally and queued in the same transaction, numbered per device: the outbox is the local
/// change log itself, so nothing entered is lost by a crash at any point, and a resent change is
/// applied once on the server.
///
/// Sync pushes the outbox, then pulls every scope page by page; learns the server's clock offset
/// and dates later changes with it; re-stamps unsent changes the server refused as clock-skewed;
/// removes refused changes from the local view into the quarantine (never dropped); purges scopes
/// taken away once their local edits are sent; verifies each scope by checksum and repairs a
/// mismatch. Transient failures are retried with exponential backoff and jitter; auth failures
/// stop the sync and are reported.
///
/// Thread-safety: every member may be called from any thread. Reads and writes take a short
/// lock on the local store; sync() blocks its caller for the network round trips, while
/// background sync runs them on the SDK's own thread. Subscribers are called after the change
/// is committed, with no lock of the Client held, on the thread that made it (local writes) or
/// the thread that synced (after the sync ends); they may read, write, sync and unsubscribe
/// through the Client, but must not destroy it.
class Client {
public:
    /// Signs `username` of `tenant` in online and opens (creating if new) their local store on
    /// this device. Throws shared::Error: InvalidCredentials, ServerUnreachable, TlsUntrusted...
    static std::unique_ptr<Client> signIn(ClientOptions options, const std::string& tenant,
                                          const std::string& username, const std::string& password);

    /// Re-opens the local store of a user who signed in on this device before, without the
    /// network. Throws shared::Error(NotSignedIn) if there is none.
    static std::unique_ptr<Client> open(ClientOptions options, const std::string& tenant,
                                        const std::string& username);

    /// The path of the local database of `username` of `tenant` under `dataDirectory`.
    static std::string databasePath(const std::string& dataDirectory, const std::string& tenant,
                                    const std::string& username);

    /// Stops background sync and closes the store; unsent changes stay in the outbox.
    ~Client();
    Client(const Client&) = delete;
    Client& operator=(const Client&) = delete;

    /// Revokes the sign-in on the server (best effort) and forgets the tokens on this device.
    /// The local data and outbox stay, for the next sign-in of the same user.
    void signOut();

    /// Status, identity and counters.
    ClientStatus status() const;

    /// This device's id for the signed-in user.
    shared::DeviceId deviceId() const;

    /// The signed-in user's id (the author of their changes).
    std::string userId() const;

    // --- Reads ----------------------------------------------------------------------------------

    /// One record, or nullopt if this device does not hold it.
    std::optional<sync::Record> record(std::string_view collection,
                                       const shared::RecordId& id) const;

    /// Every record of a collection this device holds (not deleted), by id.
    std::vector<sync::Record> records(std::string_view collection) const;

    /// The records of `collection` whose `field` equals `value` (for a set field: contains it).
    std::vector<sync::Record> query(std::string_view collection, std::string_view field,
                                    const shared::Value& value) const;

    /// How many records of `collection` that are not deleted each scope holds, by scope key
    /// (shared::scopeKey): e.g. the answers of every audit, in one pass over the scope index,
    /// loading no record.
    std::map<std::string, std::size_t> recordsPerScope(std::string_view collection) const;

    /// An audit with everything in its scope (answers, findings...), the audit first.
    std::vector<sync::Record> auditRecords(const shared::RecordId& auditId) const;

    /// A training session with everything in its scope (attendance...), the session first.
    std::vector<sync::Record> sessionRecords(const shared::RecordId& sessionId) const;

    // --- Writes ---------------------------------------------------------------------------------

    /// Writes the fields of one record as one user action: validated, applied and queued in one
    /// transaction, all or nothing. Validation errors are returned, not thrown; storage failures
    /// throw shared::Error(StorageUnavailable).
    WriteResult write(std::string_view collection, const shared::RecordId& id,
                      const std::vector<FieldWrite>& fields);

    /// As write(), for a new record with a fresh id (WriteResult::recordId).
    WriteResult create(std::string_view collection, const std::vector<FieldWrite>& fields);

    /// Deletes a record (a tombstone; it stays deleted unless explicitly restored).
    WriteResult remove(std::string_view collection, const shared::RecordId& id);

    // --- Training at the door -------------------------------------------------------------------

    /// Checks in the holder of a scanned check-in token at `sessionId`, offline: the token (its
    /// surrounding whitespace, such as a scanner's newline, trimmed) is validated with the
    /// tenant's public key this device received by sync (training_keys) and the device's clock
    /// corrected by the server's offset (verdant/training/CheckInToken.hpp). Refused with its
    /// checkin_token_* code, nothing written; not_found while this device has not received the
    /// tenant's key (sync once online). Accepted: one user action on the token's registration
    /// (state checked_in unless it is further already, first_check_in now, this device added to
    /// recorded_by), queued for sync; the write's own rules apply (session_cancelled).
    CheckInResult checkIn(const shared::RecordId& sessionId, std::string_view scannedToken);

    /// Records that the person of `registrationId` left now (last_check_out; the latest of all
    /// doors stands), as write() does.
    WriteResult checkOut(const shared::RecordId& registrationId);

    /// The registrations of `sessionId` this device holds, with the counts per state.
    Roster roster(const shared::RecordId& sessionId) const;

    /// Checks a training certificate (the text of a certificate file or QR code) offline: its
    /// signature against the tenant's public key this device received by sync, then whether the
    /// `certificates` record this device holds says it was revoked (it syncs like any record, so
    /// a revocation is known after the next sync, offline). See verdant/training/Certificate.hpp.
    CertificateCheck verifyCertificate(std::string_view text) const;

    // --- Sync state -----------------------------------------------------------------------------

    /// Where one record stands (Synced for a record this device does not hold).
    RecordSyncState syncState(std::string_view collection, const shared::RecordId& id) const;

    /// Where every record of `collection` that is not Synced stands, by id: what syncState()
    /// says of each, and a record missing from the map is Synced. Reads the quarantine, the open
    /// conflicts and the outbox once each, so it costs what is unsynced, not what the device
    /// holds (for lists that show a state per row).
    std::map<shared::RecordId, RecordSyncState> syncStates(std::string_view collection) const;

    /// The conflicts open on this device.
    std::vector<sync::Conflict> conflicts() const;

    /// The changes the server refused, oldest first.
    std::vector<QuarantineEntry> quarantine() const;

    /// The changes in the outbox (not yet acknowledged by the server), in device order.
    std::vector<shared::Change> pendingChanges() const;

    // --- Subscriptions --------------------------------------------------------------------------

    /// Calls `callback` whenever a record changes; returns a handle for unsubscribe().
    std::uint64_t subscribe(std::function<void(const RecordEvent&)> callback);

    /// Stops calling a subscriber. After it returns the callback is not running and never will.
    void unsubscribe(std::uint64_t handle);

    // --- Sync -----------------------------------------------------------------------------------

    /// Pushes the outbox, then pulls until up to date, on the caller's thread. Errors are in the
    /// report, never thrown (storage failures excepted). One sync runs at a time; a second
    /// caller waits for the first.
    SyncReport sync(const std::function<void(const SyncProgress&)>& progress = {});

    /// Only pushes the outbox (the `verdant push` command).
    SyncReport push(const std::function<void(const SyncProgress&)>& progress = {});

    /// Only pulls (the `verdant pull` command); refuses to purge scopes with unsent edits.
    SyncReport pull(const std::function<void(const SyncProgress&)>& progress = {});

    /// Recomputes the local store's checksums from its rows (cost: reads every local record)
    /// and returns the scopes whose rows no longer match what the store kept as it wrote them: a
    /// replica damaged under the SDK (a bad restore, a bad disk, a hand edit). Their checksums
    /// are rebuilt from the rows, and the next pull fetches each of them again whole (a repair:
    /// the scope is rebuilt from the server's log). Empty when the replica is intact.
    std::vector<std::string> checkReplica();

    /// Starts syncing on the SDK's own thread: now, after every `interval`, soon after each
    /// local write, and after requestSync(); transient failures back off (RetryPolicy) and auth
    /// failures stop the loop. `onReport` (may be empty) gets each report on that thread.
    /// Photo bytes upload on a second thread of the SDK (uploadPhotos()), woken after each sync
    /// round, after setNetwork(), and every `interval`: records never wait for bytes.
    void startBackgroundSync(std::chrono::milliseconds interval,
                             std::function<void(const SyncReport&)> onReport = {});

    /// Asks the background loop to sync now (no effect when it is not running).
    void requestSync();

    /// Stops the background loop, waiting for a sync in progress to finish.
    void stopBackgroundSync();

    /// Whether the background loop runs.
    bool backgroundSyncRunning() const;

    // --- Photos ---------------------------------------------------------------------------------

    /// Takes a photo as evidence, offline: its bytes are hashed (SHA-256) and kept in this
    /// device's content-addressed blob folder beside the local store (flushed to disk before the
    /// record names them), its `photos` record is written as one user action through write() (so
    /// it syncs at once, with the other records), and its upload is queued, persisted. The bytes
    /// upload later (uploadPhotos(), or the background loop), only after the record reached the
    /// server. WriteResult::recordId is the photo's id; a refused write returns its error and
    /// queues nothing. Throws shared::Error: NotFound when `sourcePath` cannot be read,
    /// StorageUnavailable when the disk refuses, InvalidParameter without bytes.
    WriteResult addPhoto(const PhotoDraft& draft);

    /// The upload queue's photos, in the order they were taken: every photo this device took,
    /// or those of `auditId`. Uploaded and failed photos stay listed.
    std::vector<PhotoStatus> photoUploads(
        const std::optional<shared::RecordId>& auditId = std::nullopt) const;

    /// One photo of the upload queue, or nullopt when this device did not take it.
    std::optional<PhotoStatus> photoUpload(const shared::RecordId& photoId) const;

    /// Puts a failed photo back in the queue, to upload from the start (after its file was
    /// restored or the server's limits changed, say); false when the photo is not failed. A
    /// photo over the tenant's quota is not failed: it stays pending and is tried again.
    bool retryPhoto(const shared::RecordId& photoId);

    /// Where this device keeps the bytes of a photo it took or downloaded, or "" if it has none.
    std::string photoPath(const shared::RecordId& photoId) const;

    /// Runs the upload queue once on the caller's thread: each photo whose record the server
    /// acknowledged is uploaded with tus in chunks, resuming where its upload stood (the
    /// server's offset, persisted after each answer), deduplicated when the server already
    /// holds the bytes and this device proves it has them. Photos are independent: a refused one
    /// is marked failed and the queue goes on; transient failures are retried with backoff per
    /// photo; a lost network stops the run (the photos wait). Never throws for a network or
    /// server problem (see the report); storage failures throw. `progress` (may be empty) gets
    /// a photo's status after each step. One run at a time; a second caller waits. Does nothing
    /// while the network is None, or not Wi-Fi with UploadSettings::wifiOnly.
    UploadReport uploadPhotos(const std::function<void(const PhotoStatus&)>& progress = {});

    /// Replaces the upload settings (from the next chunk on). Thread-safe.
    void setUploadSettings(const UploadSettings& settings);

    /// The upload settings in force.
    UploadSettings uploadSettings() const;

    /// Tells the SDK which network the device is on (the app learns it from the platform);
    /// Wifi until told otherwise. Uploads wait while it is None, or Cellular with wifiOnly; a
    /// change wakes the background uploads. Thread-safe.
    void setNetwork(NetworkKind network);

    /// Writes the bytes of a photo to `destination`: a photo id (of a `photos` record this
    /// device holds) or a SHA-256. From this device's blob folder when it holds them, else from
    /// the server (GET /v1/blobs/{sha256}, in ranged chunks of UploadSettings::chunkBytes, into
    /// a temporary file beside `destination` that a later call resumes), verified against the
    /// SHA-256, then renamed into place. Throws shared::Error: NotFound (no such photo, or the
    /// server will not give it to this user), InvalidParameter (not an id nor a hash),
    /// BlobHashMismatch (the bytes received are not the blob), StorageUnavailable, and the
    /// network's errors once retries are spent.
    PhotoDownload downloadPhoto(const std::string& photoIdOrSha256, const std::string& destination);

    // --- Log ------------------------------------------------------------------------------------

    /// Replaces the log callback (ClientOptions::log; empty = no log). Thread-safe. When it
    /// returns, the previous callback is not running and never will again (unless it is called
    /// from that callback, which then finishes its own call).
    void setLogCallback(LogCallback callback);

private:
    class Impl;
    explicit Client(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> _impl;
};

}  // namespace verdant::client
