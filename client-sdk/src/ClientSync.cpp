#include "ClientImpl.hpp"

namespace verdant::client {

using shared::ErrorCode;

bool isAuthFailure(ErrorCode code) {
    return shared::categoryOf(code) == shared::ErrorCategory::Unauthorised;
}

bool isTransient(ErrorCode code) {
    const auto category = shared::categoryOf(code);
    return category == shared::ErrorCategory::Transient ||
           category == shared::ErrorCategory::Internal;
}

SyncReport Client::Impl::runSync(bool doPush, bool doPull,
                                 const std::function<void(const SyncProgress&)>& progress) {
    std::vector<RecordEvent> events;
    auto report = runSyncLocked(doPush, doPull, progress, events);
    notify(events);  // after the sync lock is released: a subscriber may sync
    return report;
}

SyncReport Client::Impl::runSyncLocked(bool doPush, bool doPull,
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
        runPhases(doPush, doPull, progress, report, traffic);
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
    recordSyncEnd(report);
    logSyncEnd(report, SyncLog::elapsedMs(started));
    return report;
}

void Client::Impl::runPhases(bool doPush, bool doPull,
                             const std::function<void(const SyncProgress&)>& progress,
                             SyncReport& report, Traffic& traffic) {
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
}

void Client::Impl::recordSyncEnd(SyncReport& report) {
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

void Client::Impl::logSyncEnd(const SyncReport& report, std::int64_t durationMs) {
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

void Client::Impl::logRetry(ErrorCode code, int failed, std::chrono::milliseconds delay) {
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

void Client::Impl::learnQuarantineDecisions(SyncReport& report, Traffic& traffic) {
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

}  // namespace verdant::client
