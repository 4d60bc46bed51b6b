#include "verdant/shared/ErrorCode.hpp"
#include "verdant/shared/Scoring.hpp"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <gtest/gtest.h>

#include <fstream>
#include <functional>
#include <initializer_list>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace verdant::shared {
namespace {

using R = ResultClass;

/// `count` copies of each result class, in the order given.
std::vector<ResultClass> results(std::initializer_list<std::pair<ResultClass, int>> runs) {
    std::vector<ResultClass> list;
    for (const auto& [resultClass, count] : runs) {
        list.insert(list.end(), static_cast<std::size_t>(count), resultClass);
    }
    return list;
}

const ScoringRule& rba() {
    const auto* rule = scoringRule(kRba200V1RuleId);
    if (rule == nullptr) {
        throw std::logic_error("rba-200-v1 is not registered");
    }
    return *rule;
}

/// The code of the Error `action` throws, or InternalError as a "nothing thrown" marker.
ErrorCode errorOf(const std::function<void()>& action, std::string* message = nullptr) {
    try {
        action();
    } catch (const Error& error) {
        if (message != nullptr) {
            *message = error.what();
        }
        return error.code();
    }
    return ErrorCode::InternalError;
}

TEST(ScoringRba200V1, EveryPublishedVectorScoresExactly) {
    const std::string path = VERDANT_TEST_DATA_DIR "/scoring-rba-200-v1-vectors.json";
    std::ifstream file(path);
    ASSERT_TRUE(file) << "cannot read " << path;
    std::stringstream text;
    text << file.rdbuf();
    Poco::JSON::Parser parser;
    const auto root = parser.parse(text.str()).extract<Poco::JSON::Object::Ptr>();
    ASSERT_EQ(root->getValue<std::string>("rule"), kRba200V1RuleId);
    const auto vectors = root->getArray("vectors");
    ASSERT_FALSE(vectors.isNull());
    ASSERT_GE(vectors->size(), 10U) << "the published file has 10 vectors";

    for (unsigned i = 0; i < vectors->size(); ++i) {
        const auto vector = vectors->getObject(i);
        const auto name = vector->getValue<std::string>("name");
        SCOPED_TRACE(name);

        std::vector<ResultClass> list;
        const auto names = vector->getArray("results");
        for (unsigned j = 0; j < names->size(); ++j) {
            list.push_back(parseResultClass(names->getElement<std::string>(j)));
        }

        // The file spells "no score" as null and "no band" as "none" (null or absent would mean
        // the same); a snapshot carries both as nullopt.
        std::optional<double> expectedScore;
        if (!vector->isNull("score")) {
            expectedScore = vector->getValue<double>("score");
        }
        std::optional<std::string> expectedBand;
        if (vector->has("band") && !vector->isNull("band") &&
            vector->getValue<std::string>("band") != "none") {
            expectedBand = vector->getValue<std::string>("band");
        }

        const auto snapshot = rba().score(list);
        EXPECT_EQ(snapshot.ruleId, kRba200V1RuleId);
        EXPECT_EQ(snapshot.score, expectedScore);  // exact: both are the double nearest x.y
        EXPECT_EQ(snapshot.band, expectedBand);
        EXPECT_EQ(ScoreSnapshot::fromJson(snapshot.toJson()), snapshot);
    }
}

TEST(ScoringRule, AnUnknownRuleIdHasNoRule) {
    EXPECT_EQ(scoringRule("rba-200-v2"), nullptr);
    EXPECT_EQ(scoringRule("RBA-200-V1"), nullptr);
    EXPECT_EQ(scoringRule(""), nullptr);
    ASSERT_NE(scoringRule("rba-200-v1"), nullptr);
    EXPECT_EQ(scoringRule("rba-200-v1")->id(), "rba-200-v1");
}

TEST(ScoringRba200V1, CountsWhatTheFormulaUses) {
    const auto snapshot = rba().score(results({{R::Conformance, 10},
                                               {R::RiskOfNonconformance, 2},
                                               {R::Observation, 1},
                                               {R::NotReviewed, 1},
                                               {R::NotApplicable, 3},
                                               {R::Minor, 2},
                                               {R::Major, 1},
                                               {R::Priority, 1}}));
    EXPECT_EQ(snapshot.applicable, 18U);
    EXPECT_EQ(snapshot.conformant, 14U);
    EXPECT_EQ(snapshot.minor, 2U);
    EXPECT_EQ(snapshot.major, 1U);
    EXPECT_EQ(snapshot.priority, 1U);
    // 200 * 14 / 18 - 26 = 129.555... -> 129.6
    EXPECT_EQ(snapshot.score, 129.6);
    EXPECT_EQ(snapshot.band, "red");
}

TEST(ScoringRba200V1, NoApplicableCriteriaGivesNoScoreAndNoBand) {
    for (const auto& list : {std::vector<ResultClass>{}, results({{R::NotApplicable, 5}})}) {
        const auto snapshot = rba().score(list);
        EXPECT_EQ(snapshot.ruleId, kRba200V1RuleId);
        EXPECT_FALSE(snapshot.score.has_value());
        EXPECT_FALSE(snapshot.band.has_value());
        EXPECT_EQ(snapshot.applicable, 0U);
    }
}

TEST(ScoringRba200V1, TheScoreNeverGoesBelowZero) {
    for (const auto& list :
         {results({{R::Conformance, 1}, {R::Priority, 30}}),
          results({{R::Conformance, 40}, {R::Minor, 250}}), results({{R::Major, 1}}),
          results({{R::Conformance, 9}, {R::Priority, 9}, {R::Major, 6}})}) {
        const auto snapshot = rba().score(list);
        EXPECT_EQ(snapshot.score, 0.0);
        EXPECT_EQ(snapshot.band, "red");
    }
}

TEST(ScoringRba200V1, HalfTenthsRoundAwayFromZero) {
    // 200 * 31 / 32 - 20 = 173.75
    EXPECT_EQ(rba().score(results({{R::Conformance, 31}, {R::Priority, 1}})).score, 173.8);
    // 200 * 29 / 32 - 3 = 178.25
    EXPECT_EQ(rba().score(results({{R::Conformance, 29}, {R::Minor, 3}})).score, 178.3);
    // 200 * 29 / 32 - 22 = 159.25
    EXPECT_EQ(rba().score(results({{R::Conformance, 29}, {R::Minor, 2}, {R::Priority, 1}})).score,
              159.3);
}

TEST(ScoringRba200V1, TheBandIsReadFromTheRoundedScore) {
    // 200 * 19 / 21 - 21 = 159.952... shows as 160.0, so it is yellow, not red.
    const auto nearYellow =
        rba().score(results({{R::Conformance, 19}, {R::Minor, 1}, {R::Priority, 1}}));
    EXPECT_EQ(nearYellow.score, 160.0);
    EXPECT_EQ(nearYellow.band, "yellow");
    // 200 * 40 / 43 - 6 = 180.046... shows as 180.0, so it is yellow, not green.
    const auto nearGreen =
        rba().score(results({{R::Conformance, 40}, {R::Minor, 2}, {R::Major, 1}}));
    EXPECT_EQ(nearGreen.score, 180.0);
    EXPECT_EQ(nearGreen.band, "yellow");
    // 200 * 10 / 11 - 1 = 180.818... -> 180.8 is green.
    const auto green = rba().score(results({{R::Conformance, 10}, {R::Minor, 1}}));
    EXPECT_EQ(green.score, 180.8);
    EXPECT_EQ(green.band, "green");
}

TEST(ResultClass, EveryWireNameParsesBackToItsClass) {
    for (const auto resultClass :
         {R::Conformance, R::RiskOfNonconformance, R::Observation, R::NotReviewed, R::NotApplicable,
          R::Minor, R::Major, R::Priority}) {
        EXPECT_EQ(resultClassFromWireName(wireName(resultClass)), resultClass);
    }
    EXPECT_EQ(wireName(R::RiskOfNonconformance), "risk_of_nonconformance");
    EXPECT_FALSE(resultClassFromWireName("Conformance").has_value());
    EXPECT_FALSE(resultClassFromWireName("").has_value());
}

TEST(ResultClass, AnUnknownResultClassIsRefusedAsInvalidEnumValue) {
    std::string message;
    EXPECT_EQ(errorOf([] { resultClassesFromJson(R"(["conformance","compliant"])"); }, &message),
              ErrorCode::InvalidEnumValue);
    EXPECT_NE(message.find("'compliant'"), std::string::npos) << message;
    EXPECT_EQ(errorOf([] { parseResultClass("N/A"); }), ErrorCode::InvalidEnumValue);

    EXPECT_EQ(errorOf([] { resultClassesFromJson(R"(["minor",)"); }), ErrorCode::MalformedJson);
    EXPECT_EQ(errorOf([] { resultClassesFromJson(R"({"minor":1})"); }), ErrorCode::InvalidRequest);
    EXPECT_EQ(errorOf([] { resultClassesFromJson(R"(["minor",3])"); }), ErrorCode::InvalidRequest);
    EXPECT_EQ(resultClassesFromJson(R"(["minor","not_applicable"])"),
              (std::vector<ResultClass>{R::Minor, R::NotApplicable}));
}

TEST(ScoreSnapshot, JsonRoundTripKeepsEveryField) {
    const auto list =
        results({{R::Conformance, 20}, {R::Major, 1}, {R::Minor, 1}, {R::NotApplicable, 1}});
    const auto stored = rba().score(list);
    const auto json = stored.toJson();
    EXPECT_EQ(json, R"({"rule":"rba-200-v1","score":176.8,"band":"yellow","applicable":22,)"
                    R"("conformant":20,"minor":1,"major":1,"priority":0})");

    // Later: read the stored snapshot and recompute it with its own rule; nothing changed.
    const auto read = ScoreSnapshot::fromJson(json);
    EXPECT_EQ(read, stored);
    const auto* rule = scoringRule(read.ruleId);
    ASSERT_NE(rule, nullptr);
    EXPECT_EQ(rule->score(list), read);

    const auto none = rba().score(results({{R::NotApplicable, 3}}));
    EXPECT_EQ(none.toJson(), R"({"rule":"rba-200-v1","score":null,"band":null,"applicable":0,)"
                             R"("conformant":0,"minor":0,"major":0,"priority":0})");
    EXPECT_EQ(ScoreSnapshot::fromJson(none.toJson()), none);
}

TEST(ScoreSnapshot, ASnapshotOfAnUnknownRuleIsKeptAsItIs) {
    const auto read =
        ScoreSnapshot::fromJson(R"({"rule":"grade-ae-v1","score":83.25,"band":"B","applicable":40,)"
                                R"("conformant":35,"minor":3,"major":2,"priority":0})");
    EXPECT_EQ(read.ruleId, "grade-ae-v1");
    EXPECT_EQ(read.score, 83.25);
    EXPECT_EQ(read.band, "B");
    EXPECT_EQ(scoringRule(read.ruleId), nullptr);  // shown, never recomputed with another rule
    EXPECT_EQ(ScoreSnapshot::fromJson(read.toJson()), read);
}

TEST(ScoreSnapshot, MalformedSnapshotsAreRefused) {
    const auto decode = [](std::string json) {
        return errorOf([&json] { ScoreSnapshot::fromJson(json); });
    };
    const std::string tail = R"("applicable":1,"conformant":1,"minor":0,"major":0,"priority":0})";
    EXPECT_EQ(decode(R"({"rule":"rba-200-v1","score":200,"band":"green",)" + tail),
              ErrorCode::InternalError);  // valid
    EXPECT_EQ(decode(R"({"rule":"rba-200-v1","score":200,"band":"purple",)" + tail),
              ErrorCode::InvalidEnumValue);
    EXPECT_EQ(decode(R"({"rule":"rba-200-v1","score":"200","band":"green",)" + tail),
              ErrorCode::InvalidRequest);
    EXPECT_EQ(decode(R"({"rule":"rba-200-v1","band":"green",)" + tail), ErrorCode::InvalidRequest);
    EXPECT_EQ(decode(R"({"rule":7,"score":200,"band":"green",)" + tail), ErrorCode::InvalidRequest);
    EXPECT_EQ(decode(R"({"rule":"rba-200-v1","score":200,"band":"green","applicable":-1,)"
                     R"("conformant":1,"minor":0,"major":0,"priority":0})"),
              ErrorCode::InvalidRequest);
    EXPECT_EQ(decode(R"({"rule":"rba-200-v1","score":200,"band":"green","applicable":1.5,)"
                     R"("conformant":1,"minor":0,"major":0,"priority":0})"),
              ErrorCode::InvalidRequest);
    EXPECT_EQ(decode(R"(["rba-200-v1"])"), ErrorCode::InvalidRequest);
    EXPECT_EQ(decode("{\"rule\":"), ErrorCode::MalformedJson);
}

}  // namespace
}  // namespace verdant::shared
