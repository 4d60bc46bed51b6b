// The device's photo path: a photo taken offline (bytes into the blob folder, record through the
// write path, upload queued), its record pushed first, then its bytes with tus in chunks against
// a scripted in-memory tus server (the server's photo room is tested on its own): resuming after
// a connection cut mid-chunk and after a restart of the app, deduplicated by proving
// possession, one refused photo not blocking the next, Wi-Fi only, a spoiled transfer, ranged
// downloads and the bandwidth cap.

#include "ScriptedTusServer.hpp"
#include "ServerHarness.hpp"
#include "TemporaryDirectory.hpp"
#include "TestDevice.hpp"

#include "verdant/audit/Collections.hpp"
#include "verdant/client/Client.hpp"
#include "verdant/server/storage/TenantStores.hpp"
#include "verdant/shared/IdGenerator.hpp"

#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <algorithm>
#include <array>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace verdant {
namespace {

using client::Client;
using client::PhotoUploadState;
using server::Role;
using shared::RecordId;
using shared::Value;
namespace c = audit::collections;

/// `size` bytes that a server judges a JPEG (its magic number first), different per `seed`.
std::string jpegBytes(std::size_t size, unsigned seed) {
    std::string bytes(size, '\0');
    std::uint32_t state = seed * 2654435761U + 1;
    for (auto& byte : bytes) {
        state = state * 1664525U + 1013904223U;
        byte = static_cast<char>(state >> 24);
    }
    bytes.replace(0, 3, "\xFF\xD8\xFF");
    return bytes;
}

std::string sha256(const std::string& bytes) {
    std::array<unsigned char, EVP_MAX_MD_SIZE> out{};
    unsigned int size = 0;
    EVP_Digest(bytes.data(), bytes.size(), out.data(), &size, EVP_sha256(), nullptr);
    std::ostringstream text;
    for (unsigned i = 0; i < size; ++i) {
        static constexpr char kHex[] = "0123456789abcdef";
        text << kHex[out[i] >> 4] << kHex[out[i] & 0x0F];
    }
    return text.str();
}

std::string readFile(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
}

/// A tenant with HQ and one field expert, li, who leads one audit; li's tablet talks to the
/// real server for records and to the scripted tus server for bytes.
class PhotoUploads : public ::testing::Test {
protected:
    PhotoUploads()
        : _tenantId(test::seedTenant(_server, "acme",
                                     {{"hq", Role::HqReviewer}, {"li", Role::FieldExpert}})),
          _hq(_server.endpoint(), "acme", "hq", "hq-password", shared::SystemClock::instance()),
          _tus(std::make_shared<test::ScriptedTusServer>(_server.endpoint())) {
        _hq.set(c::kSuppliers, _supplier, "name_en", Value::string("Green Dyeing Co."));
        _hq.set(c::kFacilities, _facility, "supplier_id", Value::id(_supplier));
        _hq.set(c::kTemplateVersions, _template, "version", Value::integer(1));
        _hq.set(c::kAudits, _audit, "template_version_id", Value::id(_template));
        _hq.set(c::kAudits, _audit, "supplier_id", Value::id(_supplier));
        _hq.set(c::kAudits, _audit, "facility_id", Value::id(_facility));
        _hq.push();
        _li = tablet(true);
        _hq.set(c::kAudits, _audit, "assignee_id", Value::string(_li->userId()));
        _hq.push();
        EXPECT_TRUE(_li->sync().complete);
    }

    client::ClientOptions options() {
        client::ClientOptions options;
        options.dataDirectory = _dir.file("li-tablet");
        options.server = _server.endpoint();
        options.transport = _tus;
        options.uploads.chunkBytes = 64 * 1024;
        options.sleep = [this](std::chrono::milliseconds delay) { _slept += delay; };
        return options;
    }

