// An unmodified tus-js-client (npm, pinned in tests/tus-js/package-lock.json) uploads a photo to
// the real server over TLS through a relay that drops the connection after every 256 KiB, and
// resumes after each drop until the server holds the whole, verified blob: the promise that the
// tus clients mobile teams already use work against Verdant unchanged.

#include "ChildProcess.hpp"
#include "CuttingProxy.hpp"
#include "PhotoBytes.hpp"
#include "ServerHarness.hpp"
#include "TemporaryDirectory.hpp"
#include "TestCertificates.hpp"
#include "TestDevice.hpp"

#include "verdant/audit/Collections.hpp"
#include "verdant/server/auth/AccountStore.hpp"
#include "verdant/shared/IdGenerator.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>

namespace verdant {
namespace {

using server::Role;
using shared::Value;
using test::TestDevice;
namespace c = audit::collections;

constexpr std::int64_t kCutAfterBytes = 256 * 1024;
constexpr std::size_t kPhotoBytes = 3 * 1024 * 1024 + 12345;

std::string readAll(const std::string& path) {
    std::ifstream file(path);
    return {std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>()};
}

TEST(TusJsClient, UploadsThroughDroppedConnectionsAndResumes) {
    test::ServerHarness server;
    test::seedTenant(server, "acme", {{"hq", Role::HqReviewer}, {"li", Role::FieldExpert}});
    TestDevice li(server.endpoint(), "acme", "li", "li-password", shared::SystemClock::instance());
    test::TemporaryDirectory work;
    const auto photo = test::cameraPhoto(kPhotoBytes, 7);
    const auto file = work.file("evidence.jpg");
    std::ofstream(file, std::ios::binary) << photo;
    const auto hash = test::sha256Hex(photo);
    // The server takes bytes only for a photos record the uploader may read: HQ gives Li an
    // audit, and her record of the photo is synced first, as the SDK does.
    shared::IdGenerator ids(shared::SystemClock::instance());
    const auto audit = ids.nextRecordId();
    TestDevice hq(server.endpoint(), "acme", "hq", "hq-password", shared::SystemClock::instance());
    hq.set(c::kAudits, audit, "assignee_id", Value::string(li.userId()));
    hq.set(c::kAudits, audit, "state", Value::string("in_progress"));
    ASSERT_EQ(hq.push().results.at(0).outcome, "applied");
    const auto record = ids.nextRecordId();
    li.set(c::kPhotos, record, "audit_id", Value::id(audit));
    li.set(c::kPhotos, record, "sha256", Value::string(hash));
    li.set(c::kPhotos, record, "size_bytes",
           Value::integer(static_cast<std::int64_t>(photo.size())));
    ASSERT_EQ(li.push().results.at(0).outcome, "applied");
    const auto photoId = record.toString();

    test::CuttingProxy weakNetwork(server.port(), kCutAfterBytes);
    ::setenv("NODE_EXTRA_CA_CERTS", test::TestCertificates::primary().caFile.c_str(), 1);
    const auto endpoint = "https://localhost:" + std::to_string(weakNetwork.port()) + "/v1/uploads";
    const auto log = work.file("node.log");
    test::ChildProcess node(
        VERDANT_NODE_BINARY,
        {VERDANT_TUS_JS_SCRIPT, endpoint, li.accessToken(), file, hash, photoId}, log);
    const auto exitCode = node.waitFor(std::chrono::seconds(120));
    ASSERT_TRUE(exitCode.has_value()) << "tus-js-client did not finish";
    ASSERT_EQ(*exitCode, 0) << readAll(log);

    std::cout << "[ figures  ] tus-js-client, " << kPhotoBytes
              << " bytes through a 256 KiB cut: " << weakNetwork.bytesRelayed()
              << " bytes crossed, " << weakNetwork.cuts() << " cuts\n";
    // It had to resume: the relay cut the upload many times.
    EXPECT_GE(weakNetwork.cuts(), static_cast<int>(kPhotoBytes / kCutAfterBytes) - 1);
    // The partial bytes of each cut request were kept: the client did not send the photo twice.
    EXPECT_LE(weakNetwork.bytesRelayed(), static_cast<std::int64_t>(2 * kPhotoBytes));

    // The server holds every byte, verified (an upload reaches its length only once its SHA-256
    // is checked): asked directly, not through the relay.
    const auto printed = readAll(log);
    const auto start = printed.find("/v1/uploads/");
    ASSERT_NE(start, std::string::npos) << printed;
    const auto path = printed.substr(start, printed.find('"', start) - start);
    const auto head = li.send("HEAD", path, "", "", {{"Tus-Resumable", "1.0.0"}});
    EXPECT_EQ(head.status, 200);
    EXPECT_EQ(head.headers.at("Upload-Offset"), std::to_string(kPhotoBytes));
}

}  // namespace
}  // namespace verdant
