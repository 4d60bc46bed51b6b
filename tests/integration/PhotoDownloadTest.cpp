// Photo downloads over real TLS (docs/protocol.md › Photos › Downloads, Photos expected and
// received): whole blobs and ranges with their caching headers, who may download what, the
// thumbnails libvips makes, and an audit's photos expected against received. The routes are
// mounted by a small test module over a blob store the test fills itself.

#include "ServerHarness.hpp"
#include "TestDevice.hpp"

#include "verdant/audit/Collections.hpp"
#include "verdant/server/app/BuiltInModules.hpp"
#include "verdant/server/photos/AuditPhotosEndpoint.hpp"
#include "verdant/server/photos/BlobDownloadEndpoint.hpp"
#include "verdant/shared/IdGenerator.hpp"

#include <Poco/Checksum.h>
#include <Poco/DeflatingStream.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/SHA2Engine.h>
#include <Poco/StreamCopier.h>
#include <Poco/URI.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>

namespace verdant {
namespace {

using server::Role;
using shared::RecordId;
using shared::Value;
using test::TestDevice;
namespace c = audit::collections;

std::string sha256Of(const std::string& bytes) {
    Poco::SHA2Engine engine(Poco::SHA2Engine::SHA_256);
    engine.update(bytes.data(), static_cast<unsigned>(bytes.size()));
    return Poco::DigestEngine::digestToHex(engine.digest());
}

/// `count` bytes that start as a JPEG does and then vary (no two ranges alike).
std::string jpegLikeBytes(std::size_t count) {
    std::string bytes = "\xFF\xD8\xFF\xE0";
    for (std::size_t i = bytes.size(); i < count; ++i) {
        bytes.push_back(static_cast<char>((i * 7919 + i / 256) % 251));
    }
    return bytes;
}

void appendBigEndian32(std::string& out, std::uint32_t value) {
    for (int shift = 24; shift >= 0; shift -= 8) {
        out.push_back(static_cast<char>((value >> shift) & 0xFF));
    }
}

/// A PNG chunk: length, type, data, CRC-32 of type and data.
std::string pngChunk(const std::string& type, const std::string& data) {
    std::string chunk;
    appendBigEndian32(chunk, static_cast<std::uint32_t>(data.size()));
    Poco::Checksum crc(Poco::Checksum::TYPE_CRC32);
    crc.update(type + data);
    chunk += type + data;
    appendBigEndian32(chunk, crc.checksum());
    return chunk;
}

/// A real RGB PNG image of `width` × `height` pixels (a colour gradient), made by hand.
std::string pngImage(std::uint32_t width, std::uint32_t height) {
    std::string rows;
    for (std::uint32_t y = 0; y < height; ++y) {
        rows.push_back('\0');  // filter: none
        for (std::uint32_t x = 0; x < width; ++x) {
            rows.push_back(static_cast<char>(x % 256));
            rows.push_back(static_cast<char>(y % 256));
            rows.push_back(static_cast<char>((x + y) % 256));
        }
    }
    std::ostringstream compressed;
    Poco::DeflatingOutputStream deflater(compressed, Poco::DeflatingStreamBuf::STREAM_ZLIB);
    deflater.write(rows.data(), static_cast<std::streamsize>(rows.size()));
    deflater.close();
    std::string header;
    appendBigEndian32(header, width);
    appendBigEndian32(header, height);
    header += std::string("\x08\x02\x00\x00\x00", 5);  // 8 bits, RGB, deflate, no interlace
    return std::string("\x89PNG\r\n\x1a\n", 8) + pngChunk("IHDR", header) +
           pngChunk("IDAT", compressed.str()) + pngChunk("IEND", "");
}

/// The (width, height) a JPEG's frame header gives, or (0, 0) when `jpeg` has none.
std::pair<int, int> jpegSize(const std::string& jpeg) {
    const auto byte = [&](std::size_t at) { return static_cast<unsigned char>(jpeg.at(at)); };
    for (std::size_t i = 2; i + 9 < jpeg.size();) {
        if (byte(i) != 0xFF) {
            return {0, 0};
        }
        const auto marker = byte(i + 1);
        if (marker >= 0xC0 && marker <= 0xC2) {
            return {byte(i + 7) * 256 + byte(i + 8), byte(i + 5) * 256 + byte(i + 6)};
        }
        i += 2 + static_cast<std::size_t>(byte(i + 2) * 256 + byte(i + 3));
    }
    return {0, 0};
}

/// The blob store of these tests: files in a temporary directory, the claims a test sets.
class TestBlobs final : public server::StoredBlobs {
public:
    explicit TestBlobs(std::string directory) : _directory(std::move(directory)) {}

