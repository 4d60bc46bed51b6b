// Photo evidence end to end, as the acceptance lists it: the device SDK against the real
// server over TLS, through a relay that plays a weak network. Photos that finish through a
// connection cut every 256 KiB without sending their bytes twice; records before bytes; the same
// photo from two auditors stored once and sent once; a device that knows only a hash gets
// nothing; a corrupted transfer caught and sent again.

#include "CuttingProxy.hpp"
#include "PhotoBytes.hpp"
#include "ServerHarness.hpp"
#include "TemporaryDirectory.hpp"
#include "TestDevice.hpp"

#include "verdant/audit/Collections.hpp"
#include "verdant/client/Client.hpp"
#include "verdant/server/auth/AccountStore.hpp"
#include "verdant/shared/IdGenerator.hpp"

#include <Poco/Base64Encoder.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <gtest/gtest.h>

#include <cstring>
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
using test::cameraPhoto;
using test::sha256Hex;
using test::TestDevice;
namespace c = audit::collections;

constexpr std::size_t kMiB = 1024 * 1024;

std::string readFile(const std::string& path) {
    std::ifstream file(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>()};
}

Poco::JSON::Object::Ptr json(const client::HttpResponse& response) {
    Poco::JSON::Parser parser;
    return parser.parse(response.body).extract<Poco::JSON::Object::Ptr>();
}

std::string base64(const std::string& text) {
    std::ostringstream out;
    Poco::Base64Encoder encoder(out);
    encoder.rdbuf()->setLineLength(0);  // tus metadata is one header line
    encoder << text;
    encoder.close();
    return out.str();
}

/// What the server answers a device that creates an upload of `hash` for `photo` and then claims
/// possession with a proof made without the bytes: the status and the body.
std::string possessionAnswer(TestDevice& device, const std::string& hash, const RecordId& photo) {
    const auto created = device.send(
        "POST", "/v1/uploads", "", "",
        {{"Tus-Resumable", "1.0.0"},
         {"Upload-Length", std::to_string(1 << 20)},
         {"Upload-Metadata", "sha256 " + base64(hash) + ",photo_id " + base64(photo.toString())}});
    EXPECT_EQ(created.status, 201) << created.body;
    const auto location = created.headers.at("Location");
    Poco::JSON::Object proof;
    proof.set("hmac", sha256Hex("a guess"));
    std::ostringstream body;
    proof.stringify(body);
    const auto answer = device.send("POST", location + "/possession", "application/json",
                                    body.str(), {{"Tus-Resumable", "1.0.0"}});
    // The upload's offset is 0 in both cases; only the status and the body are compared.
    return std::to_string(answer.status) + " " + answer.body;
}

/// Passes requests to the real transport, but flips one byte in the body of the first upload
/// chunk that carries at least `from` bytes: a transfer corrupted on its way (a broken proxy, a
/// bad memory cell), which TLS cannot see because it happened before encryption.
class CorruptingTransport final : public client::Transport {
public:
    explicit CorruptingTransport(client::ServerEndpoint endpoint) : _real(std::move(endpoint)) {}

    client::HttpResponse send(const std::string& method, const std::string& path,
                              const std::string& contentType, const std::string& body,
                              const std::map<std::string, std::string>& headers) override {
        if (method == "PATCH" && !_corrupted && body.size() > 100) {
            _corrupted = true;
            auto bad = body;
            bad[bad.size() / 2] = static_cast<char>(bad[bad.size() / 2] ^ 0x5A);
            return _real.send(method, path, contentType, bad, headers);
        }
        return _real.send(method, path, contentType, body, headers);
    }

    bool corrupted() const { return _corrupted; }

private:
    client::HttpsTransport _real;
    bool _corrupted = false;
};

/// One tenant: HQ, the lead auditor Li and her co-auditor Wang on one audit, and Mallory, an
/// expert of another audit.
class PhotoEvidence : public ::testing::Test {
protected:
    PhotoEvidence()
        : _tenantId(test::seedTenant(_server, "acme",
                                     {{"hq", Role::HqReviewer},
                                      {"li", Role::FieldExpert},
                                      {"wang", Role::FieldExpert},
                                      {"mallory", Role::FieldExpert}})),
          _hq(_server.endpoint(), "acme", "hq", "hq-password", shared::SystemClock::instance()) {
        _audit = audit({userId("li")}, "li");
        _otherAudit = audit({}, "mallory");
        for (const auto& result : _hq.push().results) {
            EXPECT_EQ(result.outcome, "applied") << result.message;
        }
    }

