// The sync functions of the C API (verdant.h): what waits to sync (a record's sync state, the
// status, conflicts, quarantine and outbox), one sync, push or pull with its report, and
// background sync.

#include "CapiSupport.hpp"
#include "RecordJson.hpp"

#include "verdant/client/Client.hpp"
#include "verdant/verdant.h"

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <functional>
#include <limits>
#include <utility>

namespace verdant::capi {
namespace {

using client::Client;
using client::RecordSyncState;

static_assert(VERDANT_SYNC_STATE_LOCAL == static_cast<int>(RecordSyncState::Local));
static_assert(VERDANT_SYNC_STATE_QUEUED == static_cast<int>(RecordSyncState::Queued));
static_assert(VERDANT_SYNC_STATE_SENT == static_cast<int>(RecordSyncState::Sent));
static_assert(VERDANT_SYNC_STATE_SYNCED == static_cast<int>(RecordSyncState::Synced));
static_assert(VERDANT_SYNC_STATE_CONFLICT == static_cast<int>(RecordSyncState::Conflict));
static_assert(VERDANT_SYNC_STATE_QUARANTINED == static_cast<int>(RecordSyncState::Quarantined));

// The size of the first version of the versioned struct verdant_sync_report: a caller compiled
// against any later header passes at least this much. Freeze it when members are added.
constexpr std::size_t kSyncReportV1Size =
    offsetof(verdant_sync_report, server_offset_ms) + sizeof(std::int64_t);

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
using namespace verdant::capi;  // NOLINT(google-build-using-namespace): the C API's own helpers

extern "C" {

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

}  // extern "C"
