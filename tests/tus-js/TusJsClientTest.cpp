// An unmodified tus-js-client (npm, pinned in tests/tus-js/package-lock.json) uploads a photo to
// the real server over TLS through a relay that drops the connection after every 256 KiB, and
// resumes after each drop until the server holds the whole, verified blob: the promise that the
// tus clients mobile teams already use work against Verdant unchanged.

#include "ChildProcess.hpp"
#include "CuttingProxy.hpp"
#include "ServerHarness.hpp"
#include "TemporaryDirectory.hpp"
#include "TestCertificates.hpp"
#include "TestDevice.hpp"

#include "verdant/server/auth/AccountStore.hpp"
#include "verdant/shared/IdGenerator.hpp"

#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <cstdlib>
#include <fstream>
#include <iomanip>
#include <random>
#include <sstream>

namespace verdant {
namespace {

using server::Role;
using test::TestDevice;

constexpr std::int64_t kCutAfterBytes = 256 * 1024;
constexpr std::size_t kPhotoBytes = 3 * 1024 * 1024 + 12345;

std::string sha256Hex(const std::string& bytes) {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    EVP_Digest(bytes.data(), bytes.size(), digest, &length, EVP_sha256(), nullptr);
    std::ostringstream hex;
    for (unsigned int i = 0; i < length; ++i) {
        hex << std::hex << std::setw(2) << std::setfill('0') << static_cast<int>(digest[i]);
    }
    return hex.str();
}

/// A photo as a camera writes one: the JPEG magic, then bytes that do not compress.
std::string cameraPhoto(std::size_t size, unsigned seed) {
    std::mt19937 random(seed);
    std::string bytes(size, '\0');
    for (auto& byte : bytes) {
        byte = static_cast<char>(random() & 0xFF);
    }
    const unsigned char jfif[] = {0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, 'J', 'F', 'I', 'F', 0x00};
    std::copy(std::begin(jfif), std::end(jfif), bytes.begin());
    return bytes;
}

std::string readAll(const std::string& path) {
    std::ifstream file(path);
    return {std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>()};
}

TEST(TusJsClient, UploadsThroughDroppedConnectionsAndResumes) {
    test::ServerHarness server;
    test::seedTenant(server, "acme", {{"li", Role::FieldExpert}});
    TestDevice li(server.endpoint(), "acme", "li", "li-password", shared::SystemClock::instance());
    test::TemporaryDirectory work;
    const auto photo = cameraPhoto(kPhotoBytes, 7);
    const auto file = work.file("evidence.jpg");
    std::ofstream(file, std::ios::binary) << photo;
    const auto hash = sha256Hex(photo);
    const auto photoId =
        shared::IdGenerator(shared::SystemClock::instance()).nextRecordId().toString();

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
