// The days in the field of PRODUCT.md, through the device SDK against the real server over real
// TLS: two auditors on one audit, a template version published mid-audit, an audit reassigned
// while offline, and HQ's review; and what a field expert may not do to an audit.
//
// Tablets are SDK clients; HQ works through the web console's API (the review routes) and a
// TestDevice for the data HQ keys in (suppliers, audits).

#include "ServerHarness.hpp"
#include "TemporaryDirectory.hpp"
#include "TestDevice.hpp"

#include "verdant/audit/ChecklistTemplate.hpp"
#include "verdant/client/Client.hpp"
#include "verdant/domain/DomainSchema.hpp"
#include "verdant/server/storage/TenantStores.hpp"
#include "verdant/shared/IdGenerator.hpp"
#include "verdant/shared/Scoring.hpp"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <sstream>

namespace verdant {
namespace {

using client::Client;
using client::FieldWrite;
using client::RecordSyncState;
using server::Role;
using shared::ErrorCode;
using shared::RecordId;
using shared::Value;
namespace c = audit::collections;

constexpr std::int64_t kDayMs = 24LL * 60 * 60 * 1000;

std::string sharedData(const std::string& name) {
    std::ifstream file(std::string(VERDANT_TEST_DATA_DIR) + "/" + name);
    std::stringstream text;
    text << file.rdbuf();
    return text.str();
}

Poco::JSON::Object::Ptr parseObject(const std::string& text) {
    Poco::JSON::Parser parser;
    return parser.parse(text).extract<Poco::JSON::Object::Ptr>();
}

void expectComplete(const client::SyncReport& report) {
    EXPECT_TRUE(report.complete);
    for (const auto& error : report.errors) {
        ADD_FAILURE() << shared::wireName(error.code) << ": " << error.message;
    }
}

/// The visible value of `field` of `record`, or null.
Value fieldOf(const std::optional<sync::Record>& record, const std::string& field) {
    if (!record) {
        return Value::null();
    }
    const auto found = record->fields.find(field);
    return found == record->fields.end() ? Value::null() : found->second.value;
}

/// A tenant with HQ, two field experts (li, wang), one supplier and its site, and template v1 of
/// the programme's checklist published through the API.
class FieldDay : public ::testing::Test {
protected:
    FieldDay()
        : _tenantId(test::seedTenant(
              _server, "acme",
              {{"hq", Role::HqReviewer}, {"li", Role::FieldExpert}, {"wang", Role::FieldExpert}})),
          _hq(std::make_unique<test::TestDevice>(_server.endpoint(), "acme", "hq", "hq-password",
                                                 _clock)) {
        _hq->set(c::kSuppliers, _supplier, "name_en", Value::string("Green Dyeing Co."));
        _hq->set(c::kSuppliers, _supplier, "name_zh", Value::string("绿色印染有限公司"));
        _hq->set(c::kSuppliers, _supplier, "tier", Value::integer(1));
        _hq->set(c::kFacilities, _site, "supplier_id", Value::id(_supplier));
        _hq->push();
        _v1 = publish("template-gsc-environment-v1.json");
    }

    /// Time passes (on every clock); HQ's console signs in again, as a reviewer would.
    void advance(std::int64_t ms) {
        _clock.advance(ms);
        _hq = std::make_unique<test::TestDevice>(_server.endpoint(), "acme", "hq", "hq-password",
                                                 _clock);
        _hq->pull();
    }

    /// HQ publishes a template document of tests/data; returns its version id.
    RecordId publish(const std::string& file) {
        const auto reply = hq("POST", "/v1/templates", sharedData(file), 201);
        return *RecordId::parse(reply->getValue<std::string>("id"));
    }

    /// An HQ API call that must answer `status`; returns the JSON body.
    Poco::JSON::Object::Ptr hq(const std::string& method, const std::string& path,
                               const std::string& body = "", int status = 200) {
        const auto response = _hq->send(method, path, body.empty() ? "" : "application/json", body);
        EXPECT_EQ(response.status, status) << method << " " << path << ": " << response.body;
        return parseObject(response.body.empty() ? "{}" : response.body);
    }

