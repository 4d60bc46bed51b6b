#include "verdant/client/Client.hpp"

#include "AuditRulesAtWrite.hpp"
#include "LocalState.hpp"
#include "ServerApi.hpp"
#include "SyncLog.hpp"

#include "verdant/shared/DomainSchema.hpp"
#include "verdant/shared/HlcClock.hpp"
#include "verdant/shared/IdGenerator.hpp"

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <future>
#include <limits>
#include <map>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>
#include <utility>

namespace verdant::client {

using shared::Change;
using shared::ErrorCode;
using shared::Hlc;
using shared::Operation;
using shared::RecordId;

std::string_view wireName(RecordSyncState state) noexcept {
    switch (state) {
        case RecordSyncState::Local:
            return "local";
        case RecordSyncState::Queued:
            return "queued";
        case RecordSyncState::Sent:
            return "sent";
        case RecordSyncState::Synced:
            return "synced";
        case RecordSyncState::Conflict:
            return "conflict";
        case RecordSyncState::Quarantined:
            return "quarantined";
    }
    return "synced";
}

FieldWrite FieldWrite::set(std::string field, shared::Value value) {
    return FieldWrite{std::move(field), std::move(value), Operation::Set};
}

FieldWrite FieldWrite::add(std::string field, std::string element) {
    return FieldWrite{std::move(field), shared::Value::string(std::move(element)), Operation::Add};
}

FieldWrite FieldWrite::remove(std::string field, std::string element) {
    return FieldWrite{std::move(field), shared::Value::string(std::move(element)),
                      Operation::Remove};
}

FieldWrite FieldWrite::reopen(std::string field, std::string state) {
    return FieldWrite{std::move(field), shared::Value::string(std::move(state)), Operation::Reopen};
}

namespace {

// Keys of client_settings.
constexpr const char* kTenant = "tenant";
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

constexpr std::size_t kWholeOutbox = std::numeric_limits<std::size_t>::max();
constexpr int kMaxPullRounds = 100000;
/// How far the measured server clock offset moves before it is saved again (see saveRound).
constexpr std::int64_t kOffsetSaveToleranceMs = 1000;

/// A file-name-safe form of a tenant or user name: [A-Za-z0-9._-] kept, the rest %XX.
std::string pathSafe(const std::string& text) {
    static constexpr char kHex[] = "0123456789ABCDEF";
    std::string out;
    for (const unsigned char c : text) {
        if (std::isalnum(c) != 0 || c == '.' || c == '_' || c == '-') {
            out.push_back(static_cast<char>(c));
        } else {
            out.push_back('%');
            out.push_back(kHex[c >> 4]);
            out.push_back(kHex[c & 0x0F]);
        }
    }
    if (out.empty() || out == "." || out == "..") {
        out = "%" + out;
    }
    return out;
}

bool isAuthFailure(ErrorCode code) {
    return shared::categoryOf(code) == shared::ErrorCategory::Unauthorised;
}

bool isTransient(ErrorCode code) {
    const auto category = shared::categoryOf(code);
    return category == shared::ErrorCategory::Transient ||
           category == shared::ErrorCategory::Internal;
}

std::string hlcText(const Hlc& hlc) {
    return std::to_string(hlc.physicalMs) + ":" + std::to_string(hlc.logical);
}

std::optional<Hlc> hlcFromText(const std::optional<std::string>& text) {
    if (!text) {
        return std::nullopt;
    }
    const auto colon = text->find(':');
    if (colon == std::string::npos) {
        return std::nullopt;
    }
    try {
        Hlc hlc;
        hlc.physicalMs = std::stoull(text->substr(0, colon));
        hlc.logical = static_cast<std::uint16_t>(std::stoul(text->substr(colon + 1)));
        return hlc;
    } catch (const std::exception&) {
        return std::nullopt;
    }
}

/// Records touched by a list of changes, in first-seen order, without repeats.
class TouchedRecords {
public:
    /// Collects nothing when `enabled` is false (no one subscribed: large pulls skip the cost).
    explicit TouchedRecords(bool enabled = true) : _enabled(enabled) {}

    void add(const std::string& collection, const RecordId& id, bool removed = false) {
        if (!_enabled || (!_events.empty() && _events.back().id == id &&
                          _events.back().collection == collection)) {
            return;  // a record's changes mostly come together
        }
        if (_seen.insert({collection, id}).second) {
            _events.push_back(RecordEvent{collection, id, _origin, removed});
        }
    }
    std::vector<RecordEvent> take() {
        _seen.clear();
        return std::exchange(_events, {});
    }

private:
    bool _enabled = true;
    RecordEvent::Origin _origin = RecordEvent::Origin::Sync;
    std::set<std::pair<std::string, RecordId>> _seen;
    std::vector<RecordEvent> _events;
};

}  // namespace

namespace {

/// One subscription: its callback and whether a call of it is in progress.
struct Subscriber {
    std::function<void(const RecordEvent&)> callback;
    std::mutex mutex;
    std::condition_variable idle;
    bool active = true;
    int running = 0;
};

/// The subscriber whose callback this thread is running, if any.
thread_local const Subscriber* tCurrentSubscriber = nullptr;

/// Most changes in one push: the server's limit, and a byte budget well under its body limit.
constexpr std::size_t kMaxPushChanges = 5000;
constexpr std::size_t kPushByteBudget = 4u << 20;

}  // namespace

class Client::Impl {
public:
    Impl(ClientOptions options, const std::string& path)
        : _options(std::move(options)),
          _wallClock(_options.clock != nullptr ? *_options.clock : shared::SystemClock::instance()),
          _serverClock(_wallClock),
          _state(path, _options.onOpenDatabase),
          _log(_options.log) {
        auto device = shared::DeviceId::parse(_state.get(kDeviceId).value_or(""));
        if (!device) {
            device = shared::IdGenerator(_wallClock).nextDeviceId();
            _state.set(kDeviceId, device->toString());
        }
        _deviceId = *device;
        _savedOffsetMs = _state.getInteger(kOffsetMs, 0);
        _serverClock.setOffset(_savedOffsetMs);
        // A device accepts whatever its server accepted: no drift bound on the device side.
        _hlc = std::make_unique<shared::HlcClock>(_serverClock, _deviceId.low64(), std::nullopt);
        sync::StoreOptions storeOptions;
        storeOptions.clock = _hlc.get();
        storeOptions.durable = _options.durable;
        storeOptions.onOpen = _options.onOpenDatabase;
        storeOptions.cacheKiB = 8 * 1024;
        storeOptions.mmapBytes = 64LL * 1024 * 1024;
        _store = std::make_unique<sync::Store>(path, shared::domainSchema(), storeOptions);
        _ackedSeq = static_cast<std::uint64_t>(_state.getInteger(kAckedSeq, 0));
        _sentSeq = static_cast<std::uint64_t>(_state.getInteger(kSentSeq, 0));
        _nextSeq = _store->highWaterMark(_deviceId) + 1;
        // Later stamps sort after this device's own last change and after what it has seen.
        const auto own = _store->deviceChanges(_deviceId, _nextSeq > 1 ? _nextSeq - 2 : 0, 1);
        if (!own.empty()) {
            _hlc->tryReceive(own.front().change.hlc);
        }
        if (const auto remote = hlcFromText(_state.get(kMaxRemoteHlc))) {
            _maxRemoteHlc = *remote;
            _savedMaxRemoteHlc = hlcText(*remote);
            _hlc->tryReceive(*remote);
        }
        _transport = _options.transport ? _options.transport
                                        : std::make_shared<HttpsTransport>(_options.server);
        _api = std::make_unique<ServerApi>(_transport, _options.useJson);
    }

    ~Impl() { stopBackground(); }

    // --- identity -------------------------------------------------------------------------------

