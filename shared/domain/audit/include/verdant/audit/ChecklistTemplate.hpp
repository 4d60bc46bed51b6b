#pragma once

/// The questions of an audit's template version and the answers they take: what the server
/// checks on every push and the tablet at the write, from the template version it pulled.

#include "verdant/shared/Change.hpp"
#include "verdant/shared/Schema.hpp"
#include "verdant/shared/Value.hpp"

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace verdant::audit {

/// One question of a checklist template: what kind of answer it takes, its limits, and how a
/// reviewer reads it (clause and text) and scores a "no" (default severity).
struct ChecklistQuestion {
    /// The kinds of answer a template asks for; Other is a type this server does not know (its
    /// answers are not checked, so a newer template still syncs).
    enum class Type { YesNoNa, Number, Score0To5, Choice, Text, Other };

    std::string id;                    ///< e.g. "C.1.1".
    Type type = Type::Other;           ///< From the question's "type".
    std::vector<std::string> choices;  ///< Choice: the allowed answers ("choices").
    std::optional<double> min;         ///< Number: the smallest allowed answer ("min").
    std::optional<double> max;         ///< Number: the largest allowed answer ("max").
    std::size_t maxLength = 0;         ///< Text: the most code points allowed ("max_length").
    std::string clause;                ///< e.g. "C.2.1" ("clause"; the id when it names none).
    std::string textEn;                ///< English text ("text"."en"; "" when none).
    std::string textZh;                ///< Chinese text ("text"."zh"; "" when none).
    std::string defaultSeverity;       ///< The finding severity a "no" stands for ("" when none).
};

/// The questions of one template version, parsed from its `content` document
/// (`sections[].questions[]`, as tests/data/template-gsc-environment-v1.json).
///
/// A plain value; thread-safe as any const value.
class ChecklistTemplate {
public:
    /// A text answer's limit when the question names none, in Unicode code points.
    static constexpr std::size_t kDefaultMaxTextLength = 2000;

    /// The template in `content`, or nullopt when `content` is not a template document (not
    /// JSON, or without a `sections` array): answers to such a template are not checked.
    /// Limits are read from the question itself or from its `limits` object.
    static std::optional<ChecklistTemplate> parse(std::string_view content);

    /// The question with that id, or nullptr if the template has none.
    const ChecklistQuestion* question(std::string_view id) const;

    /// The ids of every question, in the document's order (sections, then questions).
    const std::vector<std::string>& questionIds() const noexcept { return _order; }

    /// Why `value` (an answer record's `value`, e.g. `{"answer":"yes","note":"…"}`) does not
    /// answer `question`, or nullopt if it does. Null (a cleared answer) always does. Codes:
    /// `invalid_answer` (not an object with "answer", or the wrong type), `answer_out_of_range`,
    /// `choice_not_in_list`, `answer_too_long`.
    static std::optional<shared::ValidationError> check(const ChecklistQuestion& question,
                                                        const shared::Value& value);

private:
    std::map<std::string, ChecklistQuestion, std::less<>> _questions;
    std::vector<std::string> _order;  ///< Question ids in the document's order.
};

/// Why `change`, a change of an answer record to an audit on `checklist`, may not be made, or
/// nullopt. `questionId` is the answer's question as stored or set earlier (nullopt: none yet).
/// A Set of `question_id` to (or of any field of an answer to) a question the template does not
/// have is `unknown_question`, so one refused answer leaves no half-written record behind; a
/// `value` that does not answer its question gets ChecklistTemplate::check's code. Other changes
/// (another collection, a delete) pass.
std::optional<shared::ValidationError> answerRefusal(const ChecklistTemplate& checklist,
                                                     std::optional<std::string> questionId,
                                                     const shared::Change& change);

}  // namespace verdant::audit
