#pragma once

#include "BlobFolder.hpp"
#include "LocalState.hpp"
#include "ServerApi.hpp"
#include "SyncLog.hpp"
#include "TusApi.hpp"
#include "UploadQueue.hpp"

#include "verdant/client/Backoff.hpp"
#include "verdant/client/Client.hpp"
#include "verdant/client/HttpsTransport.hpp"
#include "verdant/shared/HlcClock.hpp"
#include "verdant/shared/Role.hpp"

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

namespace verdant::client {

// Keys of client_settings.
constexpr const char* kTenant = "tenant";
constexpr const char* kTenantId = "tenant_id";  // the tenant's UUID, for check-in tokens
constexpr const char* kUsername = "username";
constexpr const char* kUserId = "user_id";
constexpr const char* kRole = "role";
constexpr const char* kDeviceId = "device_id";
constexpr const char* kAccessToken = "access_token";
constexpr const char* kRefreshToken = "refresh_token";
constexpr const char* kAckedSeq = "acked_seq";
constexpr const char* kSentSeq = "sent_seq";
constexpr const char* kOffsetMs = "server_offset_ms";
constexpr const char* kLastSyncMs = "last_sync_ms";
constexpr const char* kLastErrorCode = "last_error_code";
constexpr const char* kLastErrorMessage = "last_error_message";
constexpr const char* kMaxRemoteHlc = "max_remote_hlc";
constexpr const char* kPendingRepairs = "pending_repairs";  // scope keys, one per line

/// Whether `code` asks the user to sign in again (the token is refused or gone).
bool isAuthFailure(shared::ErrorCode code);

/// Whether a request that failed with `code` may succeed when repeated later.
bool isTransient(shared::ErrorCode code);

/// An HLC as client_settings holds it: "physicalMs:logical".
std::string hlcText(const shared::Hlc& hlc);

/// The HLC hlcText() wrote, or nullopt when `text` is missing or not of that form.
std::optional<shared::Hlc> hlcFromText(const std::optional<std::string>& text);

/// Records touched by a list of changes, in first-seen order, without repeats.
class TouchedRecords {
public:
    /// Collects nothing when `enabled` is false (no one subscribed: large pulls skip the cost).
    explicit TouchedRecords(bool enabled = true) : _enabled(enabled) {}

    /// Notes a record (once); `removed` when it is no longer on this device.
    void add(const std::string& collection, const shared::RecordId& id, bool removed = false) {
        if (!_enabled || (!_events.empty() && _events.back().id == id &&
                          _events.back().collection == collection)) {
            return;  // a record's changes mostly come together
        }
        if (_seen.insert({collection, id}).second) {
            _events.push_back(RecordEvent{collection, id, _origin, removed});
        }
    }

    /// The records noted so far, as events; starts afresh.
    std::vector<RecordEvent> take() {
        _seen.clear();
        return std::exchange(_events, {});
    }

private:
    bool _enabled = true;
    RecordEvent::Origin _origin = RecordEvent::Origin::Sync;
    std::set<std::pair<std::string, shared::RecordId>> _seen;
    std::vector<RecordEvent> _events;
};

/// One subscription: its callback and whether a call of it is in progress.
struct Subscriber {
    std::function<void(const RecordEvent&)> callback;
    std::mutex mutex;
    std::condition_variable idle;
    bool active = true;
    int running = 0;
};

/// The Client's state and work, one job per source file: ClientSession.cpp (identity, tokens),
/// ClientRead.cpp (reads and sync states), ClientWrite.cpp (the write path and re-stamping),
/// ClientEvents.cpp (subscriptions), ClientSync.cpp (one sync and its requests), ClientPush.cpp
/// (the pusher), ClientPull.cpp and ClientPullRound.cpp (the puller), ClientBackground.cpp.
class Client::Impl {
public:
    /// Opens (or creates) the local store at `path`, with this device's identity and clocks.
    Impl(ClientOptions options, const std::string& path);
    ~Impl();
    Impl(const Impl&) = delete;
    Impl& operator=(const Impl&) = delete;

    // --- identity (ClientSession.cpp) -----------------------------------------------------------

    void rememberSignIn(const std::string& tenant, const std::string& username,
                        const SessionTokens& tokens);
    bool loadIdentity();
    SessionTokens signInOnline(const std::string& tenant, const std::string& username,
                               const std::string& password);
    void signOut();
    ClientStatus status();
    const shared::DeviceId& deviceId() const { return _deviceId; }
    std::string userId();

