// The HQ review API over real TLS: the queue and its filters, the audit view, comments, return,
// approval (and what blocks it), corrective-action deadlines, scorecards, the findings export,
// template publication, and who may see and do what.

#include "ServerHarness.hpp"
#include "TestDevice.hpp"

#include "verdant/audit/ChecklistTemplate.hpp"
#include "verdant/domain/DomainSchema.hpp"
#include "verdant/server/http/Router.hpp"
#include "verdant/server/storage/TenantStores.hpp"
#include "verdant/shared/IdGenerator.hpp"
#include "verdant/shared/Scoring.hpp"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <functional>
#include <map>
#include <set>
#include <sstream>
#include <tuple>

namespace verdant {
namespace {

using server::Role;
using shared::RecordId;
using shared::Value;
using test::TestDevice;
namespace c = audit::collections;

constexpr std::int64_t kDayMs = 24LL * 60 * 60 * 1000;
/// 2027-01-15T08:00:00Z: "now" when each test starts.
constexpr std::int64_t kStartMs = 1'800'000'000'000;

/// A file of the test data (tests/data).
std::string sharedData(const std::string& name) {
    std::ifstream file(std::string(VERDANT_TEST_DATA_DIR) + "/" + name);
    std::stringstream text;
    text << file.rdbuf();
    if (text.str().empty()) {
        throw std::runtime_error("missing test data " + name);
    }
    return text.str();
}

Poco::JSON::Object::Ptr parseObject(const std::string& text) {
    Poco::JSON::Parser parser;
    return parser.parse(text).extract<Poco::JSON::Object::Ptr>();
}

std::string stringify(const Poco::JSON::Object& object) {
    std::ostringstream text;
    object.stringify(text);
    return text.str();
}

/// A JSON object of string members, as a request body.
std::string body(const std::vector<std::pair<std::string, std::string>>& members) {
    Poco::JSON::Object object;
    for (const auto& [name, value] : members) {
        object.set(name, value);
    }
    return stringify(object);
}

/// An HTTP answer with its JSON body parsed (null when it is not a JSON object).
struct Reply {
    int status = 0;
    std::string contentType;
    std::string text;
    Poco::JSON::Object::Ptr json;

    std::string errorCode() const {
        return json && json->getObject("error")
                   ? json->getObject("error")->getValue<std::string>("code")
                   : std::string();
    }
    std::string errorMessage() const {
        return json && json->getObject("error")
                   ? json->getObject("error")->getValue<std::string>("message")
                   : std::string();
    }
};

Reply call(TestDevice& device, const std::string& method, const std::string& path,
           const std::string& requestBody = "") {
    const auto response =
        device.send(method, path, requestBody.empty() ? "" : "application/json", requestBody);
    Reply reply{response.status, response.contentType, response.body, nullptr};
    if (response.contentType.rfind("application/json", 0) == 0) {
        reply.json = parseObject(response.body);
    }
    return reply;
}

/// The ids of the items of `array` (their "id", or `key`).
std::vector<std::string> idsOf(const Poco::JSON::Array::Ptr& array, const std::string& key = "id") {
    std::vector<std::string> ids;
    for (std::size_t i = 0; array && i < array->size(); ++i) {
        ids.push_back(array->getObject(static_cast<unsigned>(i))->getValue<std::string>(key));
    }
    return ids;
}

/// Parses RFC 4180 CSV (quoted fields, doubled quotes, CRLF rows) into rows of fields.
std::vector<std::vector<std::string>> parseCsv(const std::string& text) {
    std::vector<std::vector<std::string>> rows;
    std::vector<std::string> row;
    std::string field;
    bool quoted = false;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char ch = text[i];
        if (quoted) {
            if (ch == '"' && i + 1 < text.size() && text[i + 1] == '"') {
                field += '"';
                ++i;
            } else if (ch == '"') {
                quoted = false;
            } else {
                field += ch;
            }
        } else if (ch == '"') {
            quoted = true;
        } else if (ch == ',') {
            row.push_back(std::move(field));
            field.clear();
        } else if (ch == '\r' && i + 1 < text.size() && text[i + 1] == '\n') {
            row.push_back(std::move(field));
            field.clear();
            rows.push_back(std::move(row));
            row.clear();
            ++i;
        } else {
            field += ch;
        }
    }
    EXPECT_TRUE(field.empty() && row.empty()) << "the CSV must end with CRLF";
    return rows;
}

/// One tenant: HQ (a reviewer, on a device of its own), a tenant admin and the field expert Li.
/// HQ has set up two suppliers (tier 1 and tier 2) with a facility each and a template version of
/// the environmental checklist; each test makes the audits it needs.
class ReviewApi : public ::testing::Test {
protected:
    ReviewApi()
        : _tenantId(test::seedTenant(
              _server, "acme",
              {{"hq", Role::HqReviewer}, {"admin", Role::TenantAdmin}, {"li", Role::FieldExpert}})),
          _hq(_server.endpoint(), "acme", "hq", "hq-password", _clock),
          _li(_server.endpoint(), "acme", "li", "li-password", _clock) {
        const std::tuple<RecordId, RecordId, const char*, const char*, std::int64_t> suppliers[] = {
            {_green, _greenSite, "Green Dyeing Co.", "绿色印染有限公司", 1},
            {_blue, _blueSite, "Blue River Plating", "蓝河电镀厂", 2}};
        for (const auto& [supplier, site, nameEn, nameZh, tier] : suppliers) {
            _hq.set(c::kSuppliers, supplier, "name_en", Value::string(nameEn));
            _hq.set(c::kSuppliers, supplier, "name_zh", Value::string(nameZh));
            _hq.set(c::kSuppliers, supplier, "tier", Value::integer(tier));
            _hq.set(c::kFacilities, site, "supplier_id", Value::id(supplier));
        }
        _hq.set(c::kSuppliers, _green, "uscc", Value::string("91310000MA1K4XXX0A"));
        _hq.set(c::kTemplateVersions, _template, "template_key", Value::string("gsc-pilot"));
        _hq.set(c::kTemplateVersions, _template, "version", Value::integer(1));
        _hq.set(c::kTemplateVersions, _template, "content",
                Value::json(sharedData("template-gsc-environment-v1.json")));
        _hq.set(c::kTemplateVersions, _template, "scoring_rule", Value::string("rba-200-v1"));
        pushAll(_hq);
    }

    /// Pushes `device`'s outbox and expects every change to be applied (or to raise a conflict
    /// when `conflictsExpected`).
    static void pushAll(TestDevice& device, bool conflictsExpected = false) {
        for (const auto& result : device.push().results) {
            if (conflictsExpected && result.outcome == "conflict_raised") {
                continue;
            }
            EXPECT_EQ(result.outcome, "applied") << result.message;
        }
    }

    /// An audit of `supplier` assigned to Li, as HQ schedules it; Li has pulled it.
    RecordId scheduleAudit(const RecordId& supplier, const std::string& type = "periodic") {
        const auto audit = _ids.nextRecordId();
        _hq.set(c::kAudits, audit, "template_version_id", Value::id(_template));
        _hq.set(c::kAudits, audit, "supplier_id", Value::id(supplier));
        _hq.set(c::kAudits, audit, "facility_id",
                Value::id(supplier == _green ? _greenSite : _blueSite));
        _hq.set(c::kAudits, audit, "type", Value::string(type));
        _hq.set(c::kAudits, audit, "assignee_id", Value::string(_li.userId()));
        _hq.set(c::kAudits, audit, "state", Value::string("scheduled"));
        pushAll(_hq);
        _li.pull();
        return audit;
    }

    /// Li answers `question` of `audit` with {"answer": answer} (pushed later).
    RecordId answer(const RecordId& audit, const std::string& question, const std::string& text) {
        const auto record = _ids.nextRecordId();
        _li.set(c::kAnswers, record, "audit_id", Value::id(audit));
        _li.set(c::kAnswers, record, "question_id", Value::string(question));
        _li.set(c::kAnswers, record, "value", Value::json(R"({"answer":")" + text + R"("})"));
        return record;
    }

    /// Li records a finding on `audit` (pushed later).
    RecordId finding(const RecordId& audit, const std::string& severity,
                     const std::string& question, const std::string& description,
                     const std::string& clause = "") {
        const auto record = _ids.nextRecordId();
        _li.set(c::kFindings, record, "audit_id", Value::id(audit));
        _li.set(c::kFindings, record, "question_id", Value::string(question));
        _li.set(c::kFindings, record, "severity", Value::string(severity));
        _li.set(c::kFindings, record, "description", Value::string(description));
        if (!clause.empty()) {
            _li.set(c::kFindings, record, "clause", Value::string(clause));
        }
        return record;
    }