    /// Stores `bytes` as a verified blob of `tenant`; returns its name.
    std::string put(const std::string& tenant, const std::string& bytes,
                    const std::string& mediaType) {
        const auto sha256 = sha256Of(bytes);
        const auto path = _directory + "/" + sha256;
        std::ofstream(path, std::ios::binary) << bytes;
        std::lock_guard lock(_mutex);
        _blobs[{tenant, sha256}] = {path, static_cast<std::int64_t>(bytes.size()), mediaType};
        return sha256;
    }

    /// Records that the bytes of `sha256` were uploaded or proven for the photo `photo`.
    void claim(const std::string& tenant, const std::string& sha256, const RecordId& photo) {
        std::lock_guard lock(_mutex);
        _claims[{tenant, sha256}].push_back(photo.toString());
    }

    std::optional<server::BlobFile> find(const std::string& tenant,
                                         const std::string& sha256) const override {
        std::lock_guard lock(_mutex);
        const auto found = _blobs.find({tenant, sha256});
        return found == _blobs.end() ? std::nullopt : std::optional(found->second);
    }

    std::vector<std::string> claimedPhotoIds(const std::string& tenant,
                                             const std::string& sha256) const override {
        std::lock_guard lock(_mutex);
        const auto found = _claims.find({tenant, sha256});
        return found == _claims.end() ? std::vector<std::string>{} : found->second;
    }

    std::string thumbnailDirectory(const std::string& tenant) const override {
        return _directory + "/thumbnails/" + tenant;
    }

private:
    std::string _directory;
    mutable std::mutex _mutex;
    std::map<std::pair<std::string, std::string>, server::BlobFile> _blobs;
    std::map<std::pair<std::string, std::string>, std::vector<std::string>> _claims;
};

/// Mounts the download routes over TestBlobs, as the photos module does over its store.
class PhotoDownloadsModule final : public server::DomainModule {
public:
    explicit PhotoDownloadsModule(const server::StoredBlobs& blobs) : _blobs(blobs) {}

    std::string_view name() const override { return "photo-downloads"; }
    void addCollections(shared::Schema&) const override {}
    void mountRoutes(server::Router& router, const server::ModuleServices& services) override {
        _downloads = std::make_unique<server::BlobDownloadEndpoint>(services, _blobs);
        _downloads->registerRoutes(router);
        _auditPhotos = std::make_unique<server::AuditPhotosEndpoint>(services, _blobs);
        _auditPhotos->registerRoutes(router);
    }

private:
    const server::StoredBlobs& _blobs;
    std::unique_ptr<server::BlobDownloadEndpoint> _downloads;
    std::unique_ptr<server::AuditPhotosEndpoint> _auditPhotos;
};

Poco::JSON::Object::Ptr parseObject(const std::string& text) {
    Poco::JSON::Parser parser;
    return parser.parse(text).extract<Poco::JSON::Object::Ptr>();
}

std::string errorCode(const client::HttpResponse& response) {
    const auto error = parseObject(response.body)->getObject("error");
    return error ? error->getValue<std::string>("code") : std::string();
}

std::string header(const client::HttpResponse& response, const std::string& name) {
    const auto found = response.headers.find(name);
    return found == response.headers.end() ? std::string() : found->second;
}

class PhotoDownloads : public ::testing::Test {
protected:
    PhotoDownloads() {
        server::SyncServer::Seams seams(&_clock);
        seams.modules = [this] {
            // The built-in photos module's routes over the test's blobs instead of its store.
            auto modules = server::builtInModules();
            std::erase_if(modules, [](const auto& module) { return module->name() == "photos"; });
            modules.push_back(std::make_unique<PhotoDownloadsModule>(_blobs));
            return modules;
        };
        _server = std::make_unique<test::ServerHarness>(nullptr, seams);
        _tenant = test::seedTenant(*_server, "acme",
                                   {{"hq", Role::HqReviewer},
                                    {"li", Role::FieldExpert},
                                    {"wang", Role::FieldExpert},
                                    {"zhou", Role::TrainingCoordinator}});
        for (const auto* user : {"hq", "li", "wang", "zhou"}) {
            _devices[user] = std::make_unique<TestDevice>(_server->endpoint(), "acme", user,
                                                          std::string(user) + "-password", _clock);
        }
        _auditA = scheduleAudit("li");
        _auditB = scheduleAudit("wang");
    }