    // --- reads (ClientRead.cpp) -----------------------------------------------------------------

    std::optional<sync::Record> record(std::string_view collection, const shared::RecordId& id);
    std::vector<sync::Record> records(std::string_view collection);
    std::vector<sync::Record> query(std::string_view collection, std::string_view field,
                                    const shared::Value& value);
    std::map<std::string, std::size_t> recordsPerScope(std::string_view collection);
    std::vector<sync::Record> scopeRecords(const char* rootCollection,
                                           const shared::RecordId& root);
    RecordSyncState syncState(std::string_view collection, const shared::RecordId& id);
    std::map<shared::RecordId, RecordSyncState> syncStates(std::string_view collection);
    std::vector<sync::Conflict> conflicts();
    std::vector<QuarantineEntry> quarantine();
    std::vector<shared::Change> pendingChanges();

    // --- writes (ClientWrite.cpp) ---------------------------------------------------------------

    WriteResult write(std::string_view collection, const shared::RecordId& id,
                      const std::vector<FieldWrite>& fields, bool tombstone);

    // --- training at the door (ClientCheckIn.cpp) ------------------------------------------------

    CheckInResult checkIn(const shared::RecordId& sessionId, std::string_view scannedToken);
    WriteResult checkOut(const shared::RecordId& registrationId);
    Roster roster(const shared::RecordId& sessionId);
    CertificateCheck verifyCertificate(std::string_view text);

    // --- subscriptions (ClientEvents.cpp) -------------------------------------------------------

    std::uint64_t subscribe(std::function<void(const RecordEvent&)> callback);
    void unsubscribe(std::uint64_t handle);

    // --- sync (ClientSync.cpp, ClientPullRound.cpp) ---------------------------------------------

    SyncReport runSync(bool doPush, bool doPull,
                       const std::function<void(const SyncProgress&)>& progress);
    std::vector<std::string> checkReplica();

    // --- background (ClientBackground.cpp) ------------------------------------------------------

    void startBackground(std::chrono::milliseconds interval,
                         std::function<void(const SyncReport&)> onReport);
    void stopBackground();
    void wakeBackground();
    bool backgroundRunning() const { return _backgroundRunning; }

    void setLog(LogCallback callback) { _log.set(std::move(callback)); }

    // --- photos (ClientPhotos.cpp, ClientUploads.cpp) -------------------------------------------

    WriteResult addPhoto(const PhotoDraft& draft);
    std::vector<PhotoStatus> photoUploads(const std::optional<shared::RecordId>& auditId);
    std::optional<PhotoStatus> photoUpload(const shared::RecordId& photoId);
    bool retryPhoto(const shared::RecordId& photoId);
    std::string photoPath(const shared::RecordId& photoId);
    void setUploadSettings(const UploadSettings& settings);
    UploadSettings uploadSettings();
    void setNetwork(NetworkKind network);
    UploadReport uploadPhotos(const std::function<void(const PhotoStatus&)>& progress);
    PhotoDownload downloadPhoto(const std::string& photoIdOrSha256, const std::string& destination);

private:
    /// What the outbox holds of one record.
    struct Pending {
        bool any = false;     ///< Some change of it is in the outbox.
        bool unsent = false;  ///< Some change of it in the outbox was not even sent yet.

        void add(const shared::Change& change, std::uint64_t sentSeq) {
            any = true;
            unsent = unsent || change.deviceSeq > sentSeq;
        }
    };

    /// What the server answered about one pushed batch.
    struct PushOutcome {
        std::optional<std::uint64_t> firstSkewed;  ///< First change refused as dated too far ahead.
        std::vector<QuarantineEntry> refused;      ///< Changes the server refused for good.
    };

    /// A pull request on its way, answered on another thread while this one applies the round
    /// before it: the server prepares a page while the device applies the previous one.
    struct PullAhead {
        shared::PullRequest request;
        std::int64_t sentAt = 0;
        SyncReport report;  // the retries it took, added to the sync's own
        Traffic traffic;    // the bytes it moved, likewise
        std::future<shared::PullResponse> response;
    };

    /// One pull round's request and answer, and when the request left (for the clock offset).
    struct PullExchange {
        shared::PullRequest request;
        shared::PullResponse response;
        std::int64_t sentAt = 0;
    };

    /// What a pull carries from round to round.
    struct PullProgress {
        std::vector<std::string> repair;  // scopes to ask for again whole
        std::set<std::string> repaired;   // scopes asked for again whole already
        std::size_t pulled = 0;
    };

