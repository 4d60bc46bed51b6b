// The `verdant` tool killed with SIGKILL in the middle of a photo upload, then run again: the
// upload resumes where the server's bytes end, so what the crash costs on the wire is at most one
// chunk. Measured on a relay that counts every byte from the device to the server, against the
// same upload run once without a crash.

#include "ChildProcess.hpp"
#include "CliProcess.hpp"
#include "CuttingProxy.hpp"
#include "PhotoBytes.hpp"
#include "ServerHarness.hpp"
#include "TemporaryDirectory.hpp"
#include "TestCertificates.hpp"
#include "TestDevice.hpp"

#include "verdant/audit/Collections.hpp"
#include "verdant/server/auth/AccountStore.hpp"
#include "verdant/shared/IdGenerator.hpp"

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <gtest/gtest.h>

#include <csignal>
#include <cstring>
#include <fstream>
#include <thread>

namespace verdant {
namespace {

using server::Role;
using shared::RecordId;
using shared::Value;
namespace c = audit::collections;

constexpr std::int64_t kChunkBytes = 1024 * 1024;
constexpr std::size_t kPhotoBytes = 6 * 1024 * 1024;

class PhotoUploadCrash : public ::testing::Test {
protected:
    PhotoUploadCrash()
        : _tenant(test::seedTenant(_server, "acme",
                                   {{"hq", Role::HqReviewer}, {"li", Role::FieldExpert}})),
          _relay(_server.port()) {
        test::TestDevice li(_server.endpoint(), "acme", "li", "li-password",
                            shared::SystemClock::instance());
        _hq = std::make_unique<test::TestDevice>(_server.endpoint(), "acme", "hq", "hq-password",
                                                 shared::SystemClock::instance());
        _hq->set(c::kAudits, _audit, "assignee_id", Value::string(li.userId()));
        _hq->set(c::kAudits, _audit, "state", Value::string("in_progress"));
        _hq->push();
    }

    std::vector<std::string> withDataDir(std::vector<std::string> arguments) const {
        arguments.insert(arguments.begin(), {"--data-dir", _data.path()});
        return arguments;
    }

    test::CliResult verdant(const std::vector<std::string>& arguments,
                            const std::string& input = "") {
        return test::runProcess(VERDANT_CLI_BINARY, withDataDir(arguments), {input, {}},
                                _home.path());
    }

    /// Signs Li in through the relay, takes a photo and pushes its record (not its bytes).
    void takePhotoAndPushItsRecord(std::uint64_t seed) {
        const auto file = _home.file("photo" + std::to_string(seed) + ".jpg");
        std::ofstream(file, std::ios::binary) << test::cameraPhoto(kPhotoBytes, seed);
        ASSERT_EQ(verdant({"photo", "add", _audit.toString(), file}).exitCode, 0);
        ASSERT_EQ(verdant({"push"}).exitCode, 0);
    }

    /// Bytes from the device to the server while `verdant photo upload` runs to its end.
    std::int64_t uploadToTheEnd() {
        const auto before = _relay.bytesUp();
        const auto result = verdant({"photo", "upload"});
        EXPECT_EQ(result.exitCode, 0) << result.out << result.err;
        return _relay.bytesUp() - before;
    }

    int received() {
        const auto answer = _hq->send("GET", "/v1/audits/" + _audit.toString() + "/photos");
        Poco::JSON::Parser parser;
        return parser.parse(answer.body)
            .extract<Poco::JSON::Object::Ptr>()
            ->getValue<int>("received");
    }

    test::ServerHarness _server;
    std::string _tenant;
    test::CuttingProxy _relay;
    test::TemporaryDirectory _home;
    test::TemporaryDirectory _data;
    RecordId _audit = shared::IdGenerator(shared::SystemClock::instance()).nextRecordId();
    std::unique_ptr<test::TestDevice> _hq;
};

TEST_F(PhotoUploadCrash, AKilledUploadResumesFromTheServersOffsetResendingAtMostOneChunk) {
    ASSERT_EQ(verdant({"login", "--tenant", "acme", "--user", "li", "--password-stdin", "--server",
                       "https://localhost:" + std::to_string(_relay.port()), "--ca",
                       test::TestCertificates::primary().caFile},
                      "li-password\n")
                  .exitCode,
              0);
    ASSERT_EQ(verdant({"pull"}).exitCode, 0);

    // The cost of one upload without a crash.
    takePhotoAndPushItsRecord(1);
    const auto uninterrupted = uploadToTheEnd();
    ASSERT_EQ(received(), 1);

    // The same upload (another photo of the same size), killed halfway, then run again.
    takePhotoAndPushItsRecord(2);
    const auto before = _relay.bytesUp();
    {
        test::ChildProcess upload(
            VERDANT_CLI_BINARY,
            withDataDir({"photo", "upload", "--chunk-kib", std::to_string(kChunkBytes / 1024),
                         "--max-kib-per-second", "2048"}),
            _home.file("killed.log"));
        while (_relay.bytesUp() - before < static_cast<std::int64_t>(kPhotoBytes / 2)) {
            ASSERT_FALSE(upload.waitFor(std::chrono::milliseconds(5)).has_value())
                << "the upload ended before it could be killed";
        }
        upload.signal(SIGKILL);
        ASSERT_EQ(upload.waitFor(std::chrono::seconds(10)), 128 + SIGKILL);
    }
    EXPECT_EQ(received(), 1) << "killed before the end";
    const auto killedRun = _relay.bytesUp() - before;
    const auto resumedRun = uploadToTheEnd();
    EXPECT_EQ(received(), 2);

    const auto resent = killedRun + resumedRun - uninterrupted;
    std::cout << "[ figures  ] " << kPhotoBytes << "-byte photo: " << uninterrupted
              << " bytes up without a crash; killed after " << killedRun << ", resumed with "
              << resumedRun << ": " << resent << " bytes more\n";
    EXPECT_LE(resent, kChunkBytes);
}

}  // namespace
}  // namespace verdant