    TestDevice& device(const std::string& user) { return *_devices.at(user); }

    static void pushAll(TestDevice& device) {
        for (const auto& result : device.push().results) {
            EXPECT_EQ(result.outcome, "applied") << result.message;
        }
    }

    /// An audit HQ assigns to `expert`, who pulls it.
    RecordId scheduleAudit(const std::string& expert) {
        const auto audit = _ids.nextRecordId();
        device("hq").set(c::kAudits, audit, "assignee_id", Value::string(device(expert).userId()));
        device("hq").set(c::kAudits, audit, "state", Value::string("scheduled"));
        pushAll(device("hq"));
        device(expert).pull();
        return audit;
    }

    /// The `photos` record `expert` takes in `audit`, naming the blob `sha256` (pushed).
    RecordId photo(const std::string& expert, const RecordId& audit, const std::string& sha256,
                   std::int64_t size, const std::string& caption = "Drain at the dye house") {
        const auto record = _ids.nextRecordId();
        auto& tablet = device(expert);
        tablet.set(c::kPhotos, record, "audit_id", Value::id(audit));
        tablet.set(c::kPhotos, record, "sha256", Value::string(sha256));
        tablet.set(c::kPhotos, record, "size_bytes", Value::integer(size));
        tablet.set(c::kPhotos, record, "caption", Value::string(caption));
        pushAll(tablet);
        return record;
    }

    /// A blob Li uploaded for a photo of audit A: its name, bytes and record.
    struct Uploaded {
        std::string sha256;
        std::string bytes;
        RecordId photo;
    };
    Uploaded uploadedToAuditA(std::string bytes, const std::string& mediaType = "image/jpeg") {
        const auto sha256 = _blobs.put(_tenant, bytes, mediaType);
        const auto record = photo("li", _auditA, sha256, static_cast<std::int64_t>(bytes.size()));
        _blobs.claim(_tenant, sha256, record);
        return {sha256, std::move(bytes), record};
    }

    client::HttpResponse get(const std::string& user, const std::string& path,
                             std::map<std::string, std::string> headers = {}) {
        return device(user).send("GET", path, "", "", std::move(headers));
    }

    /// A HEAD request by `user` over its own TLS session (the SDK's transport reads answers
    /// with bodies only).
    client::HttpResponse head(const std::string& user, const std::string& path) {
        Poco::Net::Context::Params params;
        params.caLocation = _server->endpoint().caFile;
        params.verificationMode = Poco::Net::Context::VERIFY_STRICT;
        Poco::Net::Context::Ptr context =
            new Poco::Net::Context(Poco::Net::Context::TLS_CLIENT_USE, params);
        Poco::Net::HTTPSClientSession session("localhost", _server->port(), context);
        Poco::Net::HTTPRequest request("HEAD", path, Poco::Net::HTTPMessage::HTTP_1_1);
        request.set("Authorization", "Bearer " + device(user).accessToken());
        session.sendRequest(request);
        Poco::Net::HTTPResponse response;
        auto& in = session.receiveResponse(response);
        client::HttpResponse result;
        result.status = static_cast<int>(response.getStatus());
        for (const auto& [name, value] : response) {
            result.headers[name] = value;
        }
        std::ostringstream body;
        Poco::StreamCopier::copyStream(in, body);
        result.body = body.str();
        return result;
    }