    /// Holds the store's WAL checkpoints from the first write of a pull (engage()) to its end,
    /// then runs one; a pull that wrote nothing to the store holds and runs none.
    class CheckpointHold {
    public:
        explicit CheckpointHold(Impl& impl) : _impl(impl) {}
        ~CheckpointHold() {
            if (!_held) {
                return;
            }
            try {
                std::lock_guard lock(_impl._storeMutex);
                _impl._store->holdCheckpoints(false);
            } catch (...) {  // NOLINT(bugprone-empty-catch): a checkpoint can wait for later
            }
        }
        /// Holds checkpoints from now on; the caller holds the store lock.
        void engage() {
            if (!_held) {
                _impl._store->holdCheckpoints(true);
                _held = true;
            }
        }
        CheckpointHold(const CheckpointHold&) = delete;
        CheckpointHold& operator=(const CheckpointHold&) = delete;

    private:
        Impl& _impl;
        bool _held = false;
    };

    // --- identity and tokens (ClientSession.cpp) ------------------------------------------------

    bool hasTokens();
    std::string accessToken();

    /// New tokens from the refresh token; a refused refresh forgets both tokens (sign in again).
    /// A refresh whose answer was lost is repeated once at once (protocol.md: the grace window).
    void refreshTokens();

    // --- reads (ClientRead.cpp) -----------------------------------------------------------------

    std::vector<sync::Record> recordsOf(std::string_view collection,
                                        const std::vector<shared::RecordId>& ids);

    /// This device's changes the server has not acknowledged, in sequence order (caller holds
    /// _storeMutex).
    std::vector<sync::LoggedChange> outbox();

    /// Where a record that is not quarantined stands, from its materialized state (nullopt: not
    /// on this device) and what the outbox holds of it (caller holds _storeMutex).
    RecordSyncState stateOf(const std::optional<sync::Record>& found, const Pending& pending);

    // --- writes (ClientWrite.cpp) ---------------------------------------------------------------

    /// The changes of one action, stamped with this device's clock and next sequence numbers;
    /// the field naming a child record's parent first (caller holds _storeMutex).
    std::vector<shared::Change> stampWrite(std::string_view collection, const shared::RecordId& id,
                                           const std::vector<FieldWrite>& fields, bool tombstone);

    /// Fills `result` with the first reason to refuse the action at once, as the server would:
    /// a field set twice, the schema, an immutable field, the audit rules. False when none.
    bool refuseWrite(std::string_view collection, const shared::RecordId& id,
                     const std::vector<shared::Change>& changes, WriteResult& result);

    /// Whether `change` would alter an immutable field already written (caller holds _storeMutex).
    bool changesImmutableField(std::string_view collection, const shared::RecordId& id,
                               const shared::Change& change);

    /// Re-dates every unsent change with the corrected clock (device clock + server offset),
    /// after the server refused some as too far ahead. Base versions that named a re-dated
    /// change follow it, so a device's second edit of a field does not conflict with its first.
    void restampUnsent(SyncReport& report);

    // --- one sync and its requests (ClientSync.cpp) ---------------------------------------------

    SyncReport runSyncLocked(bool doPush, bool doPull,
                             const std::function<void(const SyncProgress&)>& progress,
                             std::vector<RecordEvent>& events);

    /// Push, then pull, and once more after re-stamping when the server found the clock ahead.
    void runPhases(bool doPush, bool doPull,
                   const std::function<void(const SyncProgress&)>& progress, SyncReport& report,
                   Traffic& traffic);

    /// Saves how the sync ended (its time, or its first error) and its counts into `report`.
    void recordSyncEnd(SyncReport& report);

    /// Logs how a sync ended: sync.completed, or sync.failed with its first error's code.
    void logSyncEnd(const SyncReport& report, std::int64_t durationMs);

    /// One request with the retry rules: an expired token is refreshed once; transient failures
    /// are retried with backoff up to RetryPolicy::maxAttempts; everything else propagates.
    /// `token`, when given, is used for the first attempt instead of reading the stored one.
    template <typename Request>
    auto call(SyncReport& report, Request&& request, std::string token = {});

    /// Logs sync.retry: attempt `failed` of a request failed with `code`, the next follows `delay`.
    void logRetry(shared::ErrorCode code, int failed, std::chrono::milliseconds delay);

