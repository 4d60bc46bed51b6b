#include "ClientImpl.hpp"

#include <algorithm>

namespace verdant::client {

using shared::Change;
using shared::ErrorCode;

namespace {

/// How far the measured server clock offset moves before it is saved again (see saveRound).
constexpr std::int64_t kOffsetSaveToleranceMs = 1000;

}  // namespace

std::vector<std::string> Client::Impl::checkReplica() {
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

void Client::Impl::applyPullRound(const shared::PullRequest& request,
                                  shared::PullResponse& response, PullProgress& state,
                                  SyncReport& report, CheckpointHold& hold) {
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
            page.snapshot && std::find(request.repair.begin(), request.repair.end(), page.scope) !=
                                 request.repair.end();
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

void Client::Impl::logScope(LogLevel level, std::string_view event, std::string message) {
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

void Client::Impl::saveRound(const std::map<std::string, std::uint64_t>& movedCursors) {
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

void Client::Impl::checkScope(const shared::ScopePage& page, const std::set<std::string>& unsent,
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
        report.errors.push_back(
            SyncError{ErrorCode::ChecksumMismatch,
                      "Scope " + page.scope + " still differs from the server after a repair."});
    }
}

}  // namespace verdant::client
