// The photo functions of the C API (verdant.h › Photos): adding photos to an audit, the upload
// queue, uploading and downloading, and the upload settings and network they obey.

#include "CapiSupport.hpp"
#include "PhotoJson.hpp"

#include "verdant/client/Client.hpp"
#include "verdant/client/Photos.hpp"
#include "verdant/verdant.h"

#include <optional>

namespace verdant::capi {
namespace {

static_assert(VERDANT_PHOTO_PENDING == static_cast<int>(client::PhotoUploadState::Pending));
static_assert(VERDANT_PHOTO_UPLOADING == static_cast<int>(client::PhotoUploadState::Uploading));
static_assert(VERDANT_PHOTO_UPLOADED == static_cast<int>(client::PhotoUploadState::Uploaded));
static_assert(VERDANT_PHOTO_FAILED == static_cast<int>(client::PhotoUploadState::Failed));
static_assert(VERDANT_NETWORK_WIFI == static_cast<int>(client::NetworkKind::Wifi));
static_assert(VERDANT_NETWORK_CELLULAR == static_cast<int>(client::NetworkKind::Cellular));
static_assert(VERDANT_NETWORK_NONE == static_cast<int>(client::NetworkKind::None));

}  // namespace
}  // namespace verdant::capi

// The entry points below name their handle parameter `client` (as verdant.h does), which hides
// the namespace verdant::client inside them: they spell out verdant::client:: and
// verdant::shared::.
using namespace verdant::capi;  // NOLINT(google-build-using-namespace): the C API's own helpers

extern "C" {

int verdant_photo_add(verdant_client* client, const char* audit_id, const char* source_path,
                      const char* details_json, char** out_photo_id) {
    clearOut(out_photo_id);
    return guarded([&] {
        auto& sdk = clientOf(client);
        auto& out = required(out_photo_id, "out_photo_id");
        verdant::client::PhotoDraft draft;
        draft.auditId = recordIdOf(audit_id, "audit_id");
        draft.sourcePath = text(source_path, "source_path");
        if (draft.sourcePath.empty()) {
            invalid("source_path is empty.");
        }
        readPhotoDetails(optionalText(details_json, "details_json"), draft);
        const auto result = sdk.addPhoto(draft);
        requireWritten(result);
        out = copyOut(result.recordId.toString());
    });
}

int verdant_photo_list_json(verdant_client* client, const char* audit_id, char** out_json) {
    clearOut(out_json);
    return guarded([&] {
        auto& sdk = clientOf(client);
        auto& out = required(out_json, "out_json");
        std::optional<verdant::shared::RecordId> audit;
        if (audit_id) {
            audit = recordIdOf(audit_id, "audit_id");
        }
        out = copyOut(photoUploadsJson(sdk.photoUploads(audit)));
    });
}

int verdant_photo_upload(verdant_client* client, verdant_upload_report* out_report) {
    verdant::client::UploadReport report;
    const int code = guarded([&] {
        auto& sdk = clientOf(client);
        if (out_report && out_report->struct_size < sizeof(verdant_upload_report)) {
            invalid("report->struct_size must be sizeof(verdant_upload_report).");
        }
        report = sdk.uploadPhotos();
        if (out_report) {
            verdant_upload_report c{};
            c.struct_size = sizeof(verdant_upload_report);
            c.complete = report.complete() ? 1 : 0;
            c.first_error_code =
                report.errors.empty() ? VERDANT_OK : static_cast<int>(report.errors[0].first);
            c.uploaded = report.uploaded;
            c.deduplicated = report.deduplicated;
            c.failed = report.failed;
            c.pending = report.pending;
            c.bytes_sent = report.bytesSent;
            c.attempts = report.attempts;
            *out_report = c;
        }
    });
    if (code == VERDANT_OK && !report.errors.empty()) {
        const auto& [first, message] = report.errors.front();
        setLastError(static_cast<int>(first), message.c_str(), "");
    }
    return code;
}

int verdant_photo_download(verdant_client* client, const char* photo_id_or_sha256,
                           const char* destination_path) {
    return guarded([&] {
        auto& sdk = clientOf(client);
        sdk.downloadPhoto(text(photo_id_or_sha256, "photo_id_or_sha256"),
                          text(destination_path, "destination_path"));
    });
}

int verdant_photo_retry(verdant_client* client, const char* photo_id) {
    return guarded([&] {
        auto& sdk = clientOf(client);
        const auto photo = recordIdOf(photo_id, "photo_id");
        if (!sdk.photoUpload(photo)) {
            throw verdant::shared::Error(verdant::shared::ErrorCode::NotFound,
                                         "This device took no photo with that id.");
        }
        if (!sdk.retryPhoto(photo)) {
            invalid("The photo has not failed: only a failed photo can be retried.");
        }
    });
}

int verdant_set_upload_settings(verdant_client* client, int wifi_only,
                                uint64_t max_bytes_per_second, uint32_t chunk_bytes) {
    return guarded([&] {
        auto& sdk = clientOf(client);
        verdant::client::UploadSettings settings;
        settings.wifiOnly = wifi_only != 0;
        settings.maxBytesPerSecond = max_bytes_per_second;
        if (chunk_bytes != 0) {
            settings.chunkBytes = chunk_bytes;
        }
        sdk.setUploadSettings(settings);
    });
}

int verdant_set_network(verdant_client* client, int network) {
    return guarded([&] {
        auto& sdk = clientOf(client);
        if (network < VERDANT_NETWORK_WIFI || network > VERDANT_NETWORK_NONE) {
            invalid("network must be a verdant_network.");
        }
        sdk.setNetwork(static_cast<verdant::client::NetworkKind>(network));
    });
}

}  // extern "C"
