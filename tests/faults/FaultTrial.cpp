#include "FaultTrial.hpp"

#include "ApiSession.hpp"
#include "ServerProcess.hpp"

#include "verdant/client/Client.hpp"
#include "verdant/domain/DomainSchema.hpp"
#include "verdant/server/auth/AccountStore.hpp"
#include "verdant/server/auth/PasswordHasher.hpp"
#include "verdant/shared/IdGenerator.hpp"
#include "verdant/sync/Store.hpp"

#include <Poco/File.h>
#include <Poco/JSON/Array.h>

#include <algorithm>
#include <memory>
#include <random>
#include <set>
#include <sstream>
#include <thread>

namespace verdant::test {

namespace {

using client::Client;
using client::FieldWrite;
using shared::RecordId;
using shared::Value;
namespace c = audit::collections;

constexpr const char* kTenant = "acme";
constexpr std::size_t kEverything = 1'000'000;
const std::vector<std::string> kQuestions = {"C.1.1", "C.1.2", "C.1.3"};
const std::vector<std::string> kAnswers = {"yes", "no", "na"};

/// A weak network: roughly one request in three meets a fault.
constexpr FaultRates kFieldNetwork{
    .cutBeforeSend = 0.06,
    .loseAnswer = 0.12,
    .truncateBody = 0.04,
    .expireToken = 0.12,
    .crashBeforeSend = 0.02,
    .crashAfterSend = 0.03,
};
constexpr double kServerKillPerRound = 0.35;
constexpr int kMaxHealPasses = 10;

std::string answerText(const std::string& answer) {
    return R"({"answer":")" + answer + R"("})";
}

/// One tablet (or HQ's office PC) running the device SDK.
struct Tablet {
    std::string username;
    bool hq = false;
    client::ClientOptions options;
    std::shared_ptr<FaultyTransport> transport;
    std::unique_ptr<Client> client;
    std::string userId;
    shared::DeviceId deviceId;
    std::vector<RecordId> audits;  ///< The audits it works on.
    std::mt19937_64 random;
    std::optional<SimulatedCrash> crash;
    client::SyncReport report;

    std::string password() const { return username + "-password"; }
    std::string databasePath() const {
        return Client::databasePath(options.dataDirectory, kTenant, username);
    }
};

class FaultTrial {
public:
    explicit FaultTrial(const TrialSettings& settings)
        : _settings(settings),
          _random(settings.seed),
          _killRandom(settings.seed ^ 0x6b696c6c),
          _reviewRandom(settings.seed ^ 0x72657669),
          _ids(shared::SystemClock::instance()),
          _server(settings.serverBinary, settings.directory,
                  {"--access-token-ttl=10", "--password-memory-kib=8192"}) {}

    TrialReport run() {
        try {
            setUp();
            for (int round = 0; round < _settings.rounds; ++round) {
                for (auto& tablet : _tablets) {
                    workOffline(*tablet);
                }
                syncUnderFaults();
                review();
            }
            heal();
            checkDevices();
            closeTablets();
            const auto state = checkStores();
            resendEverything();
            checkResendChangedNothing(state);
        } catch (const std::exception& error) {
            fail(checks::kHarness, error.what());
        }
        for (const auto& tablet : _tablets) {
            const auto counts = tablet->transport->counts();
            _report.faults.requests += counts.requests;
            _report.faults.cutBeforeSend += counts.cutBeforeSend;
            _report.faults.expiredTokens += counts.expiredTokens;
            _report.faults.crashes += counts.crashes;
            _report.faults.unreachable += counts.unreachable;
            for (const auto& [kind, count] : counts.lostAnswers) {
                _report.faults.lostAnswers[kind] += count;
            }
            for (const auto& [kind, count] : counts.truncatedBodies) {
                _report.faults.truncatedBodies[kind] += count;
            }
        }
        return _report;
    }

private:
    void fail(const std::string& check, const std::string& message) {
        _report.failures[check].push_back(message);
    }

