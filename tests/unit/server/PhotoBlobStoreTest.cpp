// The file blob store: verified before it is visible, sharded by hash, stored once; and the
// claims that will authorise downloads.

#include "TemporaryDirectory.hpp"

#include "verdant/server/photos/FileBlobStore.hpp"
#include "verdant/server/photos/PhotoIndex.hpp"
#include "verdant/shared/ErrorCode.hpp"

#include <Poco/DirectoryIterator.h>
#include <Poco/File.h>
#include <gtest/gtest.h>
#include <openssl/sha.h>
#include <sqlite3.h>

#include <fstream>
#include <iterator>
#include <set>

namespace verdant::server {
namespace {

constexpr const char* kTenant = "0b1c7a3e-5d2f-4c7b-9a51-6e8d2f4a1b3c";

std::string sha256Hex(const std::string& bytes) {
    unsigned char digest[SHA256_DIGEST_LENGTH];
    SHA256(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), digest);
    static constexpr char kDigits[] = "0123456789abcdef";
    std::string hex;
    for (const unsigned char byte : digest) {
        hex += kDigits[byte >> 4];
        hex += kDigits[byte & 0x0F];
    }
    return hex;
}

/// Every regular file under `root`, relative to it; the index's own files left out.
std::set<std::string> filesUnder(const std::string& root, const std::string& prefix = "") {
    std::set<std::string> files;
    for (Poco::DirectoryIterator it(root), end; it != end; ++it) {
        if (it->isDirectory()) {
            files.merge(filesUnder(it.path().toString(), prefix + it.name() + "/"));
        } else if (it.name().rfind("index.db", 0) != 0) {
            files.insert(prefix + it.name());
        }
    }
    return files;
}

class FileBlobStoreTest : public ::testing::Test {
protected:
    FileBlobStoreTest() : _indexes(_dir.file("blobs")), _store(_indexes, _clock) {
        _indexes.of(kTenant);  // the tenant's folder and index
    }

    /// A staged file in the tenant's folder holding `bytes`.
    std::string stage(const std::string& name, const std::string& bytes) {
        const auto path = _indexes.tenantDirectory(kTenant) + "/" + name;
        std::ofstream(path, std::ios::binary) << bytes;
        return path;
    }

    std::string tenantFolder() { return _indexes.tenantDirectory(kTenant); }

