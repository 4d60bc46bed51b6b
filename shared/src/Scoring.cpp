#include "verdant/shared/Scoring.hpp"

#include <Poco/Dynamic/Var.h>
#include <Poco/Exception.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <sstream>
#include <utility>

namespace verdant::shared {

namespace {

constexpr std::array<std::pair<ResultClass, std::string_view>, 8> kResultClassNames = {{
    {ResultClass::Conformance, "conformance"},
    {ResultClass::RiskOfNonconformance, "risk_of_nonconformance"},
    {ResultClass::Observation, "observation"},
    {ResultClass::NotReviewed, "not_reviewed"},
    {ResultClass::NotApplicable, "not_applicable"},
    {ResultClass::Minor, "minor"},
    {ResultClass::Major, "major"},
    {ResultClass::Priority, "priority"},
}};

/// `value` in single quotes, cut if it is long (quotedInput), so an error message stays short
/// whatever a client sent.
std::string quoted(std::string_view value) {
    return "'" + quotedInput(value) + "'";
}

[[noreturn]] void badSnapshot(const std::string& message) {
    throw Error(ErrorCode::InvalidRequest, message);
}

Poco::Dynamic::Var parseJson(std::string_view json) {
    try {
        Poco::JSON::Parser parser;
        return parser.parse(std::string(json));
    } catch (const Poco::Exception&) {
        throw Error(ErrorCode::MalformedJson);
    }
}

// ---- rba-200-v1 ---------------------------------------------------------------------------

/// Score and band in tenths of a point: 200 points are 2000 tenths.
constexpr std::int64_t kGreenAboveTenths = 1800;
constexpr std::int64_t kYellowFromTenths = 1600;
constexpr std::array<std::string_view, 3> kRbaBands = {"green", "yellow", "red"};

/// The RBA-style 200-point rule, version 1 (formula in Scoring.hpp, vectors in
/// tests/data/scoring-rba-200-v1-vectors.json). Frozen: change nothing here that alters a
/// result; write rba-200-v2 instead.
class Rba200V1 final : public ScoringRule {
public:
    std::string_view id() const noexcept override { return kRba200V1RuleId; }

    std::span<const std::string_view> bands() const noexcept override { return kRbaBands; }

