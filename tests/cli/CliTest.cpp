// The `verdant` command-line tool as a user runs it: a real child process against the real
// server (in-process, real TLS, port 0), with HQ on a TestDevice assigning audits and checking
// what reached the server.

#include "CliProcess.hpp"
#include "ServerHarness.hpp"
#include "TemporaryDirectory.hpp"
#include "TestCertificates.hpp"
#include "TestDevice.hpp"

#include "verdant/domain/DomainSchema.hpp"
#include "verdant/server/auth/AuthService.hpp"
#include "verdant/shared/Clock.hpp"
#include "verdant/shared/IdGenerator.hpp"

#include <Poco/Exception.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <map>
#include <string>
#include <vector>

namespace verdant {
namespace {

using server::Role;
using shared::RecordId;
using shared::Value;
using test::CliInput;
using test::CliResult;
namespace c = audit::collections;

/// Everything a failed expectation needs to explain itself.
std::string describe(const CliResult& result) {
    return "exit " + std::to_string(result.exitCode) + "\n--- stdout\n" + result.out +
           "--- stderr\n" + result.err;
}

/// stdout of a --json command: exactly one JSON document (on one line), as an object.
Poco::JSON::Object::Ptr jsonOf(const CliResult& result) {
    EXPECT_FALSE(result.out.empty()) << describe(result);
    EXPECT_EQ(std::count(result.out.begin(), result.out.end(), '\n'), 1) << describe(result);
    try {
        Poco::JSON::Parser parser;
        auto object = parser.parse(result.out).extract<Poco::JSON::Object::Ptr>();
        if (object.isNull()) {
            ADD_FAILURE() << "not a JSON object: " << describe(result);
            return new Poco::JSON::Object;
        }
        return object;
    } catch (const Poco::Exception& e) {
        ADD_FAILURE() << "not JSON (" << e.displayText() << "): " << describe(result);
        return new Poco::JSON::Object;
    }
}

std::string errorCodeOf(const CliResult& result) {
    const auto error = jsonOf(result)->getObject("error");
    return error ? error->getValue<std::string>("code") : "(no error object)";
}

/// One tenant with an HQ reviewer and a field expert; HQ works on a TestDevice, the expert
/// through the CLI with its own data directory.
class VerdantCli : public ::testing::Test {
protected:
    VerdantCli()
        : _tenantId(test::seedTenant(_server, "acme",
                                     {{"hq", Role::HqReviewer}, {"li", Role::FieldExpert}})),
          _hq(_server.endpoint(), "acme", "hq", "hq-password", shared::SystemClock::instance()) {}

    /// Runs `verdant ARGS` with the expert's data directory in $VERDANT_DATA_DIR.
    CliResult verdant(const std::vector<std::string>& arguments, CliInput input = {}) {
        input.environment.emplace("VERDANT_DATA_DIR", _data.path());
        return test::runProcess(VERDANT_CLI_BINARY, arguments, input, _home.path());
    }

    /// Signs the expert in with the password on stdin, naming the server and CA.
    void login() {
        const auto result =
            verdant({"login", "--tenant", "acme", "--user", "li", "--password-stdin", "--server",
                     _server.baseUrl(), "--ca", test::TestCertificates::primary().caFile},
                    {"li-password\n", {}});
        ASSERT_EQ(result.exitCode, 0) << describe(result);
    }

    /// The expert's user id, as `verdant status --json` shows it.
    std::string expertUserId() {
        const auto result = verdant({"status", "--json"});
        EXPECT_EQ(result.exitCode, 0) << describe(result);
        return jsonOf(result)->getValue<std::string>("user_id");
    }

    /// HQ sets up a supplier and an audit assigned to `assignee` and pushes them.
    RecordId assignAudit(const std::string& assignee) {
        const auto supplier = _ids.nextRecordId();
        const auto audit = _ids.nextRecordId();
        _hq.set(c::kSuppliers, supplier, "name_en", Value::string("Green Dyeing Co."));
        _hq.set(c::kAudits, audit, "supplier_id", Value::id(supplier));
        _hq.set(c::kAudits, audit, "type", Value::string("periodic"));
        _hq.set(c::kAudits, audit, "state", Value::string("in_progress"));
        _hq.set(c::kAudits, audit, "assignee_id", Value::string(assignee));
        const auto response = _hq.push();
        EXPECT_EQ(response.results.size(), 5U);
        return audit;
    }

    /// Signs in, has an audit assigned and pulls it; returns the audit.
    RecordId loginAndPullAnAudit() {
        login();
        const auto audit = assignAudit(expertUserId());
        const auto pulled = verdant({"pull"});
        EXPECT_EQ(pulled.exitCode, 0) << describe(pulled);
        return audit;
    }

    /// The JSON value held by the server's copy of an answer (via HQ's replica), or "".
    std::string serverAnswer(const RecordId& audit, const std::string& question,
                             const std::string& field = "value") {
        _hq.pull();
        const auto record =
            _hq.replica().record(c::kAnswers, audit::answerRecordId(audit, question));
        if (!record || record->fields.count(field) == 0) {
            return "";
        }
        const auto& value = record->fields.at(field).value;
        return value.kind() == shared::ValueKind::Json ? value.as<shared::JsonText>().text
                                                       : value.toDisplayString();
    }

