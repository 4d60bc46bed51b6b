// Push and pull over real TLS: scopes, exactly-once, conflicts, quarantine, bad input.

#include "ServerHarness.hpp"
#include "TestDevice.hpp"

#include "verdant/domain/DomainSchema.hpp"
#include "verdant/server/auth/AuthService.hpp"
#include "verdant/server/storage/TenantStores.hpp"
#include "verdant/shared/IdGenerator.hpp"

#include <Poco/AutoPtr.h>
#include <Poco/Channel.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Logger.h>
#include <Poco/Message.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <mutex>
#include <set>

namespace verdant {
namespace {

using server::Role;
using shared::RecordId;
using shared::SyncMessageCodec;
using shared::Value;
using test::TestDevice;
namespace c = audit::collections;

Poco::JSON::Object::Ptr parseObject(const std::string& body) {
    Poco::JSON::Parser parser;
    return parser.parse(body).extract<Poco::JSON::Object::Ptr>();
}

std::string errorCode(const client::HttpResponse& response) {
    return parseObject(response.body)->getObject("error")->getValue<std::string>("code");
}

/// An answer value as the checklist stores it.
Value answerJson(const std::string& answer) {
    return Value::json(R"({"answer":")" + answer + R"("})");
}

/// One tenant with HQ, two field experts and a coordinator; HQ has set up one supplier with a
/// facility, a template version and two audits, one per expert.
class SyncOverTls : public ::testing::Test {
protected:
    SyncOverTls()
        : _tenantId(test::seedTenant(_server, "acme",
                                     {{"hq", Role::HqReviewer},
                                      {"li", Role::FieldExpert},
                                      {"wang", Role::FieldExpert},
                                      {"zhang", Role::TrainingCoordinator}})),
          _hq(_server.endpoint(), "acme", "hq", "hq-password", _clock),
          _li(_server.endpoint(), "acme", "li", "li-password", _clock),
          _wang(_server.endpoint(), "acme", "wang", "wang-password", _clock) {
        _hq.set(c::kSuppliers, _supplier, "name_en", Value::string("Green Dyeing Co."));
        _hq.set(c::kFacilities, _facility, "supplier_id", Value::id(_supplier));
        _hq.set(c::kTemplateVersions, _template, "version", Value::integer(1));
        for (const auto& [audit, assignee] :
             {std::pair{_auditLi, _li.userId()}, std::pair{_auditWang, _wang.userId()}}) {
            _hq.set(c::kAudits, audit, "template_version_id", Value::id(_template));
            _hq.set(c::kAudits, audit, "supplier_id", Value::id(_supplier));
            _hq.set(c::kAudits, audit, "facility_id", Value::id(_facility));
            _hq.set(c::kAudits, audit, "assignee_id", Value::string(assignee));
        }
        _hq.push();
    }

    RecordId newId() { return _ids.nextRecordId(); }

    /// Answers a question in an audit: the answer record points at the audit.
    RecordId answer(TestDevice& device, const RecordId& audit, const std::string& value) {
        const auto record = newId();
        device.set(c::kAnswers, record, "audit_id", Value::id(audit));
        device.set(c::kAnswers, record, "value", answerJson(value));
        return record;
    }

    /// Wang joins Li's audit as co-auditor; both answer one question offline, differently, and
    /// push (Li first): the answer record, now in conflict on the server.
    RecordId coAuditorsAnswerDifferently() {
        _hq.pull();
        _hq.add(c::kAudits, _auditLi, "team", _wang.userId());  // Wang is Li's co-auditor
        _hq.push();
        _li.pull();
        const auto record = answer(_li, _auditLi, "yes");
        _li.push();
        _wang.pull();
        EXPECT_TRUE(_wang.replica().record(c::kAnswers, record));
        _li.set(c::kAnswers, record, "value", answerJson("no"));
        _wang.set(c::kAnswers, record, "value", answerJson("n/a"));
        EXPECT_EQ(_li.push().results.front().outcome, "applied");
        EXPECT_EQ(_wang.push().results.front().outcome, "conflict_raised");
        return record;
    }

    /// The server's own view of the tenant's store.
    template <class Work>
    auto onServer(Work&& work) {
        return _server.server().stores().with(_tenantId, std::forward<Work>(work));
    }