    void rememberSignIn(const std::string& tenant, const std::string& username,
                        const SessionTokens& tokens) {
        std::lock_guard lock(_storeMutex);
        _state.set({{kTenant, tenant},
                    {kUsername, username},
                    {kUserId, tokens.userId},
                    {kRole, tokens.role},
                    {kAccessToken, tokens.accessToken},
                    {kRefreshToken, tokens.refreshToken}});
        _userId = tokens.userId;
        _role = shared::roleFromWireName(tokens.role);
    }

    bool loadIdentity() {
        std::lock_guard lock(_storeMutex);
        _userId = _state.get(kUserId).value_or("");
        _role = shared::roleFromWireName(_state.get(kRole).value_or(""));
        return !_userId.empty();
    }

    SessionTokens signInOnline(const std::string& tenant, const std::string& username,
                               const std::string& password) {
        std::lock_guard sync(_syncMutex);
        auto tokens =
            _api->signIn(tenant, username, password, _deviceId.toString(), _options.deviceName);
        const auto previous = [&] {
            std::lock_guard lock(_storeMutex);
            return _state.get(kUserId);
        }();
        if (previous && !previous->empty() && *previous != tokens.userId) {
            throw shared::Error(ErrorCode::DeviceMismatch,
                                "This local store belongs to another account with that name.");
        }
        rememberSignIn(tenant, username, tokens);
        return tokens;
    }

    void signOut() {
        stopBackground();
        std::lock_guard sync(_syncMutex);
        std::optional<std::string> refresh;
        {
            std::lock_guard lock(_storeMutex);
            refresh = _state.get(kRefreshToken);
        }
        if (refresh) {
            try {
                _api->signOut(*refresh);
            } catch (const shared::Error&) {
                // Offline: the token expires on its own; forgetting it here is what matters.
            }
        }
        std::lock_guard lock(_storeMutex);
        _state.erase(kAccessToken);
        _state.erase(kRefreshToken);
    }

    ClientStatus status() {
        std::lock_guard lock(_storeMutex);
        ClientStatus status;
        status.tenant = _state.get(kTenant).value_or("");
        status.username = _state.get(kUsername).value_or("");
        status.userId = _userId;
        status.role = _state.get(kRole).value_or("");
        status.deviceId = _deviceId.toString();
        status.signedIn = _state.get(kRefreshToken).has_value();
        status.pendingChanges = outbox().size();
        status.openConflicts = _store->openConflicts().size();
        status.quarantined = _state.quarantinedCount();
        if (const auto last = _state.get(kLastSyncMs)) {
            status.lastSyncMs = _state.getInteger(kLastSyncMs, 0);
        }
        if (const auto code = _state.get(kLastErrorCode)) {
            const auto parsed = shared::errorCodeFromWireName(*code);
            status.lastError = SyncError{parsed.value_or(ErrorCode::InternalError),
                                         _state.get(kLastErrorMessage).value_or("")};
        }
        status.serverOffsetMs = _serverClock.offset();
        return status;
    }

    const shared::DeviceId& deviceId() const { return _deviceId; }
    std::string userId() {
        std::lock_guard lock(_storeMutex);
        return _userId;
    }

    // --- reads ----------------------------------------------------------------------------------

    std::optional<sync::Record> record(std::string_view collection, const RecordId& id) {
        std::lock_guard lock(_storeMutex);
        return _store->record(collection, id);
    }

    std::vector<sync::Record> records(std::string_view collection) {
        std::lock_guard lock(_storeMutex);
        return recordsOf(collection, _store->recordIds(collection));
    }

    std::vector<sync::Record> query(std::string_view collection, std::string_view field,
                                    const shared::Value& value) {
        std::lock_guard lock(_storeMutex);
        const auto* spec = shared::domainSchema().collection(collection);
        if (spec == nullptr || spec->scope().kind != shared::ScopeRule::Kind::Parent ||
            spec->scope().parentField != field || value.kind() != shared::ValueKind::Id) {
            return recordsOf(collection, _store->findRecords(collection, field, value));
        }
        // The records naming a parent are in its scope (a record's scope follows the visible
        // value of its parent field): read that scope's records through its index instead of
        // every row of the field, then keep those that name it, as findRecords() would.
        std::vector<sync::Record> result;
        const auto key = shared::scopeKey(spec->scope().parentCollection, value.as<RecordId>());
        for (const auto& ref : _store->recordsInScope(key)) {
            if (ref.collection != collection) {
                continue;
            }
            auto found = _store->record(collection, ref.id);
            if (!found || found->deleted) {
                continue;
            }
            const auto named = found->fields.find(std::string(field));
            if (named != found->fields.end() && named->second.value == value) {
                result.push_back(std::move(*found));
            }
        }
        return result;
    }

    std::map<std::string, std::size_t> recordsPerScope(std::string_view collection) {
        std::lock_guard lock(_storeMutex);
        return _store->recordsPerScope(collection);
    }

    std::vector<sync::Record> scopeRecords(const char* rootCollection, const RecordId& root) {
        std::lock_guard lock(_storeMutex);
        std::vector<sync::Record> result;
        if (auto rootRecord = _store->record(rootCollection, root)) {
            result.push_back(std::move(*rootRecord));
        } else {
            return result;
        }
        for (const auto& ref : _store->recordsInScope(shared::scopeKey(rootCollection, root))) {
            if (ref.collection == rootCollection && ref.id == root) {
                continue;
            }
            if (auto found = _store->record(ref.collection, ref.id); found && !found->deleted) {
                result.push_back(std::move(*found));
            }
        }
        return result;
    }

    // --- writes ---------------------------------------------------------------------------------

    WriteResult write(std::string_view collection, const RecordId& id,
                      const std::vector<FieldWrite>& fields, bool tombstone) {
        WriteResult result;
        result.recordId = id;
        const auto& schema = shared::domainSchema();
        {
            std::lock_guard lock(_storeMutex);
            if (_userId.empty()) {
                result.error = ErrorCode::NotSignedIn;
                result.message = std::string(shared::defaultMessage(ErrorCode::NotSignedIn));
                return result;
            }
            // Another connection (a pull bringing this device's own changes back, a second
            // Client on the file) may have used sequence numbers: never reuse one.
            _nextSeq = std::max(_nextSeq, _store->highWaterMark(_deviceId) + 1);
            std::vector<Change> changes;
            auto stamp = [&](Change change) {
                change.collection = std::string(collection);
                change.recordId = id;
                change.hlc = _hlc->now();
                change.deviceId = _deviceId;
                change.deviceSeq = _nextSeq + changes.size();
                change.author = _userId;
                changes.push_back(std::move(change));
            };
            if (tombstone) {
                Change change;
                change.operation = Operation::Delete;
                stamp(std::move(change));
            }
            if (!tombstone && fields.empty()) {
                result.error = ErrorCode::InvalidChange;
                result.message = "Nothing to write: name at least one field.";
                return result;
            }
            // The field naming a child record's parent goes first: the server places the
            // record in its parent's scope from it, before judging the other fields.
            std::vector<const FieldWrite*> ordered;
            for (const auto& write : fields) {
                ordered.push_back(&write);
            }
            if (const auto* spec = schema.collection(collection);
                spec != nullptr && spec->scope().kind == shared::ScopeRule::Kind::Parent) {
                std::stable_partition(ordered.begin(), ordered.end(), [&](const FieldWrite* w) {
                    return w->field == spec->scope().parentField;
                });
            }
            for (const auto* pointer : ordered) {
                const auto& write = *pointer;
                Change change;
                change.field = write.field;
                change.operation = write.operation;
                change.value = write.value;
                change.baseVersion = _store->fieldVersion(collection, id, write.field);
                stamp(std::move(change));
            }
            std::set<std::string> named;
            for (const auto& change : changes) {
                // Two values for one field in one action: which one the user meant is unknown
                // (adding several elements to a set is fine).
                if (change.operation == Operation::Set && !named.insert(change.field).second) {
                    result.error = ErrorCode::InvalidChange;
                    result.message = "Field '" + change.field + "' is set twice in one action.";
                    result.field = change.field;
                    return result;
                }
                if (auto invalid = schema.validate(change)) {
                    result.error = invalid->code;
                    result.message = invalid->message;
                    result.field = change.field;
                    return result;
                }
                const auto* spec = schema.fieldOf(change);
                if (spec != nullptr && spec->merge == shared::MergeKind::Immutable &&
                    change.baseVersion) {
                    const auto current = _store->record(collection, id);
                    const auto field = current->fields.find(change.field);
                    if (field != current->fields.end() && field->second.value != change.value) {
                        result.error = ErrorCode::ImmutableField;
                        result.message = "Field '" + change.collection + "." + change.field +
                                         "' was already written and cannot change.";
                        result.field = change.field;
                        return result;
                    }
                }
            }
            // The rules the server would refuse the action for that this device can judge.
            if (auto refusal = auditRulesRefusal(*_store, _role, changes)) {
                result.error = refusal->code;
                result.message = refusal->message;
                return result;
            }
            const auto applied = _store->apply(changes);
            for (std::size_t i = 0; i < applied.results.size(); ++i) {
                if (applied.results[i].outcome == sync::ChangeOutcome::Refused) {
                    // Validation above makes this unreachable; the store kept it in its
                    // quarantine, and the outbox sends it so the server's quarantine has it too.
                    result.error = applied.results[i].error.value_or(ErrorCode::InvalidChange);
                    result.message = applied.results[i].message;
                    result.field = changes[i].field;
                }
            }
            _nextSeq += changes.size();
            result.ok = !result.error;
            result.changes = std::move(changes);
        }
        notify({RecordEvent{std::string(collection), id, RecordEvent::Origin::Local, false}});
        wakeBackground();
        return result;
    }

