// Photo uploads over real TLS on tus 1.0.0 (docs/protocol.md › Photos): chunks that resume,
// checksums, verification before storing, limits that leave nothing behind, expiry, and
// deduplication granted only to a device that proves it holds the bytes.

#include "ServerHarness.hpp"
#include "TestDevice.hpp"

#include "verdant/audit/Collections.hpp"
#include "verdant/server/app/BuiltInModules.hpp"
#include "verdant/server/photos/PhotosModule.hpp"
#include "verdant/shared/IdGenerator.hpp"

#include <Poco/Base64Encoder.h>
#include <Poco/DirectoryIterator.h>
#include <Poco/File.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include <fstream>
#include <iterator>
#include <random>
#include <set>
#include <sstream>

namespace verdant {
namespace {

using server::Role;
using shared::RecordId;
using shared::Value;
using test::TestDevice;
namespace c = audit::collections;

constexpr std::int64_t kStartMs = 1'800'000'000'000;
constexpr std::int64_t kHourMs = 3'600'000;
constexpr const char* kChunkType = "application/offset+octet-stream";

std::string hex(const unsigned char* bytes, std::size_t size) {
    static constexpr char kDigits[] = "0123456789abcdef";
    std::string text;
    for (std::size_t i = 0; i < size; ++i) {
        text += kDigits[bytes[i] >> 4];
        text += kDigits[bytes[i] & 0x0F];
    }
    return text;
}

std::string sha256Raw(const std::string& bytes) {
    unsigned char digest[SHA256_DIGEST_LENGTH];
    SHA256(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), digest);
    return std::string(reinterpret_cast<const char*>(digest), sizeof digest);
}

std::string sha256Hex(const std::string& bytes) {
    const auto digest = sha256Raw(bytes);
    return hex(reinterpret_cast<const unsigned char*>(digest.data()), digest.size());
}

std::string base64(const std::string& bytes) {
    std::ostringstream text;
    Poco::Base64Encoder encoder(text);
    encoder.rdbuf()->setLineLength(0);
    encoder << bytes;
    encoder.close();
    return text.str();
}

/// The raw bytes of base64url text without padding (the proof nonce).
std::string fromBase64Url(const std::string& text) {
    static const std::string kAlphabet =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    std::string bytes;
    std::uint32_t buffer = 0;
    int bits = 0;
    for (const char c : text) {
        buffer = (buffer << 6) | static_cast<std::uint32_t>(kAlphabet.find(c));
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            bytes.push_back(static_cast<char>((buffer >> bits) & 0xFF));
        }
    }
    return bytes;
}

/// The possession proof, written out from protocol.md rather than taken from the shared code:
/// HMAC-SHA256 under the nonce of 16 ranges of 4 KiB, range i starting at the first 8 bytes of
/// SHA-256(nonce || i), big-endian, modulo (size - 4095); a blob of at most 64 KiB whole.
std::string proofHex(const std::string& nonce, const std::string& bytes) {
    std::string covered = bytes;
    if (bytes.size() > 64 * 1024) {
        covered.clear();
        for (int i = 0; i < 16; ++i) {
            const auto digest = sha256Raw(nonce + static_cast<char>(i));
            std::uint64_t seed = 0;
            for (int b = 0; b < 8; ++b) {
                seed =
                    (seed << 8) | static_cast<unsigned char>(digest[static_cast<std::size_t>(b)]);
            }
            covered += bytes.substr(seed % (bytes.size() - 4095), 4096);
        }
    }
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int size = 0;
    HMAC(EVP_sha256(), nonce.data(), static_cast<int>(nonce.size()),
         reinterpret_cast<const unsigned char*>(covered.data()), covered.size(), mac, &size);
    return hex(mac, size);
}

/// A photo as far as the server looks: a JPEG's magic number, then random bytes.
std::string fakePhoto(std::size_t size, unsigned seed) {
    std::string bytes = "\xFF\xD8\xFF\xE0";
    std::mt19937 random(seed);
    while (bytes.size() < size) {
        bytes.push_back(static_cast<char>(random() & 0xFF));
    }
    return bytes;
}

/// Every regular file under `root` (recursively), the photo index's own files left out.
std::set<std::string> filesUnder(const std::string& root) {
    std::set<std::string> files;
    if (!Poco::File(root).exists()) {
        return files;
    }
    for (Poco::DirectoryIterator it(root), end; it != end; ++it) {
        if (it->isDirectory()) {
            files.merge(filesUnder(it.path().toString()));
        } else if (it.name().rfind("index.db", 0) != 0) {
            files.insert(it.path().toString());
        }
    }
    return files;
}