    /// Asks the server what HQ decided about this device's refused changes that still wait,
    /// and records it: a decided change no longer shows its record as quarantined. One request,
    /// made only while something waits.
    void learnQuarantineDecisions(SyncReport& report, Traffic& traffic);

    // --- the pusher (ClientPush.cpp) ------------------------------------------------------------

    /// Pushes the outbox in batches. Returns true when the server refused changes as dated too
    /// far ahead: they stay in the outbox, to be re-stamped once the clock offset is known.
    bool pushPhase(SyncReport& report, Traffic& traffic,
                   const std::function<void(const SyncProgress&)>& progress);

    /// The next batch of the outbox, at most `limit` changes within the byte budget, noted as
    /// sent; no changes when the outbox is empty.
    shared::PushRequest nextPushBatch(std::size_t limit);

    /// Sorts the server's answer: refused (quarantined), dated too far ahead, or accepted.
    PushOutcome readPushResults(const shared::PushRequest& request,
                                const shared::PushResponse& response, SyncReport& report);

    /// Quarantines the refused changes (out of the local view) and moves the acknowledged mark.
    void recordPushOutcome(const PushOutcome& outcome, std::uint64_t acked, SyncReport& report);

    /// Logs push.acknowledged for one batch.
    void logPushAcknowledged(const shared::PushRequest& request,
                             const shared::PushResponse& response, std::size_t acknowledged,
                             std::uint64_t bytes, std::chrono::steady_clock::time_point sentAt);

    /// Logs a pushed change that raised a conflict or was refused (with the server's code). Names
    /// the record and field only: the value the user wrote never reaches the log.
    void logPushOutcome(std::string_view event, const shared::Change& change,
                        std::optional<shared::ErrorCode> code);

    // --- the puller (ClientPull.cpp, ClientPullRound.cpp) ---------------------------------------

    /// Pulls until the server has nothing more, a round at a time: each answer is applied in one
    /// transaction (with its cursors), while the next round's request is already on its way.
    /// WAL checkpoints wait until the pull is over (one, not one every few pages); a pull that
    /// brought nothing writes nothing and checkpoints nothing.
    void pullPhase(SyncReport& report, Traffic& traffic,
                   const std::function<void(const SyncProgress&)>& progress);

    /// The next round's request and answer: the one sent ahead, or a request from the saved
    /// cursors (and the repairs still to ask for).
    PullExchange exchangeRound(std::unique_ptr<PullAhead>& ahead, PullProgress& state,
                               SyncReport& report, Traffic& traffic);

    /// The scopes holding records with unsent local changes: not purged, not checksum-compared.
    std::set<std::string> scopesWithUnsentChanges();

    /// Sends `request` on another thread. The access token is read here, so the request does
    /// not wait for the store lock that applying the previous round holds.
    std::unique_ptr<PullAhead> sendAhead(shared::PullRequest request);

    /// The request after `request` was answered with `response`: its cursors moved to the
    /// pages' cursors, purged scopes dropped (the next answer would name them again).
    static shared::PullRequest followingRequest(const shared::PullRequest& request,
                                                const shared::PullResponse& response,
                                                std::vector<std::string> repair);

    /// Logs pull.round: what one round brought.
    void logPullRound(const shared::PullResponse& response, std::size_t changes,
                      std::uint64_t bytes, std::chrono::steady_clock::time_point started);

    /// Logs pull.done: the pull is up to date; `scopes` says how many this device now holds.
    void logPullDone(std::size_t pulled, std::uint64_t bytes, std::int64_t durationMs);

    /// The scopes checkReplica() found damaged, still to be fetched again whole.
    std::vector<std::string> pendingRepairs();

    /// Applies one pull answer: purges, repairs, every page in one transaction, the checksum
    /// checks, then the cursors (after the pages they cover: a crash between re-pulls, harmlessly).
    void applyPullRound(const shared::PullRequest& request, shared::PullResponse& response,
                        PullProgress& state, SyncReport& report, CheckpointHold& hold);

    /// Logs an event about one scope.
    void logScope(LogLevel level, std::string_view event, std::string message);

    /// Saves the cursors that moved and the settings a round changed, in one transaction; a round
    /// that changed nothing (a caught-up pull) writes nothing. The clock offset is saved when it
    /// moved by kOffsetSaveToleranceMs or more: every round measures it anew with a few
    /// milliseconds of jitter, which the HLC's minutes of drift allowance never notice, and
    /// the running client keeps the exact figure in memory.
    void saveRound(const std::map<std::string, std::uint64_t>& movedCursors);