    /// li's tablet: signed in anew, or re-opened over the same data (an app restart).
    std::unique_ptr<Client> tablet(bool signIn) {
        return signIn ? Client::signIn(options(), "acme", "li", "li-password")
                      : Client::open(options(), "acme", "li");
    }

    RecordId take(const std::string& bytes, const std::string& caption = "") {
        client::PhotoDraft draft;
        draft.auditId = _audit;
        draft.bytes = bytes;
        draft.caption = caption;
        const auto result = _li->addPhoto(draft);
        EXPECT_TRUE(result.ok) << result.message;
        return result.recordId;
    }

    client::PhotoStatus statusOf(const RecordId& photo) { return *_li->photoUpload(photo); }

    std::size_t firstRequest(const std::string& prefix) {
        const auto requests = _tus->requests();
        for (std::size_t i = 0; i < requests.size(); ++i) {
            if (requests[i].find(prefix) != std::string::npos) {
                return i;
            }
        }
        return requests.size();
    }

    /// How many requests were exactly `request` ("METHOD path").
    long requestsOf(const std::string& request) {
        const auto requests = _tus->requests();
        return std::count(requests.begin(), requests.end(), request);
    }

    std::size_t lastRequest(const std::string& prefix) {
        const auto requests = _tus->requests();
        std::size_t last = requests.size();
        for (std::size_t i = 0; i < requests.size(); ++i) {
            if (requests[i].find(prefix) != std::string::npos) {
                last = i;
            }
        }
        return last;
    }

