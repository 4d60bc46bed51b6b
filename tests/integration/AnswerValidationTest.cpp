// Checklist answers are checked over real TLS against the template version their audit is pinned
// to: malformed answers are refused with their own codes and never reach the server's data.

#include "ServerHarness.hpp"
#include "TestDevice.hpp"

#include "verdant/domain/DomainSchema.hpp"
#include "verdant/server/storage/TenantStores.hpp"
#include "verdant/shared/IdGenerator.hpp"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

namespace verdant {
namespace {

using server::Role;
using shared::ErrorCode;
using shared::RecordId;
using shared::Value;
using test::TestDevice;
namespace c = audit::collections;

/// The demo template (version 1 of the programme's environmental checklist), from the source tree.
std::string templateV1() {
    std::ifstream file(VERDANT_DEMO_TEMPLATE);
    std::stringstream text;
    text << file.rdbuf();
    return text.str();
}

/// Version 2 as the programme published it, made from version 1: it adds C.2.5 (rain and
/// wastewater drains separated) and drops C.6.2 (electricity consumption).
std::string templateV2() {
    Poco::JSON::Parser parser;
    auto document = parser.parse(templateV1()).extract<Poco::JSON::Object::Ptr>();
    document->set("version", 2);
    const auto sections = document->getArray("sections");
    for (std::size_t s = 0; s < sections->size(); ++s) {
        auto section = sections->getObject(static_cast<unsigned>(s));
        const auto questions = section->getArray("questions");
        Poco::JSON::Array kept;
        for (std::size_t q = 0; q < questions->size(); ++q) {
            const auto question = questions->getObject(static_cast<unsigned>(q));
            if (question->getValue<std::string>("id") != "C.6.2") {
                kept.add(question);
            }
        }
        if (section->getValue<std::string>("id") == "ENV-WATER") {
            Poco::JSON::Object added;
            added.set("id", "C.2.5");
            added.set("type", "yes_no_na");
            kept.add(added);
        }
        section->set("questions", kept);
    }
    std::ostringstream out;
    document->stringify(out);
    return out.str();
}

/// A small template whose questions carry limits, on the question and in a "limits" object.
constexpr const char* kTemplateWithLimits = R"({"sections":[{"id":"S","questions":[
    {"id":"N","type":"number","min":0,"max":100},
    {"id":"L","type":"number","limits":{"min":-5,"max":5}},
    {"id":"T","type":"text","max_length":10}]}]})";

/// Text of `count` copies of `unit`.
std::string repeated(const std::string& unit, std::size_t count) {
    std::string text;
    for (std::size_t i = 0; i < count; ++i) {
        text += unit;
    }
    return text;
}

/// One tenant: HQ has published template versions 1 and 2 of the checklist, one with limits and
/// one without content, and pinned one audit to each, all assigned to the field expert Li.
class AnswerValidation : public ::testing::Test {
protected:
    AnswerValidation()
        : _tenantId(test::seedTenant(_server, "acme",
                                     {{"hq", Role::HqReviewer}, {"li", Role::FieldExpert}})),
          _hq(_server.endpoint(), "acme", "hq", "hq-password", _clock),
          _li(_server.endpoint(), "acme", "li", "li-password", _clock) {
        _hq.set(c::kSuppliers, _supplier, "name_en", Value::string("Green Dyeing Co."));
        const std::pair<RecordId, std::optional<std::string>> versions[] = {
            {_v1, templateV1()},
            {_v2, templateV2()},
            {_limits, std::string(kTemplateWithLimits)},
            {_bare, std::nullopt}};
        std::int64_t number = 1;
        for (const auto& [version, content] : versions) {
            _hq.set(c::kTemplateVersions, version, "template_key",
                    Value::string("gsc-environment"));
            _hq.set(c::kTemplateVersions, version, "version", Value::integer(number++));
            if (content) {
                _hq.set(c::kTemplateVersions, version, "content", Value::json(*content));
            }
        }
        for (const auto& [audit, version] :
             {std::pair{_auditV1, _v1}, std::pair{_auditV2, _v2}, std::pair{_auditLimits, _limits},
              std::pair{_auditBare, _bare}}) {
            _hq.set(c::kAudits, audit, "template_version_id", Value::id(version));
            _hq.set(c::kAudits, audit, "supplier_id", Value::id(_supplier));
            _hq.set(c::kAudits, audit, "assignee_id", Value::string(_li.userId()));
        }
        const auto pushed = _hq.push();
        for (const auto& result : pushed.results) {
            EXPECT_EQ(result.outcome, "applied") << result.message;
        }
        _li.pull();
    }