    /// Li drafts and submits a corrective action plan for `finding` (pushed later).
    RecordId plan(const RecordId& audit, const RecordId& finding) {
        const auto record = _ids.nextRecordId();
        _li.set(c::kCorrectiveActions, record, "audit_id", Value::id(audit));
        _li.set(c::kCorrectiveActions, record, "finding_id", Value::id(finding));
        _li.set(c::kCorrectiveActions, record, "root_cause", Value::string("No procedure"));
        _li.set(c::kCorrectiveActions, record, "status", Value::string("submitted"));
        return record;
    }

    /// Li marks every question of template v1 she has not answered on `audit` conformant (an
    /// explicit result), as an auditor finishing the checklist before submitting it must: an
    /// audit is submitted complete.
    void finishChecklist(const RecordId& audit) {
        std::set<std::string> answered;
        for (const auto& ref : _li.replica().recordsInScope(shared::scopeKey(c::kAudits, audit))) {
            const auto record = _li.replica().record(ref.collection, ref.id);
            if (ref.collection == c::kAnswers && record) {
                answered.insert(field(*record, "question_id").as<std::string>());
            }
        }
        const auto checklist =
            audit::ChecklistTemplate::parse(sharedData("template-gsc-environment-v1.json"));
        for (const auto& question : checklist->questionIds()) {
            if (answered.count(question) == 0) {
                const auto record = _ids.nextRecordId();
                _li.set(c::kAnswers, record, "audit_id", Value::id(audit));
                _li.set(c::kAnswers, record, "question_id", Value::string(question));
                _li.set(c::kAnswers, record, "result", Value::string("conformance"));
            }
        }
    }

    /// Li submits `audit` and pushes everything written so far; the server dates the submission
    /// now, and HQ backdates it to `submittedAtMs` (submitted_at keeps the earliest time).
    void submit(const RecordId& audit, std::int64_t submittedAtMs) {
        finishChecklist(audit);
        _li.set(c::kAudits, audit, "state", Value::string("submitted"));
        pushAll(_li);
        _hq.set(c::kAudits, audit, "submitted_at", Value::timestamp(submittedAtMs));
        pushAll(_hq);
    }

    Reply get(const std::string& path) { return call(_hq, "GET", path); }
    Reply post(const std::string& path, const std::string& requestBody = "") {
        return call(_hq, "POST", path, requestBody);
    }

    static std::string auditPath(const RecordId& audit, const std::string& action = "") {
        return "/v1/review/audits/" + audit.toString() + (action.empty() ? "" : "/" + action);
    }

    /// The server's own copy of a record.
    sync::Record onServer(const char* collection, const RecordId& id) {
        return _server.server().stores().with(_tenantId, [&](sync::Store& store) {
            auto record = store.record(collection, id);
            if (!record) {
                throw std::runtime_error("no such record on the server");
            }
            return *record;
        });
    }

    static const Value& field(const sync::Record& record, const std::string& name) {
        static const Value kNull;
        const auto found = record.fields.find(name);
        return found == record.fields.end() ? kNull : found->second.value;
    }

    /// The review queue's ids for `query` ("" for the default queue).
    std::vector<std::string> queue(const std::string& query = "") {
        const auto reply = get("/v1/review/audits" + (query.empty() ? "" : "?" + query));
        EXPECT_EQ(reply.status, 200) << reply.text;
        return reply.json ? idsOf(reply.json->getArray("audits")) : std::vector<std::string>{};
    }

    shared::ManualClock _clock{kStartMs};
    shared::IdGenerator _ids{_clock};
    // Tokens outlive the weeks the deadline tests move the clock by.
    test::ServerHarness _server{
        [](server::ServerConfig& config) { config.accessTokenTtlSeconds = 400 * 24 * 3600; },
        {&_clock}};
    std::string _tenantId;
    TestDevice _hq;
    TestDevice _li;
    RecordId _green = _ids.nextRecordId();
    RecordId _greenSite = _ids.nextRecordId();
    RecordId _blue = _ids.nextRecordId();
    RecordId _blueSite = _ids.nextRecordId();
    RecordId _template = _ids.nextRecordId();
};

/// The queue of three audits: Green's submitted yesterday with a major and a minor finding,
/// Blue's submitted the day before with a priority finding, and Green's still in progress.
class ReviewQueue : public ReviewApi {
protected:
    ReviewQueue() {
        answer(_greenAudit, "C.1.1", "yes");
        finding(_greenAudit, "major", "C.2.1", "Treatment plant off during the night shift");
        finding(_greenAudit, "minor", "C.2.2", "Monitoring log misses two days");
        submit(_greenAudit, kStartMs - kDayMs);
        finding(_blueAudit, "priority", "C.2.4", "Bypass pipe to the river");
        submit(_blueAudit, kStartMs - 2 * kDayMs);
        _li.set(c::kAudits, _openAudit, "state", Value::string("in_progress"));
        pushAll(_li);
    }

