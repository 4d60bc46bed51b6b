#pragma once

/// Audit scoring: data-driven, versioned rules that turn an audit's per-question results into a
/// score snapshot (score, band, the counts it came from).
///
/// Versioning. A rule is named by an id that includes its version ("rba-200-v1"). A rule's
/// behaviour never changes once it has shipped: a corrected or different formula is a new rule
/// with a new id ("rba-200-v2"), and each rule has its own test vectors
/// (tests/data/scoring-<id>-vectors.json). A snapshot records the id of the rule that made
/// it, so a stored score is never silently recomputed with a newer rule: to check or refresh a
/// snapshot, recompute it with `scoringRule(snapshot.ruleId)`; moving an audit to a newer rule
/// is an explicit decision that writes a new snapshot under the new id.
///
/// Pure computation, no I/O; every function here is thread-safe.

#include "verdant/shared/ErrorCode.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace verdant::shared {

/// How one audit question came out, as a scoring rule sees it: conformant, not applicable, not
/// reviewed, or the RBA-style severity of the finding raised on it.
enum class ResultClass : std::uint8_t {
    Conformance,           ///< Conforms; no finding.
    RiskOfNonconformance,  ///< Conforms today, with a risk of non-conformance noted.
    Observation,           ///< Conforms; an observation was recorded.
    NotReviewed,           ///< Not reviewed during this audit.
    NotApplicable,         ///< Does not apply to this facility (N/A).
    Minor,                 ///< Minor non-conformance.
    Major,                 ///< Major non-conformance.
    Priority,              ///< Priority non-conformance (the most severe).
};

/// The snake_case wire name of a result class, e.g. "risk_of_nonconformance".
std::string_view wireName(ResultClass resultClass) noexcept;

/// The result class with that wire name, or nullopt for any other text (names are
/// case-sensitive).
std::optional<ResultClass> resultClassFromWireName(std::string_view name) noexcept;

/// The result class with that wire name. Throws Error(ErrorCode::InvalidEnumValue) naming the
/// value for any other text.
ResultClass parseResultClass(std::string_view name);

/// Decodes a JSON array of result class names, e.g. `["conformance","minor","not_applicable"]`.
/// Throws Error(ErrorCode::MalformedJson) for text that is not JSON,
/// Error(ErrorCode::InvalidRequest) for JSON that is not an array of strings, and
/// Error(ErrorCode::InvalidEnumValue) naming the first string that is not a result class.
std::vector<ResultClass> resultClassesFromJson(std::string_view json);

/// The outcome of scoring one audit with one rule: what is stored with the audit (in a JSON
/// field) and shown to reviewers and the public.
///
/// JSON shape (toJson() writes the keys in this order):
///
///     {"rule":"rba-200-v1","score":176.8,"band":"yellow",
///      "applicable":22,"conformant":20,"minor":1,"major":1,"priority":0}
///
/// "score" and "band" are null when the rule gives no score (no applicable criteria). A plain
/// value; copying is cheap.
struct ScoreSnapshot {
    std::string ruleId;               ///< The rule that made it, e.g. "rba-200-v1".
    std::optional<double> score;      ///< Rounded as the rule says; nullopt: no score.
    std::optional<std::string> band;  ///< The rule's band name (e.g. "green"); nullopt: none.
    std::size_t applicable = 0;       ///< Results that count (all but not_applicable).
    std::size_t conformant = 0;       ///< Applicable results the rule counts as conformant.
    std::size_t minor = 0;            ///< Minor non-conformances.
    std::size_t major = 0;            ///< Major non-conformances.
    std::size_t priority = 0;         ///< Priority non-conformances.

    /// The JSON form (see above). The score is written as the shortest JSON number that reads
    /// back as the same double (176.8, 200), so fromJson(toJson()) == *this.
    std::string toJson() const;

    /// Decodes the JSON form. Throws Error(ErrorCode::MalformedJson) for text that is not JSON,
    /// Error(ErrorCode::InvalidRequest) for a missing key or a value of the wrong type (counts
    /// must be non-negative integers, the score a finite number or null, the band a string or
    /// null), and Error(ErrorCode::InvalidEnumValue) for a band that the snapshot's rule, when
    /// known, does not define. A snapshot of an unknown rule (written by a newer Verdant) is
    /// accepted as it is, so it can still be shown; it just cannot be recomputed here.
    static ScoreSnapshot fromJson(std::string_view json);

    /// Field-wise equality: a recomputed snapshot equals the stored one when nothing changed.
    friend bool operator==(const ScoreSnapshot&, const ScoreSnapshot&) = default;
};

/// A versioned scoring rule. Implementations are immutable, live for the whole program (they
/// are obtained from scoringRule(), never created by callers) and are thread-safe.
class ScoringRule {
public:
    virtual ~ScoringRule() = default;

    /// The rule's versioned id, e.g. "rba-200-v1"; stored in every snapshot it makes.
    virtual std::string_view id() const noexcept = 0;

    /// The band names this rule assigns, best first (e.g. "green", "yellow", "red").
    virtual std::span<const std::string_view> bands() const noexcept = 0;

    /// Scores one audit from the results of all its questions (any order; not_applicable ones
    /// included, they are counted out by the rule). Never throws.
    virtual ScoreSnapshot score(std::span<const ResultClass> results) const = 0;
};

/// The id of the RBA-style 200-point rule, version 1.
///
/// score = max(0, 200 × conformant / applicable − (20 × priority + 4 × major + 1 × minor)),
/// where conformant counts conformance, risk_of_nonconformance, observation and not_reviewed,
/// and not_applicable is left out of applicable. The score is rounded to one decimal, half away
/// from zero, in exact integer arithmetic. The band is read from the rounded score (so a stored
/// score and band never disagree): green above 180, yellow 160 to 180 inclusive, red below
/// 160. With no applicable criteria there is no score and no band.
inline constexpr std::string_view kRba200V1RuleId = "rba-200-v1";

/// The rule with that id, or nullptr for an id this build does not know. The pointer is valid
/// for the whole program.
const ScoringRule* scoringRule(std::string_view ruleId) noexcept;

}  // namespace verdant::shared