class PhotoUploads : public ::testing::Test {
protected:
    explicit PhotoUploads(const std::function<void(server::ServerConfig&)>& adjust = {})
        : _server(adjust, seams()),
          _tenantId(test::seedTenant(_server, "acme",
                                     {{"hq", Role::HqReviewer},
                                      {"li", Role::FieldExpert},
                                      {"wang", Role::FieldExpert},
                                      {"zhou", Role::FieldExpert}})),
          _li(_server.endpoint(), "acme", "li", "li-password", _clock),
          _wang(_server.endpoint(), "acme", "wang", "wang-password", _clock) {
        TestDevice hq(_server.endpoint(), "acme", "hq", "hq-password", _clock);
        TestDevice zhou(_server.endpoint(), "acme", "zhou", "zhou-password", _clock);
        _audit = audit(hq, _li, {_wang.userId(), zhou.userId()});
        _wangsAudit = audit(hq, _wang, {});
        for (const auto& result : hq.push().results) {
            EXPECT_EQ(result.outcome, "applied") << result.message;
        }
    }

    /// An audit led by `lead` with `team`, written by HQ (pushed by the caller).
    RecordId audit(TestDevice& hq, TestDevice& lead, const std::vector<std::string>& team) {
        const auto id = _ids.nextRecordId();
        hq.set(c::kAudits, id, "assignee_id", Value::string(lead.userId()));
        hq.set(c::kAudits, id, "state", Value::string("in_progress"));
        for (const auto& member : team) {
            hq.add(c::kAudits, id, "team", member);
        }
        return id;
    }

    /// A `photos` record of `audit` naming `sha` and `length`, pushed by `device`: what the SDK
    /// syncs before it uploads the bytes.
    RecordId photoRecord(TestDevice& device, const std::string& sha, std::int64_t length,
                         std::optional<RecordId> audit = {}) {
        const auto id = _ids.nextRecordId();
        device.set(c::kPhotos, id, "audit_id", Value::id(audit.value_or(_audit)));
        device.set(c::kPhotos, id, "sha256", Value::string(sha));
        device.set(c::kPhotos, id, "size_bytes", Value::integer(length));
        for (const auto& result : device.push().results) {
            EXPECT_EQ(result.outcome, "applied") << result.message;
        }
        return id;
    }

    /// The built-in modules, remembering the photos module (to sweep and to read claims).
    server::SyncServer::Seams seams() {
        server::SyncServer::Seams seams(&_clock);
        seams.modules = [this] {
            auto modules = server::builtInModules();
            for (const auto& module : modules) {
                if (module->name() == "photos") {
                    _photos = static_cast<server::PhotosModule*>(module.get());
                }
            }
            return modules;
        };
        return seams;
    }

    static std::map<std::string, std::string> tus(std::map<std::string, std::string> headers) {
        headers["Tus-Resumable"] = "1.0.0";
        return headers;
    }

    /// POST /v1/uploads for `bytes` (named by `sha`, their hash unless a test lies), with
    /// `chunk` as the creation's body, for a photos record the device pushes first.
    client::HttpResponse create(TestDevice& device, std::int64_t length, const std::string& sha,
                                const std::string& chunk = "",
                                std::map<std::string, std::string> headers = {}) {
        return createFor(device, photoRecord(device, sha, length), length, sha, chunk, headers);
    }

    /// POST /v1/uploads naming `photo` as the record the bytes belong to.
    client::HttpResponse createFor(TestDevice& device, const RecordId& photo, std::int64_t length,
                                   const std::string& sha, const std::string& chunk = "",
                                   std::map<std::string, std::string> headers = {}) {
        headers["Upload-Length"] = std::to_string(length);
        headers["Upload-Metadata"] = metadataOf(sha, photo);
        return device.send("POST", "/v1/uploads", chunk.empty() ? "" : kChunkType, chunk,
                           tus(headers));
    }

    static std::string metadataOf(const std::string& sha, const RecordId& photo) {
        return "sha256 " + base64(sha) + ",photo_id " + base64(photo.toString()) + ",filetype " +
               base64("image/jpeg") + ",filename " + base64("IMG_0001.jpg");
    }

    /// The Location of a 201, or a failed expectation.
    static std::string locationOf(const client::HttpResponse& created) {
        EXPECT_EQ(created.status, 201) << created.body;
        const auto it = created.headers.find("Location");
        return it == created.headers.end() ? std::string() : it->second;
    }