    /// Writes an answer record (audit, question, value) on `device`, as the app does; returns
    /// the record and the change that wrote the value.
    std::pair<RecordId, shared::Change> answer(TestDevice& device, const RecordId& audit,
                                               const std::string& question,
                                               const std::string& valueJson) {
        const auto record = _ids.nextRecordId();
        device.set(c::kAnswers, record, "audit_id", Value::id(audit));
        device.set(c::kAnswers, record, "question_id", Value::string(question));
        return {record, device.set(c::kAnswers, record, "value", Value::json(valueJson))};
    }

    /// The server's answer to `change` in `response`.
    static const shared::PushResult& resultOf(const shared::PushResponse& response,
                                              const shared::Change& change) {
        for (const auto& result : response.results) {
            if (result.deviceSeq == change.deviceSeq) {
                return result;
            }
        }
        throw std::runtime_error("no result for the change");
    }

    /// The answer's value as the server holds it (null when it has none).
    Value valueOnServer(const RecordId& record) {
        return _server.server().stores().with(_tenantId, [&](sync::Store& store) {
            const auto stored = store.record(c::kAnswers, record);
            if (!stored || stored->fields.count("value") == 0) {
                return Value::null();
            }
            return stored->fields.at("value").value;
        });
    }

    shared::ManualClock _clock{1'800'000'000'000};
    shared::IdGenerator _ids{_clock};
    test::ServerHarness _server{{}, {&_clock}};
    std::string _tenantId;
    TestDevice _hq;
    TestDevice _li;
    RecordId _supplier = _ids.nextRecordId();
    RecordId _v1 = _ids.nextRecordId();
    RecordId _v2 = _ids.nextRecordId();
    RecordId _limits = _ids.nextRecordId();
    RecordId _bare = _ids.nextRecordId();
    RecordId _auditV1 = _ids.nextRecordId();
    RecordId _auditV2 = _ids.nextRecordId();
    RecordId _auditLimits = _ids.nextRecordId();
    RecordId _auditBare = _ids.nextRecordId();
};

TEST_F(AnswerValidation, AnswersThatFitTheirQuestionsAreApplied) {
    const std::vector<std::pair<std::string, std::string>> valid = {
        {"C.1.1", R"({"answer":"yes","note":"permit on the wall"})"},
        {"C.1.2", R"({"answer":"n/a"})"},
        {"C.1.3", R"({"answer":"na"})"},
        {"C.2.3", R"({"answer":12.5})"},
        {"C.3.2", R"({"answer":4})"},
        {"C.3.2", R"({"answer":0})"},
        {"C.5.3", R"({"answer":"mixed"})"},
        // 2000 characters is the default limit, counted in code points (this is 6000 bytes).
        {"E.1.4", R"({"answer":")" + repeated("水", 2000) + R"("})"}};
    std::vector<std::pair<RecordId, shared::Change>> written;
    for (const auto& [question, value] : valid) {
        written.push_back(answer(_li, _auditV1, question, value));
    }
    const auto pushed = _li.push();
    for (const auto& [record, change] : written) {
        const auto& result = resultOf(pushed, change);
        EXPECT_EQ(result.outcome, "applied") << result.message;
        EXPECT_EQ(valueOnServer(record), change.value);
    }
}