    client::ServerEndpoint endpoint() const { return _server.endpoint(); }

    // --- set-up -------------------------------------------------------------------------------

    void setUp() {
        Poco::File(_server.dataDir()).createDirectories();
        {
            server::AccountStore accounts(_server.dataDir() + "/accounts.db");
            _tenantId = accounts.createTenant(kTenant, "Acme buying organisation").id;
            const server::PasswordHasher hasher({8 * 1024, 1, 1});
            for (const auto& [username, role] : std::vector<std::pair<std::string, server::Role>>{
                     {"hq", server::Role::HqReviewer},
                     {"li", server::Role::FieldExpert},
                     {"wang", server::Role::FieldExpert},
                     {"zhao", server::Role::FieldExpert}}) {
                accounts.createUser(_tenantId, username, username, role,
                                    hasher.hash(username + "-password"));
            }
        }
        _server.start();
        for (const auto* username : {"hq", "li", "wang", "zhao"}) {
            _tablets.push_back(signIn(username));
        }
        _console = std::make_unique<ApiSession>([this] { return endpoint(); }, kTenant, "hq",
                                                "hq-password");
        // Audit A: li leads, wang and zhao assist. Audit B: wang leads, li assists.
        auto& hq = tablet("hq");
        const auto first = _ids.nextRecordId();
        const auto second = _ids.nextRecordId();
        schedule(hq, first, tablet("li"), {&tablet("wang"), &tablet("zhao")});
        schedule(hq, second, tablet("wang"), {&tablet("li")});
        hq.audits = {first, second};
        tablet("li").audits = {first, second};
        tablet("wang").audits = {first, second};
        tablet("zhao").audits = {first};
        for (auto& each : _tablets) {
            const auto report = each->client->sync();
            if (!report.complete) {
                throw std::runtime_error("set-up sync of " + each->username + " failed");
            }
        }
    }

    std::unique_ptr<Tablet> signIn(const std::string& username) {
        auto tablet = std::make_unique<Tablet>();
        tablet->username = username;
        tablet->hq = username == "hq";
        tablet->random.seed(_random());
        tablet->transport =
            std::make_shared<FaultyTransport>([this] { return endpoint(); }, _random());
        auto& options = tablet->options;
        options.dataDirectory = _settings.directory + "/" + username + "-tablet";
        options.server = endpoint();
        options.deviceName = username + "-tablet";
        options.transport = tablet->transport;
        options.retry.maxAttempts = 6;
        options.retry.initialDelay = std::chrono::milliseconds(10);
        options.retry.maxDelay = std::chrono::milliseconds(80);
        tablet->client = Client::signIn(options, kTenant, username, tablet->password());
        tablet->userId = tablet->client->userId();
        tablet->deviceId = tablet->client->deviceId();
        return tablet;
    }

    Tablet& tablet(const std::string& username) {
        for (auto& each : _tablets) {
            if (each->username == username) {
                return *each;
            }
        }
        throw std::logic_error("no tablet " + username);
    }

    static void schedule(Tablet& hq, const RecordId& audit, const Tablet& lead,
                         const std::vector<const Tablet*>& team) {
        std::vector<FieldWrite> fields = {
            FieldWrite::set("type", Value::string("periodic")),
            FieldWrite::set("assignee_id", Value::string(lead.userId)),
            FieldWrite::set("state", Value::string("scheduled"))};
        for (const auto* member : team) {
            fields.push_back(FieldWrite::add("team", member->userId));
        }
        const auto written = hq.client->write(c::kAudits, audit, fields);
        if (!written.ok) {
            throw std::runtime_error("scheduling an audit failed: " + written.message);
        }
    }

    // --- rounds -------------------------------------------------------------------------------