    client::HttpResponse patch(TestDevice& device, const std::string& location, std::int64_t offset,
                               const std::string& chunk,
                               std::map<std::string, std::string> headers = {}) {
        headers["Upload-Offset"] = std::to_string(offset);
        return device.send("PATCH", location, kChunkType, chunk, tus(headers));
    }

    /// HEAD over its own connection: an answer to HEAD has no body, whatever its Content-Length
    /// says, which the SDK's transport (made for GET and POST) would take for a body cut short.
    client::HttpResponse head(TestDevice& device, const std::string& location,
                              const std::string& tusVersion = "1.0.0") {
        Poco::Net::Context::Params params;
        params.caLocation = _server.endpoint().caFile;
        params.verificationMode = Poco::Net::Context::VERIFY_STRICT;
        Poco::Net::HTTPSClientSession session(
            "localhost", _server.port(),
            new Poco::Net::Context(Poco::Net::Context::TLS_CLIENT_USE, params));
        Poco::Net::HTTPRequest request("HEAD", location, Poco::Net::HTTPMessage::HTTP_1_1);
        request.set("Authorization", "Bearer " + device.accessToken());
        request.set("Tus-Resumable", tusVersion);
        session.sendRequest(request);
        Poco::Net::HTTPResponse response;
        auto& body = session.receiveResponse(response);
        client::HttpResponse result;
        result.status = static_cast<int>(response.getStatus());
        for (const auto& [name, value] : response) {
            result.headers[name] = value;
        }
        result.body.assign(std::istreambuf_iterator<char>(body), {});
        return result;
    }

    /// Uploads `bytes` whole with one creation-with-upload.
    void upload(TestDevice& device, const std::string& bytes) {
        const auto created =
            create(device, static_cast<std::int64_t>(bytes.size()), sha256Hex(bytes), bytes);
        ASSERT_EQ(created.status, 201) << created.body;
        ASSERT_EQ(created.headers.at("Upload-Offset"), std::to_string(bytes.size()));
    }

    static std::string errorCode(const client::HttpResponse& response) {
        Poco::JSON::Parser parser;
        const auto body = parser.parse(response.body).extract<Poco::JSON::Object::Ptr>();
        return body->getObject("error")->getValue<std::string>("code");
    }

    std::string tenantFolder() { return _server.server().config().dataDir + "/blobs/" + _tenantId; }

    std::string blobFile(const std::string& sha) {
        return tenantFolder() + "/" + sha.substr(0, 2) + "/" + sha.substr(2, 2) + "/" + sha;
    }

    std::set<std::string> claimsFor(const std::string& sha) {
        const auto claims = _photos->blobs().claimsFor(_tenantId, sha);
        return {claims.begin(), claims.end()};
    }

    static std::string readFile(const std::string& path) {
        std::ifstream in(path, std::ios::binary);
        return {std::istreambuf_iterator<char>(in), {}};
    }

    shared::ManualClock _clock{kStartMs};
    server::PhotosModule* _photos = nullptr;
    test::ServerHarness _server;
    std::string _tenantId;
    TestDevice _li;
    TestDevice _wang;
    shared::IdGenerator _ids{_clock};
    RecordId _audit;       ///< Li's, with Wang and Zhou on its team.
    RecordId _wangsAudit;  ///< Wang's alone.
};

TEST_F(PhotoUploads, OptionsAdvertisesTheProtocolAndItsExtensions) {
    auto transport = _server.client();
    const auto answer = transport.send("OPTIONS", "/v1/uploads", "", "", {});
    EXPECT_EQ(answer.status, 204);
    EXPECT_EQ(answer.headers.at("Tus-Version"), "1.0.0");
    EXPECT_EQ(answer.headers.at("Tus-Extension"),
              "creation,creation-with-upload,checksum,termination,expiration");
    EXPECT_EQ(answer.headers.at("Tus-Max-Size"), std::to_string(32 << 20));
    EXPECT_EQ(answer.headers.at("Tus-Checksum-Algorithm"), "sha1,sha256,md5");
}

TEST_F(PhotoUploads, AnotherTusVersionIsRefusedNamingTheOneServed) {
    const auto answer = head(_li, "/v1/uploads/00000000000000000000000000000000", "0.2.2");
    EXPECT_EQ(answer.status, 412);
    EXPECT_EQ(answer.headers.at("Tus-Version"), "1.0.0");
    EXPECT_EQ(answer.headers.at("Tus-Resumable"), "1.0.0");
}