TEST_F(AnswerValidation, MalformedAnswersAreRefusedWithTheirOwnCodes) {
    struct Case {
        std::string question;
        std::string value;
        ErrorCode expected;
    };
    const std::vector<Case> cases = {
        {"C.1.1", R"({"answer":"maybe"})", ErrorCode::InvalidAnswer},
        {"C.1.1", R"({"answer":true})", ErrorCode::InvalidAnswer},
        {"C.1.1", R"({"note":"forgot the answer"})", ErrorCode::InvalidAnswer},
        {"C.1.1", R"(["yes"])", ErrorCode::InvalidAnswer},
        {"C.2.3", R"({"answer":"twelve"})", ErrorCode::InvalidAnswer},
        {"C.2.3", R"({"answer":true})", ErrorCode::InvalidAnswer},
        {"C.3.2", R"({"answer":6})", ErrorCode::AnswerOutOfRange},
        {"C.3.2", R"({"answer":-1})", ErrorCode::AnswerOutOfRange},
        {"C.3.2", R"({"answer":2.5})", ErrorCode::InvalidAnswer},
        {"C.3.2", R"({"answer":"4"})", ErrorCode::InvalidAnswer},
        {"C.5.3", R"({"answer":"buried"})", ErrorCode::ChoiceNotInList},
        {"C.5.3", R"({"answer":1})", ErrorCode::ChoiceNotInList},
        {"E.1.4", R"({"answer":")" + repeated("a", 2001) + R"("})", ErrorCode::AnswerTooLong},
        {"E.1.4", R"({"answer":42})", ErrorCode::InvalidAnswer},
    };
    std::vector<std::pair<RecordId, shared::Change>> written;
    for (const auto& item : cases) {
        written.push_back(answer(_li, _auditV1, item.question, item.value));
    }
    const auto pushed = _li.push();
    for (std::size_t i = 0; i < cases.size(); ++i) {
        const auto& [record, change] = written[i];
        const auto& result = resultOf(pushed, change);
        EXPECT_EQ(result.outcome, "refused") << cases[i].value;
        EXPECT_EQ(result.error, cases[i].expected) << cases[i].value;
        EXPECT_NE(result.message.find(cases[i].question), std::string::npos) << result.message;
        EXPECT_TRUE(valueOnServer(record).isNull()) << cases[i].value;
    }
    EXPECT_TRUE(_li.outbox().empty()) << "refused answers are quarantined, not resent";
}

TEST_F(AnswerValidation, LimitsComeFromTheQuestionOrItsLimitsObject) {
    const std::vector<std::tuple<std::string, std::string, std::optional<ErrorCode>>> cases = {
        {"N", R"({"answer":100})", std::nullopt},
        {"N", R"({"answer":0})", std::nullopt},
        {"N", R"({"answer":100.5})", ErrorCode::AnswerOutOfRange},
        {"N", R"({"answer":-1})", ErrorCode::AnswerOutOfRange},
        {"L", R"({"answer":-5})", std::nullopt},
        {"L", R"({"answer":6})", ErrorCode::AnswerOutOfRange},
        {"T", R"({"answer":"ten chars!"})", std::nullopt},
        {"T", R"({"answer":"eleven char"})", ErrorCode::AnswerTooLong},
    };
    std::vector<std::pair<RecordId, shared::Change>> written;
    for (const auto& [question, value, expected] : cases) {
        written.push_back(answer(_li, _auditLimits, question, value));
    }
    const auto pushed = _li.push();
    for (std::size_t i = 0; i < cases.size(); ++i) {
        const auto& [question, value, expected] = cases[i];
        const auto& result = resultOf(pushed, written[i].second);
        EXPECT_EQ(result.outcome, expected ? "refused" : "applied") << value;
        EXPECT_EQ(result.error, expected) << value;
        EXPECT_EQ(valueOnServer(written[i].first).isNull(), expected.has_value()) << value;
    }
}

