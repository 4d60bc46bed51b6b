// verdant photo add|list|upload|retry|download: photos as evidence, their bytes uploaded after
// their records (docs/cli.md › photo).

#include "Commands.hpp"
#include "Formatting.hpp"
#include "JsonViews.hpp"
#include "Session.hpp"

#include "verdant/shared/ErrorCode.hpp"

#include <Poco/JSON/Array.h>

#include <iostream>
#include <optional>

namespace verdant::cli {

namespace {

using shared::RecordId;

RecordId idArgument(const std::string& text, const std::string& what) {
    if (auto id = RecordId::parse(text)) {
        return *id;
    }
    throw shared::Error(shared::ErrorCode::InvalidParameter,
                        "The argument is not " + what + " (a UUID).");
}

/// A whole number option from `minimum` to `maximum`, if given.
std::optional<std::uint64_t> numberOption(const Invocation& invocation, const char* name,
                                          std::uint64_t minimum, std::uint64_t maximum) {
    const auto text = invocation.value(name);
    if (!text) {
        return std::nullopt;
    }
    try {
        std::size_t end = 0;
        const auto value = std::stoull(*text, &end);
        if (end == text->size() && value >= minimum && value <= maximum) {
            return value;
        }
    } catch (const std::exception&) {  // NOLINT(bugprone-empty-catch): reported below
    }
    throw UsageError("--" + std::string(name) + " needs a number from " + std::to_string(minimum) +
                         " to " + std::to_string(maximum),
                     invocation.command);
}

Poco::JSON::Object::Ptr photoJson(const client::PhotoStatus& photo) {
    auto item = jsonObject();
    item->set("photo_id", photo.photoId.toString());
    item->set("audit_id", photo.auditId.toString());
    item->set("sha256", photo.sha256);
    item->set("size_bytes", photo.sizeBytes);
    item->set("state", std::string(client::wireName(photo.state)));
    item->set("percent", photo.percent());
    item->set("bytes_confirmed", photo.bytesConfirmed);
    item->set("bytes_sent", photo.bytesSent);
    item->set("deduplicated", photo.deduplicated);
    item->set("error", photo.error ? Poco::Dynamic::Var(std::string(shared::wireName(*photo.error)))
                                   : Poco::Dynamic::Var());
    item->set("message", photo.message);
    return item;
}

std::string stateText(const client::PhotoStatus& photo) {
    if (photo.state == client::PhotoUploadState::Uploading) {
        return "uploading " + std::to_string(photo.percent()) + "%";
    }
    if (photo.state == client::PhotoUploadState::Uploaded && photo.deduplicated) {
        return "uploaded (deduplicated)";
    }
    return std::string(client::wireName(photo.state));
}

int photoAdd(const Invocation& invocation) {
    if (invocation.arguments.size() != 3) {
        throw UsageError("photo add needs AUDIT_ID FILE", invocation.command);
    }
    client::PhotoDraft draft;
    draft.auditId = idArgument(invocation.arguments[1], "an audit id");
    draft.sourcePath = invocation.arguments[2];
    draft.caption = invocation.value("caption").value_or("");
    if (auto answer = invocation.value("answer")) {
        draft.answerId = idArgument(*answer, "an answer id");
    }
    if (auto finding = invocation.value("finding")) {
        draft.findingId = idArgument(*finding, "a finding id");
    }
    auto session = Session::open(invocation);
    const auto result = session.client->addPhoto(draft);
    if (!result.ok) {
        const auto code = result.error.value_or(shared::ErrorCode::InternalError);
        printError(invocation, code, result.message, result.field);
        return kExitFailed;
    }
    const auto status = session.client->photoUpload(result.recordId);
    if (invocation.json()) {
        printJson(std::cout, photoJson(*status));
    } else {
        std::cout << "Photo " << result.recordId.toString() << " ("
                  << formatBytes(status->sizeBytes) << ", sha256 " << status->sha256.substr(0, 12)
                  << "…): its record goes with the next sync, its bytes after it.\n";
    }
    return kExitOk;
}

int photoList(const Invocation& invocation) {
    std::optional<RecordId> audit;
    if (auto given = invocation.value("audit")) {
        audit = idArgument(*given, "an audit id");
    }
    auto session = Session::open(invocation);
    const auto photos = session.client->photoUploads(audit);
    if (invocation.json()) {
        auto document = jsonObject();
        Poco::JSON::Array::Ptr list = new Poco::JSON::Array;
        for (const auto& photo : photos) {
            list->add(photoJson(photo));
        }
        document->set("photos", list);
        printJson(std::cout, document);
        return kExitOk;
    }
    TextTable table({"PHOTO", "AUDIT", "SIZE", "STATE", "NOTE"});
    for (const auto& photo : photos) {
        const auto note = photo.error
                              ? std::string(shared::wireName(*photo.error)) + ": " + photo.message
                              : photo.message;
        table.add({photo.photoId.toString(), photo.auditId.toString(), formatBytes(photo.sizeBytes),
                   stateText(photo), note});
    }
    table.print(std::cout);
    return kExitOk;
}

int photoUpload(const Invocation& invocation) {
    const auto chunkKiB = numberOption(invocation, "chunk-kib", 1, 64 * 1024);
    const auto capKiB = numberOption(invocation, "max-kib-per-second", 0, 1024 * 1024);
    auto session = Session::open(invocation, Session::Network::Used);
    auto settings = session.client->uploadSettings();
    if (chunkKiB) {
        settings.chunkBytes = static_cast<std::uint32_t>(*chunkKiB * 1024);
    }
    if (capKiB) {
        settings.maxBytesPerSecond = *capKiB * 1024;
    }
    session.client->setUploadSettings(settings);
    const auto report = uploadPendingPhotos(*session.client, invocation);
    return report.failed == 0 && report.errors.empty() ? kExitOk : kExitFailed;
}

int photoRetry(const Invocation& invocation) {
    if (invocation.arguments.size() != 2) {
        throw UsageError("photo retry needs PHOTO_ID", invocation.command);
    }
    const auto photo = idArgument(invocation.arguments[1], "a photo id");
    auto session = Session::open(invocation);
    if (!session.client->photoUpload(photo)) {
        printError(invocation, shared::ErrorCode::NotFound, "This device took no such photo.");
        return kExitFailed;
    }
    if (!session.client->retryPhoto(photo)) {
        printError(invocation, shared::ErrorCode::InvalidParameter,
                   "The photo has not failed: only a failed photo can be retried.");
        return kExitFailed;
    }
    const auto status = session.client->photoUpload(photo);
    if (invocation.json()) {
        printJson(std::cout, photoJson(*status));
    } else {
        std::cout << "Photo " << photo.toString()
                  << " is pending again: it uploads from the start with the next sync or "
                     "`verdant photo upload`.\n";
    }
    return kExitOk;
}

int photoDownload(const Invocation& invocation) {
    if (invocation.arguments.size() != 3) {
        throw UsageError("photo download needs PHOTO_ID OUT_FILE", invocation.command);
    }
    auto session = Session::open(invocation, Session::Network::Used);
    const auto download =
        session.client->downloadPhoto(invocation.arguments[1], invocation.arguments[2]);
    if (invocation.json()) {
        auto document = jsonObject();
        document->set("sha256", download.sha256);
        document->set("size_bytes", download.sizeBytes);
        document->set("bytes_received", download.bytesReceived);
        document->set("from_local_copy", download.fromLocalCopy);
        printJson(std::cout, document);
    } else {
        std::cout << "Wrote " << invocation.arguments[2] << " (" << formatBytes(download.sizeBytes)
                  << (download.fromLocalCopy ? ", from this device" : ", downloaded")
                  << "; SHA-256 verified)\n";
    }
    return kExitOk;
}

}  // namespace

client::UploadReport uploadPendingPhotos(client::Client& client, const Invocation& invocation) {
    const bool json = invocation.json();
    const auto report = client.uploadPhotos([json](const client::PhotoStatus& photo) {
        if (!json && (photo.state != client::PhotoUploadState::Uploading || photo.percent() > 0)) {
            std::cerr << "  photo " << photo.photoId.toString() << ": " << stateText(photo) << '\n';
        }
    });
    if (json && invocation.command->name == "photo") {
        auto document = jsonObject();
        document->set("uploaded", report.uploaded);
        document->set("deduplicated", report.deduplicated);
        document->set("failed", report.failed);
        document->set("pending", report.pending);
        document->set("bytes_sent", report.bytesSent);
        printJson(std::cout, document);
    } else if (!json) {
        std::cout << "photos: " << report.uploaded << " uploaded (" << report.deduplicated
                  << " already on the server), " << report.failed << " failed, " << report.pending
                  << " waiting; " << formatBytes(report.bytesSent) << " sent\n";
    }
    for (const auto& [code, message] : report.errors) {
        std::cerr << "verdant " << invocation.command->name << ": photo: " << shared::wireName(code)
                  << ": " << message << '\n';
    }
    return report;
}

int runPhoto(const Invocation& invocation) {
    const auto& action = invocation.arguments[0];
    if (action == "add") {
        return photoAdd(invocation);
    }
    if (action == "list" && invocation.arguments.size() == 1) {
        return photoList(invocation);
    }
    if (action == "upload" && invocation.arguments.size() == 1) {
        return photoUpload(invocation);
    }
    if (action == "retry") {
        return photoRetry(invocation);
    }
    if (action == "download") {
        return photoDownload(invocation);
    }
    throw UsageError("unknown photo command '" + action + "' (add, list, upload, retry, download)",
                     invocation.command);
}

}  // namespace verdant::cli