TEST_F(PhotoUploads, ChunksResumeFromTheOffsetAndTheBlobIsStoredVerified) {
    const auto photo = fakePhoto(300'000, 1);
    const auto sha = sha256Hex(photo);
    const auto created = create(_li, static_cast<std::int64_t>(photo.size()), sha);
    const auto location = locationOf(created);
    ASSERT_EQ(location.rfind("/v1/uploads/", 0), 0U) << location;
    EXPECT_EQ(created.headers.at("Upload-Offset"), "0");
    EXPECT_EQ(created.headers.at("Tus-Resumable"), "1.0.0");
    EXPECT_FALSE(created.headers.at("Upload-Expires").empty());
    EXPECT_EQ(fromBase64Url(created.headers.at("Verdant-Proof-Nonce")).size(), 32U);

    const auto first = patch(_li, location, 0, photo.substr(0, 100'000));
    EXPECT_EQ(first.status, 204) << first.body;
    EXPECT_EQ(first.headers.at("Upload-Offset"), "100000");
    // The device lost the answer: it asks where the upload stands and goes on from there.
    const auto status = head(_li, location);
    EXPECT_EQ(status.status, 200);
    EXPECT_EQ(status.headers.at("Upload-Offset"), "100000");
    EXPECT_EQ(status.headers.at("Upload-Length"), "300000");
    EXPECT_EQ(status.headers.at("Cache-Control"), "no-store");
    EXPECT_FALSE(Poco::File(blobFile(sha)).exists());  // never visible before it is whole
    const auto last = photo.substr(100'000);
    unsigned char digest[SHA_DIGEST_LENGTH];
    SHA1(reinterpret_cast<const unsigned char*>(last.data()), last.size(), digest);
    const auto done =
        patch(_li, location, 100'000, last,
              {{"Upload-Checksum",
                "sha1 " + base64(std::string(reinterpret_cast<char*>(digest), sizeof digest))}});
    EXPECT_EQ(done.status, 204) << done.body;
    EXPECT_EQ(done.headers.at("Upload-Offset"), "300000");

    EXPECT_EQ(readFile(blobFile(sha)), photo);
    EXPECT_EQ(filesUnder(tenantFolder()), std::set<std::string>{blobFile(sha)});
    EXPECT_EQ(claimsFor(sha).size(), 1U);
    EXPECT_EQ(_photos->blobs().find(_tenantId, sha)->mediaType, "image/jpeg");
    EXPECT_EQ(head(_li, location).headers.at("Upload-Offset"), "300000");
}

TEST_F(PhotoUploads, AClientThatCannotSendPatchOrDeleteOverridesPost) {
    const auto photo = fakePhoto(200'000, 9);
    const auto sha = sha256Hex(photo);
    const auto location =
        locationOf(create(_li, static_cast<std::int64_t>(photo.size()), sha256Hex(photo)));
    const auto half = _li.send("POST", location, kChunkType, photo.substr(0, 100'000),
                               tus({{"Upload-Offset", "0"}, {"X-HTTP-Method-Override", "PATCH"}}));
    EXPECT_EQ(half.status, 204) << half.body;
    EXPECT_EQ(half.headers.at("Upload-Offset"), "100000");
    const auto rest =
        _li.send("POST", location, kChunkType, photo.substr(100'000),
                 tus({{"Upload-Offset", "100000"}, {"X-HTTP-Method-Override", "PATCH"}}));
    EXPECT_EQ(rest.status, 204) << rest.body;
    EXPECT_EQ(readFile(blobFile(sha)), photo);

    const auto other =
        locationOf(create(_li, static_cast<std::int64_t>(photo.size()), sha256Hex(photo)));
    EXPECT_EQ(_li.send("POST", other, "", "", tus({{"X-HTTP-Method-Override", "GET"}})).status,
              405);
    EXPECT_EQ(_li.send("POST", other, "", "", tus({{"X-HTTP-Method-Override", "DELETE"}})).status,
              204);
    EXPECT_EQ(head(_li, other).status, 404);
}

TEST_F(PhotoUploads, CreationWithUploadStoresASmallPhotoInOneRequest) {
    const auto photo = fakePhoto(5'000, 2);
    upload(_li, photo);
    EXPECT_EQ(readFile(blobFile(sha256Hex(photo))), photo);
}

TEST_F(PhotoUploads, AChunkThatFailsItsChecksumIsNotKept) {
    const auto photo = fakePhoto(20'000, 3);
    const auto location =
        locationOf(create(_li, static_cast<std::int64_t>(photo.size()), sha256Hex(photo)));
    ASSERT_EQ(patch(_li, location, 0, photo.substr(0, 10'000)).status, 204);

    const auto corrupted = patch(_li, location, 10'000, photo.substr(10'000),
                                 {{"Upload-Checksum", "md5 " + base64(std::string(16, 'x'))}});

    EXPECT_EQ(corrupted.status, 460);
    EXPECT_EQ(errorCode(corrupted), "upload_checksum_mismatch");
    EXPECT_EQ(head(_li, location).headers.at("Upload-Offset"), "10000");
    const auto staged = filesUnder(tenantFolder());
    ASSERT_EQ(staged.size(), 1U);
    EXPECT_EQ(Poco::File(*staged.begin()).getSize(), 10'000U);
    // Sent again, whole, it completes.
    EXPECT_EQ(patch(_li, location, 10'000, photo.substr(10'000)).status, 204);
    EXPECT_TRUE(Poco::File(blobFile(sha256Hex(photo))).exists());
}

TEST_F(PhotoUploads, BytesThatAreNotTheNamedHashAreNotStored) {
    const auto photo = fakePhoto(20'000, 4);
    const auto named = sha256Hex(fakePhoto(20'000, 5));
    const auto location = locationOf(create(_li, static_cast<std::int64_t>(photo.size()), named));

    const auto finished = patch(_li, location, 0, photo);

    EXPECT_EQ(finished.status, 460);
    EXPECT_EQ(errorCode(finished), "blob_hash_mismatch");
    EXPECT_TRUE(filesUnder(tenantFolder()).empty());
    EXPECT_FALSE(_photos->blobs().contains(_tenantId, named));
    EXPECT_FALSE(_photos->blobs().contains(_tenantId, sha256Hex(photo)));
    EXPECT_EQ(head(_li, location).status, 404);
}

TEST_F(PhotoUploads, AChunkAtAnotherOffsetIsAConflict) {
    const auto photo = fakePhoto(20'000, 6);
    const auto location =
        locationOf(create(_li, static_cast<std::int64_t>(photo.size()), sha256Hex(photo)));
    ASSERT_EQ(patch(_li, location, 0, photo.substr(0, 5'000)).status, 204);

    const auto again = patch(_li, location, 0, photo.substr(0, 5'000));

    EXPECT_EQ(again.status, 409);
    EXPECT_EQ(errorCode(again), "upload_offset_mismatch");
    EXPECT_EQ(head(_li, location).headers.at("Upload-Offset"), "5000");
}

TEST_F(PhotoUploads, AChunkPastTheLengthIsRefused) {
    const auto photo = fakePhoto(1'000, 7);
    const auto location = locationOf(create(_li, 1'000, sha256Hex(photo)));
    const auto answer = patch(_li, location, 0, photo + "xx");
    EXPECT_EQ(answer.status, 400);
    EXPECT_EQ(head(_li, location).headers.at("Upload-Offset"), "0");
}

TEST_F(PhotoUploads, ATerminatedUploadIsGoneWithItsBytes) {
    const auto photo = fakePhoto(20'000, 8);
    const auto location =
        locationOf(create(_li, static_cast<std::int64_t>(photo.size()), sha256Hex(photo)));
    ASSERT_EQ(patch(_li, location, 0, photo.substr(0, 5'000)).status, 204);

    EXPECT_EQ(_li.send("DELETE", location, "", "", tus({})).status, 204);

    EXPECT_EQ(head(_li, location).status, 404);
    EXPECT_TRUE(filesUnder(tenantFolder()).empty());
}

TEST_F(PhotoUploads, AnExpiredUploadIsGoneUntilSweptThenUnknown) {
    const auto photo = fakePhoto(20'000, 9);
    const auto location =
        locationOf(create(_li, static_cast<std::int64_t>(photo.size()), sha256Hex(photo)));
    ASSERT_EQ(patch(_li, location, 0, photo.substr(0, 5'000)).status, 204);

    _clock.advance(25 * kHourMs);
    TestDevice li(_server.endpoint(), "acme", "li", "li-password", _clock);  // a fresh token
    const auto expired = head(li, location);
    EXPECT_EQ(expired.status, 410);
    EXPECT_EQ(errorCode(patch(li, location, 5'000, photo.substr(5'000))), "upload_expired");
    EXPECT_EQ(filesUnder(tenantFolder()).size(), 1U);

    _photos->sweepExpiredUploads();

    EXPECT_EQ(head(li, location).status, 404);
    EXPECT_TRUE(filesUnder(tenantFolder()).empty());
}

TEST_F(PhotoUploads, AChunkKeepsItsUploadAliveForAnotherDay) {
    const auto photo = fakePhoto(20'000, 10);
    const auto location =
        locationOf(create(_li, static_cast<std::int64_t>(photo.size()), sha256Hex(photo)));
    _clock.advance(20 * kHourMs);
    TestDevice li(_server.endpoint(), "acme", "li", "li-password", _clock);
    ASSERT_EQ(patch(li, location, 0, photo.substr(0, 5'000)).status, 204);
    _clock.advance(20 * kHourMs);
    TestDevice later(_server.endpoint(), "acme", "li", "li-password", _clock);
    _photos->sweepExpiredUploads();
    EXPECT_EQ(head(later, location).status, 200);
}

TEST_F(PhotoUploads, AFileThatOnlyClaimsToBeAJpegIsRefusedAndLeavesNothing) {
    std::string gif = "GIF89a";
    gif += fakePhoto(10'000, 11).substr(6);
    const auto location =
        locationOf(create(_li, static_cast<std::int64_t>(gif.size()), sha256Hex(gif)));

    const auto refused = patch(_li, location, 0, gif.substr(0, 4'000));

    EXPECT_EQ(refused.status, 415);
    EXPECT_EQ(errorCode(refused), "media_type_not_allowed");
    EXPECT_TRUE(filesUnder(tenantFolder()).empty());
    EXPECT_EQ(head(_li, location).status, 404);
    // Sent in one creation-with-upload, the same: refused, nothing kept.
    const auto atOnce = create(_li, static_cast<std::int64_t>(gif.size()), sha256Hex(gif), gif);
    EXPECT_EQ(atOnce.status, 415);
    EXPECT_TRUE(filesUnder(tenantFolder()).empty());
}

TEST_F(PhotoUploads, AnotherUserCannotSeeOrTouchMyUpload) {
    const auto photo = fakePhoto(20'000, 12);
    const auto location =
        locationOf(create(_li, static_cast<std::int64_t>(photo.size()), sha256Hex(photo)));

    EXPECT_EQ(head(_wang, location).status, 404);
    const auto patched = patch(_wang, location, 0, photo);
    EXPECT_EQ(patched.status, 404);
    EXPECT_EQ(errorCode(patched), "upload_not_found");
    EXPECT_EQ(_wang.send("DELETE", location, "", "", tus({})).status, 404);
    EXPECT_EQ(head(_li, location).headers.at("Upload-Offset"), "0");
}

TEST_F(PhotoUploads, TheSamePhotoFromTwoAuditorsIsStoredOnce) {
    const auto photo = fakePhoto(50'000, 13);
    upload(_li, photo);
    upload(_wang, photo);  // a plain tus client: no proof, it uploads

    EXPECT_EQ(filesUnder(tenantFolder()), std::set<std::string>{blobFile(sha256Hex(photo))});
    EXPECT_EQ(claimsFor(sha256Hex(photo)).size(), 2U);
}

TEST_F(PhotoUploads, AProvenPossessionCompletesTheUploadWithoutItsBytes) {
    const auto photo = fakePhoto(50'000, 14);
    const auto sha = sha256Hex(photo);
    upload(_li, photo);
    const auto created = create(_wang, static_cast<std::int64_t>(photo.size()), sha);
    const auto location = locationOf(created);
    const auto nonce = fromBase64Url(created.headers.at("Verdant-Proof-Nonce"));

    const auto proof = _wang.send("POST", location + "/possession", "application/json",
                                  R"({"hmac":")" + proofHex(nonce, photo) + R"("})", tus({}));

    EXPECT_EQ(proof.status, 200) << proof.body;
    EXPECT_EQ(proof.body, R"({"deduplicated":true,"upload_offset":50000})");
    EXPECT_EQ(head(_wang, location).headers.at("Upload-Offset"), "50000");
    EXPECT_EQ(claimsFor(sha).size(), 2U);
    EXPECT_EQ(filesUnder(tenantFolder()), std::set<std::string>{blobFile(sha)});
}

TEST_F(PhotoUploads, ALargePhotoIsProvenByTheRangesTheNonceChoosesNotByItsWholeBytes) {
    const auto photo = fakePhoto(300'000, 19);
    const auto sha = sha256Hex(photo);
    upload(_li, photo);
    auto proveWith = [&](auto proof) {
        const auto created = create(_wang, static_cast<std::int64_t>(photo.size()), sha);
        const auto nonce = fromBase64Url(created.headers.at("Verdant-Proof-Nonce"));
        return _wang
            .send("POST", locationOf(created) + "/possession", "application/json",
                  R"({"hmac":")" + proof(nonce) + R"("})", tus({}))
            .body;
    };
    auto wholeBlobHmac = [&](const std::string& nonce) {
        unsigned char mac[EVP_MAX_MD_SIZE];
        unsigned int size = 0;
        HMAC(EVP_sha256(), nonce.data(), static_cast<int>(nonce.size()),
             reinterpret_cast<const unsigned char*>(photo.data()), photo.size(), mac, &size);
        return hex(mac, size);
    };

    EXPECT_EQ(proveWith(wholeBlobHmac), R"({"deduplicated":false,"upload_offset":0})");
    EXPECT_EQ(proveWith([&](const std::string& nonce) { return proofHex(nonce, photo); }),
              R"({"deduplicated":true,"upload_offset":300000})");
    EXPECT_EQ(claimsFor(sha).size(), 2U);
    EXPECT_EQ(filesUnder(tenantFolder()), std::set<std::string>{blobFile(sha)});
}

TEST_F(PhotoUploads, ADeviceThatKnowsOnlyTheHashLearnsNothingAndMustUpload) {
    const auto photo = fakePhoto(50'000, 15);
    const auto sha = sha256Hex(photo);
    upload(_li, photo);
    TestDevice zhou(_server.endpoint(), "acme", "zhou", "zhou-password", _clock);
    auto prove = [&](const std::string& namedSha, const std::string& hmac) {
        const auto location = locationOf(create(zhou, 50'000, namedSha));
        const auto proof = zhou.send("POST", location + "/possession", "application/json",
                                     R"({"hmac":")" + hmac + R"("})", tus({}));
        EXPECT_EQ(proof.status, 200);
        return std::make_pair(location, proof.body);
    };

    const auto [held, heldAnswer] = prove(sha, std::string(64, 'a'));
    const auto [unknown, unknownAnswer] =
        prove(sha256Hex(fakePhoto(50'000, 16)), std::string(64, 'a'));

    EXPECT_EQ(heldAnswer, R"({"deduplicated":false,"upload_offset":0})");
    EXPECT_EQ(unknownAnswer, heldAnswer);  // the same whether the tenant holds it or not
    EXPECT_EQ(claimsFor(sha).size(), 1U);
    EXPECT_EQ(head(zhou, held).headers.at("Upload-Offset"), "0");
    // One attempt per upload: guessing on is no use.
    const auto second = zhou.send("POST", held + "/possession", "application/json",
                                  R"({"hmac":")" + std::string(64, 'b') + R"("})", tus({}));
    EXPECT_EQ(second.body, R"({"deduplicated":false,"upload_offset":0})");
}

TEST_F(PhotoUploads, OnlyTheFirstProofOfAnUploadCounts) {
    const auto photo = fakePhoto(50'000, 18);
    upload(_li, photo);
    const auto created = create(_wang, static_cast<std::int64_t>(photo.size()), sha256Hex(photo));
    const auto location = locationOf(created);
    const auto nonce = fromBase64Url(created.headers.at("Verdant-Proof-Nonce"));
    auto prove = [&](const std::string& hmac) {
        return _wang
            .send("POST", location + "/possession", "application/json",
                  R"({"hmac":")" + hmac + R"("})", tus({}))
            .body;
    };

    EXPECT_EQ(prove(std::string(64, 'c')), R"({"deduplicated":false,"upload_offset":0})");
    // A guesser gets no second try, even with the right answer.
    EXPECT_EQ(prove(proofHex(nonce, photo)), R"({"deduplicated":false,"upload_offset":0})");
    EXPECT_EQ(claimsFor(sha256Hex(photo)).size(), 1U);
}

class PhotoUploadLimits : public PhotoUploads {
protected:
    PhotoUploadLimits()
        : PhotoUploads([](server::ServerConfig& config) {
              config.maxBlobBytes = 64 * 1024;
              config.photoQuotaBytes = 100 * 1024;
          }) {}
};

TEST_F(PhotoUploadLimits, ABlobPastTheLargestIsRefusedAtCreation) {
    const auto refused = create(_li, 64 * 1024 + 1, sha256Hex("x"));
    EXPECT_EQ(refused.status, 413);
    EXPECT_EQ(errorCode(refused), "blob_too_large");
    EXPECT_TRUE(filesUnder(tenantFolder()).empty());
}

TEST_F(PhotoUploadLimits, ATenantOverItsQuotaIsRefused) {
    upload(_li, fakePhoto(60 * 1024, 17));

    const auto refused = create(_wang, 50 * 1024, sha256Hex("z"));

    EXPECT_EQ(refused.status, 403);
    EXPECT_EQ(errorCode(refused), "quota_exceeded");
    EXPECT_EQ(filesUnder(tenantFolder()).size(), 1U);  // the stored photo only
}

TEST_F(PhotoUploadLimits, AChunkThatWouldPassTheQuotaIsRefusedAndKeepsNothing) {
    const auto first = fakePhoto(60 * 1024, 20);
    const auto second = fakePhoto(60 * 1024, 21);
    const auto firstAt = locationOf(create(_li, 60 * 1024, sha256Hex(first)));
    const auto secondAt = locationOf(create(_wang, 60 * 1024, sha256Hex(second)));
    ASSERT_EQ(patch(_li, firstAt, 0, first).status, 204);  // 60 KiB of 100 KiB stored

    const auto refused = patch(_wang, secondAt, 0, second.substr(0, 50 * 1024));

    EXPECT_EQ(refused.status, 403);
    EXPECT_EQ(errorCode(refused), "quota_exceeded");
    EXPECT_EQ(head(_wang, secondAt).headers.at("Upload-Offset"), "0");
    EXPECT_EQ(filesUnder(tenantFolder()), std::set<std::string>{blobFile(sha256Hex(first))});
    // What fits is taken.
    EXPECT_EQ(patch(_wang, secondAt, 0, second.substr(0, 40 * 1024)).status, 204);
}

class PhotoUploadQuota : public PhotoUploads {
protected:
    PhotoUploadQuota()
        : PhotoUploads([](server::ServerConfig& config) {
              config.maxBlobBytes = 4'000'000;
              config.photoQuotaBytes = 10'000'000;
          }) {}
};

TEST_F(PhotoUploadQuota, EmptyUploadsDoNotHoldTheTenantsQuota) {
    for (unsigned i = 0; i < 4; ++i) {
        locationOf(create(_wang, 2'000'000, sha256Hex(fakePhoto(2'000'000, 30 + i))));
    }
    const auto photo = fakePhoto(3'000'000, 40);

    const auto created = create(_li, 3'000'000, sha256Hex(photo), photo);

    EXPECT_EQ(created.status, 201) << created.body;
    EXPECT_EQ(filesUnder(tenantFolder()), std::set<std::string>{blobFile(sha256Hex(photo))});
}

TEST_F(PhotoUploads, ACreationForNoRecordTheCallerMayReadNamingTheHashIsRefused) {
    const auto photo = fakePhoto(20'000, 22);
    const auto sha = sha256Hex(photo);
    const auto length = static_cast<std::int64_t>(photo.size());
    const auto otherHash = photoRecord(_li, sha256Hex("another photo"), length);
    const auto otherSize = photoRecord(_li, sha, length + 1);
    const auto wangsOwn = photoRecord(_wang, sha, length, _wangsAudit);

    for (const auto& photoId : {_ids.nextRecordId(), otherHash, otherSize, wangsOwn}) {
        const auto refused = createFor(_li, photoId, length, sha, photo);
        EXPECT_EQ(refused.status, 400) << refused.body;
        EXPECT_EQ(errorCode(refused), "invalid_parameter");
        EXPECT_NE(refused.body.find("sync the record first"), std::string::npos);
    }
    EXPECT_TRUE(filesUnder(tenantFolder()).empty());
    // Wang may upload for his own record.
    EXPECT_EQ(createFor(_wang, wangsOwn, length, sha, photo).status, 201);
}

TEST_F(PhotoUploads, HeadGivesBackTheMetadataOfTheCreation) {
    const auto photo = fakePhoto(20'000, 23);
    const auto record = photoRecord(_li, sha256Hex(photo), 20'000);
    const auto location = locationOf(createFor(_li, record, 20'000, sha256Hex(photo)));

    const auto answer = head(_li, location);

    EXPECT_EQ(answer.status, 200);
    ASSERT_EQ(answer.headers.count("Upload-Metadata"), 1U);
    EXPECT_EQ(answer.headers.at("Upload-Metadata"), metadataOf(sha256Hex(photo), record));
}

}  // namespace
}  // namespace verdant