    /// Compares a scope's checksum with the server's when the server sent one: a first
    /// difference asks for the scope again whole, a second is reported.
    void checkScope(const shared::ScopePage& page, const std::set<std::string>& unsent,
                    PullProgress& state, SyncReport& report);

    // --- subscriptions (ClientEvents.cpp) -------------------------------------------------------

    bool hasSubscribers();

    /// Keeps a sync's events until its end (only the thread holding the sync lock calls this).
    void defer(std::vector<RecordEvent> events);

    /// Calls the subscribers, holding no lock of the Client: a callback may read, write, sync
    /// or unsubscribe (but not destroy the Client).
    void notify(const std::vector<RecordEvent>& events);

    // --- background (ClientBackground.cpp) ------------------------------------------------------

    /// Waits between retries; false if the background loop is stopping meanwhile.
    bool sleepFor(std::chrono::milliseconds delay);

    void backgroundLoop(std::chrono::milliseconds interval,
                        const std::function<void(const SyncReport&)>& onReport);

    // --- photos (ClientPhotos.cpp, ClientUploads.cpp) -------------------------------------------

    /// Paces upload chunks so the average rate since the run began stays under a cap.
    class UploadPacer {
    public:
        explicit UploadPacer(std::uint64_t bytesPerSecond) : _cap(bytesPerSecond) {}
        /// How long to wait before sending `next` more bytes; counts them as sent.
        std::chrono::milliseconds delayBefore(std::size_t next);

    private:
        std::uint64_t _cap;
        std::uint64_t _sent = 0;
        std::chrono::steady_clock::time_point _start = std::chrono::steady_clock::now();
    };

    /// What a run of the queue shares between photos.
    struct UploadRun {
        UploadSettings settings;
        UploadPacer pacer;
        UploadReport report;
        const std::function<void(const PhotoStatus&)>* progress = nullptr;
    };

    /// A photo's status as the app sees it: its stored state, or Pending with what it waits for.
    PhotoStatus statusOf(const QueuedPhoto& photo, std::uint64_t ackedSeq, NetworkKind network,
                         const UploadSettings& settings);

    /// What keeps a photo from uploading now ("" = nothing): its record not yet acknowledged,
    /// no network, or Wi-Fi only on a cellular network.
    static std::string waitingFor(const QueuedPhoto& photo, std::uint64_t ackedSeq,
                                  NetworkKind network, const UploadSettings& settings);

    /// A queued photo whose record write never finished (a crash between the two): given the
    /// record's sequence when the record exists, forgotten when it does not. False if forgotten.
    bool settleRecordSeq(QueuedPhoto& photo);

    /// Uploads one photo as far as it goes in this run: every step persisted, transient failures
    /// retried with backoff, refusals marking it failed. Throws shared::Error only when the run
    /// must stop (the network is gone, the sign-in refused, the run asked to stop).
    void uploadOne(QueuedPhoto& photo, UploadRun& run);

    /// One tus step of a photo (create, prove possession, ask the offset, send a chunk); true
    /// once its bytes are on the server. `ask` says the offset must be asked first (HEAD).
    bool uploadStep(QueuedPhoto& photo, bool& ask, UploadRun& run);

    /// Handles a failed step; returns false when the photo is done with for this run.
    bool recoverUpload(QueuedPhoto& photo, const shared::Error& error, bool& ask, int& failures,
                       Backoff& backoff, UploadRun& run);

    /// Leaves a photo the server refused for its tenant's full quota pending, with the error
    /// quota_exceeded: a later run tries it again (more storage, or space freed).
    void waitForStorage(QueuedPhoto& photo, UploadRun& run);

    /// After a run: the next background try of photos waiting for storage, later each time the
    /// server still refuses (Backoff), soon again once it accepted a photo.
    void scheduleStorageRetry(const UploadReport& report);

    /// Marks a photo failed for good with `code` and `message`.
    void failPhoto(QueuedPhoto& photo, shared::ErrorCode code, const std::string& message,
                   UploadRun& run);

    /// A tus request with the access token, refreshed once if the server refused it.
    template <typename Request>
    auto withToken(Request&& request);

    /// Waits between upload retries; false when the upload thread is asked to stop meanwhile.
    bool uploadSleep(std::chrono::milliseconds delay);

    void uploadLoop(std::chrono::milliseconds interval);
    void wakeUploads();

    // --- state ----------------------------------------------------------------------------------