    // --- sync state -----------------------------------------------------------------------------

    RecordSyncState syncState(std::string_view collection, const RecordId& id) {
        std::lock_guard lock(_storeMutex);
        if (_state.isQuarantined(collection, id)) {
            return RecordSyncState::Quarantined;
        }
        // Only this record's own log: the cost follows its history, not the outbox's size.
        Pending pending;
        for (const auto& logged : _store->recordChanges(collection, id)) {
            if (logged.change.deviceId == _deviceId && logged.change.deviceSeq > _ackedSeq) {
                pending.add(logged.change, _sentSeq);
            }
        }
        return stateOf(_store->record(collection, id), pending);
    }

    std::map<RecordId, RecordSyncState> syncStates(std::string_view collection) {
        std::lock_guard lock(_storeMutex);
        std::map<RecordId, RecordSyncState> states;
        for (const auto& id : _state.quarantinedRecords(collection)) {
            states.emplace(id, RecordSyncState::Quarantined);
        }
        // Only a record that is in conflict or has changes in the outbox can be anything but
        // Synced: each is judged as syncState() judges it, reading the outbox once.
        std::map<RecordId, Pending> candidates;
        for (const auto& conflict : _store->openConflicts()) {
            if (conflict.collection == collection) {
                candidates.try_emplace(conflict.recordId);
            }
        }
        for (const auto& logged : outbox()) {
            if (logged.change.collection == collection) {
                candidates[logged.change.recordId].add(logged.change, _sentSeq);
            }
        }
        for (const auto& [id, pending] : candidates) {
            if (states.contains(id)) {
                continue;  // quarantined comes first
            }
            const auto state = stateOf(_store->record(collection, id), pending);
            if (state != RecordSyncState::Synced) {
                states.emplace(id, state);
            }
        }
        return states;
    }

    std::vector<sync::Conflict> conflicts() {
        std::lock_guard lock(_storeMutex);
        return _store->openConflicts();
    }

    std::vector<QuarantineEntry> quarantine() {
        std::lock_guard lock(_storeMutex);
        return _state.quarantined();
    }

    std::vector<Change> pendingChanges() {
        std::lock_guard lock(_storeMutex);
        std::vector<Change> result;
        for (auto& logged : outbox()) {
            result.push_back(std::move(logged.change));
        }
        return result;
    }

    // --- subscriptions --------------------------------------------------------------------------

    std::uint64_t subscribe(std::function<void(const RecordEvent&)> callback) {
        std::lock_guard lock(_subscribersMutex);
        const auto handle = ++_lastSubscription;
        auto subscriber = std::make_shared<Subscriber>();
        subscriber->callback = std::move(callback);
        _subscribers.emplace(handle, std::move(subscriber));
        return handle;
    }

    void unsubscribe(std::uint64_t handle) {
        std::shared_ptr<Subscriber> subscriber;
        {
            std::lock_guard lock(_subscribersMutex);
            const auto found = _subscribers.find(handle);
            if (found == _subscribers.end()) {
                return;
            }
            subscriber = found->second;
            _subscribers.erase(found);
        }
        // Wait for a call in progress on another thread; from inside its own callback, the
        // call in progress is this one, and no further call starts.
        std::unique_lock lock(subscriber->mutex);
        subscriber->active = false;
        subscriber->idle.wait(lock, [&] {
            return subscriber->running == 0 || tCurrentSubscriber == subscriber.get();
        });
    }

    // --- sync -----------------------------------------------------------------------------------

    SyncReport runSync(bool doPush, bool doPull,
                       const std::function<void(const SyncProgress&)>& progress) {
        std::vector<RecordEvent> events;
        auto report = runSyncLocked(doPush, doPull, progress, events);
        notify(events);  // after the sync lock is released: a subscriber may sync
        return report;
    }

    SyncReport runSyncLocked(bool doPush, bool doPull,
                             const std::function<void(const SyncProgress&)>& progress,
                             std::vector<RecordEvent>& events) {
        std::lock_guard sync(_syncMutex);
        _syncEvents.clear();
        SyncReport report;
        Traffic traffic;
        const auto started = std::chrono::steady_clock::now();
        _log.emit(LogLevel::Debug, "sync.started",
                  doPush && doPull ? "Sync started."
                  : doPush         ? "Push started."
                                   : "Pull started.");
        try {
            if (!hasTokens()) {
                throw shared::Error(ErrorCode::NotSignedIn);
            }
            bool restamp = false;
            if (doPush) {
                restamp = pushPhase(report, traffic, progress);
            }
            if (doPull || restamp) {
                pullPhase(report, traffic, progress);
            }
            if (restamp) {
                restampUnsent(report);
                if (pushPhase(report, traffic, progress)) {
                    throw shared::Error(ErrorCode::ClockSkew,
                                        "The server still finds this device's changes dated too "
                                        "far ahead after re-stamping; check the tablet's clock.");
                }
                if (doPull) {
                    pullPhase(report, traffic, progress);
                }
            }
            if (doPull) {
                learnQuarantineDecisions(report, traffic);
            }
        } catch (const shared::Error& error) {
            report.errors.push_back(SyncError{error.code(), error.what()});
        } catch (const std::exception& error) {
            // A defect, not a condition: reported, never let out of a background thread.
            report.errors.push_back(SyncError{ErrorCode::InternalError, error.what()});
        }
        events = std::exchange(_syncEvents, {});
        report.bytesSent = traffic.sent;
        report.bytesReceived = traffic.received;
        report.serverOffsetMs = _serverClock.offset();
        {
            std::lock_guard lock(_storeMutex);
            report.openConflicts = _store->openConflicts().size();
            report.pendingChanges = outbox().size();
            report.complete = report.errors.empty();
            if (report.complete) {
                _state.set(kLastSyncMs, std::to_string(_wallClock.nowMs()));
                _state.erase(kLastErrorCode);
                _state.erase(kLastErrorMessage);
            } else {
                _state.set({{kLastErrorCode, std::string(shared::wireName(report.errors[0].code))},
                            {kLastErrorMessage, report.errors[0].message}});
            }
        }
        logSyncEnd(report, SyncLog::elapsedMs(started));
        return report;
    }