    test::ServerHarness _server;
    test::TemporaryDirectory _dir;
    std::string _tenantId;
    test::TestDevice _hq;
    std::shared_ptr<test::ScriptedTusServer> _tus;
    shared::IdGenerator _ids{shared::SystemClock::instance()};
    RecordId _supplier = _ids.nextRecordId();
    RecordId _facility = _ids.nextRecordId();
    RecordId _template = _ids.nextRecordId();
    RecordId _audit = _ids.nextRecordId();
    std::unique_ptr<Client> _li;
    std::chrono::milliseconds _slept{0};
};

TEST_F(PhotoUploads, AllRecordsOfAnAuditReachTheServerInOneSyncBeforeAnyByte) {
    std::vector<std::pair<RecordId, std::string>> taken;
    for (unsigned i = 0; i < 80; ++i) {
        const auto bytes = jpegBytes(2048 + i, i);
        taken.emplace_back(take(bytes), bytes);
    }
    // Before the records are pushed, the bytes wait, and say why.
    const auto early = _li->uploadPhotos();
    EXPECT_EQ(early.pending, 80U);
    EXPECT_EQ(firstRequest("/v1/uploads"), _tus->requests().size());
    EXPECT_EQ(statusOf(taken[0].first).state, PhotoUploadState::Pending);
    EXPECT_EQ(statusOf(taken[0].first).message, "waiting for its record to reach the server");

    const auto sync = _li->sync();
    EXPECT_TRUE(sync.complete);
    EXPECT_EQ(sync.pendingChanges, 0U);
    const auto pushes = requestsOf("POST /v1/sync/push");
    EXPECT_EQ(pushes, 1);
    for (const auto& [photo, bytes] : taken) {
        const auto stored = _server.server().stores().with(
            _tenantId, [&](sync::Store& store) { return store.record(c::kPhotos, photo); });
        ASSERT_TRUE(stored);
        EXPECT_EQ(stored->fields.at("sha256").value, Value::string(sha256(bytes)));
    }

    const auto report = _li->uploadPhotos();
    EXPECT_TRUE(report.complete());
    EXPECT_EQ(report.uploaded, 80U);
    EXPECT_LT(lastRequest("/v1/sync/push"), firstRequest("/v1/uploads"));
    for (const auto& [photo, bytes] : taken) {
        EXPECT_EQ(statusOf(photo).state, PhotoUploadState::Uploaded);
        EXPECT_EQ(statusOf(photo).percent(), 100);
        EXPECT_EQ(_tus->blobs()[sha256(bytes)], bytes);
    }
}

TEST_F(PhotoUploads, UploadSendsChunksAndResumesAfterAConnectionCutMidChunk) {
    const auto bytes = jpegBytes(300 * 1024, 1);
    const auto photo = take(bytes);
    ASSERT_TRUE(_li->sync().complete);
    _tus->cutNextPatchAfter(10 * 1024);  // the first chunk: 10 KiB arrive, then the line drops

    const auto report = _li->uploadPhotos();
    EXPECT_TRUE(report.complete()) << (report.errors.empty() ? "" : report.errors[0].second);
    EXPECT_EQ(_tus->blobs()[sha256(bytes)], bytes);
    // The server kept what arrived; the SDK asked where it stood and never sent a byte twice.
    EXPECT_EQ(_tus->bytesArrived(photo.toString()), bytes.size());
    EXPECT_LE(statusOf(photo).bytesSent, bytes.size() + 64 * 1024);
    EXPECT_GE(requestsOf("PATCH /v1/uploads/u1"), 5);
    EXPECT_EQ(requestsOf("HEAD /v1/uploads/u1"), 1);
}

TEST_F(PhotoUploads, AnAppRestartResumesFromThePersistedUploadWithoutResendingBytes) {
    const auto bytes = jpegBytes(512 * 1024, 2);
    const auto photo = take(bytes);
    ASSERT_TRUE(_li->sync().complete);
    // Three chunks go; the third's answer never comes, the network is gone; the app dies.
    int patches = 0;
    _li->uploadPhotos([&](const client::PhotoStatus& status) {
        if (status.bytesConfirmed > 0 && ++patches == 2) {
            _tus->loseNextPatchAnswer();
        }
    });
    const auto before = statusOf(photo);
    EXPECT_EQ(before.state, PhotoUploadState::Uploading);
    _li.reset();
    const auto arrivedBefore = _tus->bytesArrived(photo.toString());
    EXPECT_GT(arrivedBefore, before.bytesConfirmed);  // the server holds more than the app knew

    _tus->setOffline(false);
    _li = tablet(false);
    const auto report = _li->uploadPhotos();
    EXPECT_TRUE(report.complete());
    EXPECT_EQ(statusOf(photo).state, PhotoUploadState::Uploaded);
    EXPECT_EQ(_tus->blobs()[sha256(bytes)], bytes);
    // Resent after the restart: nothing (≤ one chunk is the promise).
    EXPECT_EQ(_tus->bytesArrived(photo.toString()), bytes.size());
    EXPECT_EQ(report.bytesSent, bytes.size() - arrivedBefore);
    EXPECT_EQ(_tus->uploadsCreated(), 1);
}

TEST_F(PhotoUploads, ABlobTheServerHoldsIsDeduplicatedByProvingPossessionWithoutSendingBytes) {
    const auto bytes = jpegBytes(200 * 1024, 3);
    _tus->holdBlob(sha256(bytes), bytes);  // another auditor uploaded the same photo
    const auto photo = take(bytes);
    ASSERT_TRUE(_li->sync().complete);

    const auto report = _li->uploadPhotos();
    EXPECT_TRUE(report.complete());
    EXPECT_EQ(report.deduplicated, 1U);
    EXPECT_EQ(report.bytesSent, 0U);
    EXPECT_TRUE(statusOf(photo).deduplicated);
    EXPECT_EQ(statusOf(photo).state, PhotoUploadState::Uploaded);
    EXPECT_EQ(firstRequest("PATCH"), _tus->requests().size());
    EXPECT_LT(firstRequest("POST /v1/uploads/u1/possession"), _tus->requests().size());
}

TEST_F(PhotoUploads, ARefusedPhotoFailsWithItsCodeAndDoesNotBlockTheNext) {
    const auto notAJpeg = take(std::string(100 * 1024, 'x'));
    const auto good = jpegBytes(100 * 1024, 4);
    const auto photo = take(good);
    ASSERT_TRUE(_li->sync().complete);

    const auto report = _li->uploadPhotos();
    EXPECT_EQ(report.failed, 1U);
    EXPECT_EQ(report.uploaded, 1U);
    const auto refused = statusOf(notAJpeg);
    EXPECT_EQ(refused.state, PhotoUploadState::Failed);
    EXPECT_EQ(refused.error, shared::ErrorCode::MediaTypeNotAllowed);
    EXPECT_EQ(statusOf(photo).state, PhotoUploadState::Uploaded);
    EXPECT_EQ(_tus->blobs()[sha256(good)], good);
    // A failed photo stays failed on the next run: no request for it.
    const auto requests = _tus->requests().size();
    EXPECT_EQ(_li->uploadPhotos().failed, 0U);
    EXPECT_EQ(_tus->requests().size(), requests);
}

TEST_F(PhotoUploads, APhotoOverTheQuotaWaitsForStorageAndUploadsOnceTheServerHasRoom) {
    const auto large = jpegBytes(200 * 1024, 7);
    const auto small = jpegBytes(20 * 1024, 8);
    const auto big = take(large);
    const auto fits = take(small);
    ASSERT_TRUE(_li->sync().complete);
    _tus->setQuotaBytes(100 * 1024);  // room for the small photo only

    const auto full = _li->uploadPhotos();
    EXPECT_EQ(full.failed, 0U);
    EXPECT_EQ(full.uploaded, 1U);
    EXPECT_EQ(full.pending, 1U);
    ASSERT_FALSE(full.errors.empty());
    EXPECT_EQ(full.errors[0].first, shared::ErrorCode::QuotaExceeded);
    EXPECT_EQ(requestsOf("POST /v1/uploads"), 2);  // refused once, not retried in the run
    const auto waiting = statusOf(big);
    EXPECT_EQ(waiting.state, PhotoUploadState::Pending);
    EXPECT_EQ(waiting.error, shared::ErrorCode::QuotaExceeded);
    EXPECT_NE(waiting.message.find("waiting for storage on the server"), std::string::npos);
    EXPECT_EQ(statusOf(fits).state, PhotoUploadState::Uploaded);
    EXPECT_EQ(_tus->blobs()[sha256(small)], small);

    // The administrator raises the quota; an app restart and the next run upload it.
    _tus->setQuotaBytes(1024 * 1024);
    _li.reset();
    _li = tablet(false);
    const auto later = _li->uploadPhotos();
    EXPECT_TRUE(later.complete());
    EXPECT_EQ(later.uploaded, 1U);
    const auto uploaded = statusOf(big);
    EXPECT_EQ(uploaded.state, PhotoUploadState::Uploaded);
    EXPECT_FALSE(uploaded.error);
    EXPECT_EQ(_tus->blobs()[sha256(large)], large);
}

TEST_F(PhotoUploads, AMissingLocalFileFailsThatPhotoOnly) {
    const auto lost = take(jpegBytes(10 * 1024, 5));
    const auto kept = take(jpegBytes(10 * 1024, 6));
    ASSERT_TRUE(_li->sync().complete);
    std::filesystem::remove(_li->photoPath(lost));

    const auto report = _li->uploadPhotos();
    EXPECT_EQ(statusOf(lost).state, PhotoUploadState::Failed);
    EXPECT_EQ(statusOf(lost).error, shared::ErrorCode::NotFound);
    EXPECT_EQ(statusOf(kept).state, PhotoUploadState::Uploaded);
    EXPECT_EQ(report.failed, 1U);
}

TEST_F(PhotoUploads, WifiOnlyUploadsWaitOnACellularNetwork) {
    const auto photo = take(jpegBytes(50 * 1024, 7));
    ASSERT_TRUE(_li->sync().complete);
    _li->setUploadSettings({true, 0, 64 * 1024});
    _li->setNetwork(client::NetworkKind::Cellular);

    const auto waiting = _li->uploadPhotos();
    EXPECT_EQ(waiting.pending, 1U);
    EXPECT_EQ(firstRequest("/v1/uploads"), _tus->requests().size());
    EXPECT_EQ(statusOf(photo).state, PhotoUploadState::Pending);
    EXPECT_EQ(statusOf(photo).message, "waiting for Wi-Fi");

    _li->setNetwork(client::NetworkKind::Wifi);
    EXPECT_TRUE(_li->uploadPhotos().complete());
    EXPECT_EQ(statusOf(photo).state, PhotoUploadState::Uploaded);
}

TEST_F(PhotoUploads, ASpoiledTransferIsUploadedAgainAndCompletes) {
    const auto bytes = jpegBytes(100 * 1024, 8);
    const auto photo = take(bytes);
    ASSERT_TRUE(_li->sync().complete);
    _tus->spoilNextCompletion();  // 460 blob_hash_mismatch: nothing kept, the upload removed

    const auto report = _li->uploadPhotos();
    EXPECT_TRUE(report.complete());
    EXPECT_EQ(statusOf(photo).state, PhotoUploadState::Uploaded);
    EXPECT_EQ(_tus->uploadsCreated(), 2);
    EXPECT_EQ(_tus->blobs()[sha256(bytes)], bytes);
}

TEST_F(PhotoUploads, ALocalFileThatNoLongerMatchesItsHashFailsInsteadOfLooping) {
    const auto bytes = jpegBytes(100 * 1024, 9);
    const auto photo = take(bytes);
    ASSERT_TRUE(_li->sync().complete);
    {
        std::ofstream damage(_li->photoPath(photo), std::ios::binary | std::ios::in);
        damage.seekp(5000);
        damage << "bit rot";
    }
    const auto report = _li->uploadPhotos();
    EXPECT_EQ(report.failed, 1U);
    EXPECT_EQ(statusOf(photo).error, shared::ErrorCode::BlobHashMismatch);
    EXPECT_EQ(_tus->uploadsCreated(), 1);
}

TEST_F(PhotoUploads, ADownloadArrivesInRangesAndIsVerified) {
    const auto bytes = jpegBytes(150 * 1024, 10);
    _tus->holdBlob(sha256(bytes), bytes);
    const auto out = _dir.file("downloaded.jpg");

    const auto download = _li->downloadPhoto(sha256(bytes), out);
    EXPECT_FALSE(download.fromLocalCopy);
    EXPECT_EQ(download.bytesReceived, bytes.size());
    EXPECT_EQ(readFile(out), bytes);
    EXPECT_EQ(requestsOf("GET /v1/blobs/" + sha256(bytes)), 3);  // 64 KiB ranges
    EXPECT_FALSE(std::filesystem::exists(out + ".part"));

    try {
        _li->downloadPhoto(std::string(64, 'a'), _dir.file("none.jpg"));
        ADD_FAILURE() << "a blob the server does not give must not download";
    } catch (const shared::Error& error) {
        EXPECT_EQ(error.code(), shared::ErrorCode::NotFound);
    }
    EXPECT_FALSE(std::filesystem::exists(_dir.file("none.jpg")));
}

TEST_F(PhotoUploads, TheBandwidthCapPacesChunks) {
    const auto bytes = jpegBytes(512 * 1024, 11);
    take(bytes);
    ASSERT_TRUE(_li->sync().complete);
    _li->setUploadSettings({false, 256 * 1024, 64 * 1024});
    _slept = std::chrono::milliseconds(0);

    EXPECT_TRUE(_li->uploadPhotos().complete());
    // 8 chunks at 256 KiB/s: the last one may leave 1.75 s after the first.
    EXPECT_GE(_slept.count(), 1500);
}

}  // namespace
}  // namespace verdant