    ClientOptions _options;
    const shared::Clock& _wallClock;
    shared::OffsetClock _serverClock;
    LocalState _state;
    shared::DeviceId _deviceId;
    std::unique_ptr<shared::HlcClock> _hlc;
    std::unique_ptr<sync::Store> _store;
    std::shared_ptr<Transport> _transport;
    std::unique_ptr<ServerApi> _api;
    SyncLog _log;
    std::string _userId;
    std::optional<shared::Role> _role;  ///< The signed-in role, for the rules run at the write.
    std::uint64_t _ackedSeq = 0;
    std::uint64_t _sentSeq = 0;
    std::uint64_t _nextSeq = 1;
    shared::Hlc _maxRemoteHlc;
    std::string _savedMaxRemoteHlc;   // as kMaxRemoteHlc holds it ("" before the first save)
    std::int64_t _savedOffsetMs = 0;  // as kOffsetMs holds it

    std::mutex _storeMutex;                // the store, the local state and the counters above
    std::mutex _syncMutex;                 // one sync (and the transport) at a time
    std::vector<RecordEvent> _syncEvents;  // under _syncMutex

    std::mutex _subscribersMutex;
    std::map<std::uint64_t, std::shared_ptr<Subscriber>> _subscribers;
    std::uint64_t _lastSubscription = 0;

    std::mutex _backgroundControl;
    std::mutex _backgroundMutex;
    std::condition_variable _backgroundWake;
    std::thread _background;
    std::atomic<std::thread::id> _backgroundId;
    bool _stopping = false;
    bool _requested = false;
    std::atomic<bool> _backgroundRunning{false};

    BlobFolder _blobs;
    std::unique_ptr<UploadQueue> _uploads;
    std::shared_ptr<Transport> _uploadTransport;
    std::unique_ptr<TusApi> _tus;
    std::mutex _addPhotoMutex;        // a photo's queue row and record are written together
    std::mutex _uploadMutex;          // one run of the queue (and the upload transport) at a time
    std::mutex _uploadSettingsMutex;  // _uploadSettings
    UploadSettings _uploadSettings;
    std::atomic<NetworkKind> _network{NetworkKind::Wifi};
    std::thread _uploadThread;  // the background upload loop, beside the sync loop
    std::atomic<std::thread::id> _uploadThreadId;
    bool _uploadRequested = false;  // under _backgroundMutex
    // Background rounds leave photos waiting for server storage (quota_exceeded) alone until
    // _storageRetryAt; each round the server still refuses pushes it further (under _uploadMutex).
    Backoff _storageBackoff{_options.retry};
    std::chrono::steady_clock::time_point _storageRetryAt{};
};

template <typename Request>
auto Client::Impl::withToken(Request&& request) {
    const auto token = accessToken();
    try {
        return request(token);
    } catch (const shared::Error& error) {
        if (!isAuthFailure(error.code()) || error.code() == shared::ErrorCode::NotSignedIn) {
            throw;
        }
    }
    {
        // Refreshed under the sync lock, so a sync and the uploads never rotate the tokens at
        // once (nor share the sync's transport); a sync that refreshed meanwhile is enough.
        std::lock_guard sync(_syncMutex);
        if (accessToken() == token) {
            refreshTokens();
        }
    }
    return request(accessToken());
}

template <typename Request>
auto Client::Impl::call(SyncReport& report, Request&& request, std::string token) {
    Backoff backoff(_options.retry);
    bool refreshed = false;
    int attempts = 0;
    for (;;) {
        try {
            return request(token.empty() ? accessToken() : std::exchange(token, {}));
        } catch (const shared::Error& error) {
            if (isAuthFailure(error.code()) && !refreshed &&
                error.code() != shared::ErrorCode::NotSignedIn) {
                try {
                    refreshTokens();
                    refreshed = true;
                    continue;
                } catch (const shared::Error& refreshError) {
                    if (!isTransient(refreshError.code()) ||
                        ++attempts >= _options.retry.maxAttempts) {
                        throw;
                    }
                    ++report.attempts;
                    const auto delay = backoff.nextDelay();
                    logRetry(refreshError.code(), attempts, delay);
                    sleepFor(delay);
                    continue;
                }
            }
            if (isTransient(error.code()) && ++attempts < _options.retry.maxAttempts) {
                ++report.attempts;
                const auto delay = backoff.nextDelay();
                logRetry(error.code(), attempts, delay);
                if (!sleepFor(delay)) {
                    throw;
                }
                continue;
            }
            throw;
        }
    }
}

}  // namespace verdant::client
