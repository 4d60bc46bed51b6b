#include "ClientImpl.hpp"

#include <algorithm>

namespace verdant::client {

using shared::Change;
using shared::ErrorCode;

namespace {

/// Most changes in one push: the server's limit, and a byte budget well under its body limit.
constexpr std::size_t kMaxPushChanges = 5000;
constexpr std::size_t kPushByteBudget = 4u << 20;

}  // namespace

bool Client::Impl::pushPhase(SyncReport& report, Traffic& traffic,
                             const std::function<void(const SyncProgress&)>& progress) {
    std::size_t total = 0;
    {
        std::lock_guard lock(_storeMutex);
        total = outbox().size();
    }
    std::size_t done = 0;
    std::size_t batchLimit = std::clamp<std::size_t>(_options.pushBatchSize, 1, kMaxPushChanges);
    int serverBehind = 0;
    for (;;) {
        const auto request = nextPushBatch(batchLimit);
        if (request.changes.empty()) {
            return false;
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
        const auto outcome = readPushResults(request, response, report);
        logPushAcknowledged(request, response, report.pushed - pushedBefore,
                            traffic.sent + traffic.received - bytesBefore, sentAt);
        // Never acknowledge beyond what this batch carried; a server behind this device
        // (restored from a backup) gets the missing changes again.
        std::uint64_t acked = std::min(response.highWaterMark, request.changes.back().deviceSeq);
        if (outcome.firstSkewed) {
            acked = std::min(acked, *outcome.firstSkewed - 1);
        }
        recordPushOutcome(outcome, acked, report);
        done += request.changes.size();
        if (progress) {
            progress(SyncProgress{SyncProgress::Phase::Pushing, std::min(done, total), total,
                                  traffic.sent + traffic.received});
        }
        if (outcome.firstSkewed) {
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

shared::PushRequest Client::Impl::nextPushBatch(std::size_t limit) {
    shared::PushRequest request;
    request.deviceId = _deviceId;
    std::lock_guard lock(_storeMutex);
    std::size_t bytes = 0;
    for (auto& logged : _store->deviceChanges(_deviceId, _ackedSeq, limit)) {
        bytes += 256 + logged.change.value.payloadSize();
        if (!request.changes.empty() && bytes > kPushByteBudget) {
            break;
        }
        request.changes.push_back(std::move(logged.change));
    }
    if (request.changes.empty()) {
        return request;
    }
    // What the server acknowledges must survive a power cut here, or this device
    // would number new changes with sequences the server already holds.
    _state.flushToDisk();
    _sentSeq = std::max(_sentSeq, request.changes.back().deviceSeq);
    _state.set(kSentSeq, std::to_string(_sentSeq));
    return request;
}

Client::Impl::PushOutcome Client::Impl::readPushResults(const shared::PushRequest& request,
                                                        const shared::PushResponse& response,
                                                        SyncReport& report) {
    PushOutcome outcome;
    std::map<std::uint64_t, const Change*> bySeq;
    for (const auto& change : request.changes) {
        bySeq.emplace(change.deviceSeq, &change);
    }
    for (const auto& result : response.results) {
        if (result.error == ErrorCode::ClockSkew) {
            outcome.firstSkewed =
                std::min(outcome.firstSkewed.value_or(result.deviceSeq), result.deviceSeq);
        } else if (result.outcome == "refused" || (result.outcome == "duplicate" && result.error)) {
            // A duplicate with a code was refused when it first arrived (its answer was
            // lost): it stays refused, so it is quarantined here too.
            const auto found = bySeq.find(result.deviceSeq);
            if (found != bySeq.end()) {
                outcome.refused.push_back(
                    QuarantineEntry{*found->second, result.error.value_or(ErrorCode::InvalidChange),
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
    return outcome;
}

void Client::Impl::recordPushOutcome(const PushOutcome& outcome, std::uint64_t acked,
                                     SyncReport& report) {
    const auto& refused = outcome.refused;
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
            _store->rewriteDeviceChanges(_deviceId, *seqs.begin() - 1,
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
}

void Client::Impl::logPushAcknowledged(const shared::PushRequest& request,
                                       const shared::PushResponse& response,
                                       std::size_t acknowledged, std::uint64_t bytes,
                                       std::chrono::steady_clock::time_point sentAt) {
    if (!_log.enabled()) {
        return;
    }
    _log.emit(LogEntry{.event = "push.acknowledged",
                       .message = "The server acknowledged " + std::to_string(acknowledged) +
                                  " of " + std::to_string(request.changes.size()) +
                                  " changes (high-water mark " +
                                  std::to_string(response.highWaterMark) + ").",
                       .changes = acknowledged,
                       .bytes = bytes,
                       .durationMs = SyncLog::elapsedMs(sentAt),
                       .error = std::nullopt});
}

void Client::Impl::logPushOutcome(std::string_view event, const Change& change,
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

}  // namespace verdant::client