    shared::ManualClock _clock{1'800'000'000'000};
    shared::IdGenerator _ids{_clock};
    test::TemporaryDirectory _blobDir;
    TestBlobs _blobs{_blobDir.path()};
    std::unique_ptr<test::ServerHarness> _server;
    std::string _tenant;
    std::map<std::string, std::unique_ptr<TestDevice>> _devices;
    RecordId _auditA;
    RecordId _auditB;
};

TEST_F(PhotoDownloads, AnExpertDownloadsAPhotoOfTheirAuditWholeWithItsCachingHeaders) {
    const auto blob = uploadedToAuditA(jpegLikeBytes(300'000));
    const auto response = get("li", "/v1/blobs/" + blob.sha256);
    ASSERT_EQ(response.status, 200) << response.body;
    EXPECT_TRUE(response.body == blob.bytes) << "the bytes, byte for byte";
    EXPECT_EQ(response.contentType, "image/jpeg");
    EXPECT_EQ(header(response, "ETag"), "\"" + blob.sha256 + "\"");
    EXPECT_EQ(header(response, "Accept-Ranges"), "bytes");
    EXPECT_EQ(header(response, "Cache-Control"), "private, max-age=31536000, immutable");
    EXPECT_EQ(header(response, "Content-Encoding"), "") << "bytes are sent as they are";
}

TEST_F(PhotoDownloads, ARangeAnswersItsPartWithContentRange) {
    const auto blob = uploadedToAuditA(jpegLikeBytes(10'000));
    const auto path = "/v1/blobs/" + blob.sha256;
    const struct {
        const char* range;
        std::size_t first;
        std::size_t length;
    } cases[] = {
        {"bytes=100-1099", 100, 1000},    // the middle
        {"bytes=-250", 9'750, 250},       // the last bytes
        {"bytes=9000-", 9'000, 1'000},    // from an offset to the end: a resumed download
        {"bytes=9990-99999", 9'990, 10},  // a last position past the end is cut to it
        {"bytes=0-0", 0, 1},              // one byte
        {"bytes=-20000", 0, 10'000},      // a suffix longer than the blob is all of it
    };
    for (const auto& each : cases) {
        const auto response = get("li", path, {{"Range", each.range}});
        ASSERT_EQ(response.status, 206) << each.range << ": " << response.body;
        EXPECT_TRUE(response.body == blob.bytes.substr(each.first, each.length)) << each.range;
        EXPECT_EQ(header(response, "Content-Range"),
                  "bytes " + std::to_string(each.first) + "-" +
                      std::to_string(each.first + each.length - 1) + "/10000")
            << each.range;
        EXPECT_EQ(header(response, "ETag"), "\"" + blob.sha256 + "\"");
    }
}

TEST_F(PhotoDownloads, ARangePastTheEndIs416AndSeveralRangesGetTheWholeBlob) {
    const auto blob = uploadedToAuditA(jpegLikeBytes(10'000));
    const auto path = "/v1/blobs/" + blob.sha256;
    for (const auto* range : {"bytes=10000-", "bytes=20000-30000", "bytes=-0"}) {
        const auto response = get("li", path, {{"Range", range}});
        EXPECT_EQ(response.status, 416) << range;
        EXPECT_EQ(errorCode(response), "invalid_parameter") << range;
        EXPECT_EQ(header(response, "Content-Range"), "bytes */10000") << range;
    }
    for (const auto* ignored : {"bytes=0-9,20-29", "items=0-9", "bytes=50-10"}) {
        const auto response = get("li", path, {{"Range", ignored}});
        EXPECT_EQ(response.status, 200) << ignored;
        EXPECT_TRUE(response.body == blob.bytes) << ignored;
    }
    const auto otherBlob = get("li", path, {{"Range", "bytes=0-9"}, {"If-Range", "\"other\""}});
    EXPECT_EQ(otherBlob.status, 200) << "If-Range for other bytes asks for the whole blob";
}

TEST_F(PhotoDownloads, AKnownETagIsAnsweredNotModified) {
    const auto blob = uploadedToAuditA(jpegLikeBytes(5'000));
    const auto etag = "\"" + blob.sha256 + "\"";
    const auto path = "/v1/blobs/" + blob.sha256;
    for (const auto& ifNoneMatch : {etag, "\"other\", W/" + etag, std::string("*")}) {
        const auto response = get("li", path, {{"If-None-Match", ifNoneMatch}});
        EXPECT_EQ(response.status, 304) << ifNoneMatch;
        EXPECT_EQ(response.body, "");
        EXPECT_EQ(header(response, "ETag"), etag);
        EXPECT_EQ(header(response, "Cache-Control"), "private, max-age=31536000, immutable");
    }
    EXPECT_EQ(get("li", path, {{"If-None-Match", "\"other\""}}).status, 200);
}

TEST_F(PhotoDownloads, HeadAnswersTheHeadersOfTheBlobWithoutItsBytes) {
    const auto blob = uploadedToAuditA(jpegLikeBytes(12'345));
    const auto response = head("li", "/v1/blobs/" + blob.sha256);
    ASSERT_EQ(response.status, 200);
    EXPECT_EQ(header(response, "Content-Length"), "12345");
    EXPECT_EQ(header(response, "Content-Type"), "image/jpeg");
    EXPECT_EQ(header(response, "ETag"), "\"" + blob.sha256 + "\"");
    EXPECT_EQ(response.body, "");
    EXPECT_EQ(head("wang", "/v1/blobs/" + blob.sha256).status, 404);
}

TEST_F(PhotoDownloads, OnlyThoseWhoMayReadThePhotoGetItsBytes) {
    const auto blob = uploadedToAuditA(jpegLikeBytes(2'000));
    const auto path = "/v1/blobs/" + blob.sha256;
    EXPECT_EQ(get("li", path).status, 200) << "the expert of the audit";
    EXPECT_EQ(get("hq", path).status, 200) << "HQ reads the whole tenant";
    const auto otherExpert = get("wang", path);
    EXPECT_EQ(otherExpert.status, 404) << "an expert of another audit";
    EXPECT_EQ(errorCode(otherExpert), "not_found");
    EXPECT_EQ(get("zhou", path).status, 404) << "a training coordinator reads no audit";
    EXPECT_EQ(_server->client().send("GET", path).status, 401);

    // Not allowed, not held, not a name: the same answer, so nobody learns what is held.
    const auto notHeld = get("wang", "/v1/blobs/" + sha256Of("never uploaded"));
    EXPECT_EQ(notHeld.status, 404);
    EXPECT_EQ(parseObject(notHeld.body)->getObject("error")->getValue<std::string>("message"),
              parseObject(otherExpert.body)->getObject("error")->getValue<std::string>("message"));
    EXPECT_EQ(get("li", "/v1/blobs/NOT-A-HASH").status, 404);
    EXPECT_EQ(get("li", "/v1/blobs/" + std::string(64, 'A')).status, 404);
}

TEST_F(PhotoDownloads, AHashNamedByARecordWithoutAClaimGetsNoBytes) {
    const auto blob = uploadedToAuditA(jpegLikeBytes(2'000));
    // Wang knows only the hash: a record of his own audit naming it gives him no link.
    const auto copied = photo("wang", _auditB, blob.sha256, 2'000);
    const auto path = "/v1/blobs/" + blob.sha256;
    EXPECT_EQ(get("wang", path).status, 404);
    EXPECT_EQ(get("wang", path + "/thumbnail").status, 404);

    // Once his device proved it holds the bytes (a claim for his record), they are his too.
    _blobs.claim(_tenant, blob.sha256, copied);
    EXPECT_EQ(get("wang", path).status, 200);
}

TEST_F(PhotoDownloads, AClaimForARecordNamingOtherBytesGivesNothing) {
    const auto blob = uploadedToAuditA(jpegLikeBytes(2'000));
    const auto other = photo("wang", _auditB, sha256Of("other bytes"), 11);
    _blobs.claim(_tenant, blob.sha256, other);  // a claim whose record names another hash
    EXPECT_EQ(get("wang", "/v1/blobs/" + blob.sha256).status, 404);
}

TEST_F(PhotoDownloads, AThumbnailIsAJpegNoWiderThanAskedMadeOnceAndKept) {
    const auto blob = uploadedToAuditA(pngImage(800, 400), "image/png");
    const auto path = "/v1/blobs/" + blob.sha256 + "/thumbnail";
    const auto small = get("li", path + "?width=160");
    ASSERT_EQ(small.status, 200) << small.body;
    EXPECT_EQ(small.contentType, "image/jpeg");
    EXPECT_EQ(jpegSize(small.body), std::make_pair(160, 80)) << "as wide as asked, aspect kept";
    EXPECT_EQ(header(small, "ETag"), "\"" + blob.sha256 + "-w160\"");
    EXPECT_EQ(header(small, "Cache-Control"), "private, max-age=31536000, immutable");

    const auto byDefault = get("li", path);
    ASSERT_EQ(byDefault.status, 200) << byDefault.body;
    EXPECT_EQ(jpegSize(byDefault.body), std::make_pair(320, 160));

    // Kept: with the original's file gone, the thumbnail made before is still served.
    std::filesystem::remove(_blobs.find(_tenant, blob.sha256)->path);
    const auto again = get("hq", path + "?width=160");
    ASSERT_EQ(again.status, 200) << again.body;
    EXPECT_TRUE(again.body == small.body);
    EXPECT_EQ(get("li", path + "?width=160", {{"If-None-Match", header(small, "ETag")}}).status,
              304);
    EXPECT_EQ(get("wang", path + "?width=160").status, 404) << "the same rule as the bytes";
}

TEST_F(PhotoDownloads, AThumbnailIsNeverWiderThanTheImage) {
    const auto blob = uploadedToAuditA(pngImage(100, 300), "image/png");
    const auto response = get("li", "/v1/blobs/" + blob.sha256 + "/thumbnail?width=640");
    ASSERT_EQ(response.status, 200) << response.body;
    EXPECT_EQ(jpegSize(response.body), std::make_pair(100, 300));
}

TEST_F(PhotoDownloads, AThumbnailOfOtherWidthsOrOfAPdfIsRefused) {
    const auto image = uploadedToAuditA(pngImage(64, 64), "image/png");
    const auto path = "/v1/blobs/" + image.sha256 + "/thumbnail";
    for (const auto* width : {"100", "0", "abc", "1000000"}) {
        const auto response = get("li", path + "?width=" + width);
        EXPECT_EQ(response.status, 400) << width;
        EXPECT_EQ(errorCode(response), "invalid_parameter") << width;
    }
    const auto pdf =
        uploadedToAuditA("%PDF-1.4\n1 0 obj << >> endobj\ntrailer\n%%EOF\n", "application/pdf");
    const auto response = get("li", "/v1/blobs/" + pdf.sha256 + "/thumbnail");
    EXPECT_EQ(response.status, 415);
    EXPECT_EQ(errorCode(response), "media_type_not_allowed");
    const auto thumbnails = _blobs.thumbnailDirectory(_tenant);
    EXPECT_TRUE(!std::filesystem::exists(thumbnails) || std::filesystem::is_empty(thumbnails))
        << "nothing is kept of a thumbnail that could not be made";
}

TEST_F(PhotoDownloads, AnAuditsPhotosCountExpectedAgainstReceived) {
    const auto received = uploadedToAuditA(jpegLikeBytes(3'000));
    const auto pending = photo("li", _auditA, sha256Of("still on the tablet"), 19, "Boiler");
    // The bytes are held, but were uploaded for another record: this one is not received.
    const auto sameBytes = photo("li", _auditA, received.sha256, 3'000, "Same view");
    photo("wang", _auditB, sha256Of("another audit"), 13);

    const auto response = get("hq", "/v1/audits/" + _auditA.toString() + "/photos");
    ASSERT_EQ(response.status, 200) << response.body;
    const auto body = parseObject(response.body);
    EXPECT_EQ(body->getValue<std::string>("audit_id"), _auditA.toString());
    EXPECT_EQ(body->getValue<int>("expected"), 3);
    EXPECT_EQ(body->getValue<int>("received"), 1);
    std::map<std::string, bool> receivedById;
    const auto photos = body->getArray("photos");
    for (std::size_t i = 0; i < photos->size(); ++i) {
        const auto item = photos->getObject(static_cast<unsigned>(i));
        receivedById[item->getValue<std::string>("id")] = item->getValue<bool>("received");
        if (item->getValue<std::string>("id") == pending.toString()) {
            EXPECT_EQ(item->getValue<std::string>("caption"), "Boiler");
            EXPECT_EQ(item->getValue<std::int64_t>("size_bytes"), 19);
            EXPECT_EQ(item->getValue<std::string>("sha256"), sha256Of("still on the tablet"));
        }
    }
    EXPECT_EQ(receivedById, (std::map<std::string, bool>{{received.photo.toString(), true},
                                                         {pending.toString(), false},
                                                         {sameBytes.toString(), false}}));

    _blobs.claim(_tenant, received.sha256, sameBytes);  // the device proved it holds them
    const auto later = parseObject(get("li", "/v1/audits/" + _auditA.toString() + "/photos").body);
    EXPECT_EQ(later->getValue<int>("received"), 2) << "the audit's expert sees it too";
}

TEST_F(PhotoDownloads, AnAuditsPhotosAreListedOnlyToThoseWhoMayReadTheAudit) {
    uploadedToAuditA(jpegLikeBytes(1'000));
    const auto path = "/v1/audits/" + _auditA.toString() + "/photos";
    EXPECT_EQ(get("li", path).status, 200);
    const auto otherExpert = get("wang", path);
    EXPECT_EQ(otherExpert.status, 404);
    EXPECT_EQ(errorCode(otherExpert), "not_found");
    EXPECT_EQ(get("zhou", path).status, 404);
    EXPECT_EQ(get("hq", "/v1/audits/" + _ids.nextRecordId().toString() + "/photos").status, 404);
    EXPECT_EQ(get("hq", "/v1/audits/not-an-id/photos").status, 404);
    EXPECT_EQ(get("hq", path + "?filter=all").status, 400);
}

}  // namespace
}  // namespace verdant
