#include "ClientImpl.hpp"

#include "verdant/domain/DomainSchema.hpp"

#include <sstream>

namespace verdant::client {

using shared::ErrorCode;

namespace {

constexpr int kMaxPullRounds = 100000;

}  // namespace

std::set<std::string> Client::Impl::scopesWithUnsentChanges() {
    std::set<std::string> scopes;
    const auto& schema = domain::domainSchema();
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

std::unique_ptr<Client::Impl::PullAhead> Client::Impl::sendAhead(shared::PullRequest request) {
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

shared::PullRequest Client::Impl::followingRequest(const shared::PullRequest& request,
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

void Client::Impl::pullPhase(SyncReport& report, Traffic& traffic,
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
        PullExchange exchange;
        try {
            exchange = exchangeRound(ahead, state, report, traffic);
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
        auto& [request, response, sentAt] = exchange;
        const auto receivedAt = _wallClock.nowMs();
        if (response.serverTimeMs > 0) {
            _serverClock.setOffset(response.serverTimeMs - (sentAt + receivedAt) / 2);
        }
        if (response.more || !state.repair.empty()) {
            ahead = sendAhead(followingRequest(request, response, std::exchange(state.repair, {})));
        }
        applyPullRound(request, response, state, report, hold);
        logPullRound(response, state.pulled - roundPulledBefore,
                     traffic.received - roundReceivedBefore, roundStarted);
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

Client::Impl::PullExchange Client::Impl::exchangeRound(std::unique_ptr<PullAhead>& ahead,
                                                       PullProgress& state, SyncReport& report,
                                                       Traffic& traffic) {
    PullExchange exchange;
    if (ahead) {
        auto taken = std::move(ahead);
        exchange.request = std::move(taken->request);
        exchange.sentAt = taken->sentAt;
        exchange.response = taken->response.get();
        report.attempts += taken->report.attempts;
        traffic.sent += taken->traffic.sent;
        traffic.received += taken->traffic.received;
        return exchange;
    }
    auto& request = exchange.request;
    request.deviceId = _deviceId;
    request.limit = _options.pullPageSize;
    request.repair = std::exchange(state.repair, {});
    {
        std::lock_guard lock(_storeMutex);
        request.cursors = _state.cursors();
    }
    exchange.sentAt = _wallClock.nowMs();
    exchange.response =
        call(report, [&](const std::string& token) { return _api->pull(token, request, traffic); });
    return exchange;
}

void Client::Impl::logPullRound(const shared::PullResponse& response, std::size_t changes,
                                std::uint64_t bytes,
                                std::chrono::steady_clock::time_point started) {
    if (!_log.enabled()) {
        return;
    }
    const auto scopes = response.scopes.size();
    _log.emit(LogEntry{.level = LogLevel::Debug,
                       .event = "pull.round",
                       .message = "Pulled " + std::to_string(changes) + " changes in " +
                                  std::to_string(scopes) + " scopes" +
                                  (response.more ? "; more waiting." : "."),
                       .changes = changes,
                       .bytes = bytes,
                       .scopes = scopes,
                       .durationMs = SyncLog::elapsedMs(started),
                       .error = std::nullopt});
}

void Client::Impl::logPullDone(std::size_t pulled, std::uint64_t bytes, std::int64_t durationMs) {
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

std::vector<std::string> Client::Impl::pendingRepairs() {
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

}  // namespace verdant::client