TEST_F(AnswerValidation, AQuestionTheTemplateVersionLacksIsRefused) {
    const auto record = _ids.nextRecordId();
    _li.set(c::kAnswers, record, "audit_id", Value::id(_auditV1));
    const auto question = _li.set(c::kAnswers, record, "question_id", Value::string("Z.9.9"));
    const auto value = _li.set(c::kAnswers, record, "value", Value::json(R"({"answer":"yes"})"));
    const auto pushed = _li.push();
    for (const auto& change : {question, value}) {
        const auto& result = resultOf(pushed, change);
        EXPECT_EQ(result.outcome, "refused");
        EXPECT_EQ(result.error, ErrorCode::UnknownQuestion);
        EXPECT_NE(result.message.find("Z.9.9"), std::string::npos) << result.message;
    }
    EXPECT_TRUE(valueOnServer(record).isNull());

    const auto quarantine = _hq.send("GET", "/v1/quarantine");
    ASSERT_EQ(quarantine.status, 200);
    EXPECT_NE(quarantine.body.find("unknown_question"), std::string::npos) << quarantine.body;
}

TEST_F(AnswerValidation, AQuestionOnlyInVersion2IsRefusedOnAVersion1Audit) {
    const auto [onV1, changeV1] = answer(_li, _auditV1, "C.2.5", R"({"answer":"yes"})");
    const auto [onV2, changeV2] = answer(_li, _auditV2, "C.2.5", R"({"answer":"yes"})");
    // And the other way round: C.6.2 was dropped in version 2.
    const auto [droppedV1, droppedChangeV1] = answer(_li, _auditV1, "C.6.2", R"({"answer":310})");
    const auto [droppedV2, droppedChangeV2] = answer(_li, _auditV2, "C.6.2", R"({"answer":310})");
    const auto pushed = _li.push();

    EXPECT_EQ(resultOf(pushed, changeV1).error, ErrorCode::UnknownQuestion);
    EXPECT_TRUE(valueOnServer(onV1).isNull());
    EXPECT_EQ(resultOf(pushed, changeV2).outcome, "applied");
    EXPECT_EQ(valueOnServer(onV2), changeV2.value);

    EXPECT_EQ(resultOf(pushed, droppedChangeV1).outcome, "applied");
    EXPECT_EQ(valueOnServer(droppedV1), droppedChangeV1.value);
    EXPECT_EQ(resultOf(pushed, droppedChangeV2).error, ErrorCode::UnknownQuestion);
    EXPECT_TRUE(valueOnServer(droppedV2).isNull());
}

TEST_F(AnswerValidation, ALaterEditIsCheckedAgainstTheStoredQuestion) {
    const auto [record, first] = answer(_li, _auditV1, "C.3.2", R"({"answer":3})");
    ASSERT_EQ(resultOf(_li.push(), first).outcome, "applied");

    // The next push carries only the value: its audit and question come from the server's copy.
    const auto bad = _li.set(c::kAnswers, record, "value", Value::json(R"({"answer":9})"));
    EXPECT_EQ(resultOf(_li.push(), bad).error, ErrorCode::AnswerOutOfRange);
    EXPECT_EQ(valueOnServer(record), first.value) << "the earlier answer stands";
}

TEST_F(AnswerValidation, ClearingAnAnswerIsAllowed) {
    const auto [record, first] = answer(_li, _auditV1, "C.3.2", R"({"answer":3})");
    ASSERT_EQ(resultOf(_li.push(), first).outcome, "applied");
    const auto cleared = _li.set(c::kAnswers, record, "value", Value::null());
    EXPECT_EQ(resultOf(_li.push(), cleared).outcome, "applied");
    EXPECT_TRUE(valueOnServer(record).isNull());
}

TEST_F(AnswerValidation, HqAnswersAreCheckedToo) {
    const auto [record, change] = answer(_hq, _auditV1, "C.5.3", R"({"answer":"buried"})");
    EXPECT_EQ(resultOf(_hq.push(), change).error, ErrorCode::ChoiceNotInList);
    EXPECT_TRUE(valueOnServer(record).isNull());
}

TEST_F(AnswerValidation, AnswersToATemplateWithoutContentAreNotChecked) {
    const auto [record, change] =
        answer(_li, _auditBare, "anything", R"({"answer":"whatever the app sends"})");
    EXPECT_EQ(resultOf(_li.push(), change).outcome, "applied");
    EXPECT_EQ(valueOnServer(record), change.value);
}

}  // namespace
}  // namespace verdant