    RecordId _greenAudit = scheduleAudit(_green);
    RecordId _blueAudit = scheduleAudit(_blue);
    RecordId _openAudit = scheduleAudit(_green);
};

TEST_F(ReviewQueue, ListsSubmittedAuditsOldestSubmissionFirstWithWhatAReviewerTriagesBy) {
    const auto reply = get("/v1/review/audits");
    ASSERT_EQ(reply.status, 200) << reply.text;
    const auto audits = reply.json->getArray("audits");
    ASSERT_EQ(idsOf(audits),
              (std::vector<std::string>{_blueAudit.toString(), _greenAudit.toString()}))
        << "the audit in progress is not in the queue";

    const auto green = audits->getObject(1);
    EXPECT_EQ(green->getValue<std::string>("state"), "submitted");
    EXPECT_EQ(green->getValue<std::string>("type"), "periodic");
    EXPECT_EQ(green->getValue<std::string>("assignee_id"), _li.userId());
    EXPECT_EQ(green->getValue<std::string>("facility_id"), _greenSite.toString());
    EXPECT_EQ(green->getValue<std::int64_t>("submitted_at"), kStartMs - kDayMs);
    const auto supplier = green->getObject("supplier");
    EXPECT_EQ(supplier->getValue<std::string>("id"), _green.toString());
    EXPECT_EQ(supplier->getValue<std::string>("name_en"), "Green Dyeing Co.");
    EXPECT_EQ(supplier->getValue<std::string>("name_zh"), "绿色印染有限公司");
    EXPECT_EQ(supplier->getValue<int>("tier"), 1);
    const auto severities = green->getObject("findings_by_severity");
    EXPECT_EQ(severities->getValue<int>("major"), 1);
    EXPECT_EQ(severities->getValue<int>("minor"), 1);
    EXPECT_EQ(severities->getValue<int>("priority"), 0);
    EXPECT_EQ(green->getValue<int>("open_conflicts"), 0);
    EXPECT_EQ(green->getValue<int>("amendments"), 0);
    EXPECT_EQ(green->getValue<int>("comments"), 0);
    EXPECT_EQ(audits->getObject(0)->getObject("findings_by_severity")->getValue<int>("priority"),
              1);
}

TEST_F(ReviewQueue, FiltersBySupplierTierSeverityStateAndSubmissionDate) {
    const auto green = _greenAudit.toString();
    const auto blue = _blueAudit.toString();
    const auto open = _openAudit.toString();
    using Ids = std::vector<std::string>;
    EXPECT_EQ(queue("supplier_id=" + _green.toString()), Ids{green});
    EXPECT_EQ(queue("supplier_id=" + _blue.toString()), Ids{blue});
    EXPECT_EQ(queue("tier=2"), Ids{blue});
    EXPECT_EQ(queue("tier=3"), Ids{});
    EXPECT_EQ(queue("severity=priority"), Ids{blue});
    EXPECT_EQ(queue("severity=minor"), Ids{green});
    EXPECT_EQ(queue("severity=observation"), Ids{});
    EXPECT_EQ(queue("state=in_progress"), Ids{open});
    EXPECT_EQ(queue("state=submitted,in_progress"), (Ids{blue, green, open}))
        << "never submitted comes last";
    EXPECT_EQ(queue("from=2027-01-14"), Ids{green});
    EXPECT_EQ(queue("to=2027-01-13"), Ids{blue}) << "a date 'to' covers the whole day";
    EXPECT_EQ(queue("from=2027-01-13&to=2027-01-14"), (Ids{blue, green}));
    EXPECT_EQ(queue("from=" + std::to_string(kStartMs - kDayMs)), Ids{green});
    EXPECT_EQ(queue("to=" + std::to_string(kStartMs - kDayMs - 1)), Ids{blue});
    EXPECT_EQ(queue("supplier_id=" + _green.toString() + "&state=in_progress,submitted"),
              (Ids{green, open}));
}

TEST_F(ReviewQueue, RefusesBadParametersNamingThem) {
    for (const auto& [query, parameter] :
         std::vector<std::pair<std::string, std::string>>{{"tier=first", "tier"},
                                                          {"tier=-1", "tier"},
                                                          {"state=done", "state"},
                                                          {"state=submitted,", "state"},
                                                          {"severity=critical", "severity"},
                                                          {"supplier_id=green", "supplier_id"},
                                                          {"from=2027-02-30", "from"},
                                                          {"to=yesterday", "to"},
                                                          {"from=2027-01-15&to=2027-01-14", "from"},
                                                          {"colour=green", "colour"},
                                                          {"tier=1&tier=2", "tier"}}) {
        const auto reply = get("/v1/review/audits?" + query);
        EXPECT_EQ(reply.status, 400) << query;
        EXPECT_EQ(reply.errorCode(), "invalid_parameter") << query;
        EXPECT_NE(reply.errorMessage().find("'" + parameter + "'"), std::string::npos)
            << query << ": " << reply.errorMessage();
    }
}

TEST_F(ReviewApi, AuditViewShowsAnswersWithTheirQuestionsFindingsAndFlagsLateEdits) {
    const auto audit = scheduleAudit(_green);
    const auto water = answer(audit, "C.2.1", "yes");
    const auto found = finding(audit, "major", "C.2.1", "Sludge stored on bare ground");
    submit(audit, kStartMs);
    // After submission the expert changes an answer: HQ must see that as an amendment.
    _li.set(c::kAnswers, water, "value", Value::json(R"({"answer":"no"})"));
    pushAll(_li);

    const auto reply = get(auditPath(audit));
    ASSERT_EQ(reply.status, 200) << reply.text;
    const auto& view = *reply.json;
    EXPECT_EQ(view.getObject("audit")->getValue<std::string>("state"), "submitted");
    EXPECT_EQ(view.getObject("audit")->getValue<std::string>("supplier_id"), _green.toString());
    const auto version = view.getObject("template_version");
    EXPECT_EQ(version->getValue<std::string>("id"), _template.toString());
    EXPECT_EQ(version->getValue<std::string>("template_key"), "gsc-pilot");
    EXPECT_EQ(version->getValue<int>("version"), 1);

    const auto answers = view.getArray("answers");
    const auto ids = idsOf(answers);
    ASSERT_EQ(ids.size(), 23U) << "C.2.1 and the rest of the checklist, finished to submit";
    const auto at = std::find(ids.begin(), ids.end(), water.toString());
    ASSERT_NE(at, ids.end());
    const auto shown = answers->getObject(static_cast<unsigned>(at - ids.begin()));
    EXPECT_EQ(shown->getObject("value")->getValue<std::string>("answer"), "no");
    const auto question = shown->getObject("question");
    ASSERT_TRUE(question) << reply.text;
    EXPECT_EQ(question->getValue<std::string>("clause"), "C.2.1");
    EXPECT_EQ(question->getObject("text")->getValue<std::string>("en"),
              "Wastewater treatment facility runs whenever production runs");
    EXPECT_EQ(question->getObject("text")->getValue<std::string>("zh"),
              "生产期间废水处理设施正常运行");

    const auto findings = view.getArray("findings");
    ASSERT_EQ(idsOf(findings), std::vector<std::string>{found.toString()});
    EXPECT_EQ(findings->getObject(0)->getValue<std::string>("severity"), "major");
    EXPECT_EQ(findings->getObject(0)->getValue<std::string>("description"),
              "Sludge stored on bare ground");
    EXPECT_EQ(view.getArray("conflicts")->size(), 0U);

    // History: server order, each answer write flagged by when it arrived.
    const auto history = view.getArray("history");
    ASSERT_GT(history->size(), 0U);
    std::uint64_t lastSeq = 0;
    std::vector<bool> answerValueFlags;
    bool submissionSeen = false;
    for (std::size_t i = 0; i < history->size(); ++i) {
        const auto item = history->getObject(static_cast<unsigned>(i));
        const auto seq = item->getValue<std::uint64_t>("server_seq");
        EXPECT_GT(seq, lastSeq) << "history is in server order";
        lastSeq = seq;
        if (item->getValue<std::string>("record_id") == water.toString() &&
            item->getValue<std::string>("field") == "value") {
            answerValueFlags.push_back(item->getValue<bool>("amendment"));
            EXPECT_EQ(item->getValue<std::string>("author"), _li.userId());
            EXPECT_EQ(item->getValue<std::string>("device_id"), _li.deviceId().toString());
        }
        if (item->getValue<std::string>("field") == "state" &&
            item->getObject("value")->getValue<std::string>("string") == "submitted") {
            submissionSeen = true;
            EXPECT_FALSE(item->getValue<bool>("amendment"));
        }
        if (item->getValue<std::string>("record_id") == found.toString()) {
            EXPECT_FALSE(item->getValue<bool>("amendment")) << "recorded before submission";
        }
    }
    EXPECT_TRUE(submissionSeen);
    EXPECT_EQ(answerValueFlags, (std::vector<bool>{false, true}));

    const auto queued = get("/v1/review/audits").json->getArray("audits");
    ASSERT_EQ(queued->size(), 1U);
    EXPECT_EQ(queued->getObject(0)->getValue<int>("amendments"), 1);

    const auto score = view.getObject("score");
    ASSERT_TRUE(score->getObject("recomputed")) << reply.text;
    EXPECT_EQ(score->getObject("recomputed")->getValue<std::string>("rule"), "rba-200-v1");
}

TEST_F(ReviewApi, AnUnknownAuditIsNotFound) {
    EXPECT_EQ(get(auditPath(_ids.nextRecordId())).errorCode(), "not_found");
    EXPECT_EQ(get("/v1/review/audits/not-a-uuid").status, 404);
    EXPECT_EQ(post(auditPath(_ids.nextRecordId(), "approve")).status, 404);
}

TEST_F(ReviewApi, ReviewerCommentsOnItemsOfTheAuditAndTheCommentsSyncToTheExpert) {
    const auto audit = scheduleAudit(_green);
    const auto permit = answer(audit, "C.1.1", "yes");
    submit(audit, kStartMs);
    const auto other = scheduleAudit(_blue);
    const auto foreign = answer(other, "C.1.1", "yes");
    pushAll(_li);

    const std::string text = "Photo of the permit is missing / 缺少许可证照片";
    const auto created = post(auditPath(audit, "comments"),
                              body({{"target", "answers/" + permit.toString()}, {"text", text}}));
    ASSERT_EQ(created.status, 201) << created.text;
    const auto commentId = created.json->getValue<std::string>("id");
    const auto onAudit =
        post(auditPath(audit, "comments"), body({{"target", "audit"}, {"text", "Good work"}}));
    ASSERT_EQ(onAudit.status, 201) << onAudit.text;

    for (const auto& target :
         {"answers/" + foreign.toString(), "answers/" + permit.toString() + "x",
          std::string("findings/") + _ids.nextRecordId().toString(),
          "suppliers/" + _green.toString(), std::string("everything")}) {
        const auto refused =
            post(auditPath(audit, "comments"), body({{"target", target}, {"text", "Look"}}));
        EXPECT_EQ(refused.status, 400) << target;
        EXPECT_EQ(refused.errorCode(), "invalid_parameter") << target;
        EXPECT_NE(refused.errorMessage().find("'target'"), std::string::npos);
    }
    const auto blank =
        post(auditPath(audit, "comments"), body({{"target", "audit"}, {"text", "  "}}));
    EXPECT_EQ(blank.errorCode(), "invalid_parameter");
    EXPECT_NE(blank.errorMessage().find("'text'"), std::string::npos);

    const auto view = get(auditPath(audit));
    const auto comments = view.json->getArray("review_comments");
    ASSERT_EQ(comments->size(), 2U) << view.text;
    bool found = false;
    for (std::size_t i = 0; i < comments->size(); ++i) {
        const auto comment = comments->getObject(static_cast<unsigned>(i));
        if (comment->getValue<std::string>("id") == commentId) {
            found = true;
            EXPECT_EQ(comment->getValue<std::string>("target"), "answers/" + permit.toString());
            EXPECT_EQ(comment->getValue<std::string>("text"), text);
            EXPECT_EQ(comment->getValue<std::string>("author_id"), _hq.userId());
        }
    }
    EXPECT_TRUE(found);
    EXPECT_EQ(
        get("/v1/review/audits").json->getArray("audits")->getObject(0)->getValue<int>("comments"),
        2);

    _li.pull();
    const auto onDevice = _li.replica().record(c::kReviewComments, *RecordId::parse(commentId));
    ASSERT_TRUE(onDevice) << "the comment syncs to the auditor";
    EXPECT_EQ(field(*onDevice, "text"), Value::string(text));
}

TEST_F(ReviewApi, ReturningAnAuditNeedsAReasonWhichBecomesAComment) {
    const auto audit = scheduleAudit(_green);
    answer(audit, "C.1.1", "yes");
    submit(audit, kStartMs);
    const auto open = scheduleAudit(_blue);

    const auto early = post(auditPath(open, "return"), body({{"reason", "Too early"}}));
    EXPECT_EQ(early.status, 409);
    EXPECT_EQ(early.errorCode(), "invalid_transition");
    const auto noReason = post(auditPath(audit, "return"), "{}");
    EXPECT_EQ(noReason.errorCode(), "invalid_parameter");
    EXPECT_NE(noReason.errorMessage().find("'reason'"), std::string::npos);

    const std::string reason = "C.2.1 needs a photo of the treatment plant running";
    const auto returned = post(auditPath(audit, "return"), body({{"reason", reason}}));
    ASSERT_EQ(returned.status, 200) << returned.text;
    EXPECT_EQ(returned.json->getValue<std::string>("state"), "returned");
    EXPECT_EQ(field(onServer(c::kAudits, audit), "state"), Value::string("returned"));
    const auto comment = onServer(
        c::kReviewComments, *RecordId::parse(returned.json->getValue<std::string>("comment_id")));
    EXPECT_EQ(field(comment, "target"), Value::string("audit"));
    EXPECT_EQ(field(comment, "text"), Value::string(reason));
    EXPECT_EQ(field(comment, "audit_id"), Value::id(audit));
    EXPECT_TRUE(queue().empty()) << "a returned audit leaves the queue";

    // The expert sees it returned, fixes it and submits again.
    _li.pull();
    EXPECT_EQ(field(*_li.replica().record(c::kAudits, audit), "state"), Value::string("returned"));
    answer(audit, "C.2.1", "yes");
    _li.set(c::kAudits, audit, "state", Value::string("submitted"));
    pushAll(_li);
    EXPECT_EQ(queue(), std::vector<std::string>{audit.toString()});
}

// What the tablet refuses at the write, forced past the SDK in a raw push: the server refuses it
// with the same code, and nothing of it is applied.
TEST_F(ReviewApi, TheServerRefusesWhatATabletWouldRefuseAtTheWrite) {
    const auto audit = scheduleAudit(_green);
    const auto pushOne = [&](const std::function<void()>& write) {
        write();
        const auto results = _li.push().results;
        if (results.empty()) {
            return std::string("nothing pushed");
        }
        const auto& last = results.back();
        return last.outcome + (last.error ? " " + std::string(shared::wireName(*last.error)) : "");
    };
    const auto setState = [&](const std::string& state) {
        return pushOne([&] { _li.set(c::kAudits, audit, "state", Value::string(state)); });
    };

    // Five of twenty-three answered: the submission is refused, the audit stays in progress.
    for (const auto* question : {"C.1.1", "C.1.2", "C.1.3", "C.2.1", "C.2.2"}) {
        answer(audit, question, "yes");
    }
    pushAll(_li);
    EXPECT_EQ(setState("submitted"), "refused invalid_transition");
    EXPECT_EQ(field(onServer(c::kAudits, audit), "state"), Value::string("scheduled"));
    EXPECT_TRUE(onServer(c::kAudits, audit).fields.count("score") == 0) << "no snapshot taken";
    // The reviewer's view of the audit says how complete it is and what is missing.
    auto completeness = get(auditPath(audit)).json->getObject("completeness");
    ASSERT_TRUE(completeness);
    EXPECT_FALSE(completeness->getValue<bool>("complete"));
    EXPECT_EQ(completeness->getValue<std::size_t>("answered"), 5U);
    EXPECT_EQ(completeness->getValue<std::size_t>("applicable"), 23U);
    ASSERT_EQ(completeness->getArray("missing")->size(), 18U);
    EXPECT_EQ(completeness->getArray("missing")->getElement<std::string>(0), "C.2.3");

    // An answer outside the audit's template version, and an HQ-only field.
    const auto foreign = _ids.nextRecordId();
    EXPECT_EQ(pushOne([&] {
                  _li.set(c::kAnswers, foreign, "audit_id", Value::id(audit));
                  _li.set(c::kAnswers, foreign, "question_id", Value::string("C.2.5"));
              }),
              "refused unknown_question")
        << "C.2.5 is a question of v2 only";
    EXPECT_FALSE(_server.server().stores().with(_tenantId, [&](sync::Store& store) {
        return store.record(c::kAnswers, foreign).has_value();
    }));
    EXPECT_EQ(pushOne([&] {
                  _li.set(c::kAudits, audit, "assignee_id", Value::string(_li.userId() + "x"));
              }),
              "refused forbidden");

    // Complete, it is submitted; once approved, submitting it again is refused as locked.
    finishChecklist(audit);
    pushAll(_li);
    EXPECT_EQ(setState("submitted"), "applied");
    completeness = get(auditPath(audit)).json->getObject("completeness");
    EXPECT_TRUE(completeness->getValue<bool>("complete"));
    EXPECT_EQ(completeness->getArray("missing")->size(), 0U);
    ASSERT_EQ(post(auditPath(audit, "approve")).status, 200);
    _li.pull();
    EXPECT_EQ(setState("submitted"), "refused audit_locked");
    EXPECT_EQ(field(onServer(c::kAudits, audit), "state"), Value::string("approved"));
}

TEST_F(ReviewApi, ApprovalWaitsUntilEveryConflictOfTheAuditIsResolved) {
    const auto audit = scheduleAudit(_green);
    const auto permit = answer(audit, "C.1.1", "yes");
    submit(audit, kStartMs);
    // HQ answers the same item differently without having seen Li's answer: a conflict.
    _hq.set(c::kAnswers, permit, "value", Value::json(R"({"answer":"no"})"));
    pushAll(_hq, /*conflictsExpected=*/true);
    EXPECT_EQ(get("/v1/review/audits")
                  .json->getArray("audits")
                  ->getObject(0)
                  ->getValue<int>("open_conflicts"),
              1);
    EXPECT_EQ(get(auditPath(audit)).json->getArray("conflicts")->size(), 1U);

    ASSERT_EQ(post(auditPath(audit, "start-review")).status, 200);
    EXPECT_EQ(field(onServer(c::kAudits, audit), "state"), Value::string("under_review"));
    const auto refused = post(auditPath(audit, "approve"));
    EXPECT_EQ(refused.status, 409);
    EXPECT_EQ(refused.errorCode(), "invalid_transition");
    EXPECT_NE(refused.errorMessage().find("1 conflict"), std::string::npos)
        << refused.errorMessage();
    EXPECT_NE(refused.errorMessage().find("resolved"), std::string::npos);
    EXPECT_EQ(field(onServer(c::kAudits, audit), "state"), Value::string("under_review"));

    const auto resolved =
        post("/v1/conflicts/answers/" + permit.toString() + "/value/resolve", R"({"choose":0})");
    ASSERT_EQ(resolved.status, 200) << resolved.text;
    _clock.advance(60'000);
    const auto approved = post(auditPath(audit, "approve"));
    ASSERT_EQ(approved.status, 200) << approved.text;
    const auto stored = onServer(c::kAudits, audit);
    EXPECT_EQ(field(stored, "state"), Value::string("approved"));
    EXPECT_EQ(field(stored, "approved_at"), Value::timestamp(_clock.nowMs()));

    EXPECT_EQ(post(auditPath(audit, "start-review")).errorCode(), "invalid_transition");
    ASSERT_EQ(post(auditPath(audit, "close")).status, 200);
    EXPECT_EQ(field(onServer(c::kAudits, audit), "state"), Value::string("closed"));
    _li.pull();
    EXPECT_EQ(field(*_li.replica().record(c::kAudits, audit), "state"), Value::string("closed"))
        << "decisions sync to the expert";
}

TEST_F(ReviewApi, WorkflowStepsOutOfOrderAreRefused) {
    const auto audit = scheduleAudit(_green);
    EXPECT_EQ(post(auditPath(audit, "approve")).errorCode(), "invalid_transition");
    EXPECT_EQ(post(auditPath(audit, "close")).errorCode(), "invalid_transition");
    EXPECT_EQ(post(auditPath(audit, "start-review")).errorCode(), "invalid_transition");
    EXPECT_EQ(field(onServer(c::kAudits, audit), "state"), Value::string("scheduled"));
    submit(audit, kStartMs);
    EXPECT_EQ(post(auditPath(audit, "close")).errorCode(), "invalid_transition");
}

TEST_F(ReviewApi, ApprovalDatesPlans7DaysForPriorityFindingsAnd14Otherwise) {
    const auto audit = scheduleAudit(_green);
    const auto bypass = finding(audit, "priority", "C.2.4", "Bypass pipe");
    const auto sludge = finding(audit, "major", "C.4.1", "Sludge on bare ground");
    const auto logbook = finding(audit, "minor", "C.2.2", "Log gaps");
    const auto bypassPlan = plan(audit, bypass);
    const auto sludgePlan = plan(audit, sludge);
    const auto logbookPlan = plan(audit, logbook);
    submit(audit, kStartMs);
    // HQ agreed a later date for one plan before approving: it stands.
    _hq.set(c::kCorrectiveActions, logbookPlan, "due_at", Value::timestamp(kStartMs + 30 * kDayMs));
    pushAll(_hq);

    const auto approved = post(auditPath(audit, "approve"));
    ASSERT_EQ(approved.status, 200) << approved.text;
    EXPECT_EQ(approved.json->getValue<int>("plans_dated"), 2);
    EXPECT_EQ(field(onServer(c::kCorrectiveActions, bypassPlan), "due_at"),
              Value::timestamp(kStartMs + 7 * kDayMs));
    EXPECT_EQ(field(onServer(c::kCorrectiveActions, sludgePlan), "due_at"),
              Value::timestamp(kStartMs + 14 * kDayMs));
    EXPECT_EQ(field(onServer(c::kCorrectiveActions, logbookPlan), "due_at"),
              Value::timestamp(kStartMs + 30 * kDayMs))
        << "a date the plan already has stands";

    _clock.advance(8 * kDayMs);
    const auto view = get(auditPath(audit));
    const auto plans = view.json->getArray("corrective_actions");
    ASSERT_EQ(plans->size(), 3U);
    std::map<std::string, std::pair<std::int64_t, bool>> shown;
    for (std::size_t i = 0; i < plans->size(); ++i) {
        const auto item = plans->getObject(static_cast<unsigned>(i));
        shown[item->getValue<std::string>("id")] = {item->getValue<std::int64_t>("due_at"),
                                                    item->getValue<bool>("overdue")};
    }
    EXPECT_EQ(shown[bypassPlan.toString()], std::make_pair(kStartMs + 7 * kDayMs, true));
    EXPECT_EQ(shown[sludgePlan.toString()], std::make_pair(kStartMs + 14 * kDayMs, false));
    EXPECT_EQ(shown[logbookPlan.toString()], std::make_pair(kStartMs + 30 * kDayMs, false));
}

TEST_F(ReviewApi, OverdueListsLatePlansAndMissingPlansMostOverdueFirst) {
    const auto audit = scheduleAudit(_green);
    const auto bypass = finding(audit, "priority", "C.2.4", "Bypass pipe");
    const auto sludge = finding(audit, "major", "C.4.1", "Sludge on bare ground");
    const auto drums = finding(audit, "major", "C.5.2", "Drums without bunding");
    const auto logbook = finding(audit, "minor", "C.2.2", "Log gaps");  // no plan at all
    finding(audit, "observation", "C.6.1", "Lights left on");           // needs no plan
    const auto bypassPlan = plan(audit, bypass);
    const auto sludgePlan = plan(audit, sludge);
    const auto drumsPlan = plan(audit, drums);
    submit(audit, kStartMs);
    // Another supplier's audit, not approved yet: its findings have no deadline.
    const auto pending = scheduleAudit(_blue);
    finding(pending, "minor", "C.2.2", "Log gaps");
    submit(pending, kStartMs);
    ASSERT_EQ(post(auditPath(audit, "approve")).status, 200);

    const auto overdue = [&] {
        const auto reply = get("/v1/review/corrective-actions/overdue");
        EXPECT_EQ(reply.status, 200) << reply.text;
        return reply.json->getArray("items");
    };
    EXPECT_EQ(overdue()->size(), 0U);

    _clock.advance(10 * kDayMs);
    auto items = overdue();
    ASSERT_EQ(items->size(), 1U);
    EXPECT_EQ(items->getObject(0)->getValue<std::string>("plan_id"), bypassPlan.toString());
    EXPECT_EQ(items->getObject(0)->getValue<int>("days_overdue"), 3);

    // The drums plan is carried out and verified: it leaves the list for good.
    ASSERT_EQ(post("/v1/review/corrective-actions/" + drumsPlan.toString() + "/decide",
                   body({{"decision", "approve"}}))
                  .status,
              200);
    _li.pull();
    _li.set(c::kCorrectiveActions, drumsPlan, "status", Value::string("in_progress"));
    _li.set(c::kCorrectiveActions, drumsPlan, "status", Value::string("evidence_submitted"));
    pushAll(_li);
    const auto verified =
        post("/v1/review/corrective-actions/" + drumsPlan.toString() + "/decide",
             body({{"decision", "verify"}, {"reason", "Photo shows the new bund"}}));
    ASSERT_EQ(verified.status, 200) << verified.text;
    EXPECT_EQ(field(onServer(c::kCorrectiveActions, drumsPlan), "verification_note"),
              Value::string("Photo shows the new bund"));

    _clock.advance(10 * kDayMs);  // 20 days after approval
    items = overdue();
    ASSERT_EQ(items->size(), 3U) << stringify(*get("/v1/review/corrective-actions/overdue").json);
    EXPECT_EQ(idsOf(items, "finding_id"),
              (std::vector<std::string>{bypass.toString(), sludge.toString(), logbook.toString()}));
    const auto first = items->getObject(0);
    EXPECT_EQ(first->getValue<std::string>("kind"), "plan");
    EXPECT_EQ(first->getValue<std::string>("plan_id"), bypassPlan.toString());
    EXPECT_EQ(first->getValue<std::string>("audit_id"), audit.toString());
    EXPECT_EQ(first->getValue<std::string>("severity"), "priority");
    EXPECT_EQ(first->getValue<std::string>("status"), "submitted");
    EXPECT_EQ(first->getValue<std::int64_t>("due_at"), kStartMs + 7 * kDayMs);
    EXPECT_EQ(first->getValue<int>("days_overdue"), 13);
    EXPECT_EQ(first->getObject("supplier")->getValue<std::string>("name_zh"), "绿色印染有限公司");
    EXPECT_EQ(items->getObject(1)->getValue<std::string>("plan_id"), sludgePlan.toString());
    EXPECT_EQ(items->getObject(1)->getValue<int>("days_overdue"), 6);
    const auto missing = items->getObject(2);
    EXPECT_EQ(missing->getValue<std::string>("kind"), "missing_plan");
    EXPECT_TRUE(missing->isNull("plan_id"));
    EXPECT_EQ(missing->getValue<std::string>("severity"), "minor");
    EXPECT_EQ(missing->getValue<std::int64_t>("due_at"), kStartMs + 14 * kDayMs);
    EXPECT_EQ(missing->getValue<int>("days_overdue"), 6);
}

TEST_F(ReviewApi, PlanDecisionsFollowTheWorkflowAndKeepTheirReasons) {
    const auto audit = scheduleAudit(_green);
    const auto sludge = finding(audit, "major", "C.4.1", "Sludge on bare ground");
    const auto sludgePlan = plan(audit, sludge);
    submit(audit, kStartMs);
    const auto decide = [&](const std::string& requestBody) {
        return post("/v1/review/corrective-actions/" + sludgePlan.toString() + "/decide",
                    requestBody);
    };

    const auto noReason = decide(body({{"decision", "reject"}}));
    EXPECT_EQ(noReason.errorCode(), "invalid_parameter");
    EXPECT_NE(noReason.errorMessage().find("'reason'"), std::string::npos);
    const auto unknown = decide(body({{"decision", "maybe"}}));
    EXPECT_EQ(unknown.errorCode(), "invalid_parameter");
    EXPECT_NE(unknown.errorMessage().find("'decision'"), std::string::npos);

    const auto rejected =
        decide(body({{"decision", "reject"}, {"reason", "The root cause is a guess"}}));
    ASSERT_EQ(rejected.status, 200) << rejected.text;
    EXPECT_EQ(rejected.json->getValue<std::string>("status"), "rejected");
    const auto stored = onServer(c::kCorrectiveActions, sludgePlan);
    EXPECT_EQ(field(stored, "status"), Value::string("rejected"));
    EXPECT_EQ(field(stored, "rejection_reason"), Value::string("The root cause is a guess"));

    const auto skipped = decide(body({{"decision", "verify"}}));
    EXPECT_EQ(skipped.status, 409);
    EXPECT_EQ(skipped.errorCode(), "invalid_transition");

    _li.pull();
    _li.set(c::kCorrectiveActions, sludgePlan, "root_cause", Value::string("No storage procedure"));
    _li.set(c::kCorrectiveActions, sludgePlan, "status", Value::string("submitted"));
    pushAll(_li);
    ASSERT_EQ(decide(body({{"decision", "approve"}})).status, 200);
    EXPECT_EQ(field(onServer(c::kCorrectiveActions, sludgePlan), "status"),
              Value::string("approved"));
    EXPECT_EQ(decide(body({{"decision", "reopen"}})).errorCode(), "invalid_parameter");

    EXPECT_EQ(post("/v1/review/corrective-actions/" + _ids.nextRecordId().toString() + "/decide",
                   body({{"decision", "approve"}}))
                  .status,
              404);
}

TEST_F(ReviewApi, ScorecardShowsTheScoreTrendOverThreeAudits) {
    // Three audits of Green Dyeing, a month apart, getting better: a "no" on C.1.3 is a priority
    // non-conformance (−20), on C.2.2 a minor one (−1); 23 questions, unanswered ones count as
    // not reviewed (conformant): 200 × 22/23 − 20 = 171.3, 200 × 22/23 − 1 = 190.3, then 200.
    const auto first = scheduleAudit(_green, "initial");
    answer(first, "C.1.3", "no");
    submit(first, kStartMs - 60 * kDayMs);
    const auto second = scheduleAudit(_green, "follow_up");
    answer(second, "C.2.2", "no");
    const auto logbook = finding(second, "minor", "C.2.2", "Log gaps");
    submit(second, kStartMs - 30 * kDayMs);
    const auto third = scheduleAudit(_green, "periodic");
    answer(third, "C.1.1", "yes");
    submit(third, kStartMs);
    scheduleAudit(_green);  // not submitted: no score yet
    const auto blue = scheduleAudit(_blue);
    submit(blue, kStartMs);
    for (const auto& audit : {third, first, second, blue}) {
        ASSERT_EQ(post(auditPath(audit, "rescore")).status, 200);
    }
    ASSERT_EQ(post(auditPath(first, "approve")).status, 200);

    const auto reply = get("/v1/review/suppliers/" + _green.toString() + "/scorecard");
    ASSERT_EQ(reply.status, 200) << reply.text;
    const auto supplier = reply.json->getObject("supplier");
    EXPECT_EQ(supplier->getValue<std::string>("uscc"), "91310000MA1K4XXX0A");
    EXPECT_EQ(supplier->getValue<std::string>("name_zh"), "绿色印染有限公司");
    EXPECT_EQ(supplier->getValue<int>("tier"), 1);

    const auto trend = reply.json->getArray("score_trend");
    ASSERT_EQ(idsOf(trend, "audit_id"),
              (std::vector<std::string>{first.toString(), second.toString(), third.toString()}));
    const std::vector<std::tuple<double, std::string, std::string>> expected = {
        {171.3, "yellow", "initial"}, {190.3, "green", "follow_up"}, {200.0, "green", "periodic"}};
    for (std::size_t i = 0; i < expected.size(); ++i) {
        const auto item = trend->getObject(static_cast<unsigned>(i));
        EXPECT_DOUBLE_EQ(item->getValue<double>("score"), std::get<0>(expected[i]));
        EXPECT_EQ(item->getValue<std::string>("band"), std::get<1>(expected[i]));
        EXPECT_EQ(item->getValue<std::string>("type"), std::get<2>(expected[i]));
        EXPECT_EQ(item->getValue<std::string>("rule"), "rba-200-v1");
    }
    EXPECT_EQ(trend->getObject(0)->getValue<std::string>("state"), "approved");
    EXPECT_EQ(trend->getObject(0)->getValue<std::int64_t>("approved_at"), kStartMs);
    EXPECT_EQ(trend->getObject(0)->getValue<std::int64_t>("submitted_at"), kStartMs - 60 * kDayMs);

    const auto open = reply.json->getObject("open_findings_by_severity");
    EXPECT_EQ(open->getValue<int>("minor"), 1);
    EXPECT_EQ(open->getValue<int>("priority"), 0);
    EXPECT_EQ(reply.json->getObject("overdue_plans")->getValue<int>("count"), 0);

    // The logbook finding gets a plan that is approved, carried out and verified: no longer open.
    const auto logbookPlan = plan(second, logbook);
    pushAll(_li);
    const auto decide = [&](const std::string& decision) {
        return post("/v1/review/corrective-actions/" + logbookPlan.toString() + "/decide",
                    body({{"decision", decision}}))
            .status;
    };
    ASSERT_EQ(decide("approve"), 200);
    _li.pull();
    _li.set(c::kCorrectiveActions, logbookPlan, "status", Value::string("in_progress"));
    _li.set(c::kCorrectiveActions, logbookPlan, "status", Value::string("evidence_submitted"));
    pushAll(_li);
    ASSERT_EQ(decide("verify"), 200);
    const auto after = get("/v1/review/suppliers/" + _green.toString() + "/scorecard");
    EXPECT_EQ(after.json->getObject("open_findings_by_severity")->getValue<int>("minor"), 0);

    EXPECT_EQ(
        get("/v1/review/suppliers/" + _ids.nextRecordId().toString() + "/scorecard").errorCode(),
        "not_found");
}

TEST_F(ReviewApi, ScorecardCountsOverduePlansOfTheSupplierOnly) {
    const auto audit = scheduleAudit(_green);
    const auto bypassPlan = plan(audit, finding(audit, "priority", "C.2.4", "Bypass pipe"));
    submit(audit, kStartMs);
    const auto other = scheduleAudit(_blue);
    plan(other, finding(other, "priority", "C.2.4", "Bypass pipe"));
    submit(other, kStartMs);
    ASSERT_EQ(post(auditPath(audit, "approve")).status, 200);
    ASSERT_EQ(post(auditPath(other, "approve")).status, 200);
    _clock.advance(9 * kDayMs);

    const auto reply = get("/v1/review/suppliers/" + _green.toString() + "/scorecard");
    const auto overdue = reply.json->getObject("overdue_plans");
    EXPECT_EQ(overdue->getValue<int>("count"), 1);
    EXPECT_EQ(idsOf(overdue->getArray("items"), "plan_id"),
              std::vector<std::string>{bypassPlan.toString()});
    EXPECT_EQ(get("/v1/review/corrective-actions/overdue").json->getArray("items")->size(), 2U);
}

TEST_F(ReviewApi, RescoreWritesANewSnapshotAndTheViewTellsWhenTheScoreWouldChange) {
    const auto audit = scheduleAudit(_green);
    const auto permit = answer(audit, "C.1.1", "yes");
    submit(audit, kStartMs);

    const auto unknown = post(auditPath(audit, "rescore"), body({{"rule", "rba-999-v9"}}));
    EXPECT_EQ(unknown.errorCode(), "invalid_parameter");
    EXPECT_NE(unknown.errorMessage().find("'rule'"), std::string::npos);
    EXPECT_EQ(post(auditPath(audit, "rescore"), "[1]").errorCode(), "malformed_json");

    const auto first = post(auditPath(audit, "rescore"), body({{"rule", "rba-200-v1"}}));
    ASSERT_EQ(first.status, 200) << first.text;
    EXPECT_DOUBLE_EQ(first.json->getObject("snapshot")->getValue<double>("score"), 200.0);
    auto score = get(auditPath(audit)).json->getObject("score");
    EXPECT_DOUBLE_EQ(score->getObject("snapshot")->getValue<double>("score"), 200.0);
    EXPECT_FALSE(score->getValue<bool>("changed_since_snapshot"));

    // An amendment after submission: a "no" on C.1.1 is a major non-conformance (−4).
    _li.set(c::kAnswers, permit, "value", Value::json(R"({"answer":"no"})"));
    pushAll(_li);
    score = get(auditPath(audit)).json->getObject("score");
    EXPECT_DOUBLE_EQ(score->getObject("snapshot")->getValue<double>("score"), 200.0)
        << "a stored score never changes silently";
    EXPECT_DOUBLE_EQ(score->getObject("recomputed")->getValue<double>("score"), 187.3);
    EXPECT_TRUE(score->getValue<bool>("changed_since_snapshot"));

    const auto second = post(auditPath(audit, "rescore"));
    ASSERT_EQ(second.status, 200) << second.text;
    EXPECT_DOUBLE_EQ(second.json->getObject("previous")->getValue<double>("score"), 200.0);
    EXPECT_DOUBLE_EQ(second.json->getObject("snapshot")->getValue<double>("score"), 187.3);
    EXPECT_EQ(second.json->getObject("snapshot")->getValue<std::string>("band"), "green");
    const auto stored = onServer(c::kAudits, audit);
    EXPECT_DOUBLE_EQ(
        shared::ScoreSnapshot::fromJson(field(stored, "score").as<shared::JsonText>().text)
            .score.value_or(0),
        187.3);
}

TEST_F(ReviewApi, FindingsCsvQuotesNeutralisesFormulasAndKeepsChineseText) {
    const auto audit = scheduleAudit(_green);
    const std::string formula = R"(=HYPERLINK("http://evil.example","click"))";
    const std::string multiline = "Drums stored outside, \"temporary\"\r\nsays the manager";
    const auto link = finding(audit, "major", "C.5.2", formula, "C.5.2");
    const auto drums = finding(audit, "minor", "C.5.1", multiline);
    const auto noise = finding(audit, "minor", "C.3.2", "-5 dB over the limit");
    const auto chinese = finding(audit, "priority", "C.2.4", "@雨水管接入污水 +1");
    const auto linkPlan = plan(audit, link);
    submit(audit, kStartMs);
    ASSERT_EQ(post(auditPath(audit, "approve")).status, 200);
    _clock.advance(8 * kDayMs);

    const auto reply = call(_hq, "GET", "/v1/review/findings.csv");
    ASSERT_EQ(reply.status, 200) << reply.text;
    EXPECT_EQ(reply.contentType, "text/csv; charset=utf-8");
    const auto rows = parseCsv(reply.text);
    ASSERT_EQ(rows.size(), 5U) << reply.text;
    EXPECT_EQ(rows[0],
              (std::vector<std::string>{"finding_id", "audit_id", "audit_state", "supplier_id",
                                        "supplier_name_en", "supplier_name_zh", "facility_id",
                                        "question_id", "clause", "severity", "description",
                                        "cap_status", "cap_due_at", "overdue"}));
    std::map<std::string, std::vector<std::string>> byFinding;
    for (std::size_t i = 1; i < rows.size(); ++i) {
        ASSERT_EQ(rows[i].size(), rows[0].size()) << i;
        byFinding[rows[i][0]] = rows[i];
    }
    const auto& linkRow = byFinding[link.toString()];
    EXPECT_EQ(linkRow,
              (std::vector<std::string>{link.toString(), audit.toString(), "approved",
                                        _green.toString(), "Green Dyeing Co.", "绿色印染有限公司",
                                        _greenSite.toString(), "C.5.2", "C.5.2", "major",
                                        "'" + formula, "submitted", "2027-01-29T08:00:00Z", "no"}));
    (void)linkPlan;
    EXPECT_EQ(byFinding[drums.toString()][10], multiline) << "quoted, quotes doubled";
    EXPECT_EQ(byFinding[drums.toString()][8], "C.5.1") << "clause from the template";
    EXPECT_EQ(byFinding[drums.toString()][11], "") << "no plan yet";
    EXPECT_EQ(byFinding[drums.toString()][12], "2027-01-29T08:00:00Z");
    EXPECT_EQ(byFinding[noise.toString()][10], "'-5 dB over the limit");
    EXPECT_EQ(byFinding[chinese.toString()][10], "'@雨水管接入污水 +1");
    EXPECT_EQ(byFinding[chinese.toString()][12], "2027-01-22T08:00:00Z");
    EXPECT_EQ(byFinding[chinese.toString()][13], "yes") << "priority: due after 7 days";
    // The raw text: quoted field with doubled quotes, UTF-8 bytes as they are, CRLF rows.
    EXPECT_NE(reply.text.find(R"csv("'=HYPERLINK(""http://evil.example"",""click"")")csv"),
              std::string::npos);
    EXPECT_NE(reply.text.find("\"Drums stored outside, \"\"temporary\"\"\r\nsays the manager\""),
              std::string::npos);
    EXPECT_NE(reply.text.find("绿色印染有限公司"), std::string::npos);

    const auto minor = parseCsv(call(_hq, "GET", "/v1/review/findings.csv?severity=minor").text);
    EXPECT_EQ(minor.size(), 3U);
    EXPECT_EQ(parseCsv(call(_hq, "GET", "/v1/review/findings.csv?state=closed").text).size(), 1U);
    EXPECT_EQ(
        parseCsv(call(_hq, "GET", "/v1/review/findings.csv?supplier_id=" + _blue.toString()).text)
            .size(),
        1U);
    EXPECT_EQ(call(_hq, "GET", "/v1/review/findings.csv?severity=huge").errorCode(),
              "invalid_parameter");
}

TEST_F(ReviewApi, TemplatesArePublishedOnceAndListedNewestFirst) {
    const auto v1 = sharedData("template-gsc-environment-v1.json");
    const auto v2 = sharedData("template-gsc-environment-v2.json");
    const auto published = post("/v1/templates", v1);
    ASSERT_EQ(published.status, 201) << published.text;
    EXPECT_EQ(published.json->getValue<std::string>("template_key"), "gsc-environment");
    EXPECT_EQ(published.json->getValue<int>("version"), 1);
    const auto v1Id = *RecordId::parse(published.json->getValue<std::string>("id"));
    const auto stored = onServer(c::kTemplateVersions, v1Id);
    EXPECT_EQ(field(stored, "content"), Value::json(v1)) << "the document as published";
    EXPECT_EQ(field(stored, "scoring_rule"), Value::string("rba-200-v1"));
    EXPECT_EQ(field(stored, "published_at"), Value::timestamp(kStartMs));

    const auto again = post("/v1/templates", v1);
    EXPECT_EQ(again.status, 409);
    EXPECT_EQ(again.errorCode(), "already_exists");

    _clock.advance(60'000);
    const auto next = post("/v1/templates", v2);
    ASSERT_EQ(next.status, 201) << next.text;
    const auto list = get("/v1/templates");
    ASSERT_EQ(list.status, 200) << list.text;
    const auto templates = list.json->getArray("templates");
    EXPECT_EQ(idsOf(templates), (std::vector<std::string>{next.json->getValue<std::string>("id"),
                                                          v1Id.toString(), _template.toString()}))
        << "the fixture's version has no publication date: last";
    EXPECT_EQ(templates->getObject(0)->getValue<int>("version"), 2);
    EXPECT_EQ(templates->getObject(0)->getValue<std::int64_t>("published_at"), kStartMs + 60'000);

    // Published means usable: an audit pinned to it brings it to the assigned expert's tablet.
    const auto audit = _ids.nextRecordId();
    _hq.set(c::kAudits, audit, "template_version_id", Value::id(v1Id));
    _hq.set(c::kAudits, audit, "assignee_id", Value::string(_li.userId()));
    pushAll(_hq);
    _li.pull();
    const auto onTablet = _li.replica().record(c::kTemplateVersions, v1Id);
    ASSERT_TRUE(onTablet);
    EXPECT_EQ(field(*onTablet, "content"), Value::json(v1));
}

TEST_F(ReviewApi, ABadTemplateDocumentIsRefusedNamingWhatIsWrong) {
    const auto mutated = [](const std::function<void(Poco::JSON::Object&)>& change) {
        auto document = parseObject(sharedData("template-gsc-environment-v2.json"));
        change(*document);
        return stringify(*document);
    };
    const auto firstQuestions = [](Poco::JSON::Object& document) {
        return document.getArray("sections")->getObject(0)->getArray("questions");
    };
    const std::vector<std::pair<std::string, std::string>> cases = {
        {mutated([](Poco::JSON::Object& d) { d.remove("template_id"); }), "'template_id'"},
        {mutated([](Poco::JSON::Object& d) { d.set("template_id", 7); }), "'template_id'"},
        {mutated([](Poco::JSON::Object& d) { d.set("version", "2"); }), "'version'"},
        {mutated([](Poco::JSON::Object& d) { d.set("version", 0); }), "'version'"},
        {mutated([](Poco::JSON::Object& d) { d.set("scoring_rule", "made-up-v1"); }),
         "'scoring_rule'"},
        {mutated([](Poco::JSON::Object& d) { d.remove("sections"); }), "'sections'"},
        {mutated([](Poco::JSON::Object& d) {
             d.getArray("sections")->getObject(1)->set("questions", "none");
         }),
         "'sections[1].questions'"},
        {mutated([&](Poco::JSON::Object& d) { firstQuestions(d)->getObject(0)->remove("id"); }),
         "'sections[0].questions[0].id'"},
        {mutated([&](Poco::JSON::Object& d) { firstQuestions(d)->getObject(2)->remove("type"); }),
         "'sections[0].questions[2].type'"},
        {mutated([&](Poco::JSON::Object& d) {
             d.getArray("sections")
                 ->getObject(3)
                 ->getArray("questions")
                 ->add(firstQuestions(d)->getObject(1));
         }),
         "'C.1.2'"},
    };
    for (const auto& [document, named] : cases) {
        const auto reply = post("/v1/templates", document);
        EXPECT_EQ(reply.status, 400) << named;
        EXPECT_EQ(reply.errorCode(), "invalid_parameter") << named;
        EXPECT_NE(reply.errorMessage().find(named), std::string::npos)
            << named << ": " << reply.errorMessage();
    }
    EXPECT_EQ(post("/v1/templates", "{\"template_id\":").errorCode(), "malformed_json");
    EXPECT_EQ(get("/v1/templates").json->getArray("templates")->size(), 1U)
        << "only the fixture's version";
}

TEST_F(ReviewApi, OnlyHqMayUseTheReviewApi) {
    const auto audit = scheduleAudit(_green);
    const auto sludge = finding(audit, "major", "C.4.1", "Sludge");
    const auto sludgePlan = plan(audit, sludge);
    submit(audit, kStartMs);
    const auto id = audit.toString();
    struct Route {
        std::string method;
        std::string pattern;
        std::string path;
        std::string body;
    };
    const std::vector<Route> routes = {
        {"GET", "/v1/review/audits", "/v1/review/audits", ""},
        {"GET", "/v1/review/audits/{id}", "/v1/review/audits/" + id, ""},
        {"POST", "/v1/review/audits/{id}/comments", "/v1/review/audits/" + id + "/comments",
         body({{"target", "audit"}, {"text", "x"}})},
        {"POST", "/v1/review/audits/{id}/start-review", "/v1/review/audits/" + id + "/start-review",
         ""},
        {"POST", "/v1/review/audits/{id}/return", "/v1/review/audits/" + id + "/return",
         body({{"reason", "x"}})},
        {"POST", "/v1/review/audits/{id}/approve", "/v1/review/audits/" + id + "/approve", ""},
        {"POST", "/v1/review/audits/{id}/close", "/v1/review/audits/" + id + "/close", ""},
        {"POST", "/v1/review/audits/{id}/rescore", "/v1/review/audits/" + id + "/rescore", ""},
        {"POST", "/v1/review/corrective-actions/{id}/decide",
         "/v1/review/corrective-actions/" + sludgePlan.toString() + "/decide",
         body({{"decision", "approve"}})},
        {"GET", "/v1/review/corrective-actions/overdue", "/v1/review/corrective-actions/overdue",
         ""},
        {"GET", "/v1/review/suppliers/{id}/scorecard",
         "/v1/review/suppliers/" + _green.toString() + "/scorecard", ""},
        {"GET", "/v1/review/findings.csv", "/v1/review/findings.csv", ""},
        {"POST", "/v1/templates", "/v1/templates", sharedData("template-gsc-environment-v2.json")},
        {"GET", "/v1/templates", "/v1/templates", ""},
    };
    // Every review route the server has is checked here.
    std::set<std::pair<std::string, std::string>> served;
    for (const auto& route : _server.server().router().routes()) {
        if (route.pattern.rfind("/v1/review/", 0) == 0 || route.pattern == "/v1/templates") {
            served.emplace(route.method, route.pattern);
        }
    }
    std::set<std::pair<std::string, std::string>> checked;
    for (const auto& route : routes) {
        checked.emplace(route.method, route.pattern);
    }
    EXPECT_EQ(checked, served);

    auto anonymous = _server.client();
    for (const auto& route : routes) {
        const auto reply = call(_li, route.method, route.path, route.body);
        EXPECT_EQ(reply.status, 403) << route.method << " " << route.path;
        EXPECT_EQ(reply.errorCode(), "forbidden") << route.method << " " << route.path;
        const auto contentType = route.body.empty() ? "" : "application/json";
        EXPECT_EQ(anonymous.send(route.method, route.path, contentType, route.body).status, 401)
            << route.method << " " << route.path;
    }
    EXPECT_EQ(field(onServer(c::kAudits, audit), "state"), Value::string("submitted"))
        << "nothing the expert asked for happened";

    TestDevice admin(_server.endpoint(), "acme", "admin", "admin-password", _clock);
    EXPECT_EQ(call(admin, "GET", "/v1/review/audits").status, 200);
    EXPECT_EQ(call(admin, "POST", "/v1/review/audits/" + id + "/start-review").status, 200);
}

TEST_F(ReviewApi, AnotherTenantsReviewerSeesNothingOfThisTenant) {
    const auto audit = scheduleAudit(_green);
    const auto sludge = finding(audit, "major", "C.4.1", "Sludge");
    const auto sludgePlan = plan(audit, sludge);
    submit(audit, kStartMs);
    ASSERT_EQ(post("/v1/templates", sharedData("template-gsc-environment-v2.json")).status, 201);
    test::seedTenant(_server, "globex", {{"hq", Role::HqReviewer}});
    TestDevice other(_server.endpoint(), "globex", "hq", "hq-password", _clock);

    const auto id = audit.toString();
    EXPECT_EQ(call(other, "GET", "/v1/review/audits").json->getArray("audits")->size(), 0U);
    EXPECT_EQ(call(other, "GET", "/v1/review/audits?state=submitted,scheduled")
                  .json->getArray("audits")
                  ->size(),
              0U);
    EXPECT_EQ(call(other, "GET", "/v1/review/audits/" + id).status, 404);
    EXPECT_EQ(call(other, "POST", "/v1/review/audits/" + id + "/comments",
                   body({{"target", "audit"}, {"text", "x"}}))
                  .status,
              404);
    EXPECT_EQ(
        call(other, "POST", "/v1/review/audits/" + id + "/return", body({{"reason", "x"}})).status,
        404);
    EXPECT_EQ(call(other, "POST", "/v1/review/audits/" + id + "/approve").status, 404);
    EXPECT_EQ(
        call(other, "POST", "/v1/review/corrective-actions/" + sludgePlan.toString() + "/decide",
             body({{"decision", "approve"}}))
            .status,
        404);
    EXPECT_EQ(call(other, "GET", "/v1/review/suppliers/" + _green.toString() + "/scorecard").status,
              404);
    EXPECT_EQ(parseCsv(call(other, "GET", "/v1/review/findings.csv").text).size(), 1U)
        << "the header only";
    EXPECT_EQ(
        call(other, "GET", "/v1/review/corrective-actions/overdue").json->getArray("items")->size(),
        0U);
    EXPECT_EQ(call(other, "GET", "/v1/templates").json->getArray("templates")->size(), 0U);
    EXPECT_EQ(field(onServer(c::kAudits, audit), "state"), Value::string("submitted"));
}

}  // namespace
}  // namespace verdant