    test::ServerHarness _server;
    std::string _tenantId;
    test::TestDevice _hq;
    shared::IdGenerator _ids{shared::SystemClock::instance()};
    test::TemporaryDirectory _data;
    test::TemporaryDirectory _home;
};

TEST_F(VerdantCli, ADayOfflineAnswersReachHqAfterOnePush) {
    login();
    const auto audit = assignAudit(expertUserId());

    // At the hotel: download the assigned audit.
    const auto pulled = verdant({"pull"});
    ASSERT_EQ(pulled.exitCode, 0) << describe(pulled);
    EXPECT_NE(pulled.out.find("pull complete"), std::string::npos) << describe(pulled);

    const auto listed = verdant({"audits"});
    ASSERT_EQ(listed.exitCode, 0) << describe(listed);
    EXPECT_NE(listed.out.find(audit.toString()), std::string::npos) << describe(listed);
    EXPECT_NE(listed.out.find("Green Dyeing Co."), std::string::npos) << describe(listed);
    EXPECT_NE(listed.out.find("in_progress"), std::string::npos) << describe(listed);

    // In the factory, offline: nothing below until `push` talks to the server.
    const auto first =
        verdant({"answer", audit.toString(), "C.1", "yes", "--comment", "Permit on the wall"});
    ASSERT_EQ(first.exitCode, 0) << describe(first);
    EXPECT_EQ(first.out.find("synced"), std::string::npos) << "not sent yet: " << describe(first);
    const auto second = verdant({"answer", audit.toString(), "C.2", R"({"score":4})", "--json"});
    ASSERT_EQ(second.exitCode, 0) << describe(second);
    const auto written = jsonOf(second);
    EXPECT_EQ(written->getValue<std::string>("record_id"),
              audit::answerRecordId(audit, "C.2").toString());
    EXPECT_EQ(written->getObject("value")->getValue<int>("score"), 4);
    EXPECT_NE(written->getValue<std::string>("sync_state"), "synced");

    const auto pending = jsonOf(verdant({"status", "--json"}));
    EXPECT_EQ(pending->getValue<std::size_t>("pending_records"), 2U);
    EXPECT_GE(pending->getValue<std::size_t>("pending_changes"), 2U);
    EXPECT_EQ(serverAnswer(audit, "C.1"), "") << "the server has nothing before the push";

    const auto inAudit = jsonOf(verdant({"audits", "--json"}));
    const auto row = inAudit->getArray("audits")->getObject(0);
    EXPECT_EQ(row->getValue<std::string>("id"), audit.toString());
    EXPECT_EQ(row->getValue<std::size_t>("answers"), 2U);
    EXPECT_EQ(row->getValue<std::size_t>("unsynced_answers"), 2U);

    // Back on a network.
    const auto pushed = verdant({"push", "--json"});
    ASSERT_EQ(pushed.exitCode, 0) << describe(pushed);
    const auto report = jsonOf(pushed);
    EXPECT_TRUE(report->getValue<bool>("complete"));
    EXPECT_EQ(report->getValue<std::size_t>("pushed"),
              pending->getValue<std::size_t>("pending_changes"));
    EXPECT_EQ(report->getArray("errors")->size(), 0U);

    const auto after = jsonOf(verdant({"status", "--json"}));
    EXPECT_EQ(after->getValue<std::size_t>("pending_changes"), 0U);
    EXPECT_EQ(after->getValue<std::size_t>("pending_records"), 0U);
    const auto statusText = verdant({"status"});
    EXPECT_NE(statusText.out.find("Pending changes  0"), std::string::npos) << describe(statusText);

    EXPECT_EQ(serverAnswer(audit, "C.1"), R"({"answer":"yes"})");
    EXPECT_EQ(serverAnswer(audit, "C.1", "comment"), R"("Permit on the wall")");
    EXPECT_EQ(serverAnswer(audit, "C.2"), R"({"score":4})");
}

TEST_F(VerdantCli, APhotoAddedOfflineIsListedThenSyncsItsRecordBeforeItsBytes) {
    const auto audit = loginAndPullAnAudit();
    const std::string bytes = "\xFF\xD8\xFF\xE0 drums without labels";
    const auto file = _home.path() + "/drums.jpg";
    std::ofstream(file, std::ios::binary) << bytes;

    const auto added =
        verdant({"photo", "add", audit.toString(), file, "--caption", "Drums", "--json"});
    ASSERT_EQ(added.exitCode, 0) << describe(added);
    const auto photo = jsonOf(added)->getValue<std::string>("photo_id");
    EXPECT_EQ(jsonOf(added)->getValue<std::size_t>("size_bytes"), bytes.size());

    const auto listed = verdant({"photo", "list", "--audit", audit.toString(), "--json"});
    ASSERT_EQ(listed.exitCode, 0) << describe(listed);
    const auto row = jsonOf(listed)->getArray("photos")->getObject(0);
    EXPECT_EQ(row->getValue<std::string>("photo_id"), photo);
    EXPECT_EQ(row->getValue<std::string>("state"), "pending");
    EXPECT_EQ(row->getValue<std::string>("message"), "waiting for its record to reach the server");
    const auto table = verdant({"photo", "list"});
    EXPECT_NE(table.out.find(photo), std::string::npos) << describe(table);
    EXPECT_NE(table.out.find("pending"), std::string::npos) << describe(table);

    // One sync: the records, then the bytes.
    const auto synced = verdant({"sync"});
    EXPECT_EQ(synced.exitCode, 0) << describe(synced);
    EXPECT_NE(synced.out.find("photos: 1 uploaded"), std::string::npos) << describe(synced);
    EXPECT_LT(synced.out.find("sync complete"), synced.out.find("photos:")) << describe(synced);
    _hq.pull();
    const auto record = _hq.replica().record(c::kPhotos, *RecordId::parse(photo));
    ASSERT_TRUE(record) << "the photo's record reached HQ";
    EXPECT_EQ(record->fields.at("caption").value, Value::string("Drums"));
    EXPECT_EQ(jsonOf(verdant({"photo", "list", "--json"}))
                  ->getArray("photos")
                  ->getObject(0)
                  ->getValue<std::string>("state"),
              "uploaded");
    const auto again = verdant({"photo", "upload", "--chunk-kib", "64"});
    EXPECT_EQ(again.exitCode, 0) << "nothing left to upload: " << describe(again);

    const auto out = _home.path() + "/copy.jpg";
    const auto downloaded = verdant({"photo", "download", photo, out});
    ASSERT_EQ(downloaded.exitCode, 0) << describe(downloaded);
    std::ifstream copy(out, std::ios::binary);
    EXPECT_EQ(std::string(std::istreambuf_iterator<char>(copy), {}), bytes);
    EXPECT_EQ(verdant({"photo", "rename"}).exitCode, 2);
}

TEST_F(VerdantCli, PhotoRetryPutsAFailedPhotoBackAndRefusesOneThatHasNotFailed) {
    const auto audit = loginAndPullAnAudit();
    const auto file = _home.path() + "/notes.jpg";
    std::ofstream(file, std::ios::binary) << "plain text, not a JPEG at all";
    const auto added = verdant({"photo", "add", audit.toString(), file, "--json"});
    ASSERT_EQ(added.exitCode, 0) << describe(added);
    const auto photo = jsonOf(added)->getValue<std::string>("photo_id");

    const auto pending = verdant({"photo", "retry", photo, "--json"});
    EXPECT_EQ(pending.exitCode, 1) << "not failed yet: " << describe(pending);
    EXPECT_EQ(jsonOf(pending)->getObject("error")->getValue<std::string>("code"),
              "invalid_parameter");

    verdant({"sync"});  // the server refuses its bytes: 415 media_type_not_allowed
    const auto stateOf = [&] {
        return jsonOf(verdant({"photo", "list", "--json"}))
            ->getArray("photos")
            ->getObject(0)
            ->getValue<std::string>("state");
    };
    ASSERT_EQ(stateOf(), "failed");
    const auto retried = verdant({"photo", "retry", photo});
    EXPECT_EQ(retried.exitCode, 0) << describe(retried);
    EXPECT_NE(retried.out.find("pending again"), std::string::npos) << describe(retried);
    EXPECT_EQ(stateOf(), "pending");
    EXPECT_EQ(verdant({"photo", "retry", audit.toString()}).exitCode, 1) << "no such photo";
    EXPECT_EQ(verdant({"photo", "retry"}).exitCode, 2);
}

TEST_F(VerdantCli, VerboseSyncLogsEachStepOnStderrAndKeepsJsonOnStdoutClean) {
    login();
    const auto audit = assignAudit(expertUserId());
    ASSERT_EQ(verdant({"pull"}).exitCode, 0);
    ASSERT_EQ(verdant({"answer", audit.toString(), "C.1", "yes"}).exitCode, 0);

    const auto synced = verdant({"sync", "--json", "-v"});
    ASSERT_EQ(synced.exitCode, 0) << describe(synced);
    const auto report = jsonOf(synced);  // exactly one JSON document, nothing else
    EXPECT_TRUE(report->getValue<bool>("complete"));
    for (const auto* line : {"verdant: debug sync.started: ", "verdant: debug push.sent: ",
                             "verdant: info push.acknowledged: ", "verdant: debug pull.round: ",
                             "verdant: info pull.done: ", "verdant: info sync.completed: "}) {
        EXPECT_NE(synced.err.find(line), std::string::npos) << line << "\n" << describe(synced);
    }
    const auto acknowledged = synced.err.find("push.acknowledged");
    const auto lineEnd = synced.err.find('\n', acknowledged);
    EXPECT_NE(synced.err.substr(acknowledged, lineEnd - acknowledged).find("changes="),
              std::string::npos)
        << "the numbers follow the message: " << describe(synced);

    const auto quiet = verdant({"sync", "--json"});
    ASSERT_EQ(quiet.exitCode, 0) << describe(quiet);
    EXPECT_EQ(quiet.err.find("sync.started"), std::string::npos) << "only when asked for";
    const auto refused = verdant({"status", "--verbose"});
    EXPECT_EQ(refused.exitCode, 2) << "status does not sync: " << describe(refused);
}

TEST_F(VerdantCli, TheAuditListCountsEachAuditsOwnAnswersAndWhatIsUnsent) {
    login();
    const auto first = assignAudit(expertUserId());
    const auto second = assignAudit(expertUserId());
    ASSERT_EQ(verdant({"pull"}).exitCode, 0);
    for (const auto& [audit, question] :
         {std::pair{first, "C.1"}, std::pair{first, "C.2"}, std::pair{second, "C.1"}}) {
        ASSERT_EQ(verdant({"answer", audit.toString(), question, "yes"}).exitCode, 0);
    }
    ASSERT_EQ(verdant({"push"}).exitCode, 0);
    ASSERT_EQ(verdant({"answer", second.toString(), "C.3", "no"}).exitCode, 0);

    const auto listed = verdant({"audits", "--json"});
    ASSERT_EQ(listed.exitCode, 0) << describe(listed);
    const auto rows = jsonOf(listed)->getArray("audits");
    ASSERT_EQ(rows->size(), 2U) << describe(listed);
    std::map<std::string, std::pair<std::size_t, std::size_t>> counts;  // answers, unsynced
    for (std::size_t i = 0; i < rows->size(); ++i) {
        const auto row = rows->getObject(i);
        counts[row->getValue<std::string>("id")] = {row->getValue<std::size_t>("answers"),
                                                    row->getValue<std::size_t>("unsynced_answers")};
    }
    EXPECT_EQ(counts[first.toString()], (std::pair<std::size_t, std::size_t>{2, 0}));
    EXPECT_EQ(counts[second.toString()], (std::pair<std::size_t, std::size_t>{2, 1}));

    // One audit's answers, each with its own state.
    const auto shown = jsonOf(verdant({"audits", second.toString(), "--json"}));
    const auto answers = shown->getArray("answers");
    ASSERT_EQ(answers->size(), 2U);
    std::map<std::string, std::string> states;
    for (std::size_t i = 0; i < answers->size(); ++i) {
        states[answers->getObject(i)->getValue<std::string>("question_id")] =
            answers->getObject(i)->getValue<std::string>("sync_state");
    }
    EXPECT_EQ(states["C.1"], "synced");
    EXPECT_EQ(states["C.3"], "local");
    EXPECT_EQ(shown->getObject("audit")->getValue<std::size_t>("unsynced_answers"), 1U);
}

TEST_F(VerdantCli, EveryCommandsHelpExitsZeroAndNamesItsOptions) {
    const std::vector<std::pair<std::string, std::vector<std::string>>> commands = {
        {"login",
         {"--tenant", "--user", "--password-stdin", "--server", "--ca", "--data-dir", "--json"}},
        {"status", {"--data-dir", "--json"}},
        {"pull", {"--server", "--ca", "--progress", "--json"}},
        {"push", {"--server", "--ca", "--progress", "--json"}},
        {"sync", {"--server", "--ca", "--progress", "--verbose", "--attempts", "--json"}},
        {"audits", {"--json", "AUDIT_ID"}},
        {"answer", {"AUDIT_ID QUESTION_ID VALUE", "--comment", "--json"}},
        {"conflicts", {"--json"}},
        {"schedule-audit", {"--assignee", "--type", "--supplier"}},
        {"health", {"--server", "--ca", "--json"}},
        {"version", {"--json"}},
    };
    for (const auto& [command, mentions] : commands) {
        const auto help = verdant({command, "--help"});
        EXPECT_EQ(help.exitCode, 0) << command << ": " << describe(help);
        EXPECT_NE(help.out.find("usage: verdant " + command), std::string::npos) << describe(help);
        for (const auto& mention : mentions) {
            EXPECT_NE(help.out.find(mention), std::string::npos)
                << command << " --help does not mention " << mention;
        }
    }
    const auto all = verdant({"--help"});
    EXPECT_EQ(all.exitCode, 0) << describe(all);
    for (const auto& [command, mentions] : commands) {
        EXPECT_NE(all.out.find("  " + command + " "), std::string::npos) << command;
    }
}

TEST_F(VerdantCli, ABadCommandLineIsAUsageErrorWithTheUsageOnStderr) {
    const std::vector<std::vector<std::string>> wrong = {
        {},                              // no command
        {"frobnicate"},                  // no such command
        {"status", "--frobnicate"},      // no such option
        {"audits", "--comment", "x"},    // another command's option
        {"answer", "only-an-audit"},     // too few arguments
        {"status", "extra"},             // too many arguments
        {"login", "--tenant"},           // an option without its value
        {"version", "--json=yes"},       // a flag with a value
        {"sync", "--attempts", "many"},  // a value that is not a number
    };
    for (const auto& arguments : wrong) {
        const auto result = verdant(arguments);
        EXPECT_EQ(result.exitCode, 2) << describe(result);
        EXPECT_NE(result.err.find("usage: verdant"), std::string::npos) << describe(result);
    }
    const auto json = verdant({"status", "--frobnicate", "--json"});
    EXPECT_EQ(json.exitCode, 2) << describe(json);
    EXPECT_EQ(errorCodeOf(json), "invalid_parameter");
}

TEST_F(VerdantCli, CommandsBeforeLoginSayNotSignedIn) {
    const auto someAudit = _ids.nextRecordId().toString();
    const std::vector<std::vector<std::string>> commands = {{"status"},
                                                            {"audits"},
                                                            {"conflicts"},
                                                            {"pull"},
                                                            {"push"},
                                                            {"sync"},
                                                            {"answer", someAudit, "C.1", "yes"}};
    for (const auto& arguments : commands) {
        const auto result = verdant(arguments);
        EXPECT_EQ(result.exitCode, 3) << describe(result);
        EXPECT_NE(result.err.find("verdant login"), std::string::npos) << describe(result);
        EXPECT_TRUE(result.out.empty()) << describe(result);
    }
    const auto json = verdant({"status", "--json"});
    EXPECT_EQ(json.exitCode, 3) << describe(json);
    EXPECT_EQ(errorCodeOf(json), "not_signed_in");
}

TEST_F(VerdantCli, LoginNeedsAPasswordButNeverOnTheCommandLine) {
    // No --password-stdin, no $VERDANT_PASSWORD and stdin is not a terminal: nothing to ask.
    const auto none =
        verdant({"login", "--tenant", "acme", "--user", "li", "--server", _server.baseUrl(), "--ca",
                 test::TestCertificates::primary().caFile});
    EXPECT_EQ(none.exitCode, 2) << describe(none);
    EXPECT_NE(none.err.find("--password-stdin"), std::string::npos) << describe(none);

    // From the environment, with the data directory and server from flags given first.
    test::TemporaryDirectory elsewhere;
    const auto fromEnvironment = test::runProcess(
        VERDANT_CLI_BINARY,
        {"--data-dir", elsewhere.path(), "login", "--tenant", "acme", "--user", "li", "--server",
         _server.baseUrl(), "--ca", test::TestCertificates::primary().caFile, "--json"},
        {"", {{"VERDANT_PASSWORD", "li-password"}}}, _home.path());
    ASSERT_EQ(fromEnvironment.exitCode, 0) << describe(fromEnvironment);
    const auto signedIn = jsonOf(fromEnvironment);
    EXPECT_EQ(signedIn->getValue<std::string>("role"), "field_expert");
    EXPECT_TRUE(signedIn->getValue<bool>("signed_in"));
    const auto status = test::runProcess(
        VERDANT_CLI_BINARY, {"status", "--data-dir", elsewhere.path()}, {}, _home.path());
    EXPECT_EQ(status.exitCode, 0) << describe(status);
    EXPECT_NE(status.out.find("Signed in as li (field_expert) of tenant acme"), std::string::npos)
        << describe(status);

    // On the command line it works, with a warning.
    const auto visible =
        verdant({"login", "--tenant", "acme", "--user", "li", "--password", "li-password",
                 "--server", _server.baseUrl(), "--ca", test::TestCertificates::primary().caFile});
    EXPECT_EQ(visible.exitCode, 0) << describe(visible);
    EXPECT_NE(visible.err.find("warning"), std::string::npos) << describe(visible);
}

TEST_F(VerdantCli, ADamagedAccountFileIsReportedAndRepairedByLogin) {
    login();
    {
        std::ofstream damaged(_data.file("current-account.json"), std::ios::trunc);
        damaged << "{\"tenant\":";
    }
    const auto status = verdant({"status", "--json"});
    EXPECT_EQ(status.exitCode, 1) << describe(status);
    EXPECT_EQ(errorCodeOf(status), "storage_unavailable");
    EXPECT_NE(status.err.find("verdant login"), std::string::npos) << describe(status);

    login();
    EXPECT_EQ(verdant({"status"}).exitCode, 0);
}

TEST_F(VerdantCli, OfflineCommandsWorkWhenTheCaFileOfTheLoginIsGone) {
    const auto ca = _data.file("copy-of-ca.pem");
    {
        std::ifstream original(test::TestCertificates::primary().caFile);
        std::ofstream copy(ca);
        copy << original.rdbuf();
    }
    const auto signedIn = verdant({"login", "--tenant", "acme", "--user", "li", "--password-stdin",
                                   "--server", _server.baseUrl(), "--ca", ca},
                                  {"li-password\n", {}});
    ASSERT_EQ(signedIn.exitCode, 0) << describe(signedIn);
    ASSERT_EQ(std::remove(ca.c_str()), 0);

    EXPECT_EQ(verdant({"status"}).exitCode, 0);
    EXPECT_EQ(verdant({"audits"}).exitCode, 0);
    const auto pull = verdant({"pull", "--json"});
    EXPECT_EQ(pull.exitCode, 1) << describe(pull);
    EXPECT_EQ(errorCodeOf(pull), "invalid_parameter");
    EXPECT_NE(pull.err.find("copy-of-ca.pem"), std::string::npos) << describe(pull);
}

TEST_F(VerdantCli, AWrongPasswordFailsAndSignsNoOneIn) {
    const auto result =
        verdant({"login", "--tenant", "acme", "--user", "li", "--password-stdin", "--server",
                 _server.baseUrl(), "--ca", test::TestCertificates::primary().caFile, "--json"},
                {"not-the-password\n", {}});
    EXPECT_EQ(result.exitCode, 1) << describe(result);
    EXPECT_EQ(errorCodeOf(result), "invalid_credentials");
    EXPECT_NE(result.err.find("invalid_credentials"), std::string::npos) << describe(result);
    EXPECT_EQ(verdant({"status"}).exitCode, 3);
}

TEST_F(VerdantCli, ALockedAccountSaysWhenToTryAgain) {
    for (int i = 0; i < 10; ++i) {
        EXPECT_THROW(_server.server().auth().login("acme", "li", "guess", "", ""), shared::Error);
    }
    const auto result =
        verdant({"login", "--tenant", "acme", "--user", "li", "--password-stdin", "--server",
                 _server.baseUrl(), "--ca", test::TestCertificates::primary().caFile},
                {"li-password\n", {}});
    EXPECT_NE(result.exitCode, 0) << describe(result);
    EXPECT_NE(result.err.find("too_many_attempts"), std::string::npos) << describe(result);
    EXPECT_NE(result.err.find("try again in "), std::string::npos) << describe(result);
    EXPECT_EQ(verdant({"status"}).exitCode, 3) << "no one signed in";
}

TEST_F(VerdantCli, AnsweringAnAuditNotOnTheDeviceIsRefusedWithItsCode) {
    loginAndPullAnAudit();
    const auto notHere = _ids.nextRecordId().toString();
    const auto text = verdant({"answer", notHere, "C.1", "yes"});
    EXPECT_EQ(text.exitCode, 1) << describe(text);
    EXPECT_NE(text.err.find("[not_found]"), std::string::npos) << describe(text);
    EXPECT_NE(text.err.find(notHere), std::string::npos) << describe(text);

    const auto json = verdant({"answer", notHere, "C.1", "yes", "--json"});
    EXPECT_EQ(json.exitCode, 1) << describe(json);
    EXPECT_EQ(errorCodeOf(json), "not_found");
    EXPECT_EQ(jsonOf(json)->getObject("error")->getValue<std::string>("field"), "audit_id");

    const auto malformed = verdant({"answer", "not-an-id", "C.1", "yes", "--json"});
    EXPECT_EQ(malformed.exitCode, 1) << describe(malformed);
    EXPECT_EQ(errorCodeOf(malformed), "invalid_parameter");

    EXPECT_EQ(jsonOf(verdant({"status", "--json"}))->getValue<std::size_t>("pending_changes"), 0U)
        << "a refused answer queues nothing";
}

TEST_F(VerdantCli, AnswerValuesAreStoredAsJsonDocuments) {
    const auto audit = loginAndPullAnAudit();
    const std::vector<std::pair<std::string, std::string>> stored = {
        {"yes", R"({"answer":"yes"})"},
        {"n/a", R"({"answer":"n/a"})"},
        {"4", R"({"answer":4})"},
        {"-0.5", R"({"answer":-0.5})"},
        {"true", R"({"answer":true})"},
        {R"("quoted")", R"({"answer":"quoted"})"},
        {"[1,2]", "[1,2]"},
        {R"({"answer":"no","photo":"p1"})", R"({"answer":"no","photo":"p1"})"},
    };
    int question = 0;
    for (const auto& [given, expected] : stored) {
        const auto id = "Q" + std::to_string(++question);
        const auto result = verdant({"answer", audit.toString(), id, given});
        ASSERT_EQ(result.exitCode, 0) << describe(result);
        EXPECT_NE(result.out.find(expected), std::string::npos)
            << given << ": " << describe(result);
    }
    ASSERT_EQ(verdant({"push"}).exitCode, 0);
    question = 0;
    for (const auto& [given, expected] : stored) {
        EXPECT_EQ(serverAnswer(audit, "Q" + std::to_string(++question)), expected) << given;
    }
    const auto detail = jsonOf(verdant({"audits", audit.toString(), "--json"}));
    EXPECT_EQ(detail->getArray("answers")->size(), stored.size());
}

TEST_F(VerdantCli, AnUnreachableServerLeavesTheSyncIncompleteWithItsCode) {
    const auto audit = loginAndPullAnAudit();
    ASSERT_EQ(verdant({"answer", audit.toString(), "C.1", "no"}).exitCode, 0);

    // Port 1 on this machine: nothing listens there.
    const auto json =
        verdant({"sync", "--server", "https://localhost:1", "--attempts", "1", "--json"});
    EXPECT_EQ(json.exitCode, 1) << describe(json);
    const auto report = jsonOf(json);
    EXPECT_FALSE(report->getValue<bool>("complete"));
    ASSERT_GE(report->getArray("errors")->size(), 1U) << describe(json);
    EXPECT_EQ(report->getArray("errors")->getObject(0)->getValue<std::string>("code"),
              "server_unreachable");
    EXPECT_GE(report->getValue<std::size_t>("pending_changes"), 1U);
    EXPECT_NE(json.err.find("server_unreachable"), std::string::npos) << describe(json);

    const auto text = verdant({"push", "--server", "https://localhost:1", "--attempts", "1"});
    EXPECT_EQ(text.exitCode, 1) << describe(text);
    EXPECT_NE(text.out.find("push incomplete"), std::string::npos) << describe(text);
    EXPECT_NE(text.err.find("server_unreachable"), std::string::npos) << describe(text);

    const auto noCa = verdant({"sync", "--ca", _data.file("no-such-ca.pem"), "--json"});
    EXPECT_EQ(noCa.exitCode, 1) << describe(noCa);
    EXPECT_EQ(errorCodeOf(noCa), "invalid_parameter");
    EXPECT_NE(noCa.err.find("no-such-ca.pem"), std::string::npos) << describe(noCa);

    // The server given at login is still the one used without --server.
    const auto synced = verdant({"sync"});
    EXPECT_EQ(synced.exitCode, 0) << describe(synced);
    EXPECT_EQ(serverAnswer(audit, "C.1"), R"({"answer":"no"})");
}

TEST_F(VerdantCli, ProgressGoesToStderrOnlyWhenAskedForOffATerminal) {
    login();
    assignAudit(expertUserId());
    const auto quiet = verdant({"pull"});
    EXPECT_EQ(quiet.exitCode, 0) << describe(quiet);
    EXPECT_TRUE(quiet.err.empty()) << describe(quiet);

    assignAudit(expertUserId());
    const auto shown = verdant({"pull", "--progress", "--json"});
    EXPECT_EQ(shown.exitCode, 0) << describe(shown);
    EXPECT_NE(shown.err.find("pulling: "), std::string::npos) << describe(shown);
    EXPECT_GE(jsonOf(shown)->getValue<std::size_t>("pulled"), 1U) << "stdout stays one document";
}

TEST_F(VerdantCli, ConflictsListBothAnswersToOneQuestion) {
    const auto audit = loginAndPullAnAudit();
    // The expert answers C.2 offline while HQ answers it too and syncs first.
    ASSERT_EQ(verdant({"answer", audit.toString(), "C.2", "yes"}).exitCode, 0);
    const auto record = audit::answerRecordId(audit, "C.2");
    _hq.set(c::kAnswers, record, "audit_id", Value::id(audit));
    _hq.set(c::kAnswers, record, "question_id", Value::string("C.2"));
    _hq.set(c::kAnswers, record, "value", Value::json(R"({"answer":"no"})"));
    _hq.push();

    const auto synced = verdant({"sync", "--json"});
    EXPECT_EQ(synced.exitCode, 0) << describe(synced);
    EXPECT_EQ(jsonOf(synced)->getValue<std::size_t>("open_conflicts"), 1U) << describe(synced);
    // The answer is on the server, in conflict: not among those still to send.
    const auto row = jsonOf(verdant({"audits", "--json"}))->getArray("audits")->getObject(0);
    EXPECT_EQ(row->getValue<std::size_t>("unsynced_answers"), 0U);
    EXPECT_EQ(row->getValue<std::size_t>("answers_in_conflict"), 1U);
    EXPECT_EQ(row->getValue<std::size_t>("quarantined_answers"), 0U);
    EXPECT_NE(verdant({"audits", audit.toString()}).out.find("1 in conflict)"), std::string::npos);

    const auto json = verdant({"conflicts", "--json"});
    ASSERT_EQ(json.exitCode, 0) << describe(json);
    const auto conflicts = jsonOf(json)->getArray("conflicts");
    ASSERT_EQ(conflicts->size(), 1U) << describe(json);
    const auto conflict = conflicts->getObject(0);
    EXPECT_EQ(conflict->getValue<std::string>("collection"), "answers");
    EXPECT_EQ(conflict->getValue<std::string>("record_id"), record.toString());
    EXPECT_EQ(conflict->getValue<std::string>("field"), "value");
    EXPECT_EQ(conflict->getValue<std::string>("question_id"), "C.2");
    std::vector<std::string> values;
    const auto candidates = conflict->getArray("candidates");
    for (std::size_t i = 0; i < candidates->size(); ++i) {
        values.push_back(
            candidates->getObject(i)->getObject("value")->getValue<std::string>("answer"));
    }
    std::sort(values.begin(), values.end());
    EXPECT_EQ(values, (std::vector<std::string>{"no", "yes"}));

    const auto text = verdant({"conflicts"});
    EXPECT_EQ(text.exitCode, 0) << describe(text);
    EXPECT_NE(text.out.find("question C.2"), std::string::npos) << describe(text);
    EXPECT_NE(text.out.find("2 competing values"), std::string::npos) << describe(text);

    // Choosing a value by answering again resolves it, here and on the server.
    ASSERT_EQ(verdant({"answer", audit.toString(), "C.2", "no"}).exitCode, 0);
    const auto resolved = verdant({"sync", "--json"});
    EXPECT_EQ(resolved.exitCode, 0) << describe(resolved);
    EXPECT_EQ(jsonOf(resolved)->getValue<std::size_t>("open_conflicts"), 0U) << describe(resolved);
    EXPECT_EQ(jsonOf(verdant({"conflicts", "--json"}))->getArray("conflicts")->size(), 0U);
    EXPECT_EQ(serverAnswer(audit, "C.2"), R"({"answer":"no"})");
}

TEST_F(VerdantCli, HqSchedulesAnAuditThatTheExpertPulls) {
    login();
    const auto expert = expertUserId();
    test::TemporaryDirectory hqData;
    const auto hq = [&](const std::vector<std::string>& arguments, CliInput input = {}) {
        input.environment.emplace("VERDANT_DATA_DIR", hqData.path());
        input.environment.emplace("VERDANT_SERVER", _server.baseUrl());
        input.environment.emplace("VERDANT_CA", test::TestCertificates::primary().caFile);
        return test::runProcess(VERDANT_CLI_BINARY, arguments, input, _home.path());
    };
    ASSERT_EQ(
        hq({"login", "--tenant", "acme", "--user", "hq", "--password-stdin"}, {"hq-password\n", {}})
            .exitCode,
        0);
    const auto refused =
        hq({"schedule-audit", "--assignee", expert, "--type", "someday", "--json"});
    EXPECT_EQ(refused.exitCode, 1) << describe(refused);
    EXPECT_EQ(errorCodeOf(refused), "invalid_enum_value");
    EXPECT_EQ(jsonOf(refused)->getObject("error")->getValue<std::string>("field"), "type");

    const auto scheduled =
        hq({"schedule-audit", "--assignee", expert, "--type", "follow_up", "--json"});
    ASSERT_EQ(scheduled.exitCode, 0) << describe(scheduled);
    const auto audit = jsonOf(scheduled)->getValue<std::string>("audit_id");
    const auto pushed = hq({"push"});
    ASSERT_EQ(pushed.exitCode, 0) << describe(pushed);

    ASSERT_EQ(verdant({"pull"}).exitCode, 0);
    const auto detail = verdant({"audits", audit, "--json"});
    ASSERT_EQ(detail.exitCode, 0) << describe(detail);
    const auto shown = jsonOf(detail)->getObject("audit");
    EXPECT_EQ(shown->getValue<std::string>("state"), "scheduled");
    EXPECT_EQ(shown->getValue<std::string>("type"), "follow_up");
    EXPECT_EQ(shown->getValue<std::string>("sync_state"), "synced");
}

TEST_F(VerdantCli, SubmitSendsTheAuditToHqWhoseScoreAndReturnCommentsComeBack) {
    login();
    // An audit on a two-question template scored with the programme's rule.
    const auto version = _ids.nextRecordId();
    _hq.set(c::kTemplateVersions, version, "content",
            Value::json(R"({"sections":[{"id":"S","questions":[)"
                        R"({"id":"Q.1","type":"yes_no_na","default_severity":"major"},)"
                        R"({"id":"Q.2","type":"yes_no_na"}]}]})"));
    _hq.set(c::kTemplateVersions, version, "scoring_rule", Value::string("rba-200-v1"));
    const auto audit = _ids.nextRecordId();
    _hq.set(c::kAudits, audit, "template_version_id", Value::id(version));
    _hq.set(c::kAudits, audit, "state", Value::string("scheduled"));
    _hq.set(c::kAudits, audit, "assignee_id", Value::string(expertUserId()));
    _hq.push();
    ASSERT_EQ(verdant({"pull"}).exitCode, 0);

    ASSERT_EQ(verdant({"answer", audit.toString(), "Q.1", "no"}).exitCode, 0);
    ASSERT_EQ(verdant({"answer", audit.toString(), "Q.2", "yes"}).exitCode, 0);
    const auto submitted = verdant({"submit", audit.toString(), "--json"});
    ASSERT_EQ(submitted.exitCode, 0) << describe(submitted);
    EXPECT_EQ(jsonOf(submitted)->getValue<std::string>("sync_state"), "queued");
    ASSERT_EQ(verdant({"sync"}).exitCode, 0);

    // The server scored the submission: 200 × 1/2 − 4 (one major) = 96, red.
    const auto shown = jsonOf(verdant({"audits", audit.toString(), "--json"}))->getObject("audit");
    EXPECT_EQ(shown->getValue<std::string>("state"), "submitted");
    const auto score = shown->getObject("score");
    ASSERT_TRUE(score) << "the score snapshot came back with the sync";
    EXPECT_EQ(score->getValue<double>("score"), 96.0);
    EXPECT_EQ(score->getValue<std::string>("band"), "red");

    // HQ returns it with a reason; the expert sees why and submits again.
    const auto returned = _hq.send("POST", "/v1/review/audits/" + audit.toString() + "/return",
                                   "application/json", R"({"reason":"Q.1 needs a photo."})");
    ASSERT_EQ(returned.status, 200) << returned.body;
    ASSERT_EQ(verdant({"sync"}).exitCode, 0);
    const auto text = verdant({"audits", audit.toString()});
    EXPECT_NE(text.out.find("returned"), std::string::npos) << describe(text);
    EXPECT_NE(text.out.find("Review comments from HQ:"), std::string::npos) << describe(text);
    EXPECT_NE(text.out.find("Q.1 needs a photo."), std::string::npos) << describe(text);
    EXPECT_NE(text.out.find("96, red (rule rba-200-v1)"), std::string::npos) << describe(text);
    ASSERT_EQ(verdant({"submit", audit.toString()}).exitCode, 0);
    ASSERT_EQ(verdant({"sync"}).exitCode, 0);
    EXPECT_EQ(jsonOf(verdant({"audits", audit.toString(), "--json"}))
                  ->getObject("audit")
                  ->getValue<std::string>("state"),
              "submitted");
}

TEST_F(VerdantCli, VersionAndHealthAnswerInJson) {
    const auto version = verdant({"version", "--json"});
    EXPECT_EQ(version.exitCode, 0) << describe(version);
    EXPECT_FALSE(jsonOf(version)->getValue<std::string>("version").empty());

    const auto health = verdant({"health", "--server", _server.baseUrl(), "--cacert",
                                 test::TestCertificates::primary().caFile, "--json"});
    EXPECT_EQ(health.exitCode, 0) << describe(health);
    EXPECT_EQ(jsonOf(health)->getValue<std::string>("status"), "ok");
}

}  // namespace
}  // namespace verdant