    /// One to three user actions, offline.
    void workOffline(Tablet& tablet) {
        auto& random = tablet.random;
        const int actions = 1 + static_cast<int>(random() % 3);
        for (int i = 0; i < actions; ++i) {
            const auto& audit = tablet.audits[random() % tablet.audits.size()];
            const auto roll = random() % 100;
            if (tablet.hq) {
                if (roll < 40) {
                    answer(tablet, audit, kQuestions[random() % kQuestions.size()]);
                } else if (roll < 75) {
                    writeOrReport(tablet, c::kAudits, audit,
                                  {FieldWrite::set("scheduled_for",
                                                   Value::timestamp(static_cast<std::int64_t>(
                                                       1'800'000'000'000 + random() % 1000)))});
                }
            } else if (roll < 45) {
                answer(tablet, audit, kQuestions[random() % kQuestions.size()]);
            } else if (roll < 70) {
                settleAConflict(tablet, audit);
            } else if (roll < 85) {
                const auto item = audit::answerRecordId(audit, kQuestions[random() % 3]);
                if (tablet.client->record(c::kAnswers, item)) {
                    writeOrReport(
                        tablet, c::kAnswers, item,
                        {FieldWrite::set("comment",
                                         Value::string("note " + std::to_string(random() % 100)))});
                }
            } else {
                // HQ's field: the tablet refuses it at the write (forbidden), as the server would,
                // and nothing reaches the outbox.
                const auto written = tablet.client->write(
                    c::kAudits, audit,
                    {FieldWrite::set("scheduled_for", Value::timestamp(static_cast<std::int64_t>(
                                                          1'700'000'000'000 + random() % 1000)))});
                if (written.ok || written.error != shared::ErrorCode::Forbidden) {
                    fail(checks::kHarness,
                         tablet.username + ": an HQ-only field was not refused at the write");
                }
            }
        }
    }

    void answer(Tablet& tablet, const RecordId& audit, const std::string& question) {
        const auto item = audit::answerRecordId(audit, question);
        const auto value = Value::json(answerText(kAnswers[tablet.random() % kAnswers.size()]));
        if (tablet.client->record(c::kAnswers, item)) {
            writeOrReport(tablet, c::kAnswers, item, {FieldWrite::set("value", value)});
        } else {
            writeOrReport(tablet, c::kAnswers, item,
                          {FieldWrite::set("audit_id", Value::id(audit)),
                           FieldWrite::set("question_id", Value::string(question)),
                           FieldWrite::set("value", value)});
        }
    }

    /// Picks a candidate of a conflict this tablet sees on `audit`: the lead (and HQ) may settle
    /// it, a co-auditor is refused `forbidden`. Answers a question when there is no conflict.
    void settleAConflict(Tablet& tablet, const RecordId& audit) {
        for (const auto& conflict : tablet.client->conflicts()) {
            const auto record = tablet.client->record(conflict.collection, conflict.recordId);
            if (!record) {
                continue;
            }
            const auto owner = record->fields.find("audit_id");
            if (owner == record->fields.end() || !(owner->second.value == Value::id(audit))) {
                continue;
            }
            const auto& chosen = conflict.candidates[tablet.random() % conflict.candidates.size()];
            writeOrReport(tablet, conflict.collection, conflict.recordId,
                          {FieldWrite::set(conflict.field, chosen.value)});
            return;
        }
        answer(tablet, audit, kQuestions[tablet.random() % kQuestions.size()]);
    }

    void writeOrReport(Tablet& tablet, std::string_view collection, const RecordId& id,
                       const std::vector<FieldWrite>& fields) {
        const auto written = tablet.client->write(collection, id, fields);
        if (!written.ok) {
            fail(checks::kHarness,
                 tablet.username + ": a local write was refused: " + written.message);
            return;
        }
        _report.changesMade += static_cast<int>(written.changes.size());
    }