    /// HQ schedules an audit of the supplier on `version` for `lead` (and `team`).
    RecordId scheduleAudit(const RecordId& version, const std::string& lead,
                           const std::vector<std::string>& team = {}) {
        const auto audit = _ids.nextRecordId();
        _hq->set(c::kAudits, audit, "template_version_id", Value::id(version));
        _hq->set(c::kAudits, audit, "supplier_id", Value::id(_supplier));
        _hq->set(c::kAudits, audit, "facility_id", Value::id(_site));
        _hq->set(c::kAudits, audit, "type", Value::string("periodic"));
        _hq->set(c::kAudits, audit, "assignee_id", Value::string(lead));
        for (const auto& member : team) {
            _hq->add(c::kAudits, audit, "team", member);
        }
        _hq->set(c::kAudits, audit, "state", Value::string("scheduled"));
        for (const auto& result : _hq->push().results) {
            EXPECT_EQ(result.outcome, "applied") << result.message;
        }
        return audit;
    }

    std::unique_ptr<Client> tablet(const std::string& user) {
        client::ClientOptions options;
        options.dataDirectory = _dir.file(user + "-tablet");
        options.server = _server.endpoint();
        options.deviceName = user + "-tablet";
        options.clock = &_clock;
        options.sleep = [](std::chrono::milliseconds) {};
        return Client::signIn(options, "acme", user, user + "-password");
    }

    /// Answers `question` of `audit` on a tablet, as the app does (one user action).
    static client::WriteResult answer(Client& tablet, const RecordId& audit,
                                      const std::string& question, const std::string& answer) {
        return tablet.write(
            c::kAnswers, audit::answerRecordId(audit, question),
            {FieldWrite::set("audit_id", Value::id(audit)),
             FieldWrite::set("question_id", Value::string(question)),
             FieldWrite::set("value", Value::json(R"({"answer":")" + answer + R"("})"))});
    }

    /// Marks every question of `version` that `audit` has no answer to yet as conformant (an
    /// explicit result), as an auditor finishing the checklist does before submitting.
    static void answerTheRest(Client& tablet, const RecordId& audit, const std::string& version) {
        const auto checklist = audit::ChecklistTemplate::parse(sharedData(version));
        ASSERT_TRUE(checklist);
        for (const auto& question : checklist->questionIds()) {
            const auto id = audit::answerRecordId(audit, question);
            if (!tablet.record(c::kAnswers, id)) {
                const auto written =
                    tablet.write(c::kAnswers, id,
                                 {FieldWrite::set("audit_id", Value::id(audit)),
                                  FieldWrite::set("question_id", Value::string(question)),
                                  FieldWrite::set("result", Value::string("conformance"))});
                ASSERT_TRUE(written.ok) << question << ": " << written.message;
            }
        }
    }

    static client::WriteResult setState(Client& tablet, const RecordId& audit,
                                        const std::string& state) {
        return tablet.write(c::kAudits, audit, {FieldWrite::set("state", Value::string(state))});
    }

    /// The answer value a tablet shows for `question` of `audit`, e.g. "yes".
    static std::string shownAnswer(const Client& tablet, const RecordId& audit,
                                   const std::string& question) {
        const auto value =
            fieldOf(tablet.record(c::kAnswers, audit::answerRecordId(audit, question)), "value");
        return value.isNull() ? ""
                              : parseObject(value.as<shared::JsonText>().text)
                                    ->getValue<std::string>("answer");
    }

    /// The score snapshot a record holds (on a tablet or the server), if any.
    static std::optional<shared::ScoreSnapshot> snapshotOf(
        const std::optional<sync::Record>& audit) {
        const auto value = fieldOf(audit, "score");
        if (value.isNull()) {
            return std::nullopt;
        }
        return shared::ScoreSnapshot::fromJson(value.as<shared::JsonText>().text);
    }

    std::optional<sync::Record> serverRecord(const char* collection, const RecordId& id) {
        return _server.server().stores().with(
            _tenantId, [&](sync::Store& store) { return store.record(collection, id); });
    }

    /// The refused changes a tablet keeps, as (code, question id of the answer) pairs.
    static std::vector<ErrorCode> quarantineCodes(const Client& tablet) {
        std::vector<ErrorCode> codes;
        for (const auto& entry : tablet.quarantine()) {
            codes.push_back(entry.code);
        }
        return codes;
    }

