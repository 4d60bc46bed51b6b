// The training office's routes over real TLS: invitations by rule (preview, sending, a re-run
// adding newcomers only), the effectiveness of a course on a data set computed by hand, and who
// may do what.

#include "ServerHarness.hpp"
#include "TestDevice.hpp"

#include "verdant/audit/Collections.hpp"
#include "verdant/server/auth/AccountStore.hpp"
#include "verdant/server/storage/TenantStores.hpp"
#include "verdant/shared/IdGenerator.hpp"
#include "verdant/training/Collections.hpp"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <gtest/gtest.h>

#include <set>
#include <sstream>

namespace verdant {
namespace {

using server::Role;
using shared::RecordId;
using shared::Value;
using test::TestDevice;
namespace c = audit::collections;
namespace t = training::collections;

constexpr std::int64_t kDayMs = 24LL * 60 * 60 * 1000;
/// 2027-01-15T08:00:00Z: "now" when each test starts.
constexpr std::int64_t kStartMs = 1'800'000'000'000;
/// The rule of the acceptance: tier-2 suppliers with an open finding on C.2 or under it.
constexpr const char* kTier2OnC2 =
    R"({"tier": 2, "open_finding_clause": "C.2.*", "mandatory": true})";

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
};

Reply call(TestDevice& device, const std::string& method, const std::string& path,
           const std::string& body = "") {
    const auto response = device.send(method, path, body.empty() ? "" : "application/json", body);
    Reply reply{response.status, response.contentType, response.body, nullptr};
    if (response.contentType.rfind("application/json", 0) == 0) {
        Poco::JSON::Parser parser;
        reply.json = parser.parse(response.body).extract<Poco::JSON::Object::Ptr>();
    }
    return reply;
}

/// The values of `key` in the objects of `array`.
std::set<std::string> valuesOf(const Poco::JSON::Array::Ptr& array, const std::string& key) {
    std::set<std::string> values;
    for (std::size_t i = 0; array && i < array->size(); ++i) {
        values.insert(array->getObject(static_cast<unsigned>(i))->getValue<std::string>(key));
    }
    return values;
}

/// The strings of `array`.
std::set<std::string> stringsOf(const Poco::JSON::Array::Ptr& array) {
    std::set<std::string> values;
    for (std::size_t i = 0; array && i < array->size(); ++i) {
        values.insert(array->getElement<std::string>(static_cast<unsigned>(i)));
    }
    return values;
}

std::set<std::string> ids(std::initializer_list<RecordId> records) {
    std::set<std::string> text;
    for (const auto& record : records) {
        text.insert(record.toString());
    }
    return text;
}

/// One tenant: HQ, the coordinators Zhao and Qian, the field expert Li; a course HQ published.
/// Each test keys in (as HQ, over sync) the suppliers, audits and findings it needs.
class TrainingOffice : public ::testing::Test {
protected:
    TrainingOffice()
        : _tenantId(test::seedTenant(_server, "acme",
                                     {{"hq", Role::HqReviewer},
                                      {"zhao", Role::TrainingCoordinator},
                                      {"qian", Role::TrainingCoordinator},
                                      {"li", Role::FieldExpert}})),
          _hq(_server.endpoint(), "acme", "hq", "hq-password", _clock),
          _zhao(_server.endpoint(), "acme", "zhao", "zhao-password", _clock),
          _qian(_server.endpoint(), "acme", "qian", "qian-password", _clock),
          _li(_server.endpoint(), "acme", "li", "li-password", _clock) {
        _hq.set(t::kCourses, _course, "title_en", Value::string("Wastewater basics"));
        _hq.add(t::kCourses, _course, "clauses", "C.2.*");
        _hq.add(t::kCourses, _course, "clauses", "D.1");
        _hq.add(t::kCourses, _course, "target_tiers", "2");
        _session = session(kStartMs + 7 * kDayMs, "open");
        pushAll();
    }

    /// Pushes HQ's outbox and expects every change applied.
    void pushAll() {
        for (const auto& result : _hq.push().results) {
            EXPECT_EQ(result.outcome, "applied") << result.message;
        }
    }