    /// Logs how a sync ended: sync.completed, or sync.failed with its first error's code.
    void logSyncEnd(const SyncReport& report, std::int64_t durationMs) {
        if (!_log.enabled()) {
            return;
        }
        LogEntry entry;
        entry.changes = report.pushed + report.pulled;
        entry.bytes = report.bytesSent + report.bytesReceived;
        entry.durationMs = durationMs;
        if (report.complete) {
            entry.level = LogLevel::Info;
            entry.event = "sync.completed";
            entry.message = "Sync complete: " + std::to_string(report.pushed) + " pushed, " +
                            std::to_string(report.pulled) + " pulled, " +
                            std::to_string(report.pendingChanges) + " still to send.";
        } else {
            const auto& first = report.errors.front();
            entry.level = LogLevel::Error;
            entry.event = "sync.failed";
            entry.error = first.code;
            entry.message =
                "Sync stopped: " + std::string(shared::wireName(first.code)) + ": " + first.message;
        }
        _log.emit(entry);
    }

    // --- background -----------------------------------------------------------------------------

    void startBackground(std::chrono::milliseconds interval,
                         std::function<void(const SyncReport&)> onReport) {
        std::lock_guard control(_backgroundControl);
        if (_background.joinable()) {
            if (_backgroundRunning) {
                return;
            }
            _background.join();  // it ended by itself (an auth failure): start afresh
        }
        {
            std::lock_guard lock(_backgroundMutex);
            _stopping = false;
            _requested = false;
        }
        _backgroundRunning = true;
        _background = std::thread([this, interval, onReport = std::move(onReport)] {
            backgroundLoop(interval, onReport);
        });
        _backgroundId = _background.get_id();
    }

    void stopBackground() {
        {
            std::lock_guard lock(_backgroundMutex);
            _stopping = true;
        }
        _backgroundWake.notify_all();
        if (std::this_thread::get_id() == _backgroundId) {
            return;  // from onReport or a subscriber: the loop ends when the callback returns
        }
        std::lock_guard control(_backgroundControl);
        if (_background.joinable()) {
            _background.join();
        }
        _backgroundRunning = false;
    }

    void wakeBackground() {
        {
            std::lock_guard lock(_backgroundMutex);
            _requested = true;
        }
        _backgroundWake.notify_all();
    }

    bool backgroundRunning() const { return _backgroundRunning; }

    void setLog(LogCallback callback) { _log.set(std::move(callback)); }

private:
    std::vector<sync::Record> recordsOf(std::string_view collection,
                                        const std::vector<RecordId>& ids) {
        std::vector<sync::Record> result;
        result.reserve(ids.size());
        for (const auto& id : ids) {
            if (auto found = _store->record(collection, id); found && !found->deleted) {
                result.push_back(std::move(*found));
            }
        }
        return result;
    }

    /// This device's changes the server has not acknowledged, in sequence order (caller holds
    /// _storeMutex).
    std::vector<sync::LoggedChange> outbox() {
        return _store->deviceChanges(_deviceId, _ackedSeq, kWholeOutbox);
    }

    /// What the outbox holds of one record.
    struct Pending {
        bool any = false;     ///< Some change of it is in the outbox.
        bool unsent = false;  ///< Some change of it in the outbox was not even sent yet.

        void add(const Change& change, std::uint64_t sentSeq) {
            any = true;
            unsent = unsent || change.deviceSeq > sentSeq;
        }
    };

    /// Where a record that is not quarantined stands, from its materialized state (nullopt: not
    /// on this device) and what the outbox holds of it (caller holds _storeMutex).
    RecordSyncState stateOf(const std::optional<sync::Record>& found, const Pending& pending) {
        if (!found) {
            return RecordSyncState::Synced;
        }
        for (const auto& [name, field] : found->fields) {
            if (field.inConflict) {
                return RecordSyncState::Conflict;
            }
        }
        if (!pending.any) {
            return RecordSyncState::Synced;
        }
        // Local: every field's visible write is this device's and unacknowledged (new here).
        const bool onlyLocalWrites =
            std::none_of(found->fields.begin(), found->fields.end(), [&](const auto& entry) {
                const auto& written = entry.second.writtenBy;
                return written &&
                       (written->key.device != _deviceId || written->key.deviceSeq <= _ackedSeq);
            });
        if (onlyLocalWrites) {
            return RecordSyncState::Local;
        }
        return pending.unsent ? RecordSyncState::Queued : RecordSyncState::Sent;
    }

    bool hasTokens() {
        std::lock_guard lock(_storeMutex);
        return _state.get(kRefreshToken).has_value() && !_userId.empty();
    }

    std::string accessToken() {
        std::lock_guard lock(_storeMutex);
        return _state.get(kAccessToken).value_or("");
    }

    /// New tokens from the refresh token; a refused refresh forgets both tokens (sign in again).
    /// A refresh whose answer was lost is repeated once at once (protocol.md: the grace window).
    void refreshTokens() {
        std::optional<std::string> refresh;
        {
            std::lock_guard lock(_storeMutex);
            refresh = _state.get(kRefreshToken);
        }
        if (!refresh) {
            throw shared::Error(ErrorCode::NotSignedIn);
        }
        try {
            const auto tokens = [&] {
                try {
                    return _api->refresh(*refresh);
                } catch (const AnswerLost&) {
                    // The server may have rotated the token, and the new pair was lost with the
                    // answer. The same token again, at once, is inside the server's grace window
                    // and gets a working pair; waiting out a backoff could leave the window.
                    return _api->refresh(*refresh);
                }
            }();
            std::lock_guard lock(_storeMutex);
            _state.set({{kAccessToken, tokens.accessToken}, {kRefreshToken, tokens.refreshToken}});
        } catch (const shared::Error& error) {
            if (isAuthFailure(error.code())) {
                std::lock_guard lock(_storeMutex);
                _state.erase(kAccessToken);
                _state.erase(kRefreshToken);
            }
            throw;
        }
    }