    /// Every tablet syncs at once through its faulty transport; the server may be SIGKILLed
    /// (and started again on a new port) meanwhile.
    void syncUnderFaults() {
        const bool kill = std::bernoulli_distribution(kServerKillPerRound)(_killRandom);
        const auto killAfter = std::chrono::milliseconds(_killRandom() % 400);
        for (auto& tablet : _tablets) {
            tablet->transport->setRates(kFieldNetwork);
        }
        std::vector<std::thread> syncs;
        for (auto& tablet : _tablets) {
            syncs.emplace_back([&tablet = *tablet] {
                try {
                    tablet.report = tablet.client->sync();
                } catch (const SimulatedCrash& crash) {
                    tablet.crash = crash;
                }
            });
        }
        std::optional<std::string> restartFailure;
        if (kill) {
            std::this_thread::sleep_for(killAfter);
            _server.kill();
            ++_report.serverKills;
            try {
                _server.start();
            } catch (const std::exception& error) {
                restartFailure = error.what();
            }
        }
        for (auto& thread : syncs) {
            thread.join();
        }
        if (restartFailure) {
            throw std::runtime_error(*restartFailure);
        }
        for (auto& tablet : _tablets) {
            tablet->transport->setRates(std::nullopt);
            if (tablet->crash) {
                // The app died: open the same local store again, as the app does on its restart.
                tablet->crash.reset();
                tablet->client.reset();
                tablet->client = Client::open(tablet->options, kTenant, tablet->username);
            } else {
                _report.conflictsRaised += static_cast<int>(tablet->report.conflictsRaised);
            }
            expectSignedIn(*tablet, "after a round of faulty syncs");
        }
    }

    /// A device that lost its sign-in: reported, then signed in again so the other checks can
    /// still run.
    void expectSignedIn(Tablet& tablet, const std::string& when) {
        const auto status = tablet.client->status();
        if (status.signedIn) {
            return;
        }
        std::string why = status.lastError ? std::string(shared::wireName(status.lastError->code)) +
                                                 " " + status.lastError->message
                                           : "no error recorded";
        fail(checks::kSignedOut,
             tablet.username + " was signed out " + when + " (last error: " + why + ")");
        tablet.client.reset();
        tablet.client = Client::signIn(tablet.options, kTenant, tablet.username, tablet.password());
    }

    /// HQ, through the review API: resolves some open conflicts, accepts or discards some
    /// refused changes.
    void review() {
        const auto conflicts = _console->call("GET", "/v1/conflicts")->getArray("conflicts");
        for (std::size_t i = 0; i < conflicts->size(); ++i) {
            const auto conflict = conflicts->getObject(static_cast<unsigned>(i));
            if (_reviewRandom() % 100 >= 40) {
                continue;
            }
            const auto candidates = conflict->getArray("candidates")->size();
            const auto path = "/v1/conflicts/" + conflict->getValue<std::string>("collection") +
                              "/" + conflict->getValue<std::string>("record_id") + "/" +
                              conflict->getValue<std::string>("field") + "/resolve";
            _console->call("POST", path,
                           R"({"choose":)" + std::to_string(_reviewRandom() % candidates) + "}");
            ++_report.conflictsResolved;
        }
        const auto entries = _console->call("GET", "/v1/quarantine")->getArray("quarantine");
        for (std::size_t i = 0; i < entries->size(); ++i) {
            const auto entry = entries->getObject(static_cast<unsigned>(i));
            if (!entry->isNull("decision")) {
                continue;
            }
            const auto roll = _reviewRandom() % 100;
            if (roll >= 55) {
                continue;
            }
            const auto path = "/v1/quarantine/" + entry->getValue<std::string>("device_id") + "/" +
                              std::to_string(entry->getValue<std::uint64_t>("device_seq"));
            const bool accept = roll < 30;
            const auto response =
                _console->send("POST", path + (accept ? "/accept" : "/discard"), "{}");
            if (response.status == 200) {
                ++(accept ? _report.accepted : _report.discarded);
            } else if (!(accept && response.status == 409)) {
                // An accept may still not apply (409, the entry stays); nothing else may fail.
                fail(checks::kHarness, "HQ's decision on " + path + " answered " +
                                           std::to_string(response.status) + ": " + response.body);
            }
        }
    }