    /// A one-day session of the course coordinated by Zhao, ending at `endsAt`.
    RecordId session(std::int64_t endsAt, const std::string& status) {
        const auto id = _ids.nextRecordId();
        _hq.set(t::kTrainingSessions, id, "course_id", Value::id(_course));
        _hq.set(t::kTrainingSessions, id, "coordinator_id", Value::string(_zhao.userId()));
        _hq.set(t::kTrainingSessions, id, "starts_at", Value::timestamp(endsAt - kDayMs / 3));
        _hq.set(t::kTrainingSessions, id, "ends_at", Value::timestamp(endsAt));
        _hq.set(t::kTrainingSessions, id, "status", Value::string(status));
        return id;
    }

    RecordId supplier(std::int64_t tier, const std::string& name) {
        const auto id = _ids.nextRecordId();
        _hq.set(c::kSuppliers, id, "name_en", Value::string(name));
        _hq.set(c::kSuppliers, id, "tier", Value::integer(tier));
        return id;
    }

    /// An audit of `supplier` HQ records as submitted at `submittedAt` (or, when it is nullopt,
    /// only started).
    RecordId audit(const RecordId& supplier, std::optional<std::int64_t> submittedAt) {
        const auto id = _ids.nextRecordId();
        _hq.set(c::kAudits, id, "supplier_id", Value::id(supplier));
        _hq.set(c::kAudits, id, "state", Value::string(submittedAt ? "submitted" : "in_progress"));
        if (submittedAt) {
            _hq.set(c::kAudits, id, "submitted_at", Value::timestamp(*submittedAt));
        }
        return id;
    }

    RecordId finding(const RecordId& audit, const std::string& clause) {
        const auto id = _ids.nextRecordId();
        _hq.set(c::kFindings, id, "audit_id", Value::id(audit));
        _hq.set(c::kFindings, id, "clause", Value::string(clause));
        _hq.set(c::kFindings, id, "severity", Value::string("major"));
        return id;
    }

    /// A corrective action of `finding` that HQ takes step by step to verified (pushed).
    void verifiedPlan(const RecordId& audit, const RecordId& finding) {
        const auto plan = _ids.nextRecordId();
        _hq.set(c::kCorrectiveActions, plan, "audit_id", Value::id(audit));
        _hq.set(c::kCorrectiveActions, plan, "finding_id", Value::id(finding));
        for (const char* status :
             {"submitted", "approved", "in_progress", "evidence_submitted", "verified"}) {
            _hq.set(c::kCorrectiveActions, plan, "status", Value::string(status));
            pushAll();
        }
    }

    /// A person of `supplier` registered for `session` in `state`.
    void registration(const RecordId& session, const RecordId& supplier, const std::string& state) {
        const auto id = _ids.nextRecordId();
        _hq.set(t::kAttendance, id, "session_id", Value::id(session));
        _hq.set(t::kAttendance, id, "supplier_id", Value::id(supplier));
        _hq.set(t::kAttendance, id, "state", Value::string(state));
    }

    /// Moves a pushed, submitted audit on through the review API (approve, then close).
    void review(const RecordId& audit, bool close) {
        ASSERT_EQ(call(_hq, "POST", "/v1/review/audits/" + audit.toString() + "/approve").status,
                  200);
        if (close) {
            ASSERT_EQ(call(_hq, "POST", "/v1/review/audits/" + audit.toString() + "/close").status,
                      200);
        }
    }

    /// The invitations the server holds.
    std::vector<sync::Record> invitationsOnServer() {
        return _server.server().stores().with(_tenantId, [&](sync::Store& store) {
            std::vector<sync::Record> records;
            for (const auto& id : store.recordIds(t::kInvitations)) {
                records.push_back(*store.record(t::kInvitations, id));
            }
            return records;
        });
    }

    std::string invitationsPath(const RecordId& session) const {
        return "/v1/training/sessions/" + session.toString() + "/invitations";
    }

    std::string effectivenessPath() const {
        return "/v1/training/courses/" + _course.toString() + "/effectiveness";
    }