    /// One request with the retry rules: an expired token is refreshed once; transient failures
    /// are retried with backoff up to RetryPolicy::maxAttempts; everything else propagates.
    /// `token`, when given, is used for the first attempt instead of reading the stored one.
    template <typename Request>
    auto call(SyncReport& report, Request&& request, std::string token = {}) {
        Backoff backoff(_options.retry);
        bool refreshed = false;
        int attempts = 0;
        for (;;) {
            try {
                return request(token.empty() ? accessToken() : std::exchange(token, {}));
            } catch (const shared::Error& error) {
                if (isAuthFailure(error.code()) && !refreshed &&
                    error.code() != ErrorCode::NotSignedIn) {
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

    /// Logs sync.retry: attempt `failed` of a request failed with `code`, the next follows `delay`.
    void logRetry(ErrorCode code, int failed, std::chrono::milliseconds delay) {
        if (!_log.enabled()) {
            return;
        }
        LogEntry entry;
        entry.level = LogLevel::Warning;
        entry.event = "sync.retry";
        entry.error = code;
        entry.durationMs = delay.count();
        entry.message = "Attempt " + std::to_string(failed) + " of " +
                        std::to_string(_options.retry.maxAttempts) + " failed (" +
                        std::string(shared::wireName(code)) + "); retrying in " +
                        std::to_string(delay.count()) + " ms.";
        _log.emit(entry);
    }

    /// Asks the server what HQ decided about this device's refused changes that still wait,
    /// and records it: a decided change no longer shows its record as quarantined. One request,
    /// made only while something waits.
    void learnQuarantineDecisions(SyncReport& report, Traffic& traffic) {
        {
            std::lock_guard lock(_storeMutex);
            if (_state.quarantinedCount() == 0) {
                return;
            }
        }
        const auto decisions = call(report, [&](const std::string& token) {
            return _api->quarantineDecisions(token, _deviceId.toString(), traffic);
        });
        std::lock_guard lock(_storeMutex);
        for (const auto& [seq, decision] : decisions) {
            if (_state.decideQuarantined(seq, decision)) {
                ++report.quarantineDecided;
            }
        }
    }

    /// Waits between retries; false if the background loop is stopping meanwhile.
    bool sleepFor(std::chrono::milliseconds delay) {
        if (_options.sleep) {
            _options.sleep(delay);
            return true;
        }
        if (std::this_thread::get_id() != _backgroundId) {
            std::this_thread::sleep_for(delay);  // a foreground sync() waits out its retries
            return true;
        }
        // The background loop's retries end early when it is asked to stop.
        std::unique_lock lock(_backgroundMutex);
        return !_backgroundWake.wait_for(lock, delay, [this] { return _stopping; });
    }

    /// Pushes the outbox in batches. Returns true when the server refused changes as dated too
    /// far ahead: they stay in the outbox, to be re-stamped once the clock offset is known.
    bool pushPhase(SyncReport& report, Traffic& traffic,
                   const std::function<void(const SyncProgress&)>& progress) {
        std::size_t total = 0;
        {
            std::lock_guard lock(_storeMutex);
            total = outbox().size();
        }
        std::size_t done = 0;
        std::size_t batchLimit =
            std::clamp<std::size_t>(_options.pushBatchSize, 1, kMaxPushChanges);
        int serverBehind = 0;
        for (;;) {
            shared::PushRequest request;
            request.deviceId = _deviceId;
            {
                std::lock_guard lock(_storeMutex);
                std::size_t bytes = 0;
                for (auto& logged : _store->deviceChanges(_deviceId, _ackedSeq, batchLimit)) {
                    bytes += 256 + logged.change.value.payloadSize();
                    if (!request.changes.empty() && bytes > kPushByteBudget) {
                        break;
                    }
                    request.changes.push_back(std::move(logged.change));
                }
                if (request.changes.empty()) {
                    return false;
                }
                // What the server acknowledges must survive a power cut here, or this device
                // would number new changes with sequences the server already holds.
                _state.flushToDisk();
                _sentSeq = std::max(_sentSeq, request.changes.back().deviceSeq);
                _state.set(kSentSeq, std::to_string(_sentSeq));
            }
            shared::PushResponse response;
            const auto sentAt = std::chrono::steady_clock::now();
            const auto bytesBefore = traffic.sent + traffic.received;
            if (_log.enabled()) {
                LogEntry sent;
                sent.level = LogLevel::Debug;
                sent.event = "push.sent";
                sent.changes = request.changes.size();
                sent.message = "Sending " + std::to_string(request.changes.size()) + " changes.";
                _log.emit(sent);
            }
            try {
                response = call(report, [&](const std::string& token) {
                    return _api->push(token, request, traffic);
                });
            } catch (const shared::Error& error) {
                const bool tooLarge = error.code() == ErrorCode::PayloadTooLarge ||
                                      error.code() == ErrorCode::BatchTooLarge;
                if (tooLarge && request.changes.size() > 1) {
                    batchLimit = std::max<std::size_t>(1, request.changes.size() / 2);
                    logRetry(error.code(), 1, std::chrono::milliseconds(0));
                    continue;
                }
                throw;
            }
            const auto pushedBefore = report.pushed;

            std::optional<std::uint64_t> firstSkewed;
            std::vector<QuarantineEntry> refused;
            std::map<std::uint64_t, const Change*> bySeq;
            for (const auto& change : request.changes) {
                bySeq.emplace(change.deviceSeq, &change);
            }
            for (const auto& result : response.results) {
                if (result.error == ErrorCode::ClockSkew) {
                    firstSkewed =
                        std::min(firstSkewed.value_or(result.deviceSeq), result.deviceSeq);
                } else if (result.outcome == "refused" ||
                           (result.outcome == "duplicate" && result.error)) {
                    // A duplicate with a code was refused when it first arrived (its answer was
                    // lost): it stays refused, so it is quarantined here too.
                    const auto found = bySeq.find(result.deviceSeq);
                    if (found != bySeq.end()) {
                        refused.push_back(QuarantineEntry{
                            *found->second, result.error.value_or(ErrorCode::InvalidChange),
                            result.message, _wallClock.nowMs(), std::nullopt});
                        logPushOutcome("quarantine.refused", *found->second,
                                       result.error.value_or(ErrorCode::InvalidChange));
                    }
                } else {
                    ++report.pushed;
                    report.conflictsRaised += result.outcome == "conflict_raised" ? 1 : 0;
                    const auto found = bySeq.find(result.deviceSeq);
                    if (result.outcome == "conflict_raised" && found != bySeq.end()) {
                        logPushOutcome("conflict.raised", *found->second, std::nullopt);
                    }
                }
            }
            if (_log.enabled()) {
                const auto acknowledged = report.pushed - pushedBefore;
                LogEntry ack;
                ack.event = "push.acknowledged";
                ack.changes = acknowledged;
                ack.bytes = traffic.sent + traffic.received - bytesBefore;
                ack.durationMs = SyncLog::elapsedMs(sentAt);
                ack.message = "The server acknowledged " + std::to_string(acknowledged) + " of " +
                              std::to_string(request.changes.size()) +
                              " changes (high-water mark " +
                              std::to_string(response.highWaterMark) + ").";
                _log.emit(ack);
            }
            // Never acknowledge beyond what this batch carried; a server behind this device
            // (restored from a backup) gets the missing changes again.
            std::uint64_t acked =
                std::min(response.highWaterMark, request.changes.back().deviceSeq);
            if (firstSkewed) {
                acked = std::min(acked, *firstSkewed - 1);
            }
            TouchedRecords touched;
            {
                std::lock_guard lock(_storeMutex);
                for (const auto& entry : refused) {
                    _state.addQuarantined(entry);
                }
                if (!refused.empty()) {
                    // The server refused them: take them out of the local view, so what this
                    // device shows is what the server holds; the quarantine keeps them.
                    std::set<std::uint64_t> seqs;
                    for (const auto& entry : refused) {
                        seqs.insert(entry.change.deviceSeq);
                    }
                    _store->rewriteDeviceChanges(
                        _deviceId, *seqs.begin() - 1,
                        [&](const Change& change) -> std::optional<Change> {
                            if (seqs.count(change.deviceSeq) != 0) {
                                return std::nullopt;
                            }
                            return change;
                        });
                    for (const auto& entry : refused) {
                        const auto& change = entry.change;
                        touched.add(change.collection, change.recordId,
                                    !_store->record(change.collection, change.recordId));
                    }
                    report.quarantined += refused.size();
                }
                if (acked != _ackedSeq) {
                    _ackedSeq = acked;
                    _state.set(kAckedSeq, std::to_string(_ackedSeq));
                }
            }
            defer(touched.take());
            done += request.changes.size();
            if (progress) {
                progress(SyncProgress{SyncProgress::Phase::Pushing, std::min(done, total), total,
                                      traffic.sent + traffic.received});
            }
            if (firstSkewed) {
                return true;
            }
            if (acked < request.changes.front().deviceSeq) {
                ++serverBehind;
                if (serverBehind > 1) {
                    throw shared::Error(ErrorCode::InternalError,
                                        "The server does not acknowledge this device's changes.");
                }
            }
        }
    }

    /// Logs a pushed change that raised a conflict or was refused (with the server's code). Names
    /// the record and field only: the value the user wrote never reaches the log.
    void logPushOutcome(std::string_view event, const Change& change,
                        std::optional<ErrorCode> code) {
        if (!_log.enabled()) {
            return;
        }
        LogEntry entry;
        entry.level = LogLevel::Warning;
        entry.event = event;
        entry.changes = 1;
        entry.error = code;
        const auto what = change.collection + (change.field.empty() ? "" : "." + change.field) +
                          " of " + change.recordId.toString();
        entry.message = code ? "The server refused a change to " + what + " (" +
                                   std::string(shared::wireName(*code)) + "); it is quarantined."
                             : "A change to " + what + " raised a conflict.";
        _log.emit(entry);
    }

    /// Re-dates every unsent change with the corrected clock (device clock + server offset),
    /// after the server refused some as too far ahead. Base versions that named a re-dated
    /// change follow it, so a device's second edit of a field does not conflict with its first.
    void restampUnsent(SyncReport& report) {
        TouchedRecords touched;
        const auto restampedBefore = report.restamped;
        {
            std::lock_guard lock(_storeMutex);
            // Not below anything the server accepted: others' changes and this device's own.
            auto floor = _maxRemoteHlc;
            const auto own = _store->deviceChanges(_deviceId, _ackedSeq > 0 ? _ackedSeq - 1 : 0, 1);
            if (!own.empty() && own.front().change.deviceSeq <= _ackedSeq &&
                floor < own.front().change.hlc) {
                floor = own.front().change.hlc;
            }
            _hlc->rewind(floor);
            _sentSeq = _ackedSeq;  // re-dated changes were never sent in this form
            _state.set(kSentSeq, std::to_string(_sentSeq));
            std::map<Hlc, Hlc> redated;
            report.restamped += _store->rewriteDeviceChanges(
                _deviceId, _ackedSeq, [&](const Change& change) -> std::optional<Change> {
                    Change restamped = change;
                    restamped.hlc = _hlc->now();
                    if (restamped.baseVersion) {
                        const auto base = redated.find(*restamped.baseVersion);
                        if (base != redated.end()) {
                            restamped.baseVersion = base->second;
                        }
                    }
                    redated.emplace(change.hlc, restamped.hlc);
                    touched.add(change.collection, change.recordId);
                    return restamped;
                });
        }
        defer(touched.take());
        if (_log.enabled()) {
            LogEntry entry;
            entry.level = LogLevel::Warning;
            entry.event = "clock.restamped";
            entry.changes = report.restamped - restampedBefore;
            entry.message = "The server found changes dated too far ahead: re-dated " +
                            std::to_string(entry.changes) + " unsent changes with its clock.";
            _log.emit(entry);
        }
    }

    /// The scopes holding records with unsent local changes: not purged, not checksum-compared.
    std::set<std::string> scopesWithUnsentChanges() {
        std::set<std::string> scopes;
        const auto& schema = shared::domainSchema();
        for (const auto& logged : outbox()) {
            scopes.insert("tenant");  // HQ's one scope holds every record
            const auto& change = logged.change;
            if (auto scope = _store->scopeOf(change.collection, change.recordId)) {
                scopes.insert(*scope);
            } else if (auto derived = schema.scopeKeyOf(change)) {
                scopes.insert(*derived);
            }
        }
        return scopes;
    }

    /// A pull request on its way, answered on another thread while this one applies the round
    /// before it: the server prepares a page while the device applies the previous one.
    struct PullAhead {
        shared::PullRequest request;
        std::int64_t sentAt = 0;
        SyncReport report;  // the retries it took, added to the sync's own
        Traffic traffic;    // the bytes it moved, likewise
        std::future<shared::PullResponse> response;
    };

    /// Sends `request` on another thread. The access token is read here, so the request does
    /// not wait for the store lock that applying the previous round holds.
    std::unique_ptr<PullAhead> sendAhead(shared::PullRequest request) {
        auto ahead = std::make_unique<PullAhead>();
        ahead->request = std::move(request);
        ahead->sentAt = _wallClock.nowMs();
        ahead->response =
            std::async(std::launch::async, [this, ahead = ahead.get(), token = accessToken()] {
                return call(
                    ahead->report,
                    [&](const std::string& current) {
                        return _api->pull(current, ahead->request, ahead->traffic);
                    },
                    token);
            });
        return ahead;
    }

    /// The request after `request` was answered with `response`: its cursors moved to the
    /// pages' cursors, purged scopes dropped (the next answer would name them again).
    static shared::PullRequest followingRequest(const shared::PullRequest& request,
                                                const shared::PullResponse& response,
                                                std::vector<std::string> repair) {
        shared::PullRequest next;
        next.deviceId = request.deviceId;
        next.limit = request.limit;
        next.cursors = request.cursors;
        for (const auto& page : response.scopes) {
            next.cursors[page.scope] = page.cursor;
        }
        for (const auto& scope : response.purge) {
            next.cursors.erase(scope);
        }
        next.repair = std::move(repair);
        return next;
    }

    /// Pulls until the server has nothing more, a round at a time: each answer is applied in one
    /// transaction (with its cursors), while the next round's request is already on its way.
    /// WAL checkpoints wait until the pull is over (one, not one every few pages); a pull that
    /// brought nothing writes nothing and checkpoints nothing.
    void pullPhase(SyncReport& report, Traffic& traffic,
                   const std::function<void(const SyncProgress&)>& progress) {
        CheckpointHold hold(*this);
        PullProgress state;
        state.repair = pendingRepairs();
        std::unique_ptr<PullAhead> ahead;
        bool cursorsReset = false;
        const auto pullStarted = std::chrono::steady_clock::now();
        const auto receivedBefore = traffic.received;
        for (int round = 0; round < kMaxPullRounds; ++round) {
            const auto roundStarted = std::chrono::steady_clock::now();
            const auto roundReceivedBefore = traffic.received;
            const auto roundPulledBefore = state.pulled;
            shared::PullRequest request;
            shared::PullResponse response;
            std::int64_t sentAt = 0;
            try {
                if (ahead) {
                    auto taken = std::move(ahead);
                    request = std::move(taken->request);
                    sentAt = taken->sentAt;
                    response = taken->response.get();
                    report.attempts += taken->report.attempts;
                    traffic.sent += taken->traffic.sent;
                    traffic.received += taken->traffic.received;
                } else {
                    request.deviceId = _deviceId;
                    request.limit = _options.pullPageSize;
                    request.repair = std::exchange(state.repair, {});
                    {
                        std::lock_guard lock(_storeMutex);
                        request.cursors = _state.cursors();
                    }
                    sentAt = _wallClock.nowMs();
                    response = call(report, [&](const std::string& token) {
                        return _api->pull(token, request, traffic);
                    });
                }
            } catch (const shared::Error& error) {
                if (error.code() != ErrorCode::InvalidCursor || cursorsReset) {
                    throw;
                }
                // The server's log is behind this device (restored from a backup): take every
                // scope again whole; merges keep what this device holds.
                cursorsReset = true;
                std::lock_guard lock(_storeMutex);
                _state.clearCursors();
                continue;
            }
            const auto receivedAt = _wallClock.nowMs();
            if (response.serverTimeMs > 0) {
                _serverClock.setOffset(response.serverTimeMs - (sentAt + receivedAt) / 2);
            }
            if (response.more || !state.repair.empty()) {
                ahead =
                    sendAhead(followingRequest(request, response, std::exchange(state.repair, {})));
            }
            applyPullRound(request, response, state, report, hold);
            if (_log.enabled()) {
                LogEntry entry;
                entry.level = LogLevel::Debug;
                entry.event = "pull.round";
                entry.changes = state.pulled - roundPulledBefore;
                entry.bytes = traffic.received - roundReceivedBefore;
                entry.scopes = response.scopes.size();
                entry.durationMs = SyncLog::elapsedMs(roundStarted);
                entry.message = "Pulled " + std::to_string(entry.changes) + " changes in " +
                                std::to_string(entry.scopes) + " scopes" +
                                (response.more ? "; more waiting." : ".");
                _log.emit(entry);
            }
            if (progress) {
                progress(SyncProgress{SyncProgress::Phase::Pulling, state.pulled, 0,
                                      traffic.sent + traffic.received});
            }
            if (!ahead && !response.more && state.repair.empty()) {
                logPullDone(state.pulled, traffic.received - receivedBefore,
                            SyncLog::elapsedMs(pullStarted));
                return;
            }
        }
        throw shared::Error(ErrorCode::InternalError, "The pull did not finish.");
    }

    /// Logs pull.done: the pull is up to date; `scopes` says how many this device now holds.
    void logPullDone(std::size_t pulled, std::uint64_t bytes, std::int64_t durationMs) {
        if (!_log.enabled()) {
            return;
        }
        LogEntry entry;
        entry.event = "pull.done";
        entry.changes = pulled;
        entry.bytes = bytes;
        entry.durationMs = durationMs;
        {
            std::lock_guard lock(_storeMutex);
            entry.scopes = _state.cursors().size();
        }
        entry.message = "Up to date: pulled " + std::to_string(pulled) + " changes; " +
                        std::to_string(entry.scopes) + " scopes on this device.";
        _log.emit(entry);
    }

    /// The scopes checkReplica() found damaged, still to be fetched again whole.
    std::vector<std::string> pendingRepairs() {
        std::vector<std::string> scopes;
        std::lock_guard lock(_storeMutex);
        std::istringstream lines(_state.get(kPendingRepairs).value_or(""));
        for (std::string scope; std::getline(lines, scope);) {
            if (!scope.empty()) {
                scopes.push_back(scope);
            }
        }
        return scopes;
    }

public:
    std::vector<std::string> checkReplica() {
        std::lock_guard syncLock(_syncMutex);
        std::lock_guard lock(_storeMutex);
        auto damaged = _store->damagedScopes();
        if (damaged.empty()) {
            return damaged;
        }
        _store->rebuildChecksums();
        const auto cursors = _state.cursors();
        std::string pending;
        for (const auto& scope : damaged) {
            // HQ's device holds the tenant as one scope: that is what it asks for again.
            const auto& held = cursors.count("tenant") != 0 ? std::string("tenant") : scope;
            if (pending.find(held + "\n") == std::string::npos) {
                pending += held + "\n";
            }
        }
        _state.set(kPendingRepairs, pending);
        return damaged;
    }

private:
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

    /// Applies one pull answer: purges, repairs, every page in one transaction, the checksum
    /// checks, then the cursors (after the pages they cover: a crash between re-pulls, harmlessly).
    void applyPullRound(const shared::PullRequest& request, shared::PullResponse& response,
                        PullProgress& state, SyncReport& report, CheckpointHold& hold) {
        TouchedRecords touched(hasSubscribers());
        std::lock_guard lock(_storeMutex);
        const auto unsent = scopesWithUnsentChanges();
        for (const auto& scope : response.purge) {
            if (unsent.count(scope) != 0) {
                continue;  // pushed (or quarantined) first, purged on a later sync
            }
            hold.engage();
            for (const auto& ref : _store->recordsInScope(scope)) {
                touched.add(ref.collection, ref.id, true);
            }
            _store->purgeScope(scope);
            _state.eraseCursor(scope);
            ++report.purgedScopes;
            logScope(LogLevel::Info, "scope.purged",
                     "This user may no longer see scope " + scope + ": removed from the device.");
        }
        // Repairs first (their scope is rebuilt from the pages that follow), then every page of
        // the round in one transaction, then the checks.
        std::vector<Change> changes;
        for (auto& page : response.scopes) {
            const bool repairing =
                page.snapshot && std::find(request.repair.begin(), request.repair.end(),
                                           page.scope) != request.repair.end();
            if (repairing && unsent.count(page.scope) == 0) {
                hold.engage();
                _store->purgeScope(page.scope);
                ++report.repairedScopes;
                logScope(LogLevel::Warning, "replica.repaired",
                         "Scope " + page.scope + " differed from the server: rebuilt from it.");
            }
            for (auto& item : page.changes) {
                if (item.change.deviceId != _deviceId && _maxRemoteHlc < item.change.hlc) {
                    _maxRemoteHlc = item.change.hlc;
                }
                touched.add(item.change.collection, item.change.recordId);
                changes.push_back(std::move(item.change));
            }
        }
        if (!changes.empty()) {
            hold.engage();
            _store->apply(changes);
        }
        state.pulled += changes.size();
        std::map<std::string, std::uint64_t> movedCursors;
        for (const auto& page : response.scopes) {
            const auto known = request.cursors.find(page.scope);
            if (known == request.cursors.end() || known->second != page.cursor) {
                movedCursors[page.scope] = page.cursor;
            }
            checkScope(page, unsent, state, report);
        }
        saveRound(movedCursors);
        if (!request.repair.empty()) {
            _state.erase(kPendingRepairs);  // asked for again whole: this round applied them
        }
        report.pulled = state.pulled;
        defer(touched.take());
    }

    /// Logs an event about one scope.
    void logScope(LogLevel level, std::string_view event, std::string message) {
        if (!_log.enabled()) {
            return;
        }
        LogEntry entry;
        entry.level = level;
        entry.event = event;
        entry.scopes = 1;
        entry.message = std::move(message);
        _log.emit(entry);
    }

    /// Saves the cursors that moved and the settings a round changed, in one transaction; a round
    /// that changed nothing (a caught-up pull) writes nothing. The clock offset is saved when it
    /// moved by kOffsetSaveToleranceMs or more: every round measures it anew with a few
    /// milliseconds of jitter, which the HLC's minutes of drift allowance never notice, and
    /// the running client keeps the exact figure in memory.
    void saveRound(const std::map<std::string, std::uint64_t>& movedCursors) {
        std::map<std::string, std::string> settings;
        const auto maxRemote = hlcText(_maxRemoteHlc);
        if (maxRemote != _savedMaxRemoteHlc) {
            settings.emplace(kMaxRemoteHlc, maxRemote);
        }
        const auto offset = _serverClock.offset();
        if (offset - _savedOffsetMs >= kOffsetSaveToleranceMs ||
            _savedOffsetMs - offset >= kOffsetSaveToleranceMs) {
            settings.emplace(kOffsetMs, std::to_string(offset));
        }
        if (movedCursors.empty() && settings.empty()) {
            return;
        }
        _state.saveRound(movedCursors, settings);
        _savedMaxRemoteHlc = maxRemote;
        if (settings.count(kOffsetMs) != 0) {
            _savedOffsetMs = offset;
        }
    }

    /// Compares a scope's checksum with the server's when the server sent one: a first
    /// difference asks for the scope again whole, a second is reported.
    void checkScope(const shared::ScopePage& page, const std::set<std::string>& unsent,
                    PullProgress& state, SyncReport& report) {
        if (page.more || page.checksum.empty() || unsent.count(page.scope) != 0) {
            return;
        }
        const auto local =
            page.scope == "tenant" ? _store->checksum() : _store->scopeChecksum(page.scope);
        if (local == page.checksum) {
            return;
        }
        if (state.repaired.insert(page.scope).second) {
            state.repair.push_back(page.scope);
        } else {
            report.errors.push_back(SyncError{
                ErrorCode::ChecksumMismatch,
                "Scope " + page.scope + " still differs from the server after a repair."});
        }
    }

    bool hasSubscribers() {
        std::lock_guard lock(_subscribersMutex);
        return !_subscribers.empty();
    }

    /// Keeps a sync's events until its end (only the thread holding the sync lock calls this).
    void defer(std::vector<RecordEvent> events) {
        _syncEvents.insert(_syncEvents.end(), std::make_move_iterator(events.begin()),
                           std::make_move_iterator(events.end()));
    }

    /// Calls the subscribers, holding no lock of the Client: a callback may read, write, sync
    /// or unsubscribe (but not destroy the Client).
    void notify(const std::vector<RecordEvent>& events) {
        if (events.empty()) {
            return;
        }
        std::vector<std::shared_ptr<Subscriber>> subscribers;
        {
            std::lock_guard lock(_subscribersMutex);
            for (const auto& [handle, subscriber] : _subscribers) {
                subscribers.push_back(subscriber);
            }
        }
        for (const auto& event : events) {
            for (const auto& subscriber : subscribers) {
                {
                    std::lock_guard lock(subscriber->mutex);
                    if (!subscriber->active) {
                        continue;
                    }
                    ++subscriber->running;
                }
                const auto* const previous = std::exchange(tCurrentSubscriber, subscriber.get());
                try {
                    subscriber->callback(event);
                } catch (...) {
                    // A subscriber's failure must not undo a committed write or stop a sync.
                }
                tCurrentSubscriber = previous;
                {
                    std::lock_guard lock(subscriber->mutex);
                    --subscriber->running;
                }
                subscriber->idle.notify_all();
            }
        }
    }

    void backgroundLoop(std::chrono::milliseconds interval,
                        const std::function<void(const SyncReport&)>& onReport) {
        Backoff backoff(_options.retry);
        for (;;) {
            {
                std::lock_guard lock(_backgroundMutex);
                if (_stopping) {
                    break;
                }
                _requested = false;
            }
            SyncReport report;
            try {
                report = runSync(true, true, {});
            } catch (const shared::Error& error) {
                report.errors.push_back(SyncError{error.code(), error.what()});
            }
            if (onReport) {
                try {
                    onReport(report);
                } catch (...) {
                    // The app's handler must not end the loop.
                }
            }
            bool authFailed = false;
            bool transient = false;
            for (const auto& error : report.errors) {
                authFailed = authFailed || isAuthFailure(error.code);
                transient = transient || isTransient(error.code);
            }
            if (authFailed) {
                break;  // reported; the app asks the user to sign in again
            }
            auto wait = interval;
            if (report.complete) {
                backoff.reset();
            } else if (transient) {
                wait = backoff.nextDelay();
            }
            std::unique_lock lock(_backgroundMutex);
            _backgroundWake.wait_for(lock, wait, [this] { return _stopping || _requested; });
        }
        _backgroundRunning = false;
    }

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
    Hlc _maxRemoteHlc;
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
};

// --- Client ---------------------------------------------------------------------------------

namespace {

std::string preparePath(const ClientOptions& options, const std::string& tenant,
                        const std::string& username) {
    if (options.dataDirectory.empty()) {
        throw shared::Error(ErrorCode::InvalidParameter, "Name a data directory for the SDK.");
    }
    if (tenant.empty() || username.empty()) {
        throw shared::Error(ErrorCode::InvalidParameter, "Name the tenant and the user.");
    }
    return Client::databasePath(options.dataDirectory, tenant, username);
}

}  // namespace

std::string Client::databasePath(const std::string& dataDirectory, const std::string& tenant,
                                 const std::string& username) {
    return (std::filesystem::path(dataDirectory) / pathSafe(tenant) / (pathSafe(username) + ".db"))
        .string();
}

Client::Client(std::unique_ptr<Impl> impl) : _impl(std::move(impl)) {}

Client::~Client() = default;

std::unique_ptr<Client> Client::signIn(ClientOptions options, const std::string& tenant,
                                       const std::string& username, const std::string& password) {
    const auto path = preparePath(options, tenant, username);
    std::error_code error;
    std::filesystem::create_directories(std::filesystem::path(path).parent_path(), error);
    if (error) {
        throw shared::Error(ErrorCode::StorageUnavailable,
                            "Cannot create the SDK's data directory: " + error.message());
    }
    auto impl = std::make_unique<Impl>(std::move(options), path);
    impl->signInOnline(tenant, username, password);
    return std::unique_ptr<Client>(new Client(std::move(impl)));
}

std::unique_ptr<Client> Client::open(ClientOptions options, const std::string& tenant,
                                     const std::string& username) {
    const auto path = preparePath(options, tenant, username);
    if (!std::filesystem::exists(path)) {
        throw shared::Error(ErrorCode::NotSignedIn,
                            "'" + username + "' of '" + tenant +
                                "' has never signed in on this device; sign in online first.");
    }
    auto impl = std::make_unique<Impl>(std::move(options), path);
    if (!impl->loadIdentity()) {
        throw shared::Error(ErrorCode::NotSignedIn);
    }
    return std::unique_ptr<Client>(new Client(std::move(impl)));
}

void Client::signOut() {
    _impl->signOut();
}

ClientStatus Client::status() const {
    return _impl->status();
}

shared::DeviceId Client::deviceId() const {
    return _impl->deviceId();
}

std::string Client::userId() const {
    return _impl->userId();
}

std::optional<sync::Record> Client::record(std::string_view collection, const RecordId& id) const {
    return _impl->record(collection, id);
}

std::vector<sync::Record> Client::records(std::string_view collection) const {
    return _impl->records(collection);
}

std::vector<sync::Record> Client::query(std::string_view collection, std::string_view field,
                                        const shared::Value& value) const {
    return _impl->query(collection, field, value);
}

std::map<std::string, std::size_t> Client::recordsPerScope(std::string_view collection) const {
    return _impl->recordsPerScope(collection);
}

std::vector<sync::Record> Client::auditRecords(const RecordId& auditId) const {
    return _impl->scopeRecords(shared::collections::kAudits, auditId);
}

std::vector<sync::Record> Client::sessionRecords(const RecordId& sessionId) const {
    return _impl->scopeRecords(shared::collections::kTrainingSessions, sessionId);
}

WriteResult Client::write(std::string_view collection, const RecordId& id,
                          const std::vector<FieldWrite>& fields) {
    return _impl->write(collection, id, fields, false);
}

WriteResult Client::create(std::string_view collection, const std::vector<FieldWrite>& fields) {
    static thread_local shared::IdGenerator generator(shared::SystemClock::instance());
    return _impl->write(collection, generator.nextRecordId(), fields, false);
}

WriteResult Client::remove(std::string_view collection, const RecordId& id) {
    return _impl->write(collection, id, {}, true);
}

RecordSyncState Client::syncState(std::string_view collection, const RecordId& id) const {
    return _impl->syncState(collection, id);
}

std::map<RecordId, RecordSyncState> Client::syncStates(std::string_view collection) const {
    return _impl->syncStates(collection);
}

std::vector<sync::Conflict> Client::conflicts() const {
    return _impl->conflicts();
}

std::vector<QuarantineEntry> Client::quarantine() const {
    return _impl->quarantine();
}

std::vector<Change> Client::pendingChanges() const {
    return _impl->pendingChanges();
}

std::uint64_t Client::subscribe(std::function<void(const RecordEvent&)> callback) {
    return _impl->subscribe(std::move(callback));
}

void Client::unsubscribe(std::uint64_t handle) {
    _impl->unsubscribe(handle);
}

SyncReport Client::sync(const std::function<void(const SyncProgress&)>& progress) {
    return _impl->runSync(true, true, progress);
}

SyncReport Client::push(const std::function<void(const SyncProgress&)>& progress) {
    return _impl->runSync(true, false, progress);
}

SyncReport Client::pull(const std::function<void(const SyncProgress&)>& progress) {
    return _impl->runSync(false, true, progress);
}

std::vector<std::string> Client::checkReplica() {
    return _impl->checkReplica();
}

void Client::startBackgroundSync(std::chrono::milliseconds interval,
                                 std::function<void(const SyncReport&)> onReport) {
    _impl->startBackground(interval, std::move(onReport));
}

void Client::requestSync() {
    _impl->wakeBackground();
}

void Client::stopBackgroundSync() {
    _impl->stopBackground();
}

bool Client::backgroundSyncRunning() const {
    return _impl->backgroundRunning();
}

void Client::setLogCallback(LogCallback callback) {
    _impl->setLog(std::move(callback));
}

}  // namespace verdant::client