    test::TemporaryDirectory _dir;
    shared::ManualClock _clock{shared::SystemClock::instance().nowMs()};
    shared::IdGenerator _ids{_clock};
    test::ServerHarness _server{{}, {&_clock}};
    std::string _tenantId;
    std::unique_ptr<test::TestDevice> _hq;  ///< HQ's console: signed in again as time passes.
    RecordId _supplier = _ids.nextRecordId();
    RecordId _site = _ids.nextRecordId();
    RecordId _v1;
};

// Day 2 of PRODUCT.md: lead and co-auditor split the sections but both answer C.2.1 differently
// offline. Both answers survive; the co-auditor may not pick, the lead does, and both tablets
// end with the lead's choice.
TEST_F(FieldDay, TwoAuditorsOneAuditKeepBothAnswersAndTheLeadSettlesTheConflict) {
    auto li = tablet("li");
    auto wang = tablet("wang");
    const auto audit = scheduleAudit(_v1, li->userId(), {wang->userId()});
    _hq->set(c::kAudits, audit, "team_sections",
             Value::json(R"({"ENV-PERMIT":")" + li->userId() + R"(","ENV-WATER":")" +
                         wang->userId() + R"("})"));
    _hq->push();
    expectComplete(li->sync());
    expectComplete(wang->sync());

    // Offline, each answers their own section, and both answer C.2.1.
    for (const auto* question : {"C.1.1", "C.1.2", "C.1.3"}) {
        ASSERT_TRUE(answer(*li, audit, question, "yes").ok);
    }
    ASSERT_TRUE(answer(*li, audit, "C.2.1", "yes").ok);
    ASSERT_TRUE(answer(*wang, audit, "C.2.1", "no").ok);
    ASSERT_TRUE(answer(*wang, audit, "C.2.2", "yes").ok);
    advance(8 * 60 * 60 * 1000);

    expectComplete(li->sync());
    const auto wangReport = wang->sync();
    expectComplete(wangReport);
    EXPECT_EQ(wangReport.conflictsRaised, 1U);
    expectComplete(li->sync());

    const auto item = audit::answerRecordId(audit, "C.2.1");
    for (auto* device : {li.get(), wang.get()}) {
        const auto conflicts = device->conflicts();
        ASSERT_EQ(conflicts.size(), 1U);
        EXPECT_EQ(conflicts[0].recordId, item);
        std::vector<std::string> values;
        for (const auto& candidate : conflicts[0].candidates) {
            values.push_back(candidate.value.as<shared::JsonText>().text);
        }
        std::sort(values.begin(), values.end());
        EXPECT_EQ(values, (std::vector<std::string>{R"({"answer":"no"})", R"({"answer":"yes"})"}))
            << "both answers survive";
        EXPECT_EQ(device->syncState(c::kAnswers, item), RecordSyncState::Conflict);
        EXPECT_EQ(shownAnswer(*device, audit, "C.1.1"), "yes") << "the rest merged";
        EXPECT_EQ(shownAnswer(*device, audit, "C.2.2"), "yes");
    }
    // HQ sees it on the audit too.
    const auto view = hq("GET", "/v1/review/audits/" + audit.toString());
    EXPECT_EQ(view->getArray("conflicts")->size(), 1U);

    // The co-auditor may not settle it: the server refuses and the tablet says why.
    ASSERT_TRUE(answer(*wang, audit, "C.2.1", "no").ok);
    const auto refused = wang->sync();
    EXPECT_EQ(refused.quarantined, 1U);
    ASSERT_EQ(quarantineCodes(*wang), std::vector<ErrorCode>{ErrorCode::Forbidden});
    EXPECT_NE(wang->quarantine()[0].message.find("lead auditor"), std::string::npos);