    shared::ManualClock _clock{kStartMs};
    test::ServerHarness _server{{}, {&_clock}};
    std::string _tenantId;
    TestDevice _hq;
    TestDevice _zhao;
    TestDevice _qian;
    TestDevice _li;
    shared::IdGenerator _ids{_clock};
    RecordId _course = _ids.nextRecordId();
    RecordId _session;
};

TEST_F(TrainingOffice, ARuleInvitesExactlyTheMatchingSuppliersAndARerunAddsNewcomersOnly) {
    const auto green = supplier(2, "Green Dyeing");
    const auto greenFinding = finding(audit(green, kStartMs - 3 * kDayMs), "C.2.1");
    const auto blue = supplier(2, "Blue Tannery");
    const auto blueAudit = audit(blue, kStartMs - 4 * kDayMs);
    finding(blueAudit, "C.2");
    // Decoys: the wrong tier; other clauses (C.20.1 is under C.20, not under C.2); a verified plan;
    // a closed audit; an audit that never reached HQ.
    finding(audit(supplier(1, "Tier one"), kStartMs - kDayMs), "C.2.1");
    const auto otherClauses = audit(supplier(2, "Other clauses"), kStartMs - kDayMs);
    finding(otherClauses, "C.3.1");
    finding(otherClauses, "C.20.1");
    const auto verifiedAudit = audit(supplier(2, "Verified plan"), kStartMs - kDayMs);
    const auto verifiedFinding = finding(verifiedAudit, "C.2.4");
    verifiedPlan(verifiedAudit, verifiedFinding);
    const auto closedAudit = audit(supplier(2, "Closed audit"), kStartMs - 9 * kDayMs);
    finding(closedAudit, "C.2.1");
    finding(audit(supplier(2, "In progress"), std::nullopt), "C.2.1");
    pushAll();
    review(blueAudit, /*close=*/false);
    review(closedAudit, /*close=*/true);

    const auto preview = call(_zhao, "POST", invitationsPath(_session) + "/preview", kTier2OnC2);
    ASSERT_EQ(preview.status, 200) << preview.text;
    const auto matches = preview.json->getArray("suppliers");
    EXPECT_EQ(valuesOf(matches, "supplier_id"), ids({green, blue}));
    EXPECT_EQ(preview.json->getValue<std::string>("rule"), "tier=2;open_finding_clause=C.2.*");
    const auto greenMatch = matches->getObject(green < blue ? 0 : 1);
    EXPECT_EQ(greenMatch->getValue<std::string>("name_en"), "Green Dyeing");
    EXPECT_FALSE(greenMatch->getValue<bool>("invited"));
    EXPECT_EQ(valuesOf(greenMatch->getObject("why")->getArray("open_findings"), "finding_id"),
              ids({greenFinding}));
    EXPECT_TRUE(invitationsOnServer().empty()) << "a preview writes nothing";

    const auto sent = call(_zhao, "POST", invitationsPath(_session), kTier2OnC2);
    ASSERT_EQ(sent.status, 200) << sent.text;
    EXPECT_EQ(valuesOf(sent.json->getArray("added"), "supplier_id"), ids({green, blue}));
    EXPECT_EQ(sent.json->getArray("existing")->size(), 0U);
    const auto stored = invitationsOnServer();
    ASSERT_EQ(stored.size(), 2U);
    for (const auto& invitation : stored) {
        const auto supplierId = invitation.fields.at("supplier_id").value.as<RecordId>();
        EXPECT_EQ(invitation.id, training::invitationRecordId(_session, supplierId));
        EXPECT_EQ(invitation.fields.at("session_id").value, Value::id(_session));
        EXPECT_EQ(invitation.fields.at("rule").value,
                  Value::string("tier=2;open_finding_clause=C.2.*"));
        EXPECT_EQ(invitation.fields.at("mandatory").value, Value::boolean(true));
        EXPECT_EQ(invitation.fields.at("sent_at").value, Value::timestamp(kStartMs));
    }

    // One more matching supplier: a re-run invites it alone.
    const auto newcomer = supplier(2, "Newcomer");
    finding(audit(newcomer, kStartMs - kDayMs), "C.2.9");
    pushAll();
    const auto rerun = call(_zhao, "POST", invitationsPath(_session), kTier2OnC2);
    ASSERT_EQ(rerun.status, 200) << rerun.text;
    EXPECT_EQ(valuesOf(rerun.json->getArray("added"), "supplier_id"), ids({newcomer}));
    EXPECT_EQ(valuesOf(rerun.json->getArray("existing"), "supplier_id"), ids({green, blue}));
    EXPECT_EQ(invitationsOnServer().size(), 3U);

    _zhao.pull();
    EXPECT_EQ(_zhao.replica().recordIds(t::kInvitations).size(), 3U)
        << "the invitations reach the coordinator's tablet";
}

TEST_F(TrainingOffice, OnlyHqAndTheSessionsCoordinatorInviteAndBadRulesAreRefused) {
    finding(audit(supplier(2, "Green Dyeing"), kStartMs - kDayMs), "C.2.1");
    const auto cancelled = session(kStartMs + 9 * kDayMs, "cancelled");
    pushAll();
    for (const auto* suffix : {"/preview", ""}) {
        const auto path = invitationsPath(_session) + suffix;
        EXPECT_EQ(call(_qian, "POST", path, kTier2OnC2).errorCode(), "not_found")
            << "another coordinator's session";
        EXPECT_EQ(call(_li, "POST", path, kTier2OnC2).errorCode(), "forbidden");
        EXPECT_EQ(call(_hq, "POST", invitationsPath(_ids.nextRecordId()) + suffix, kTier2OnC2)
                      .errorCode(),
                  "not_found");
        for (const char* rule :
             {R"({"tier": 2, "colour": "red"})", R"({"tier": "2"})", R"({"tier": 2.5})",
              R"({"tier": -1})", R"({"open_finding_clause": "C.2*"})",
              R"({"open_finding_clause": "C..2"})", R"({"open_finding_clause": 2})",
              R"({"tier": 2, "mandatory": "yes"})", R"({"mandatory": true})", "{}"}) {
            const auto refused = call(_hq, "POST", path, rule);
            EXPECT_EQ(refused.status, 400) << rule;
            EXPECT_EQ(refused.errorCode(), "invalid_parameter") << rule;
        }
    }
    EXPECT_EQ(call(_hq, "POST", invitationsPath(cancelled), kTier2OnC2).errorCode(),
              "session_cancelled");
    EXPECT_TRUE(invitationsOnServer().empty()) << "nothing written by a refused request";
    EXPECT_EQ(call(_hq, "POST", invitationsPath(_session), kTier2OnC2).status, 200)
        << "HQ invites to any session";
    EXPECT_EQ(invitationsOnServer().size(), 1U);
}

// The data set (now = T; the course targets C.2.* and D.1, tier 2):
//   sessions: early ends T-30d (done), late ends T-10d (done), a cancelled one ends T-40d.
//   P1 (tier 2) attended early              → counts from T-30d
//      a: T-35d, C.2.1   before            → not counted
//      b: T-20d, C.2.3   counted, C.2.* ✓  → recurs
//      c: T-5d,  C.3     counted           → does not recur
//   P2 (tier 2) registered (no-show) early, checked in late → counts from T-10d
//      d: T-20d, D.1     before T-10d      → not counted
//      e: T-5d,  D.1.2   counted; D.1 is exact, so no recurrence
//   P3 (tier 2) attended only the cancelled session → not attended, counts from T-30d (the
//      first session that was held; the cancelled one is not)
//      f: T-35d, C.2     before            → not counted
//      g: T-20d, C.2     counted           → recurs
//      h: never submitted, C.2             → not counted
//   P4 (tier 2) no registration → not attended, from T-30d
//      i: T-5d,  D.1     counted           → recurs
//      j: T-15d, C.20.1  counted; C.20.1 is not under C.2 → does not recur
//   P5 (tier 1) not a target tier          → in no group (k: T-5d, C.2.1)
// attended: 2 suppliers, audits {b, c, e} = 3, with a target finding {b} = 1, rate 1/3 = 0.3333
// not attended: 2 suppliers, audits {g, i, j} = 3, with a target finding {g, i} = 2, rate 0.6667
TEST_F(TrainingOffice, EffectivenessComparesLaterAuditsOfAttendingAndOtherSuppliers) {
    const auto early = session(kStartMs - 30 * kDayMs, "done");
    const auto late = session(kStartMs - 10 * kDayMs, "done");
    // Held open while P3 registered, then cancelled (its status cannot go back to open).
    const auto cancelled = session(kStartMs - 40 * kDayMs, "open");
    const auto day = [](int days) { return kStartMs - days * kDayMs; };

    const auto p1 = supplier(2, "P1");
    registration(early, p1, "attended");
    finding(audit(p1, day(35)), "C.2.1");
    const auto b = audit(p1, day(20));
    finding(b, "C.2.3");
    const auto c = audit(p1, day(5));
    finding(c, "C.3");

    const auto p2 = supplier(2, "P2");
    registration(early, p2, "registered");
    registration(late, p2, "checked_in");
    finding(audit(p2, day(20)), "D.1");
    const auto e = audit(p2, day(5));
    finding(e, "D.1.2");

    const auto p3 = supplier(2, "P3");
    registration(cancelled, p3, "attended");
    pushAll();
    _hq.set(t::kTrainingSessions, cancelled, "status", Value::string("cancelled"));
    finding(audit(p3, day(35)), "C.2");
    const auto g = audit(p3, day(20));
    finding(g, "C.2");
    finding(audit(p3, std::nullopt), "C.2");

    const auto p4 = supplier(2, "P4");
    const auto i = audit(p4, day(5));
    finding(i, "D.1");
    const auto j = audit(p4, day(15));
    finding(j, "C.20.1");

    finding(audit(supplier(1, "P5"), day(5)), "C.2.1");
    pushAll();

    const auto report = call(_zhao, "GET", effectivenessPath());
    ASSERT_EQ(report.status, 200) << report.text;
    EXPECT_EQ(report.json->getValue<std::int64_t>("first_session_end"), day(30));
    const auto attended = report.json->getObject("attended");
    EXPECT_EQ(stringsOf(attended->getArray("supplier_ids")), ids({p1, p2}));
    EXPECT_EQ(stringsOf(attended->getArray("audit_ids")), ids({b, c, e}));
    EXPECT_EQ(stringsOf(attended->getArray("audit_ids_with_target_finding")), ids({b}));
    EXPECT_EQ(attended->getValue<int>("suppliers"), 2);
    EXPECT_EQ(attended->getValue<int>("audits"), 3);
    EXPECT_EQ(attended->getValue<int>("audits_with_target_finding"), 1);
    EXPECT_DOUBLE_EQ(attended->getValue<double>("recurrence_rate"), 0.3333);
    const auto others = report.json->getObject("not_attended");
    EXPECT_EQ(stringsOf(others->getArray("supplier_ids")), ids({p3, p4}));
    EXPECT_EQ(stringsOf(others->getArray("audit_ids")), ids({g, i, j}));
    EXPECT_EQ(stringsOf(others->getArray("audit_ids_with_target_finding")), ids({g, i}));
    EXPECT_DOUBLE_EQ(others->getValue<double>("recurrence_rate"), 0.6667);

    const auto csv = call(_hq, "GET", effectivenessPath() + "?format=csv");
    ASSERT_EQ(csv.status, 200) << csv.text;
    EXPECT_EQ(csv.contentType, "text/csv; charset=utf-8");
    std::istringstream lines(csv.text);
    std::string header;
    std::string first;
    std::string second;
    std::getline(lines, header);
    std::getline(lines, first);
    std::getline(lines, second);
    EXPECT_EQ(header,
              "group,suppliers,audits,audits_with_target_finding,recurrence_rate,supplier_ids,"
              "audit_ids,audit_ids_with_target_finding\r");
    EXPECT_EQ(first.rfind("attended,2,3,1,0.3333,", 0), 0U) << first;
    EXPECT_NE(first.find("," + b.toString() + "\r"), std::string::npos) << first;
    EXPECT_EQ(second.rfind("not_attended,2,3,2,0.6667,", 0), 0U) << second;
}

TEST_F(TrainingOffice, EffectivenessIsForHqAndCoordinatorsOfAKnownCourse) {
    EXPECT_EQ(call(_li, "GET", effectivenessPath()).errorCode(), "forbidden");
    EXPECT_EQ(call(_hq, "GET",
                   "/v1/training/courses/" + _ids.nextRecordId().toString() + "/effectiveness")
                  .errorCode(),
              "not_found");
    EXPECT_EQ(call(_hq, "GET", effectivenessPath() + "?format=xml").errorCode(),
              "invalid_parameter");
    EXPECT_EQ(call(_hq, "GET", effectivenessPath() + "?since=1").errorCode(), "invalid_parameter");
    const auto empty = call(_qian, "GET", effectivenessPath());
    ASSERT_EQ(empty.status, 200) << empty.text;
    EXPECT_TRUE(empty.json->getObject("attended")->isNull("recurrence_rate"))
        << "no audit counts: no rate";
}

}  // namespace
}  // namespace verdant