    ScoreSnapshot score(std::span<const ResultClass> results) const override {
        ScoreSnapshot snapshot;
        snapshot.ruleId = std::string(id());
        for (const auto result : results) {
            switch (result) {
                case ResultClass::NotApplicable:
                    continue;  // not a criterion of this audit
                case ResultClass::Conformance:
                case ResultClass::RiskOfNonconformance:
                case ResultClass::Observation:
                case ResultClass::NotReviewed:
                    // RBA counts a risk of non-conformance or an observation as conformant (it
                    // is noted, not deducted), and a question not reviewed raises no finding.
                    ++snapshot.conformant;
                    break;
                case ResultClass::Minor:
                    ++snapshot.minor;
                    break;
                case ResultClass::Major:
                    ++snapshot.major;
                    break;
                case ResultClass::Priority:
                    ++snapshot.priority;
                    break;
            }
            ++snapshot.applicable;
        }
        if (snapshot.applicable == 0) {
            return snapshot;  // no criteria: no score, no band
        }
        const auto tenths = scoreTenths(snapshot);
        snapshot.score = static_cast<double>(tenths) / 10.0;
        snapshot.band = std::string(tenths > kGreenAboveTenths    ? kRbaBands[0]
                                    : tenths >= kYellowFromTenths ? kRbaBands[1]
                                                                  : kRbaBands[2]);
        return snapshot;
    }

private:
    /// max(0, 200·c/a − d) in tenths, rounded half away from zero, in exact integer arithmetic
    /// (a double quotient could land a hair below a .x5 tie and round the wrong way).
    static std::int64_t scoreTenths(const ScoreSnapshot& counts) {
        // The first term is at most 200 (conformant <= applicable), so a deduction of 200 or more
        // always ends at the floor. Checking each count first keeps every product below small:
        // with d < 200, |n| < 200·a, and 20·n fits 64 bits for any list that fits in memory.
        if (counts.priority >= 10 || counts.major >= 50 || counts.minor >= 200) {
            return 0;
        }
        const auto d =
            static_cast<std::int64_t>(20 * counts.priority + 4 * counts.major + counts.minor);
        if (d >= 200) {
            return 0;
        }
        const auto a = static_cast<std::int64_t>(counts.applicable);
        const auto c = static_cast<std::int64_t>(counts.conformant);
        // score = n / a with n = 200·c − d·a; tenths = round(10·n / a).
        const std::int64_t n = 200 * c - d * a;
        if (n <= 0) {
            return 0;
        }
        return (20 * n + a) / (2 * a);  // floor(10·n/a + 1/2): half away from zero for n > 0
    }
};

const Rba200V1 kRba200V1;

}  // namespace

std::string_view wireName(ResultClass resultClass) noexcept {
    for (const auto& [value, name] : kResultClassNames) {
        if (value == resultClass) {
            return name;
        }
    }
    return "unknown";  // only for a value cast from an out-of-range integer
}

std::optional<ResultClass> resultClassFromWireName(std::string_view name) noexcept {
    for (const auto& [value, wire] : kResultClassNames) {
        if (wire == name) {
            return value;
        }
    }
    return std::nullopt;
}

ResultClass parseResultClass(std::string_view name) {
    if (const auto resultClass = resultClassFromWireName(name)) {
        return *resultClass;
    }
    throw Error(ErrorCode::InvalidEnumValue,
                quoted(name) +
                    " is not a result class (conformance, risk_of_nonconformance, observation, "
                    "not_reviewed, not_applicable, minor, major or priority).");
}

std::vector<ResultClass> resultClassesFromJson(std::string_view json) {
    const auto parsed = parseJson(json);
    if (parsed.type() != typeid(Poco::JSON::Array::Ptr)) {
        throw Error(ErrorCode::InvalidRequest, "Results must be a JSON array of result classes.");
    }
    const auto& array = parsed.extract<Poco::JSON::Array::Ptr>();
    std::vector<ResultClass> results;
    results.reserve(array->size());
    for (std::size_t i = 0; i < array->size(); ++i) {
        const auto item = array->get(static_cast<unsigned>(i));
        if (!item.isString()) {
            throw Error(ErrorCode::InvalidRequest, "A result class must be a string.");
        }
        results.push_back(parseResultClass(item.extract<std::string>()));
    }
    return results;
}

std::string ScoreSnapshot::toJson() const {
    Poco::JSON::Object object(Poco::JSON_PRESERVE_KEY_ORDER);
    object.set("rule", ruleId);
    object.set("score", score ? Poco::Dynamic::Var(*score) : Poco::Dynamic::Var());
    object.set("band", band ? Poco::Dynamic::Var(*band) : Poco::Dynamic::Var());
    object.set("applicable", static_cast<Poco::UInt64>(applicable));
    object.set("conformant", static_cast<Poco::UInt64>(conformant));
    object.set("minor", static_cast<Poco::UInt64>(minor));
    object.set("major", static_cast<Poco::UInt64>(major));
    object.set("priority", static_cast<Poco::UInt64>(priority));
    std::ostringstream stream;
    object.stringify(stream);
    return std::move(stream).str();
}

ScoreSnapshot ScoreSnapshot::fromJson(std::string_view json) {
    const auto parsed = parseJson(json);
    if (parsed.type() != typeid(Poco::JSON::Object::Ptr)) {
        badSnapshot("A score snapshot must be a JSON object.");
    }
    const auto& object = *parsed.extract<Poco::JSON::Object::Ptr>();
    const auto member = [&object](const std::string& name) {
        if (!object.has(name)) {
            badSnapshot("A score snapshot has no '" + name + "'.");
        }
        return object.get(name);
    };
    const auto count = [&member](const std::string& name) -> std::size_t {
        const auto value = member(name);
        if (!value.isInteger()) {
            badSnapshot("A score snapshot's '" + name + "' must be a non-negative integer.");
        }
        try {
            return static_cast<std::size_t>(value.convert<Poco::UInt64>());
        } catch (const Poco::Exception&) {  // negative, or too large
            badSnapshot("A score snapshot's '" + name + "' must be a non-negative integer.");
        }
    };

    ScoreSnapshot snapshot;
    const auto rule = member("rule");
    if (!rule.isString()) {
        badSnapshot("A score snapshot's 'rule' must be a string.");
    }
    snapshot.ruleId = rule.extract<std::string>();

    const auto score = member("score");
    if (!score.isEmpty()) {
        if (!score.isNumeric()) {
            badSnapshot("A score snapshot's 'score' must be a number or null.");
        }
        const auto value = score.convert<double>();
        if (!std::isfinite(value)) {
            badSnapshot("A score snapshot's 'score' must be a finite number.");
        }
        snapshot.score = value;
    }

    const auto band = member("band");
    if (!band.isEmpty()) {
        if (!band.isString()) {
            badSnapshot("A score snapshot's 'band' must be a string or null.");
        }
        snapshot.band = band.extract<std::string>();
        if (const auto* known = scoringRule(snapshot.ruleId)) {
            const auto names = known->bands();
            if (std::find(names.begin(), names.end(), *snapshot.band) == names.end()) {
                throw Error(ErrorCode::InvalidEnumValue, quoted(*snapshot.band) +
                                                             " is not a band of rule " +
                                                             quoted(snapshot.ruleId) + ".");
            }
        }
    }

    snapshot.applicable = count("applicable");
    snapshot.conformant = count("conformant");
    snapshot.minor = count("minor");
    snapshot.major = count("major");
    snapshot.priority = count("priority");
    return snapshot;
}

const ScoringRule* scoringRule(std::string_view ruleId) noexcept {
    if (ruleId == kRba200V1.id()) {
        return &kRba200V1;
    }
    return nullptr;
}

}  // namespace verdant::shared