    // The lead settles it with the co-auditor's answer; both tablets and the server agree.
    ASSERT_TRUE(answer(*li, audit, "C.2.1", "no").ok);
    expectComplete(li->sync());
    expectComplete(wang->sync());
    for (auto* device : {li.get(), wang.get()}) {
        EXPECT_TRUE(device->conflicts().empty());
        EXPECT_EQ(shownAnswer(*device, audit, "C.2.1"), "no");
    }
    EXPECT_EQ(li->syncState(c::kAnswers, item), RecordSyncState::Synced);
    EXPECT_EQ(hq("GET", "/v1/review/audits/" + audit.toString())->getArray("conflicts")->size(),
              0U);
}

// Day 4: v2 is published while an auditor is offline mid-audit. The audit finishes on v1 and is
// scored on v1; a new audit uses v2; answers are checked against each audit's own version; and
// the v1 score never changes silently, not even when the auditor amends an answer later.
TEST_F(FieldDay, ANewTemplateVersionLeavesAuditsInProgressAndTheirScoresOnTheOldOne) {
    auto li = tablet("li");
    const auto onV1 = scheduleAudit(_v1, li->userId());
    expectComplete(li->sync());
    ASSERT_TRUE(setState(*li, onV1, "in_progress").ok);
    ASSERT_TRUE(answer(*li, onV1, "C.1.1", "yes").ok);
    ASSERT_TRUE(li->write(c::kAnswers, audit::answerRecordId(onV1, "C.6.2"),
                          {FieldWrite::set("audit_id", Value::id(onV1)),
                           FieldWrite::set("question_id", Value::string("C.6.2")),
                           FieldWrite::set("value", Value::json(R"({"answer":1250000})")),
                           FieldWrite::set("result", Value::string("minor"))})
                    .ok)
        << "C.6.2 (electricity use) exists in v1 only";

    // Meanwhile HQ publishes v2 and schedules the next audit on it.
    const auto v2 = publish("template-gsc-environment-v2.json");
    const auto onV2 = scheduleAudit(v2, li->userId());

    auto report = li->sync();
    expectComplete(report);
    EXPECT_EQ(report.quarantined, 0U) << "v1 answers stay valid on the v1 audit";
    EXPECT_EQ(fieldOf(li->record(c::kAudits, onV1), "template_version_id"), Value::id(_v1));
    EXPECT_EQ(fieldOf(li->record(c::kAudits, onV2), "template_version_id"), Value::id(v2));
    const auto v2Content = fieldOf(li->record(c::kTemplateVersions, v2), "content");
    ASSERT_FALSE(v2Content.isNull()) << "the new version reached the tablet with its audit";
    EXPECT_NE(v2Content.as<shared::JsonText>().text.find("C.2.5"), std::string::npos);

    // Each audit takes the questions of its own version only: the tablet knows both versions,
    // so it refuses an answer outside the audit's version at the write, with the server's code.
    ASSERT_TRUE(answer(*li, onV2, "C.2.5", "yes").ok);
    for (const auto& [audit, question] : {std::pair{onV1, "C.2.5"}, std::pair{onV2, "C.6.2"}}) {
        const auto refused = answer(*li, audit, question, "yes");
        EXPECT_FALSE(refused.ok) << question;
        EXPECT_EQ(refused.error, ErrorCode::UnknownQuestion);
        EXPECT_FALSE(li->record(c::kAnswers, audit::answerRecordId(audit, question)))
            << "nothing written";
    }
    report = li->sync();
    EXPECT_EQ(report.quarantined, 0U);
    EXPECT_EQ(shownAnswer(*li, onV2, "C.2.5"), "yes");
    EXPECT_FALSE(serverRecord(c::kAnswers, audit::answerRecordId(onV1, "C.2.5")));

    // Submitting the v1 audit, every question answered, scores it on v1: 23 questions (C.6.2
    // among them), 22 conformant…
    answerTheRest(*li, onV1, "template-gsc-environment-v1.json");
    ASSERT_TRUE(setState(*li, onV1, "submitted").ok);
    expectComplete(li->sync());
    const auto snapshot = snapshotOf(serverRecord(c::kAudits, onV1));
    ASSERT_TRUE(snapshot) << "the server took the snapshot on submission";
    EXPECT_EQ(snapshot->ruleId, "rba-200-v1");
    EXPECT_EQ(snapshot->applicable, 23U) << "v1's 23 questions";
    EXPECT_EQ(snapshot->minor, 1U);
    EXPECT_EQ(snapshot->score, 190.3) << "200 × 22/23 − 1";
    EXPECT_EQ(snapshotOf(li->record(c::kAudits, onV1)), snapshot) << "the tablet shows it too";

    // …and it stays what it was: republishing or amending an answer changes no stored score.
    advance(kDayMs);
    // A published version is never replaced.
    hq("POST", "/v1/templates", sharedData("template-gsc-environment-v2.json"), 409);
    ASSERT_TRUE(answer(*li, onV1, "C.1.1", "no").ok);
    expectComplete(li->sync());
    EXPECT_EQ(snapshotOf(serverRecord(c::kAudits, onV1)), snapshot);
    const auto view = hq("GET", "/v1/review/audits/" + onV1.toString());
    EXPECT_TRUE(view->getObject("score")->getValue<bool>("changed_since_snapshot"))
        << "the reviewer is told that the amended answers would score differently";
}

// Day 6: HQ moves an audit to another auditor while the first has unsynced edits. Nothing is
// lost: the edits wait in the quarantine, HQ accepts one answer and discards the other, and the
// new auditor's tablet receives what HQ accepted.
TEST_F(FieldDay, AnAuditReassignedWhileOfflineKeepsTheEditsForHqToAcceptOrDiscard) {
    auto li = tablet("li");
    auto wang = tablet("wang");
    const auto audit = scheduleAudit(_v1, li->userId());
    expectComplete(li->sync());

    _hq->set(c::kAudits, audit, "assignee_id", Value::string(wang->userId()));
    _hq->push();
    ASSERT_TRUE(answer(*li, audit, "C.1.1", "no").ok);
    ASSERT_TRUE(answer(*li, audit, "C.1.2", "yes").ok);

    const auto report = li->sync();
    expectComplete(report);
    EXPECT_EQ(report.quarantined, 6U);
    EXPECT_FALSE(li->record(c::kAudits, audit)) << "the audit left li's tablet";
    EXPECT_EQ(quarantineCodes(*li), std::vector<ErrorCode>(6, ErrorCode::NotInScope))
        << "kept on the tablet with the reason";

    // HQ sees the six waiting changes, and decides per change.
    const auto listed = hq("GET", "/v1/quarantine")->getArray("quarantine");
    ASSERT_EQ(listed->size(), 6U);
    const auto keep = audit::answerRecordId(audit, "C.1.1").toString();
    for (std::size_t i = 0; i < listed->size(); ++i) {
        const auto entry = listed->getObject(static_cast<unsigned>(i));
        EXPECT_TRUE(entry->get("decision").isEmpty()) << "waiting for HQ";
        const auto record = entry->getObject("change")->getValue<std::string>("record");
        const auto path = "/v1/quarantine/" + entry->getValue<std::string>("device_id") + "/" +
                          std::to_string(entry->getValue<std::uint64_t>("device_seq"));
        hq("POST", path + (record == keep ? "/accept" : "/discard"), "{}");
        if (i == 0) {
            hq("POST", path + "/discard", "{}", 409);  // decided already
            const auto asLi =
                test::TestDevice(_server.endpoint(), "acme", "li", "li-password", _clock)
                    .send("POST", path + "/accept", "application/json", "{}");
            EXPECT_EQ(asLi.status, 403) << "only HQ decides";
        }
    }

    expectComplete(wang->sync());
    EXPECT_EQ(shownAnswer(*wang, audit, "C.1.1"), "no") << "li's accepted answer, on wang's tablet";
    EXPECT_FALSE(wang->record(c::kAnswers, audit::answerRecordId(audit, "C.1.2")))
        << "the discarded one never arrives";
    const auto decided = hq("GET", "/v1/quarantine")->getArray("quarantine");
    ASSERT_EQ(decided->size(), 6U) << "the refusals stay on record with their decisions";
    std::map<std::string, int> decisions;
    for (std::size_t i = 0; i < decided->size(); ++i) {
        const auto entry = decided->getObject(static_cast<unsigned>(i));
        ++decisions[entry->getValue<std::string>("decision")];
        EXPECT_EQ(entry->getValue<std::string>("decided_by"), _hq->userId());
    }
    EXPECT_EQ(decisions, (std::map<std::string, int>{{"accepted", 3}, {"discarded", 3}}));
    const auto stored = serverRecord(c::kAnswers, audit::answerRecordId(audit, "C.1.1"));
    ASSERT_TRUE(stored);
    EXPECT_EQ(stored->fields.at("value").writtenBy->author, li->userId())
        << "accepted in li's name";

    // li's next sync learns what HQ decided; the tablet stops showing the edits as waiting.
    const auto learned = li->sync();
    expectComplete(learned);
    EXPECT_EQ(learned.quarantineDecided, 6U);
    EXPECT_EQ(li->status().quarantined, 0U);
    std::map<std::string, int> onTablet;
    for (const auto& entry : li->quarantine()) {
        ++onTablet[entry.decision.value_or("waiting")];
    }
    EXPECT_EQ(onTablet, (std::map<std::string, int>{{"accepted", 3}, {"discarded", 3}}))
        << "the entries stay on the tablet, with HQ's decision";
    EXPECT_NE(li->syncState(c::kAnswers, audit::answerRecordId(audit, "C.1.1")),
              RecordSyncState::Quarantined);
    EXPECT_EQ(li->sync().quarantineDecided, 0U) << "learned once";
}

// HQ accepting a refused change that still cannot apply (a second question id for one answer)
// gets the reason, and the quarantine stays as it was: nothing half-written, no new entry.
TEST_F(FieldDay, AcceptingAChangeThatCannotApplyLeavesTheQuarantineAsItWas) {
    auto li = tablet("li");
    const auto audit = scheduleAudit(_v1, li->userId());
    expectComplete(li->sync());
    const auto item = audit::answerRecordId(audit, "C.1.1");
    ASSERT_TRUE(answer(*li, audit, "C.1.1", "yes").ok);
    expectComplete(li->sync());
    // An app on another tablet (no SDK checks) writes another question id to the same answer.
    _clock.advance(1000);
    test::TestDevice other(_server.endpoint(), "acme", "li", "li-password", _clock);
    other.set(c::kAnswers, item, "question_id", Value::string("C.1.2"));
    ASSERT_EQ(other.push().results.at(0).error, ErrorCode::ImmutableField);

    const auto listed = hq("GET", "/v1/quarantine")->getArray("quarantine");
    ASSERT_EQ(listed->size(), 1U);
    const auto entry = listed->getObject(0);
    const auto path = "/v1/quarantine/" + entry->getValue<std::string>("device_id") + "/" +
                      std::to_string(entry->getValue<std::uint64_t>("device_seq"));
    const auto refused = hq("POST", path + "/accept", "{}", 409);
    EXPECT_EQ(refused->getObject("error")->getValue<std::string>("code"), "immutable_field");
    const auto after = hq("GET", "/v1/quarantine")->getArray("quarantine");
    ASSERT_EQ(after->size(), 1U) << "no new entry under the server's device";
    EXPECT_TRUE(after->getObject(0)->get("decision").isEmpty()) << "still waiting for HQ";
    EXPECT_EQ(fieldOf(serverRecord(c::kAnswers, item), "question_id"), Value::string("C.1.1"));
    hq("POST", path + "/discard", "{}");
}

// Day 7: a reviewer opens the queue, comments on two items, returns one audit, approves another,
// and sees the supplier's score trend over three audits; the auditor sees the return and the
// comments on the tablet and resubmits.
TEST_F(FieldDay, HqReviewsCommentsReturnsApprovesAndFollowsTheSuppliersTrend) {
    auto li = tablet("li");
    // Three audits twenty days apart, answered better each time.
    const std::vector<std::vector<std::pair<std::string, std::string>>> rounds = {
        {{"C.1.1", "no"}, {"C.1.2", "no"}, {"C.2.1", "no"}},
        {{"C.1.1", "yes"}, {"C.1.2", "no"}, {"C.2.1", "yes"}},
        {{"C.1.1", "yes"}, {"C.1.2", "yes"}, {"C.2.1", "yes"}}};
    std::vector<RecordId> audits;
    for (const auto& answers : rounds) {
        const auto audit = scheduleAudit(_v1, li->userId());
        expectComplete(li->sync());
        for (const auto& [question, value] : answers) {
            ASSERT_TRUE(answer(*li, audit, question, value).ok);
        }
        answerTheRest(*li, audit, "template-gsc-environment-v1.json");
        ASSERT_TRUE(setState(*li, audit, "submitted").ok);
        expectComplete(li->sync());
        audits.push_back(audit);
        advance(20 * kDayMs);
    }

    // The queue: three submitted audits, oldest first, each with its score.
    const auto queue = hq("GET", "/v1/review/audits")->getArray("audits");
    ASSERT_EQ(queue->size(), 3U);
    for (std::size_t i = 0; i < 3; ++i) {
        const auto item = queue->getObject(static_cast<unsigned>(i));
        EXPECT_EQ(item->getValue<std::string>("id"), audits[i].toString());
        EXPECT_FALSE(item->isNull("score"));
    }

    // Two comments on the first audit, then it goes back to li with a reason.
    const auto first = audits[0];
    for (const auto* question : {"C.1.1", "C.1.2"}) {
        hq("POST", "/v1/review/audits/" + first.toString() + "/comments",
           R"({"target":"answers/)" + audit::answerRecordId(first, question).toString() +
               R"(","text":"Photo of the permit, please."})",
           201);
    }
    hq("POST", "/v1/review/audits/" + first.toString() + "/return",
       R"({"reason":"Two permit items need evidence."})");
    hq("POST", "/v1/review/audits/" + audits[1].toString() + "/approve", "{}");

    // li sees the return and the comments.
    expectComplete(li->sync());
    EXPECT_EQ(fieldOf(li->record(c::kAudits, first), "state"), Value::string("returned"));
    EXPECT_EQ(fieldOf(li->record(c::kAudits, audits[1]), "state"), Value::string("approved"));
    std::vector<std::string> comments;
    for (const auto& record : li->auditRecords(first)) {
        if (record.collection == c::kReviewComments) {
            comments.push_back(fieldOf(record, "text").as<std::string>());
        }
    }
    std::sort(comments.begin(), comments.end());
    EXPECT_EQ(comments, (std::vector<std::string>{"Photo of the permit, please.",
                                                  "Photo of the permit, please.",
                                                  "Two permit items need evidence."}));

    // li adds the evidence (C.1.1 is in fact conformant) and resubmits; HQ approves.
    ASSERT_TRUE(answer(*li, first, "C.1.1", "yes").ok);
    ASSERT_TRUE(setState(*li, first, "submitted").ok);
    expectComplete(li->sync());
    EXPECT_EQ(fieldOf(serverRecord(c::kAudits, first), "state"), Value::string("submitted"));
    const auto rescored = snapshotOf(serverRecord(c::kAudits, first));
    ASSERT_TRUE(rescored);
    EXPECT_EQ(rescored->major, 2U) << "the resubmission took a new snapshot";
    hq("POST", "/v1/review/audits/" + first.toString() + "/approve", "{}");
    hq("POST", "/v1/review/audits/" + audits[2].toString() + "/approve", "{}");
    EXPECT_EQ(hq("GET", "/v1/review/audits")->getArray("audits")->size(), 0U) << "queue empty";

    // The supplier's scorecard shows the trend over the three audits, in order.
    const auto card = hq("GET", "/v1/review/suppliers/" + _supplier.toString() + "/scorecard");
    const auto trend = card->getArray("score_trend");
    ASSERT_EQ(trend->size(), 3U);
    std::vector<double> scores;
    for (std::size_t i = 0; i < trend->size(); ++i) {
        const auto point = trend->getObject(static_cast<unsigned>(i));
        EXPECT_EQ(point->getValue<std::string>("audit_id"), audits[i].toString());
        scores.push_back(point->getValue<double>("score"));
    }
    // 200 × 21/23 − 4·2 = 174.6; 200 × 22/23 − 4 = 187.3; 200.
    EXPECT_EQ(scores, (std::vector<double>{174.6, 187.3, 200.0}));
}