    // --- heal and check -----------------------------------------------------------------------

    /// No more faults: every device syncs until a whole pass moves nothing.
    void heal() {
        if (!_server.running()) {
            _server.start();
        }
        bool quiet = false;
        std::vector<std::string> errors;
        for (int pass = 1; pass <= kMaxHealPasses && !quiet; ++pass) {
            _report.healPasses = pass;
            quiet = pass > 1;
            errors.clear();
            for (auto& tablet : _tablets) {
                const auto report = tablet->client->sync();
                expectSignedIn(*tablet, "while healing");
                for (const auto& error : report.errors) {
                    errors.push_back(tablet->username + ": " +
                                     std::string(shared::wireName(error.code)) + " " +
                                     error.message);
                }
                if (!report.complete || report.pushed > 0 || report.pulled > 0 ||
                    report.quarantined > 0 || report.quarantineDecided > 0) {
                    quiet = false;
                }
            }
        }
        if (!quiet) {
            std::string text =
                "still moving after " + std::to_string(kMaxHealPasses) + " fault-free passes";
            for (const auto& error : errors) {
                text += "; " + error;
            }
            fail(checks::kDidNotHeal, text);
        }
    }

    void checkDevices() {
        for (auto& tablet : _tablets) {
            const auto status = tablet->client->status();
            if (status.pendingChanges != 0) {
                fail(checks::kDidNotHeal, tablet->username + " still has " +
                                              std::to_string(status.pendingChanges) +
                                              " changes to send");
            }
        }
    }

    void closeTablets() {
        for (auto& tablet : _tablets) {
            tablet->client.reset();
        }
        const auto exitCode = _server.stop();
        if (exitCode != 0) {
            fail(checks::kHarness,
                 "the server did not stop cleanly: exit " + std::to_string(exitCode));
        }
    }

    std::string serverStorePath() const {
        return _server.dataDir() + "/tenants/" + _tenantId + "/sync.db";
    }

    /// What the server holds after healing, to compare with after the resend.
    struct ServerState {
        std::uint64_t lastServerSeq = 0;
        std::size_t quarantined = 0;
        std::string checksum;
    };

    /// On the stopped server's store and every closed device store.
    ServerState checkStores() {
        const sync::Store server(serverStorePath(), domain::domainSchema());
        const auto quarantine = server.quarantine();
        _report.quarantined = static_cast<int>(quarantine.size());
        for (const auto& tablet : _tablets) {
            const sync::Store device(tablet->databasePath(), domain::domainSchema());
            checkExactlyOnce(*tablet, server, device);
            checkReplica(*tablet, server, device);
        }
        return {server.lastServerSeq(), quarantine.size(), server.checksum()};
    }

    /// (device, seq) in the server's change log, and in its quarantine (with the decision).
    static std::map<std::uint64_t, std::string> quarantinedSeqs(const sync::Store& server,
                                                                const shared::DeviceId& device) {
        std::map<std::uint64_t, std::string> result;
        for (const auto& entry : server.quarantine()) {
            if (entry.change.deviceId == device) {
                result[entry.change.deviceSeq] =
                    std::string(shared::wireName(entry.code)) + ", " +
                    (entry.decision ? std::string(sync::wireName(*entry.decision)) : "undecided");
            }
        }
        return result;
    }

    static std::string describe(const shared::Change& change) {
        return change.collection + "/" + change.recordId.toString() + "." + change.field;
    }