    shared::ManualClock _clock{1'800'000'000'000};
    shared::IdGenerator _ids{_clock};
    test::ServerHarness _server{{}, {&_clock}};
    std::string _tenantId;
    TestDevice _hq;
    TestDevice _li;
    TestDevice _wang;
    RecordId _supplier = newId();
    RecordId _facility = newId();
    RecordId _template = newId();
    RecordId _auditLi = newId();
    RecordId _auditWang = newId();
};

std::string key(const char* collection, const RecordId& id) {
    return std::string(collection) + "/" + id.toString();
}

TEST_F(SyncOverTls, FieldExpertPullsOnlyAssignedAuditsAndWhatTheyReference) {
    _li.pull();
    EXPECT_TRUE(_li.replica().record(c::kAudits, _auditLi));
    EXPECT_FALSE(_li.replica().record(c::kAudits, _auditWang)) << "another expert's audit";
    EXPECT_TRUE(_li.replica().record(c::kSuppliers, _supplier));
    EXPECT_TRUE(_li.replica().record(c::kFacilities, _facility));
    EXPECT_TRUE(_li.replica().record(c::kTemplateVersions, _template));
    EXPECT_EQ(_li.cursors().count(key(c::kAudits, _auditWang)), 0U);
}

TEST_F(SyncOverTls, EveryCaughtUpScopeCarriesTheServersChecksum) {
    const auto responses = _li.pull();
    std::size_t checked = 0;
    for (const auto& response : responses) {
        for (const auto& page : response.scopes) {
            if (!page.more && !page.checksum.empty()) {
                EXPECT_EQ(page.checksum, _li.replica().scopeChecksum(page.scope)) << page.scope;
                ++checked;
            }
        }
    }
    EXPECT_EQ(checked, 4U);

    // Nothing new: no scope changed on the device, so none carries a checksum to compute.
    for (const auto& response : _li.pull()) {
        for (const auto& page : response.scopes) {
            EXPECT_TRUE(page.checksum.empty()) << page.scope;
        }
    }
    // One scope changed: it alone carries one, and it matches.
    _hq.set(c::kAudits, _auditLi, "scheduled_for", Value::timestamp(1'800'000'100'000));
    _hq.push();
    checked = 0;
    for (const auto& response : _li.pull()) {
        for (const auto& page : response.scopes) {
            if (!page.checksum.empty()) {
                EXPECT_EQ(page.scope, key(c::kAudits, _auditLi));
                EXPECT_EQ(page.checksum, _li.replica().scopeChecksum(page.scope));
                ++checked;
            }
        }
    }
    EXPECT_EQ(checked, 1U);
}

TEST_F(SyncOverTls, ReassignedAuditIsPurgedFromTheOldDeviceAndArrivesWholeOnTheNew) {
    _li.pull();
    const auto answerRecord = answer(_li, _auditLi, "yes");
    _li.push();
    _wang.pull();
    ASSERT_FALSE(_wang.replica().record(c::kAudits, _auditLi));

    _hq.pull();
    _hq.set(c::kAudits, _auditLi, "assignee_id", Value::string(_wang.userId()));
    _hq.push();

    const auto old = _li.pull();
    // Li has no audit left, so what the audit referenced goes too.
    const std::set<std::string> purged(old.front().purge.begin(), old.front().purge.end());
    EXPECT_EQ(purged, (std::set<std::string>{
                          key(c::kAudits, _auditLi), key(c::kSuppliers, _supplier),
                          key(c::kFacilities, _facility), key(c::kTemplateVersions, _template)}));
    EXPECT_FALSE(_li.replica().record(c::kSuppliers, _supplier));
    EXPECT_FALSE(_li.replica().record(c::kAudits, _auditLi));
    EXPECT_FALSE(_li.replica().record(c::kAnswers, answerRecord));

    const auto fresh = _wang.pull();
    bool snapshot = false;
    for (const auto& page : fresh.front().scopes) {
        snapshot = snapshot || (page.scope == key(c::kAudits, _auditLi) && page.snapshot);
    }
    EXPECT_TRUE(snapshot);
    ASSERT_TRUE(_wang.replica().record(c::kAnswers, answerRecord)) << "the answer came along";
    EXPECT_EQ(_wang.replica().record(c::kAnswers, answerRecord)->fields.at("value").value,
              answerJson("yes"));
}

// A device of the previous build sends binary form 1, the current SDK form 2: the server reads
// both and answers each in the form it was sent, with the same data.
TEST_F(SyncOverTls, EachBinaryFormIsAnsweredInItsOwnForm) {
    constexpr auto v2 = shared::BinaryFormat::V2;
    const std::string form1(SyncMessageCodec::kBinaryContentType);
    const std::string form2(SyncMessageCodec::kCompactContentType);
    _li.pull();
    answer(_li, _auditLi, "yes");
    const shared::PushRequest batch{_li.deviceId(), _li.outbox()};

    // A form-2 body under the form-1 type is refused, not misread.
    const auto mislabelled =
        _li.send("POST", "/v1/sync/push", form1, SyncMessageCodec::toBinary(batch, v2));
    EXPECT_EQ(mislabelled.status, 400);
    EXPECT_EQ(errorCode(mislabelled), "invalid_request");

    const auto pushed =
        _li.send("POST", "/v1/sync/push", form2, SyncMessageCodec::toBinary(batch, v2));
    ASSERT_EQ(pushed.status, 200) << pushed.body;
    EXPECT_EQ(pushed.contentType, form2);
    const auto applied = SyncMessageCodec::pushResponseFromBinary(pushed.body, v2);
    ASSERT_EQ(applied.results.size(), batch.changes.size());
    const auto again = _li.send("POST", "/v1/sync/push", form1, SyncMessageCodec::toBinary(batch));
    ASSERT_EQ(again.status, 200) << again.body;
    EXPECT_EQ(again.contentType, form1);
    const auto duplicates = SyncMessageCodec::pushResponseFromBinary(again.body);
    ASSERT_EQ(duplicates.results.size(), batch.changes.size());
    for (std::size_t i = 0; i < batch.changes.size(); ++i) {
        EXPECT_EQ(applied.results[i].outcome, "applied");
        EXPECT_EQ(duplicates.results[i].outcome, "duplicate");
    }

    const shared::PullRequest pull{_hq.deviceId(), {}, {}, 1000};
    const auto old = _hq.send("POST", "/v1/sync/pull", form1, SyncMessageCodec::toBinary(pull));
    const auto compact =
        _hq.send("POST", "/v1/sync/pull", form2, SyncMessageCodec::toBinary(pull, v2));
    ASSERT_EQ(old.status, 200) << old.body;
    ASSERT_EQ(compact.status, 200) << compact.body;
    EXPECT_EQ(old.contentType, form1);
    EXPECT_EQ(compact.contentType, form2);
    auto oldPages = SyncMessageCodec::pullResponseFromBinary(old.body);
    auto compactPages = SyncMessageCodec::pullResponseFromBinary(compact.body, v2);
    ASSERT_FALSE(compactPages.scopes.empty());
    EXPECT_LT(compact.body.size(), old.body.size());
    oldPages.serverTimeMs = compactPages.serverTimeMs = 0;
    EXPECT_EQ(compactPages, oldPages);
}

TEST_F(SyncOverTls, ReplayedPushAppliesOnce) {
    _li.pull();
    answer(_li, _auditLi, "yes");
    answer(_li, _auditLi, "no");
    const shared::PushRequest batch{_li.deviceId(), _li.outbox()};
    const auto before = onServer([](sync::Store& store) { return store.lastServerSeq(); });

    for (int attempt = 0; attempt < 3; ++attempt) {
        const auto http =
            _li.send("POST", "/v1/sync/push", "application/json", SyncMessageCodec::toJson(batch));
        ASSERT_EQ(http.status, 200) << http.body;
        const auto response = SyncMessageCodec::pushResponseFromJson(http.body);
        EXPECT_EQ(response.highWaterMark, 4U);
        for (const auto& result : response.results) {
            EXPECT_EQ(result.outcome, attempt == 0 ? "applied" : "duplicate");
        }
    }
    EXPECT_EQ(onServer([](sync::Store& store) { return store.lastServerSeq(); }), before + 4);
}

TEST_F(SyncOverTls, PushWhoseAnswerWasLostIsRetriedWithoutDuplicates) {
    _li.pull();
    answer(_li, _auditLi, "yes");
    // The answer to this push is "lost": the device keeps its outbox and adds more.
    const shared::PushRequest lost{_li.deviceId(), _li.outbox()};
    ASSERT_EQ(_li.send("POST", "/v1/sync/push", "application/json", SyncMessageCodec::toJson(lost))
                  .status,
              200);
    answer(_li, _auditLi, "no");
    const auto retry = _li.push();
    ASSERT_EQ(retry.results.size(), 4U);
    EXPECT_EQ(retry.results[0].outcome, "duplicate");
    EXPECT_EQ(retry.results[1].outcome, "duplicate");
    EXPECT_EQ(retry.results[2].outcome, "applied");
    EXPECT_EQ(retry.results[3].outcome, "applied");
    EXPECT_TRUE(_li.outbox().empty());
}

TEST_F(SyncOverTls, ConcurrentAnswersBothSurviveUntilHqResolvesAndBothDevicesConverge) {
    // Offline, both answer item C.2 differently.
    const auto record = coAuditorsAnswerDifferently();

    const auto listed = _hq.send("GET", "/v1/conflicts");
    ASSERT_EQ(listed.status, 200) << listed.body;
    const auto conflicts = parseObject(listed.body)->getArray("conflicts");
    ASSERT_EQ(conflicts->size(), 1U);
    const auto conflict = conflicts->getObject(0);
    EXPECT_EQ(conflict->getValue<std::string>("record_id"), record.toString());
    const auto candidates = conflict->getArray("candidates");
    ASSERT_EQ(candidates->size(), 2U);
    std::vector<std::string> values;
    for (std::size_t i = 0; i < candidates->size(); ++i) {
        values.push_back(candidates->getObject(static_cast<unsigned>(i))
                             ->getObject("value")
                             ->getValue<std::string>("json"));
    }
    const auto no = answerJson("no").as<shared::JsonText>().text;
    const auto na = answerJson("n/a").as<shared::JsonText>().text;
    EXPECT_TRUE((values == std::vector<std::string>{no, na}) ||
                (values == std::vector<std::string>{na, no}));

    // Both devices see the conflict before HQ decides.
    _li.pull();
    _wang.pull();
    EXPECT_TRUE(_li.replica().record(c::kAnswers, record)->fields.at("value").inConflict);
    EXPECT_TRUE(_wang.replica().record(c::kAnswers, record)->fields.at("value").inConflict);

    const int chosen = values[0] == na ? 0 : 1;
    const auto path = "/v1/conflicts/answers/" + record.toString() + "/value";
    const auto detail = _hq.send("GET", path);
    ASSERT_EQ(detail.status, 200) << detail.body;
    EXPECT_EQ(parseObject(detail.body)->getArray("history")->size(), 3U) << "yes, no, n/a";
    const auto resolved = _hq.send("POST", path + "/resolve", "application/json",
                                   "{\"choose\":" + std::to_string(chosen) + "}");
    ASSERT_EQ(resolved.status, 200) << resolved.body;

    _li.pull();
    _wang.pull();
    const std::string scope = key(c::kAudits, _auditLi);
    const auto serverChecksum =
        onServer([&](sync::Store& store) { return store.scopeChecksum(scope); });
    for (auto* device : {&_li, &_wang}) {
        const auto field = device->replica().record(c::kAnswers, record)->fields.at("value");
        EXPECT_EQ(field.value, answerJson("n/a"));
        EXPECT_FALSE(field.inConflict);
        EXPECT_EQ(device->replica().scopeChecksum(scope), serverChecksum);
    }
    EXPECT_EQ(parseObject(_hq.send("GET", "/v1/conflicts").body)->getArray("conflicts")->size(),
              0U);
}

TEST_F(SyncOverTls, EditToAnAuditNoLongerAssignedIsQuarantinedNotLost) {
    _li.pull();
    const auto record = answer(_li, _auditLi, "yes");  // not pushed yet
    _hq.pull();
    _hq.set(c::kAudits, _auditLi, "assignee_id", Value::string(_wang.userId()));
    _hq.push();

    const auto pushed = _li.push();
    ASSERT_EQ(pushed.results.size(), 2U);
    for (const auto& result : pushed.results) {
        EXPECT_EQ(result.outcome, "refused");
        EXPECT_EQ(result.error, shared::ErrorCode::NotInScope);
        EXPECT_FALSE(result.message.empty());
    }
    EXPECT_TRUE(_li.outbox().empty()) << "kept by the server, so not resent";
    EXPECT_FALSE(onServer([&](sync::Store& store) { return store.record(c::kAnswers, record); }));

    for (auto* viewer : {&_hq, &_li}) {
        const auto response = viewer->send("GET", "/v1/quarantine");
        ASSERT_EQ(response.status, 200);
        const auto items = parseObject(response.body)->getArray("quarantine");
        ASSERT_EQ(items->size(), 2U) << response.body;
        const auto item = items->getObject(0);
        EXPECT_EQ(item->getValue<std::string>("code"), "not_in_scope");
        EXPECT_EQ(item->getValue<std::string>("device_id"), _li.deviceId().toString());
        EXPECT_EQ(item->getObject("change")->getValue<std::string>("record"), record.toString());
    }
    EXPECT_EQ(parseObject(_wang.send("GET", "/v1/quarantine").body)->getArray("quarantine")->size(),
              0U)
        << "a device user sees only their own device's quarantine";
}

/// Sends `changes` of `device` as one JSON push, as a device whose earlier answer was lost does.
shared::PushResponse pushAgain(TestDevice& device, const std::vector<shared::Change>& changes) {
    const shared::PushRequest request{device.deviceId(), changes};
    const auto http =
        device.send("POST", "/v1/sync/push", "application/json", SyncMessageCodec::toJson(request));
    EXPECT_EQ(http.status, 200) << http.body;
    return SyncMessageCodec::pushResponseFromJson(http.body);
}

/// How many logged changes of `field` hold `value`.
std::size_t timesLogged(sync::Store& store, const RecordId& record, const std::string& field,
                        const Value& value) {
    const auto history = store.fieldHistory(c::kAnswers, record, field);
    return static_cast<std::size_t>(std::count_if(
        history.begin(), history.end(),
        [&](const sync::LoggedChange& logged) { return logged.change.value == value; }));
}

// A co-auditor's refused settlement, sent again after its answer was lost, stays refused: it is
// a duplicate, never applied behind the quarantine's back, and HQ's acceptance applies it once.
TEST_F(SyncOverTls, ARefusedChangeSentAgainIsADuplicateAndAcceptedOnlyOnce) {
    const auto record = coAuditorsAnswerDifferently();

    // Wang settles the conflict: only the lead (or HQ) may. The answer is "lost".
    _wang.pull();
    const auto settle = _wang.set(c::kAnswers, record, "value", answerJson("n/a"));
    const auto refused = pushAgain(_wang, {settle});
    ASSERT_EQ(refused.results.front().outcome, "refused");
    ASSERT_EQ(refused.results.front().error, shared::ErrorCode::Forbidden);

    // The lead settles it.
    _li.pull();
    ASSERT_EQ(_li.set(c::kAnswers, record, "value", answerJson("no")).baseVersion.has_value(),
              true);
    ASSERT_EQ(_li.push().results.front().outcome, "applied");

    // Wang's device sends its change again.
    const auto resent = pushAgain(_wang, {settle});
    EXPECT_EQ(resent.results.front().outcome, "duplicate");
    EXPECT_EQ(resent.results.front().error, shared::ErrorCode::Forbidden);
    EXPECT_FALSE(resent.results.front().serverSeq);
    onServer([&](sync::Store& store) {
        EXPECT_TRUE(store.openConflicts().empty()) << "the lead's settlement stands";
        EXPECT_EQ(store.record(c::kAnswers, record)->fields.at("value").value, answerJson("no"));
        EXPECT_EQ(timesLogged(store, record, "value", settle.value), 1U)
            << "only Wang's first, concurrent answer";
    });

    // HQ accepts the quarantined change: applied once, however often it is asked or resent.
    const auto path = "/v1/quarantine/" + _wang.deviceId().toString() + "/" +
                      std::to_string(settle.deviceSeq) + "/accept";
    const auto accepted = _hq.send("POST", path);
    ASSERT_EQ(accepted.status, 200) << accepted.body;
    const auto again = _hq.send("POST", path);
    EXPECT_EQ(again.status, 409) << again.body;
    EXPECT_EQ(errorCode(again), "invalid_transition");
    EXPECT_EQ(pushAgain(_wang, {settle}).results.front().outcome, "duplicate");
    onServer([&](sync::Store& store) {
        EXPECT_EQ(timesLogged(store, record, "value", settle.value), 2U)
            << "the concurrent answer and HQ's acceptance, nothing more";
        EXPECT_EQ(store.record(c::kAnswers, record)->fields.at("value").value, settle.value);
    });
}

// A refused oversized value is kept as a prefix with its size and digest, listed as truncated,
// and can be discarded but never accepted.
TEST_F(SyncOverTls, AnOversizedRefusedValueIsKeptInPartAndCannotBeAccepted) {
    _li.pull();
    const auto record = answer(_li, _auditLi, "yes");
    _li.push();
    auto huge = _li.set(c::kAnswers, record, "comment", Value::string("short"));
    huge.value = Value::string(std::string(200'000, 'a'));  // past what the device checks
    ASSERT_EQ(pushAgain(_li, {huge}).results.front().error, shared::ErrorCode::ValueTooLarge);

    const auto listed = _hq.send("GET", "/v1/quarantine");
    ASSERT_EQ(listed.status, 200) << listed.body.substr(0, 500);
    EXPECT_LT(listed.body.size(), 10'000U) << "the value is not listed whole";
    const auto items = parseObject(listed.body)->getArray("quarantine");
    ASSERT_EQ(items->size(), 1U);
    const auto item = items->getObject(0);
    EXPECT_TRUE(item->getValue<bool>("truncated"));
    EXPECT_EQ(item->getValue<std::uint64_t>("value_bytes"), 200'000U);
    EXPECT_EQ(item->getValue<std::string>("value_sha256").size(), 64U);

    const auto base =
        "/v1/quarantine/" + _li.deviceId().toString() + "/" + std::to_string(huge.deviceSeq);
    for (const std::string bad :
         {"1abc", "0", "-1", "18446744073709551617", "9223372036854775808"}) {
        const auto misnamed = _hq.send(
            "POST", "/v1/quarantine/" + _li.deviceId().toString() + "/" + bad + "/discard");
        EXPECT_EQ(misnamed.status, 400) << bad << ": " << misnamed.body;
    }
    const auto accept = _hq.send("POST", base + "/accept");
    EXPECT_EQ(accept.status, 400) << accept.body;
    EXPECT_EQ(errorCode(accept), "value_too_large");
    const auto discard = _hq.send("POST", base + "/discard");
    EXPECT_EQ(discard.status, 200) << discard.body;
    EXPECT_EQ(onServer([&](sync::Store& store) {
                  return store.record(c::kAnswers, record)->fields.count("comment");
              }),
              0U);
}

TEST_F(SyncOverTls, TheQuarantineIsListedInPages) {
    _li.pull();
    const auto record = answer(_li, _auditLi, "yes");
    _li.push();
    std::vector<shared::Change> oversized;
    for (int i = 0; i < 5; ++i) {
        oversized.push_back(_li.set(c::kAnswers, record, "comment", Value::string("short")));
        oversized.back().value = Value::string(std::string(70'000, 'b'));
    }
    pushAgain(_li, oversized);

    for (auto* viewer : {&_hq, &_li}) {
        std::vector<std::uint64_t> seqs;
        std::string next;
        int pages = 0;
        do {
            const auto response = viewer->send(
                "GET", "/v1/quarantine?limit=2" + (next.empty() ? "" : "&after=" + next));
            ASSERT_EQ(response.status, 200) << response.body.substr(0, 300);
            const auto body = parseObject(response.body);
            const auto items = body->getArray("quarantine");
            ASSERT_LE(items->size(), 2U);
            for (std::size_t i = 0; i < items->size(); ++i) {
                seqs.push_back(items->getObject(static_cast<unsigned>(i))
                                   ->getValue<std::uint64_t>("device_seq"));
            }
            next = body->get("next").isString() ? body->getValue<std::string>("next") : "";
            ++pages;
        } while (!next.empty() && pages < 10);
        EXPECT_EQ(pages, 3);
        EXPECT_EQ(seqs, (std::vector<std::uint64_t>{3, 4, 5, 6, 7}));
    }
    const auto own = "/v1/quarantine?device=" + _li.deviceId().toString();
    EXPECT_EQ(parseObject(_hq.send("GET", own).body)->getArray("quarantine")->size(), 5U);
    EXPECT_EQ(_wang.send("GET", own).status, 403);
    for (const auto* bad :
         {"?limit=0", "?limit=1001", "?after=nonsense", "?after=x:1", "?colour=1"}) {
        const auto response = _hq.send("GET", std::string("/v1/quarantine") + bad);
        EXPECT_EQ(response.status, 400) << bad;
        EXPECT_EQ(errorCode(response), "invalid_parameter") << bad;
    }
}

TEST_F(SyncOverTls, FieldExpertCannotReassignAnAudit) {
    _li.pull();
    _li.set(c::kAudits, _auditLi, "assignee_id", Value::string(_li.userId() + "-friend"));
    const auto pushed = _li.push();
    EXPECT_EQ(pushed.results.front().outcome, "refused");
    EXPECT_EQ(pushed.results.front().error, shared::ErrorCode::Forbidden);
}

TEST_F(SyncOverTls, AnotherTenantSeesAndChangesNothingOfThisOne) {
    test::seedTenant(_server, "other", {{"boss", Role::HqReviewer}});
    TestDevice boss(_server.endpoint(), "other", "boss", "boss-password", _clock);
    // A conflict exists in acme, so every route has something to leak.
    const auto record = coAuditorsAnswerDifferently();

    for (const auto& response : boss.pull()) {
        for (const auto& page : response.scopes) {
            EXPECT_TRUE(page.changes.empty()) << page.scope;
        }
    }
    EXPECT_FALSE(boss.replica().record(c::kAudits, _auditLi));
    EXPECT_EQ(parseObject(boss.send("GET", "/v1/conflicts").body)->getArray("conflicts")->size(),
              0U);
    const auto path = "/v1/conflicts/answers/" + record.toString() + "/value";
    EXPECT_EQ(boss.send("GET", path).status, 404);
    EXPECT_EQ(boss.send("POST", path + "/resolve", "application/json", R"({"choose":0})").status,
              404);
    EXPECT_EQ(parseObject(boss.send("GET", "/v1/quarantine").body)->getArray("quarantine")->size(),
              0U);
    const auto me = parseObject(boss.send("GET", "/v1/me").body)->getObject("user");
    EXPECT_NE(me->getValue<std::string>("tenant_id"), _tenantId);

    // Writing to acme's record ids lands in the other tenant's own store, not in acme's.
    boss.set(c::kAudits, _auditLi, "assignee_id", Value::string("intruder"));
    EXPECT_EQ(boss.push().results.front().outcome, "applied");
    const auto assignee = onServer([&](sync::Store& store) {
        return store.record(c::kAudits, _auditLi)->fields.at("assignee_id").value;
    });
    EXPECT_EQ(assignee, Value::string(_li.userId()));
    EXPECT_EQ(parseObject(_hq.send("GET", "/v1/conflicts").body)->getArray("conflicts")->size(),
              1U);
}

TEST_F(SyncOverTls, BadRequestsGetSpecificCodesAndLeaveTheStoreUnchanged) {
    _li.pull();
    const auto checksumBefore = onServer([](sync::Store& store) { return store.checksum(); });
    const auto device = _li.deviceId().toString();

    auto expectError = [&](const client::HttpResponse& response, int status,
                           const std::string& code) {
        EXPECT_EQ(response.status, status) << response.body;
        EXPECT_EQ(errorCode(response), code) << response.body;
    };
    expectError(_li.send("POST", "/v1/sync/push", "application/json", "{\"device_id\":"), 400,
                "malformed_json");
    expectError(
        _li.send("POST", "/v1/sync/push", "application/json", R"({"device_id":7,"changes":[]})"),
        400, "invalid_parameter");
    expectError(_li.send("POST", "/v1/sync/push", "text/plain", "hello"), 415,
                "unsupported_media_type");
    expectError(_li.send("POST", "/v1/sync/pull", "application/json",
                         R"({"device_id":")" + device + R"(","cursors":{"tenant":-1}})"),
                400, "invalid_cursor");
    expectError(
        _li.send("POST", "/v1/sync/push", "application/json", std::string(17 * 1024 * 1024, ' ')),
        413, "payload_too_large");

    // A batch with more changes than a push may carry (binary, so it is within the byte limit).
    shared::PushRequest huge{_li.deviceId(), {}};
    const auto template_ = _li.set(c::kAnswers, newId(), "audit_id", Value::id(_auditLi));
    for (std::uint64_t i = 0; i < 5001; ++i) {
        auto change = template_;
        change.recordId = newId();
        change.deviceSeq = 100 + i;
        huge.changes.push_back(change);
    }
    expectError(_li.send("POST", "/v1/sync/push", std::string(SyncMessageCodec::kBinaryContentType),
                         SyncMessageCodec::toBinary(huge)),
                413, "batch_too_large");

    // Changes the store refuses: unknown collection, a clock three days ahead.
    auto unknown = template_;
    unknown.collection = "not_a_collection";
    unknown.deviceSeq = 50;
    shared::ManualClock ahead{_clock.nowMs() + 3LL * 24 * 3600 * 1000};
    TestDevice skewed(_server.endpoint(), "acme", "li", "li-password", ahead);
    skewed.pull();
    answer(skewed, _auditLi, "from the future");
    const auto skewedResult = skewed.push();
    EXPECT_EQ(skewedResult.results.front().error, shared::ErrorCode::ClockSkew);
    const auto unknownResult = SyncMessageCodec::pushResponseFromJson(
        _li.send("POST", "/v1/sync/push", "application/json",
                 SyncMessageCodec::toJson(shared::PushRequest{_li.deviceId(), {unknown}}))
            .body);
    EXPECT_EQ(unknownResult.results.front().error, shared::ErrorCode::UnknownCollection);

    EXPECT_EQ(onServer([](sync::Store& store) { return store.checksum(); }), checksumBefore);
}

TEST_F(SyncOverTls, BinaryEncodingCarriesTheSameSync) {
    _li.useBinary(true);
    _li.pull();
    const auto record = answer(_li, _auditLi, "yes");
    EXPECT_EQ(_li.push().results.size(), 2U);
    _wang.pull();
    _hq.pull();
    ASSERT_TRUE(_hq.replica().record(c::kAnswers, record));
    EXPECT_EQ(_hq.replica().checksum(),
              onServer([](sync::Store& store) { return store.checksum(); }));
}

/// Every line the server logs while it exists (all loggers), for tests about what reaches the log.
class LogCapture {
public:
    LogCapture() : _previous(Poco::Logger::root().getChannel()) {
        std::vector<std::string> names;
        Poco::Logger::names(names);
        for (const auto& name : names) {
            _levels.emplace_back(name, Poco::Logger::get(name).getLevel());
        }
        Poco::Logger::setChannel("", _channel);
        Poco::Logger::setLevel("", Poco::Message::PRIO_INFORMATION);  // the request lines too
    }
    ~LogCapture() {
        Poco::Logger::setChannel("", _previous);
        for (const auto& [name, level] : _levels) {
            Poco::Logger::get(name).setLevel(level);
        }
    }
    LogCapture(const LogCapture&) = delete;
    LogCapture& operator=(const LogCapture&) = delete;

    std::vector<std::string> lines() const { return _channel->lines(); }

private:
    class Collector final : public Poco::Channel {
    public:
        void log(const Poco::Message& message) override {
            std::lock_guard lock(_mutex);
            _lines.push_back(message.getText());
        }
        std::vector<std::string> lines() const {
            std::lock_guard lock(_mutex);
            return _lines;
        }

    private:
        mutable std::mutex _mutex;
        std::vector<std::string> _lines;
    };

    Poco::Channel::Ptr _previous;
    std::vector<std::pair<std::string, int>> _levels;
    Poco::AutoPtr<Collector> _channel{new Collector};
};

/// Whether the log holds a line for a request to a path starting with `path`.
bool logged(const std::vector<std::string>& lines, const std::string& path) {
    return std::any_of(lines.begin(), lines.end(), [&](const std::string& line) {
        return line.find("path=" + path) != std::string::npos ||
               line.find("path=\"" + path) != std::string::npos;
    });
}

// The bytes that are not UTF-8 come in a binary push's string value and in its request id; a
// second request carries them, percent-encoded, in its path. None of them reaches the server's
// change log or its process log.
TEST_F(SyncOverTls, BinaryTextThatIsNotUtf8IsRefusedAndJsonKeepsWorking) {
    const LogCapture log;
    _li.pull();
    const auto record = answer(_li, _auditLi, "yes");
    _li.push();
    const auto checksumBefore = onServer([](sync::Store& store) { return store.checksum(); });
    const std::string notUtf8 = "bad \xff\xfe bytes";
    auto bad = _li.set(c::kAnswers, record, "comment", Value::string("fine"));
    bad.value = Value::string(notUtf8);
    const auto response =
        _li.send("POST", "/v1/sync/push", std::string(SyncMessageCodec::kBinaryContentType),
                 SyncMessageCodec::toBinary(shared::PushRequest{_li.deviceId(), {bad}}),
                 {{"X-Request-Id", notUtf8}});
    EXPECT_EQ(response.status, 400);
    EXPECT_EQ(errorCode(response), "invalid_request");
    EXPECT_EQ(onServer([](sync::Store& store) { return store.checksum(); }), checksumBefore)
        << "nothing of the refused push was stored";
    EXPECT_EQ(_li.send("GET", "/v1/sync/bad%FF%FE%7F%1B").status, 404);
    EXPECT_NO_THROW(_hq.pull());
    EXPECT_EQ(_hq.send("GET", "/v1/quarantine").status, 200);
    const auto lines = log.lines();
    EXPECT_TRUE(logged(lines, "/v1/sync/push")) << "the push was logged";
    EXPECT_TRUE(logged(lines, "/v1/sync/bad")) << "the request with the bytes in its path too";
    for (const auto& line : lines) {
        EXPECT_TRUE(std::all_of(line.begin(), line.end(),
                                [](unsigned char c) { return c >= 0x20 && c < 0x7f; }))
            << "nothing unprintable reached the log: " << line;
    }
}

TEST_F(SyncOverTls, ARecordCannotBeMovedIntoAnotherExpertsAudit) {
    _li.pull();
    const auto record = answer(_li, _auditLi, "yes");
    _li.push();
    // An early-dated rewrite of the immutable parent field would win the merge: the gate must
    // refuse it for pointing at Wang's audit.
    auto move = _li.set(c::kAnswers, record, "comment", Value::string("x"));
    _li.push();
    move.field = "audit_id";
    move.value = Value::id(_auditWang);
    move.hlc = shared::Hlc{1, 0, move.hlc.node};
    move.baseVersion.reset();
    move.deviceSeq += 1;
    const auto http =
        _li.send("POST", "/v1/sync/push", "application/json",
                 SyncMessageCodec::toJson(shared::PushRequest{_li.deviceId(), {move}}));
    ASSERT_EQ(http.status, 200) << http.body;
    const auto result = SyncMessageCodec::pushResponseFromJson(http.body).results.front();
    EXPECT_EQ(result.outcome, "refused");
    EXPECT_EQ(result.error, shared::ErrorCode::NotInScope);
    _wang.pull();
    EXPECT_FALSE(_wang.replica().record(c::kAnswers, record));
}

TEST_F(SyncOverTls, FieldExpertMayStartAndSubmitButNotApproveOrReopen) {
    _li.pull();
    _li.set(c::kAudits, _auditLi, "state", Value::string("in_progress"));
    _li.set(c::kAudits, _auditLi, "state", Value::string("approved"));
    _li.reopen(c::kAudits, _auditLi, "state", "in_progress");
    _li.set(c::kAudits, _auditLi, "supplier_id", Value::id(newId()));
    const auto results = _li.push().results;
    ASSERT_EQ(results.size(), 4U);
    EXPECT_EQ(results[0].outcome, "applied");
    for (std::size_t i = 1; i < results.size(); ++i) {
        EXPECT_EQ(results[i].error, shared::ErrorCode::Forbidden) << i;
    }
}

TEST_F(SyncOverTls, APullOneChangeAPageBringsEveryScopeWholeThenNamesNoScope) {
    _li.setPullLimit(1);
    const auto responses = _li.pull();
    EXPECT_GT(responses.size(), 4U);
    ASSERT_EQ(_li.cursors().size(), 4U);
    for (const auto& [scope, cursor] : _li.cursors()) {
        EXPECT_EQ(_li.replica().scopeChecksum(scope),
                  onServer([&](sync::Store& store) { return store.scopeChecksum(scope); }))
            << scope;
        EXPECT_NE(_li.replica().scopeChecksum(scope), std::string(64, '0')) << scope;
    }
    // Caught up: the answer names no scope (each costs the server one lookup).
    const auto again = _li.pull();
    ASSERT_EQ(again.size(), 1U);
    EXPECT_TRUE(again.front().scopes.empty());
    EXPECT_FALSE(again.front().more);
}

TEST_F(SyncOverTls, ACaughtUpPullIsEmptyYetStillGivesWhatTheDeviceLacksOrMayNoLongerSee) {
    _li.pull();
    const auto held = _li.cursors();
    ASSERT_EQ(held.size(), 4U);
    const auto audit = key(c::kAudits, _auditLi);
    const auto pullWith = [&](std::map<std::string, std::uint64_t> cursors,
                              std::vector<std::string> repair) {
        shared::PullRequest request{_li.deviceId(), std::move(cursors), std::move(repair), 100};
        const auto http = _li.send("POST", "/v1/sync/pull", "application/json",
                                   SyncMessageCodec::toJson(request));
        EXPECT_EQ(http.status, 200) << http.body;
        return SyncMessageCodec::pullResponseFromJson(http.body);
    };
    // Every scope at the log's end: nothing to say.
    const auto current = pullWith(held, {});
    EXPECT_TRUE(current.scopes.empty());
    EXPECT_TRUE(current.purge.empty());
    // Every cursor at the end, yet a scope missing: it comes whole.
    auto lacking = held;
    lacking.erase(audit);
    const auto snapshot = pullWith(lacking, {});
    ASSERT_EQ(snapshot.scopes.size(), 1U);
    EXPECT_EQ(snapshot.scopes.front().scope, audit);
    EXPECT_TRUE(snapshot.scopes.front().snapshot);
    EXPECT_FALSE(snapshot.scopes.front().changes.empty());
    // A scope the device may not see, at the end too: purged.
    auto extra = held;
    extra[key(c::kAudits, _auditWang)] = held.at(audit);
    const auto purge = pullWith(extra, {});
    EXPECT_TRUE(purge.scopes.empty());
    EXPECT_EQ(purge.purge, std::vector<std::string>{key(c::kAudits, _auditWang)});
    // A repair of a current scope: it comes whole.
    const auto repair = pullWith(held, {audit});
    ASSERT_EQ(repair.scopes.size(), 1U);
    EXPECT_TRUE(repair.scopes.front().snapshot);
    // Something changed in one scope: only that scope is named, with the change.
    _hq.pull();
    answer(_hq, _auditLi, "yes");
    _hq.push();
    const auto changed = _li.pull();
    ASSERT_EQ(changed.size(), 1U);
    std::set<std::string> named;
    for (const auto& page : changed.front().scopes) {
        if (!page.changes.empty()) {
            named.insert(page.scope);
        }
    }
    EXPECT_EQ(named, std::set<std::string>{audit});
    EXPECT_TRUE(_li.pull().front().scopes.empty());
}

TEST_F(SyncOverTls, APagedPullNeverSkipsARecordThatJoinedItsScopeLate) {
    _li.pull();
    _hq.pull();
    // R5's fields are written before its parent field; R6's after.
    const auto late = newId();
    _hq.set(c::kAnswers, late, "comment", Value::string("written before audit_id"));
    _hq.set(c::kAnswers, late, "question_id", Value::string("C.2"));
    _hq.set(c::kAnswers, late, "audit_id", Value::id(_auditLi));
    const auto next = newId();
    _hq.set(c::kAnswers, next, "audit_id", Value::id(_auditLi));
    _hq.set(c::kAnswers, next, "comment", Value::string("after"));
    _hq.push();
    _li.setPullLimit(2);
    _li.pull();
    ASSERT_TRUE(_li.replica().record(c::kAnswers, late));
    EXPECT_EQ(_li.replica().record(c::kAnswers, late)->fields.size(), 3U);
    ASSERT_TRUE(_li.replica().record(c::kAnswers, next));
    EXPECT_EQ(_li.replica().record(c::kAnswers, next)->fields.at("comment").value,
              Value::string("after"));
    const auto scope = key(c::kAudits, _auditLi);
    EXPECT_EQ(_li.replica().scopeChecksum(scope),
              onServer([&](sync::Store& store) { return store.scopeChecksum(scope); }));
}

TEST_F(SyncOverTls, AnUpperCaseDeviceIdSignsInAndSyncs) {
    std::string upper = shared::IdGenerator(_clock).nextDeviceId().toString();
    for (auto& ch : upper) {
        ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    }
    auto client = _server.client();
    const auto login =
        client.send("POST", "/v1/auth/login", "application/json",
                    R"({"tenant":"acme","username":"li","password":"li-password","device_id":")" +
                        upper + R"("})");
    ASSERT_EQ(login.status, 200) << login.body;
    const std::map<std::string, std::string> headers = {
        {"Authorization",
         "Bearer " + parseObject(login.body)->getValue<std::string>("access_token")}};
    const auto pull = client.send("POST", "/v1/sync/pull", "application/json",
                                  R"({"device_id":")" + upper + R"("})", headers);
    EXPECT_EQ(pull.status, 200) << pull.body;
}

TEST_F(SyncOverTls, OutOfRangeOrBooleanChoiceIsAClientError) {
    const auto path = "/v1/conflicts/answers/" + newId().toString() + "/value/resolve";
    for (const auto* body :
         {R"({"choose":18446744073709551615})", R"({"choose":true})", R"({"choose":-1})"}) {
        const auto response = _hq.send("POST", path, "application/json", body);
        EXPECT_EQ(response.status, 400) << body << " " << response.body;
        EXPECT_EQ(errorCode(response), "invalid_parameter");
    }
}

TEST_F(SyncOverTls, IntegersPast64BitsOrBooleansAreRefusedAndNothingIsApplied) {
    _li.pull();
    const auto change = _li.set(c::kAnswers, newId(), "audit_id", Value::id(_auditLi));
    const auto json = SyncMessageCodec::toJson(shared::PushRequest{_li.deviceId(), {change}});
    const std::string seq = "\"seq\":" + std::to_string(change.deviceSeq);
    ASSERT_NE(json.find(seq), std::string::npos) << json;
    const auto checksumBefore = onServer([](sync::Store& store) { return store.checksum(); });
    // Poco's parser read both as 1: the change was acknowledged `duplicate` and dropped.
    for (const std::string wrapped : {"18446744073709551617", "true"}) {
        auto body = json;
        body.replace(body.find(seq), seq.size(), "\"seq\":" + wrapped);
        const auto response = _li.send("POST", "/v1/sync/push", "application/json", body);
        EXPECT_EQ(response.status, 400) << wrapped << " " << response.body;
        EXPECT_EQ(errorCode(response), "invalid_parameter") << wrapped;
    }
    EXPECT_EQ(onServer([](sync::Store& store) { return store.checksum(); }), checksumBefore);
    EXPECT_EQ(_li.push().results.front().outcome, "applied");

    // A pull limit of 2^64 was read as 0.
    const auto pull = _li.send(
        "POST", "/v1/sync/pull", "application/json",
        R"({"device_id":")" + _li.deviceId().toString() + R"(","limit":18446744073709551616})");
    EXPECT_EQ(pull.status, 400) << pull.body;
    EXPECT_EQ(errorCode(pull), "invalid_parameter");
}

TEST_F(SyncOverTls, AChoiceOf2To64Plus1NeverResolvesAConflict) {
    const auto record = coAuditorsAnswerDifferently();

    const auto path = "/v1/conflicts/answers/" + record.toString() + "/value/resolve";
    // Poco's parser read it as 1: candidate 1 won, irreversibly.
    const auto response =
        _hq.send("POST", path, "application/json", R"({"choose":18446744073709551617})");
    EXPECT_EQ(response.status, 400) << response.body;
    EXPECT_EQ(errorCode(response), "invalid_parameter");
    EXPECT_EQ(parseObject(_hq.send("GET", "/v1/conflicts").body)->getArray("conflicts")->size(),
              1U);
}

TEST_F(SyncOverTls, JsonBodiesNeedTheirMediaTypeAndOnlyKnownKeys) {
    auto client = _server.client();
    const std::string login = R"({"tenant":"acme","username":"li","password":"li-password")";
    EXPECT_EQ(client.send("POST", "/v1/auth/login", "Application/JSON; charset=UTF-8", login + "}")
                  .status,
              200);
    for (const std::string type : {"text/plain", "", "application/jsonx", "multipart/form-data"}) {
        const auto response = client.send("POST", "/v1/auth/login", type, login + "}");
        EXPECT_EQ(response.status, 415) << "'" << type << "' " << response.body;
        EXPECT_EQ(errorCode(response), "unsupported_media_type");
    }
    const auto unknown =
        client.send("POST", "/v1/auth/login", "application/json", login + R"(,"pasword":"x"})");
    EXPECT_EQ(unknown.status, 400) << unknown.body;
    EXPECT_EQ(errorCode(unknown), "invalid_parameter");
    EXPECT_NE(unknown.body.find("pasword"), std::string::npos) << unknown.body;

    const auto pull = R"({"device_id":")" + _li.deviceId().toString() + R"("})";
    EXPECT_EQ(_li.send("POST", "/v1/sync/pull", "", pull).status, 415);
    EXPECT_EQ(_li.send("POST", "/v1/sync/pull", "application/json;charset=utf-8", pull).status,
              200);
}

TEST_F(SyncOverTls, SignInBodiesAreSmall) {
    auto client = _server.client();
    const auto response = client.send("POST", "/v1/auth/login", "application/json",
                                      R"({"tenant":")" + std::string(100 * 1024, 'a') + R"("})");
    EXPECT_EQ(response.status, 413);
    EXPECT_EQ(errorCode(response), "payload_too_large");
}

TEST_F(SyncOverTls, AHugeScopeNameIsRefusedAndNeverEchoedWhole) {
    const std::string scope(300 * 1024, 's');
    const auto response = _hq.send(
        "POST", "/v1/sync/pull", "application/json",
        R"({"device_id":")" + _hq.deviceId().toString() + R"(","cursors":{")" + scope + R"(":0}})");
    EXPECT_EQ(response.status, 400);
    EXPECT_EQ(errorCode(response), "invalid_cursor");
    EXPECT_LT(response.body.size(), 1024U) << "the scope is not echoed back";
}

TEST_F(SyncOverTls, LargePullsAreGzipped) {
    _hq.pull();
    for (int i = 0; i < 100; ++i) {
        _hq.set(c::kSuppliers, newId(), "name_en",
                Value::string("Supplier number " + std::to_string(i)));
    }
    _hq.push();
    const shared::PullRequest request{_hq.deviceId(), {}, {}, 1000};
    const auto response =
        _hq.send("POST", "/v1/sync/pull", "application/json", SyncMessageCodec::toJson(request));
    ASSERT_EQ(response.status, 200);
    EXPECT_EQ(response.headers.at("Content-Encoding"), "gzip");
    const auto pulled = SyncMessageCodec::pullResponseFromJson(response.body);
    EXPECT_GE(pulled.scopes.front().changes.size(), 100U);
}

TEST_F(SyncOverTls, PushAndPullNeedADeviceBoundToken) {
    const auto token =
        _server.server().auth().login("acme", "li", "li-password", "", "").accessToken;
    auto client = _server.client();
    const auto response = client.send("POST", "/v1/sync/pull", "application/json",
                                      R"({"device_id":")" + _li.deviceId().toString() + R"("})",
                                      {{"Authorization", "Bearer " + token}});
    EXPECT_EQ(response.status, 403);
    EXPECT_EQ(errorCode(response), "device_mismatch");
}

}  // namespace
}  // namespace verdant