    std::string userId(const std::string& name) {
        TestDevice device(_server.endpoint(), "acme", name, name + "-password",
                          shared::SystemClock::instance());
        return device.userId();
    }

    RecordId audit(const std::vector<std::string>& team, const std::string& lead) {
        const auto id = _ids.nextRecordId();
        _hq.set(c::kAudits, id, "assignee_id", Value::string(userId(lead)));
        _hq.set(c::kAudits, id, "state", Value::string("in_progress"));
        for (const auto& member : team) {
            _hq.add(c::kAudits, id, "team", member);
        }
        if (lead == "li") {
            _hq.add(c::kAudits, id, "team", userId("wang"));
        }
        return id;
    }

    /// A tablet of `user`, reaching the server at `endpoint` (the server itself by default).
    std::unique_ptr<Client> tablet(const std::string& user,
                                   std::optional<client::ServerEndpoint> endpoint = {},
                                   std::shared_ptr<client::Transport> uploads = {}) {
        client::ClientOptions options;
        options.dataDirectory = _devices.file(user + std::to_string(++_tablets));
        options.server = endpoint.value_or(_server.endpoint());
        options.uploadTransport = std::move(uploads);
        options.sleep = [](std::chrono::milliseconds) {};
        auto device = Client::signIn(options, "acme", user, user + "-password");
        EXPECT_TRUE(device->sync().complete);
        return device;
    }

    RecordId takePhoto(Client& device, const std::string& bytes, const RecordId& audit) {
        client::PhotoDraft draft;
        draft.auditId = audit;
        draft.bytes = bytes;
        draft.caption = "Effluent outlet";
        const auto taken = device.addPhoto(draft);
        EXPECT_TRUE(taken.ok) << taken.message;
        return taken.recordId;
    }

    /// Runs the upload queue until nothing is pending (a run stops when the network breaks).
    client::UploadReport uploadAll(Client& device) {
        client::UploadReport total;
        for (int run = 0; run < 200; ++run) {
            const auto report = device.uploadPhotos();
            total.uploaded += report.uploaded;
            total.deduplicated += report.deduplicated;
            total.failed += report.failed;
            total.bytesSent += report.bytesSent;
            total.pending = report.pending;
            if (report.pending == 0) {
                break;
            }
        }
        return total;
    }

    /// How many files under the server's data directory hold exactly `bytes`.
    int filesHolding(const std::string& bytes) {
        int count = 0;
        for (const auto& entry :
             std::filesystem::recursive_directory_iterator(_server.server().config().dataDir)) {
            if (entry.is_regular_file() && entry.file_size() == bytes.size() &&
                readFile(entry.path().string()) == bytes) {
                ++count;
            }
        }
        return count;
    }

    /// HQ's view of the audit's photos: expected (records) and received (verified bytes).
    std::pair<int, int> expectedAndReceived(const RecordId& audit) {
        const auto answer = _hq.send("GET", "/v1/audits/" + audit.toString() + "/photos");
        EXPECT_EQ(answer.status, 200) << answer.body;
        const auto body = json(answer);
        return {body->getValue<int>("expected"), body->getValue<int>("received")};
    }

    test::ServerHarness _server;
    std::string _tenantId;
    TestDevice _hq;
    shared::IdGenerator _ids{shared::SystemClock::instance()};
    test::TemporaryDirectory _devices;
    int _tablets = 0;
    RecordId _audit;
    RecordId _otherAudit;
};