// The acceptance line on a field expert's limits: what the tablet can judge from what it holds
// (HQ's fields and steps, an incomplete or repeated submission) is refused at the write with the
// server's code, nothing written; what only the server knows (another auditor's audit) is
// refused by the server and kept in the quarantine. Edits after submission are accepted as
// amendments that HQ's history marks as such.
TEST_F(FieldDay, AFieldExpertCannotDecideTouchOthersAuditsOrChangeASubmittedOneButByAmendment) {
    auto li = tablet("li");
    auto wang = tablet("wang");
    const auto mine = scheduleAudit(_v1, li->userId());
    const auto wangs = scheduleAudit(_v1, wang->userId());
    expectComplete(li->sync());
    EXPECT_FALSE(li->record(c::kAudits, wangs)) << "another auditor's audit never reaches li";

    const auto refusedWith = [&](const std::function<client::WriteResult()>& attempt) {
        const auto before = li->quarantine().size();
        EXPECT_TRUE(attempt().ok) << "offline, the tablet cannot know";
        li->sync();
        const auto kept = li->quarantine();
        return kept.size() > before ? std::optional(kept.back().code) : std::nullopt;
    };
    // Refused on the tablet: nothing reaches the outbox, and the record is as it was.
    const auto refusedAtWrite = [&](const std::function<client::WriteResult()>& attempt) {
        const auto before = li->pendingChanges().size();
        const auto result = attempt();
        EXPECT_FALSE(result.ok);
        EXPECT_EQ(li->pendingChanges().size(), before) << "nothing written";
        return result.error;
    };

    EXPECT_EQ(refusedWith([&] { return answer(*li, wangs, "C.1.1", "yes"); }),
              ErrorCode::NotInScope);
    EXPECT_FALSE(serverRecord(c::kAnswers, audit::answerRecordId(wangs, "C.1.1")));

    ASSERT_TRUE(answer(*li, mine, "C.1.1", "yes").ok);
    EXPECT_EQ(refusedAtWrite([&] { return setState(*li, mine, "submitted"); }),
              ErrorCode::InvalidTransition)
        << "1 of 23 questions answered: incomplete";
    answerTheRest(*li, mine, "template-gsc-environment-v1.json");
    ASSERT_TRUE(setState(*li, mine, "submitted").ok);
    expectComplete(li->sync());
    EXPECT_EQ(refusedAtWrite([&] { return setState(*li, mine, "approved"); }),
              ErrorCode::Forbidden);
    EXPECT_EQ(fieldOf(li->record(c::kAudits, mine), "state"), Value::string("submitted"));
    EXPECT_EQ(refusedAtWrite([&] {
                  return li->write(c::kAudits, mine, {FieldWrite::reopen("state", "in_progress")});
              }),
              ErrorCode::Forbidden);
    EXPECT_EQ(refusedAtWrite([&] {
                  return li->write(c::kAudits, mine,
                                   {FieldWrite::set("score", Value::json(R"({"rule":"x"})"))});
              }),
              ErrorCode::Forbidden)
        << "an HQ-only field";
    EXPECT_EQ(refusedAtWrite([&] { return li->remove(c::kAudits, mine); }), ErrorCode::Forbidden)
        << "deleting the audit would take it out of HQ's queue";
    const auto plan =
        li->create(c::kCorrectiveActions, {FieldWrite::set("audit_id", Value::id(mine)),
                                           FieldWrite::set("status", Value::string("draft"))});
    ASSERT_TRUE(plan.ok) << plan.message;
    EXPECT_EQ(refusedAtWrite([&] {
                  return li->write(
                      c::kCorrectiveActions, plan.recordId,
                      {FieldWrite::set("due_at", Value::timestamp(4'102'444'800'000))});
              }),
              ErrorCode::Forbidden)
        << "a plan's deadline is HQ's";

    // An edit while HQ reviews is an amendment: accepted, and marked so in the history.
    EXPECT_EQ(refusedWith([&] { return answer(*li, mine, "C.1.2", "yes"); }), std::nullopt);
    const auto view = hq("GET", "/v1/review/audits/" + mine.toString());
    const auto history = view->getArray("history");
    const auto amended = audit::answerRecordId(mine, "C.1.2").toString();
    const auto early = audit::answerRecordId(mine, "C.1.1").toString();
    std::size_t amendments = 0;
    std::size_t beforeSubmission = 0;
    for (std::size_t i = 0; i < history->size(); ++i) {
        const auto item = history->getObject(static_cast<unsigned>(i));
        const auto record = item->getValue<std::string>("record_id");
        if (record == amended) {
            ++(item->getValue<bool>("amendment") ? amendments : beforeSubmission);
        } else if (record == early) {
            EXPECT_FALSE(item->getValue<bool>("amendment")) << "answered before submission";
        }
    }
    EXPECT_EQ(amendments, 3U) << "the answer written after submission";
    EXPECT_EQ(beforeSubmission, 3U) << "its mark when the checklist was finished";

    // Once HQ approves, the checklist is locked.
    hq("POST", "/v1/review/audits/" + mine.toString() + "/approve", "{}");
    expectComplete(li->sync());
    EXPECT_EQ(refusedAtWrite([&] { return setState(*li, mine, "submitted"); }),
              ErrorCode::AuditLocked)
        << "an approved audit is not submitted again";
    EXPECT_EQ(refusedWith([&] { return answer(*li, mine, "C.1.3", "no"); }),
              ErrorCode::AuditLocked);
    EXPECT_NE(li->quarantine().back().message.find("approved"), std::string::npos);
    EXPECT_TRUE(
        fieldOf(serverRecord(c::kAnswers, audit::answerRecordId(mine, "C.1.3")), "value").isNull())
        << "the late 'no' never reached the server";
}

}  // namespace
}  // namespace verdant