    test::TemporaryDirectory _dir;
    shared::ManualClock _clock{1'800'000'000'000};
    PhotoIndexes _indexes;
    FileBlobStore _store;
};

TEST_F(FileBlobStoreTest, VerifiedBytesAreRenamedIntoTheirShard) {
    const std::string bytes = "\xFF\xD8\xFF\xE0 a small photo";
    const auto sha = sha256Hex(bytes);
    const auto staged = stage("upload.part", bytes);

    const auto blob = _store.put(kTenant, sha, "image/jpeg", staged);

    EXPECT_EQ(blob.size, static_cast<std::int64_t>(bytes.size()));
    EXPECT_EQ(blob.mediaType, "image/jpeg");
    EXPECT_EQ(filesUnder(tenantFolder()),
              (std::set<std::string>{sha.substr(0, 2) + "/" + sha.substr(2, 2) + "/" + sha}));
    EXPECT_FALSE(Poco::File(staged).exists());
    ASSERT_TRUE(_store.contains(kTenant, sha));
    ASSERT_EQ(_store.localPath(kTenant, sha), _store.pathOf(kTenant, sha));
    const auto in = _store.open(kTenant, sha);
    ASSERT_TRUE(in);
    EXPECT_EQ(std::string(std::istreambuf_iterator<char>(*in), {}), bytes);
}

TEST_F(FileBlobStoreTest, BytesThatAreNotTheirNameLeaveNothingVisible) {
    const auto sha = sha256Hex("the bytes the device meant");
    const auto staged = stage("upload.part", "other bytes");

    try {
        _store.put(kTenant, sha, "image/jpeg", staged);
        FAIL() << "a blob whose bytes are not its hash was stored";
    } catch (const shared::Error& e) {
        EXPECT_EQ(e.code(), shared::ErrorCode::BlobHashMismatch);
    }
    EXPECT_TRUE(filesUnder(tenantFolder()).empty());
    EXPECT_FALSE(_store.contains(kTenant, sha));
    EXPECT_FALSE(_store.localPath(kTenant, sha));
    EXPECT_FALSE(_store.open(kTenant, sha));
}

TEST_F(FileBlobStoreTest, TheSameBytesTwiceAreStoredOnce) {
    const std::string bytes = "%PDF-1.7 a report";
    const auto sha = sha256Hex(bytes);
    _store.put(kTenant, sha, "application/pdf", stage("first.part", bytes));
    const auto second = stage("second.part", bytes);

    _store.put(kTenant, sha, "application/pdf", second);

    EXPECT_EQ(filesUnder(tenantFolder()).size(), 1U);
    EXPECT_FALSE(Poco::File(second).exists());
}

TEST_F(FileBlobStoreTest, ClaimsNameEachPhotoOnceAndOnlyForTheirHash) {
    const auto sha = sha256Hex("a");
    const auto other = sha256Hex("b");
    _store.addClaim(kTenant, {sha, "photo-1", "user-1", 1});
    _store.addClaim(kTenant, {sha, "photo-1", "user-1", 2});  // a retry
    _store.addClaim(kTenant, {sha, "photo-2", "user-2", 3});
    _store.addClaim(kTenant, {other, "photo-3", "user-1", 4});

    const auto claims = _store.claimsFor(kTenant, sha);
    EXPECT_EQ(std::set<std::string>(claims.begin(), claims.end()),
              (std::set<std::string>{"photo-1", "photo-2"}));
    EXPECT_EQ(claims.size(), 2U);
    EXPECT_TRUE(_store.claimsFor(kTenant, "not a hash").empty());
}

/// An unfinished upload of `length` bytes, with id `id`.
UploadRecord openUpload(const std::string& id, std::int64_t length) {
    UploadRecord upload;
    upload.id = id;
    upload.userId = "u";
    upload.length = length;
    upload.sha256 = sha256Hex(id);
    upload.proofNonce = std::string(32, '\0');
    upload.expiresAtMs = 1;
    return upload;
}

TEST_F(FileBlobStoreTest, QuotaCountsStoredBlobsAndTheBytesOpenUploadsHold) {
    const std::string bytes(1000, 'x');
    _store.put(kTenant, sha256Hex(bytes), "image/png", stage("a.part", bytes));
    auto& index = _indexes.of(kTenant);

    // Creation checks this upload's length against what is used, and reserves nothing.
    EXPECT_FALSE(index.createUpload(openUpload("a", 500), 1499));
    EXPECT_TRUE(index.createUpload(openUpload("a", 500), 1500));
    EXPECT_EQ(index.usedBytes(), 1000);
    index.saveProgress("a", 200, "image/png", 1);
    EXPECT_EQ(index.usedBytes(), 1200);
    index.completeUpload("a", {sha256Hex("a"), "photo-1", "u", 1}, 1);
    EXPECT_EQ(index.usedBytes(), 1000);  // its blob counts once it is stored
}

TEST_F(FileBlobStoreTest, EmptyUploadsDoNotBlockTheQuota) {
    auto& index = _indexes.of(kTenant);
    for (const auto* id : {"a", "b", "c", "d"}) {
        ASSERT_TRUE(index.createUpload(openUpload(id, 2'000'000), 10'000'000));
    }
    EXPECT_TRUE(index.createUpload(openUpload("e", 9'000'000), 10'000'000));
    EXPECT_EQ(index.usedBytes(), 0);
}

TEST_F(FileBlobStoreTest, ReservedChunkBytesCountUntilReleased) {
    auto& index = _indexes.of(kTenant);
    ASSERT_TRUE(index.createUpload(openUpload("a", 800), 1000));
    index.saveProgress("a", 300, "image/png", 1);

    EXPECT_TRUE(index.reserve(600, 1000));
    EXPECT_FALSE(index.reserve(200, 1000));  // 300 held + 600 set aside + 200 > 1000
    EXPECT_FALSE(index.createUpload(openUpload("b", 200), 1000));
    index.release(600);
    EXPECT_TRUE(index.reserve(200, 1000));
    index.release(200);
}

TEST_F(FileBlobStoreTest, TheBytesUsedSurviveARestartAndARemovedUpload) {
    const auto path = _dir.file("restart.db");
    {
        PhotoIndex index(path);
        index.addBlob({sha256Hex("x"), 700, "image/png", 1});
        index.addBlob({sha256Hex("x"), 700, "image/png", 2});  // already there: counted once
        ASSERT_TRUE(index.createUpload(openUpload("a", 500), 10'000));
        ASSERT_TRUE(index.createUpload(openUpload("b", 500), 10'000));
        index.saveProgress("a", 100, "image/png", 1);
        index.saveProgress("b", 50, "image/png", 1);
        index.removeUpload("b");
    }
    PhotoIndex reopened(path);
    EXPECT_EQ(reopened.usedBytes(), 800);
}

TEST_F(FileBlobStoreTest, AnIndexOfTheFirstVersionOpensWithItsBytesCounted) {
    // Version 1 kept no running total: the step to version 2 adds it from the rows already there.
    const auto path = _dir.file("version1.db");
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
    const char* version1 = R"sql(
CREATE TABLE blobs (sha256 TEXT PRIMARY KEY, size INTEGER NOT NULL, media_type TEXT NOT NULL,
    stored_at_ms INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE claims (sha256 TEXT NOT NULL, photo_id TEXT NOT NULL, user_id TEXT NOT NULL,
    at_ms INTEGER NOT NULL, PRIMARY KEY (sha256, photo_id, user_id)) WITHOUT ROWID;
CREATE TABLE uploads (id TEXT PRIMARY KEY, user_id TEXT NOT NULL, device_id TEXT,
    length INTEGER NOT NULL, upload_offset INTEGER NOT NULL, sha256 TEXT NOT NULL,
    photo_id TEXT NOT NULL, metadata TEXT NOT NULL, media_type TEXT NOT NULL DEFAULT '',
    proof_nonce BLOB NOT NULL, proof_tried INTEGER NOT NULL DEFAULT 0,
    completed INTEGER NOT NULL DEFAULT 0, created_at_ms INTEGER NOT NULL,
    expires_at_ms INTEGER NOT NULL) WITHOUT ROWID;
CREATE INDEX uploads_by_expiry ON uploads (expires_at_ms);
INSERT INTO blobs VALUES ('a', 700, 'image/png', 1), ('b', 300, 'image/jpeg', 1);
INSERT INTO uploads (id, user_id, length, upload_offset, sha256, photo_id, metadata, proof_nonce,
    completed, created_at_ms, expires_at_ms)
    VALUES ('open', 'u', 5000, 120, 'c', 'p', '', x'00', 0, 1, 9),
           ('done', 'u', 300, 300, 'b', 'q', '', x'00', 1, 1, 9);
PRAGMA user_version = 1;
)sql";
    ASSERT_EQ(sqlite3_exec(db, version1, nullptr, nullptr, nullptr), SQLITE_OK);
    sqlite3_close(db);

    PhotoIndex upgraded(path);
    EXPECT_EQ(upgraded.usedBytes(), 700 + 300 + 120);
    upgraded.saveProgress("open", 200, "image/png", 1);
    EXPECT_EQ(upgraded.usedBytes(), 700 + 300 + 200);
}

}  // namespace
}  // namespace verdant::server