TEST_F(PhotoEvidence, TwentyPhotosFinishThroughAConnectionCutEvery256KiB) {
    test::CuttingProxy weak3g(_server.port(), 256 * 1024);
    auto endpoint = _server.endpoint();
    endpoint.baseUrl = "https://localhost:" + std::to_string(weak3g.port());
    auto li = tablet("li", endpoint);
    std::vector<std::string> photos;
    for (int i = 0; i < 20; ++i) {
        photos.push_back(cameraPhoto(4 * kMiB, 100 + i));
        takePhoto(*li, photos.back(), _audit);
    }
    ASSERT_TRUE(li->sync().complete);
    const auto beforeUploads = weak3g.bytesRelayed();
    const auto report = uploadAll(*li);

    EXPECT_EQ(report.uploaded, 20U);
    EXPECT_EQ(report.failed, 0U);
    EXPECT_GT(weak3g.cuts(), 300) << "the relay must really have cut the uploads";
    const auto crossed = weak3g.bytesRelayed() - beforeUploads;
    EXPECT_LE(crossed, static_cast<std::int64_t>(2 * 20 * 4 * kMiB))
        << "bytes that crossed the relay for 80 MiB of photos: " << crossed;
    std::cout << "[ figures  ] 20 x 4 MiB through a 256 KiB cut: " << crossed << " bytes crossed ("
              << static_cast<double>(crossed) / (80.0 * kMiB) << " x), " << weak3g.cuts()
              << " cuts\n";
    EXPECT_EQ(expectedAndReceived(_audit), std::make_pair(20, 20));
}

TEST_F(PhotoEvidence, EightyPendingPhotosLetTheRecordsReachTheServerInOneSyncFirst) {
    auto li = tablet("li");
    for (int i = 0; i < 80; ++i) {
        takePhoto(*li, cameraPhoto(32 * 1024, 500 + i), _audit);
    }
    const auto synced = li->sync();
    EXPECT_TRUE(synced.complete);
    EXPECT_EQ(expectedAndReceived(_audit), std::make_pair(80, 0)) << "records first, no bytes";
    for (const auto& status : li->photoUploads(_audit)) {
        EXPECT_EQ(status.state, PhotoUploadState::Pending);
    }
    const auto report = uploadAll(*li);
    EXPECT_EQ(report.uploaded, 80U);
    EXPECT_EQ(expectedAndReceived(_audit), std::make_pair(80, 80));
}

TEST_F(PhotoEvidence, TheSamePhotoFromTwoAuditorsIsStoredOnceAndSentOnce) {
    const auto bytes = cameraPhoto(3 * kMiB, 7);
    auto li = tablet("li");
    auto wang = tablet("wang");
    takePhoto(*li, bytes, _audit);
    const auto wangsPhoto = takePhoto(*wang, bytes, _audit);
    ASSERT_TRUE(li->sync().complete);
    ASSERT_TRUE(wang->sync().complete);

    const auto first = uploadAll(*li);
    EXPECT_EQ(first.uploaded, 1U);
    EXPECT_GE(first.bytesSent, bytes.size());
    const auto second = uploadAll(*wang);
    EXPECT_EQ(second.uploaded, 1U);
    EXPECT_EQ(second.deduplicated, 1U) << "Wang proved possession";
    EXPECT_EQ(second.bytesSent, 0U) << "and sent no photo bytes";
    EXPECT_TRUE(wang->photoUpload(wangsPhoto)->deduplicated);
    EXPECT_EQ(expectedAndReceived(_audit), std::make_pair(2, 2));

    // Stored once: one file holds those bytes in the server's data directory (whatever its
    // layout). HQ reads them back, byte for byte.
    EXPECT_EQ(filesHolding(bytes), 1);
    const auto copy = _devices.file("wang-copy.jpg");
    auto hqTablet = tablet("hq");
    hqTablet->downloadPhoto(wangsPhoto.toString(), copy);
    EXPECT_EQ(sha256Hex(readFile(copy)), sha256Hex(bytes));
}