    void checkExactlyOnce(const Tablet& tablet, const sync::Store& server,
                          const sync::Store& device) {
        const auto made = device.highWaterMark(tablet.deviceId);
        const auto quarantined = quarantinedSeqs(server, tablet.deviceId);
        std::map<std::uint64_t, int> logged;
        for (const auto& entry : server.deviceChanges(tablet.deviceId, 0, kEverything)) {
            const auto seq = entry.change.deviceSeq;
            if (++logged[seq] == 2) {
                fail(checks::kNotOnServerOnce, tablet.username + " seq " + std::to_string(seq) +
                                                   " is in the server's log twice");
            }
            if (const auto found = quarantined.find(seq); found != quarantined.end()) {
                _appliedAndQuarantined.insert({tablet.username, seq});
                fail(checks::kAppliedAndQuarantined,
                     tablet.username + " seq " + std::to_string(seq) + " (" +
                         describe(entry.change) + ") is in the log as " +
                         std::string(sync::wireName(entry.outcome)) + " (server_seq " +
                         std::to_string(entry.serverSeq) + ") and in the quarantine (" +
                         found->second + ")");
            }
        }
        for (std::uint64_t seq = 1; seq <= made; ++seq) {
            if (!logged.count(seq) && !quarantined.count(seq)) {
                fail(checks::kNotOnServerOnce,
                     tablet.username + " seq " + std::to_string(seq) + " never reached the server");
            }
        }
        if (server.highWaterMark(tablet.deviceId) != made) {
            fail(checks::kNotOnServerOnce,
                 tablet.username + " made " + std::to_string(made) +
                     " changes; the server's "
                     "high-water mark is " +
                     std::to_string(server.highWaterMark(tablet.deviceId)));
        }
        // The device keeps its applied changes in its log and drops the refused ones: it must
        // agree with the server on which is which.
        std::set<std::uint64_t> keptOnDevice;
        for (const auto& entry : device.deviceChanges(tablet.deviceId, 0, kEverything)) {
            keptOnDevice.insert(entry.change.deviceSeq);
        }
        for (const auto& [seq, count] : logged) {
            if (!keptOnDevice.count(seq)) {
                fail(checks::kReplicasDisagree,
                     tablet.username + " seq " + std::to_string(seq) +
                         " was applied on the server but the device dropped it as refused");
            }
        }
        for (const auto seq : keptOnDevice) {
            if (!logged.count(seq)) {
                fail(checks::kReplicasDisagree, tablet.username + " seq " + std::to_string(seq) +
                                                    " is applied on the device only");
            }
        }
    }

    /// Every scope the device may see holds what the server holds.
    void checkReplica(const Tablet& tablet, const sync::Store& server, const sync::Store& device) {
        if (tablet.hq) {
            if (device.checksum() != server.checksum()) {
                fail(checks::kReplicasDisagree,
                     "hq's replica differs from the server: " + firstDifference(server, device));
            }
            return;
        }
        for (const auto& audit : tablet.audits) {
            const auto scope = shared::scopeKey(c::kAudits, audit);
            if (device.scopeChecksum(scope) != server.scopeChecksum(scope)) {
                fail(checks::kReplicasDisagree,
                     tablet.username + "'s " + scope +
                         " differs from the server's: " + firstDifference(server, device, scope));
            }
        }
    }

    /// The first line where the canonical dumps (of a scope's records) differ, for the report.
    static std::string firstDifference(const sync::Store& server, const sync::Store& device,
                                       const std::string& scope = "") {
        const auto dump = [&](const sync::Store& store) {
            if (scope.empty()) {
                return store.canonicalDump();
            }
            std::string text;
            for (const auto& ref : store.recordsInScope(scope)) {
                const auto record = store.record(ref.collection, ref.id);
                text += ref.collection + "/" + ref.id.toString() + ":";
                for (const auto& [name, field] : record->fields) {
                    text += " " + name + "=" + field.value.toDisplayString() +
                            (field.inConflict ? "(conflict)" : "");
                }
                text += "\n";
            }
            return text;
        };
        std::istringstream onServer(dump(server));
        std::istringstream onDevice(dump(device));
        std::string serverLine;
        std::string deviceLine;
        while (true) {
            const bool moreServer = static_cast<bool>(std::getline(onServer, serverLine));
            const bool moreDevice = static_cast<bool>(std::getline(onDevice, deviceLine));
            if (!moreServer && !moreDevice) {
                return "(same records; the checksums differ)";
            }
            if (!moreServer || !moreDevice || serverLine != deviceLine) {
                return "server has [" + (moreServer ? serverLine : "") + "], device has [" +
                       (moreDevice ? deviceLine : "") + "]";
            }
        }
    }