TEST_F(PhotoEvidence, ADeviceThatKnowsOnlyTheHashGetsNeitherTheBytesNorALink) {
    const auto bytes = cameraPhoto(1 * kMiB, 9);
    const auto hash = sha256Hex(bytes);
    auto li = tablet("li");
    takePhoto(*li, bytes, _audit);
    ASSERT_TRUE(li->sync().complete);
    ASSERT_EQ(uploadAll(*li).uploaded, 1U);

    // Mallory learnt the hash. She names it in a photo of her own audit...
    TestDevice mallory(_server.endpoint(), "acme", "mallory", "mallory-password",
                       shared::SystemClock::instance());
    const auto forged = _ids.nextRecordId();
    mallory.set(c::kPhotos, forged, "audit_id", Value::id(_otherAudit));
    mallory.set(c::kPhotos, forged, "sha256", Value::string(hash));
    mallory.set(c::kPhotos, forged, "size_bytes", Value::integer(1 << 20));
    for (const auto& result : mallory.push().results) {
        EXPECT_EQ(result.outcome, "applied") << result.message;
    }
    // ...and asks for deduplication without the bytes: she gets the answer a hash the server
    // does not hold gets, and no byte.
    // (a second forged record names a hash the server does not hold, for comparison)
    const auto unknownHash = sha256Hex("no such photo");
    const auto forgedUnknown = _ids.nextRecordId();
    mallory.set(c::kPhotos, forgedUnknown, "audit_id", Value::id(_otherAudit));
    mallory.set(c::kPhotos, forgedUnknown, "sha256", Value::string(unknownHash));
    mallory.set(c::kPhotos, forgedUnknown, "size_bytes", Value::integer(1 << 20));
    for (const auto& result : mallory.push().results) {
        EXPECT_EQ(result.outcome, "applied") << result.message;
    }
    const auto heldAnswer = possessionAnswer(mallory, hash, forged);
    const auto unknownAnswer = possessionAnswer(mallory, unknownHash, forgedUnknown);
    EXPECT_EQ(heldAnswer, unknownAnswer);
    EXPECT_NE(heldAnswer.find("\"deduplicated\":false"), std::string::npos) << heldAnswer;
    EXPECT_EQ(mallory.send("GET", "/v1/blobs/" + hash).status, 404);
    EXPECT_EQ(mallory.send("GET", "/v1/blobs/" + hash + "/thumbnail").status, 404);
    // Li, whose record the bytes were uploaded for, gets them.
    TestDevice liOnline(_server.endpoint(), "acme", "li", "li-password",
                        shared::SystemClock::instance());
    const auto download = liOnline.send("GET", "/v1/blobs/" + hash);
    EXPECT_EQ(download.status, 200);
    EXPECT_EQ(download.body, bytes);
}

TEST_F(PhotoEvidence, ACorruptedTransferIsCaughtNothingKeptAndSentAgain) {
    auto corrupting = std::make_shared<CorruptingTransport>(_server.endpoint());
    auto li = tablet("li", std::nullopt, corrupting);
    const auto bytes = cameraPhoto(2 * kMiB + 333, 11);
    const auto photo = takePhoto(*li, bytes, _audit);
    ASSERT_TRUE(li->sync().complete);
    const auto report = uploadAll(*li);
    EXPECT_TRUE(corrupting->corrupted());
    EXPECT_EQ(report.uploaded, 1U);
    EXPECT_EQ(li->photoUpload(photo)->state, PhotoUploadState::Uploaded);
    // What the server holds is the photo, not the corrupted transfer.
    const auto copy = _devices.file("copy.jpg");
    auto hqTablet = tablet("hq");
    hqTablet->downloadPhoto(photo.toString(), copy);
    EXPECT_EQ(sha256Hex(readFile(copy)), sha256Hex(bytes));
}

TEST(PhotoUploadBodies, AChunkLargerThanTheLargestBlobIsRefusedFromItsHead) {
    test::ServerHarness server([](server::ServerConfig& config) { config.maxBlobBytes = 1 << 20; });
    test::seedTenant(server, "acme", {{"li", Role::FieldExpert}});
    TestDevice li(server.endpoint(), "acme", "li", "li-password", shared::SystemClock::instance());
    const auto answer = li.send("PATCH", "/v1/uploads/0123456789abcdef0123456789abcdef",
                                "application/offset+octet-stream", std::string(2 << 20, 'x'),
                                {{"Tus-Resumable", "1.0.0"}, {"Upload-Offset", "0"}});
    EXPECT_EQ(answer.status, 413) << answer.body;
    EXPECT_EQ(std::filesystem::directory_iterator(server.server().config().dataDir + "/spool"),
              std::filesystem::directory_iterator())
        << "nothing of it spooled";
}

}  // namespace
}  // namespace verdant