    /// Every change each device ever sent, sent again by hand with its own credentials: each
    /// must be `duplicate`.
    void resendEverything() {
        _server.start();
        for (const auto& tablet : _tablets) {
            std::vector<shared::Change> sent;
            for (const auto& [seq, change] : tablet->transport->sentChanges()) {
                sent.push_back(change);
            }
            if (sent.empty()) {
                continue;
            }
            ApiSession session([this] { return endpoint(); }, kTenant, tablet->username,
                               tablet->password(), tablet->deviceId.toString());
            const auto response = session.push(tablet->deviceId, sent);
            _report.changesResent += static_cast<int>(sent.size());
            for (std::size_t i = 0; i < response.results.size() && i < sent.size(); ++i) {
                const auto& result = response.results[i];
                if (result.outcome != "duplicate") {
                    fail(checks::kResendNotDuplicate,
                         tablet->username + " seq " + std::to_string(result.deviceSeq) + " (" +
                             describe(sent[i]) + ") sent again: " + result.outcome +
                             (result.error ? " " + std::string(shared::wireName(*result.error))
                                           : "") +
                             (result.serverSeq
                                  ? " with a new server_seq " + std::to_string(*result.serverSeq)
                                  : ""));
                }
            }
        }
        _server.stop();
    }

    /// The resend must have left the server as it was: no new log entry, no new refusal, and
    /// still nothing both applied and quarantined.
    void checkResendChangedNothing(const ServerState& before) {
        const sync::Store server(serverStorePath(), domain::domainSchema());
        if (server.lastServerSeq() != before.lastServerSeq ||
            server.quarantine().size() != before.quarantined ||
            server.checksum() != before.checksum) {
            fail(checks::kResendNotDuplicate, "sending old changes again changed the server: log " +
                                                  std::to_string(before.lastServerSeq) + " -> " +
                                                  std::to_string(server.lastServerSeq()) +
                                                  ", quarantine " +
                                                  std::to_string(before.quarantined) + " -> " +
                                                  std::to_string(server.quarantine().size()));
        }
        for (const auto& tablet : _tablets) {
            const auto quarantined = quarantinedSeqs(server, tablet->deviceId);
            for (const auto& entry : server.deviceChanges(tablet->deviceId, 0, kEverything)) {
                // Counted under the resend: before it, checkStores() found the natural cases.
                if (quarantined.count(entry.change.deviceSeq) &&
                    !_appliedAndQuarantined.count({tablet->username, entry.change.deviceSeq})) {
                    fail(checks::kResendNotDuplicate,
                         tablet->username + " seq " + std::to_string(entry.change.deviceSeq) +
                             " is both in the log and in the quarantine since it was sent again");
                }
            }
        }
    }

    TrialSettings _settings;
    std::mt19937_64 _random;        ///< Seeds the tablets, in a fixed order.
    std::mt19937_64 _killRandom;    ///< When the server dies.
    std::mt19937_64 _reviewRandom;  ///< What HQ decides.
    shared::IdGenerator _ids;
    ServerProcess _server;
    std::string _tenantId;
    std::vector<std::unique_ptr<Tablet>> _tablets;
    std::unique_ptr<ApiSession> _console;
    TrialReport _report;
    /// (user, seq) found both applied and quarantined before the resend.
    std::set<std::pair<std::string, std::uint64_t>> _appliedAndQuarantined;
};

}  // namespace

TrialReport runFaultTrial(const TrialSettings& settings) {
    return FaultTrial(settings).run();
}

}  // namespace verdant::test
