#pragma once

/// Whether an audit is complete enough to be submitted: every question of its template version
/// is answered, marked N/A, or marked not reviewed with a reason. Unanswered is not "not
/// reviewed": a scoring rule counts an unanswered question as nobody's decision, so an audit
/// must not reach review with gaps. Run by the server on every push that submits and by the
/// tablet at the write, from the records each holds; the review view shows the same counts.

#include "verdant/audit/ChecklistTemplate.hpp"
#include "verdant/audit/Collections.hpp"
#include "verdant/shared/Schema.hpp"
#include "verdant/shared/Value.hpp"

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace verdant::audit {

/// What one answer record says, as completeness reads it: its `value`, `result` and `comment`.
struct AnswerMarks {
    std::optional<std::string> value;   ///< The JSON text of `value`; nullopt if unset or cleared.
    std::optional<std::string> result;  ///< `result` (a ResultClass wire name), when set.
    std::string comment;                ///< `comment`, the reason for "not reviewed" ("" if none).

    /// Takes in one written field of the answer (`value`, `result` or `comment`; a null value
    /// clears it). Other fields are not this rule's: ignored.
    void take(std::string_view field, const shared::Value& written);
};

/// The marks of an audit's answer records by question id, from records as either side stores
/// them (any type with `collection`, `deleted` and `fields`, each field with a `value`, as
/// sync::Record): records of other collections, deleted ones and those without a question are
/// left out.
template <class AnswerRecord>
std::map<std::string, AnswerMarks> answerSheet(const std::vector<AnswerRecord>& answers) {
    std::map<std::string, AnswerMarks> sheet;
    for (const auto& record : answers) {
        const auto question = record.fields.find("question_id");
        if (record.collection != audit::collections::kAnswers || record.deleted ||
            question == record.fields.end() ||
            question->second.value.kind() != shared::ValueKind::String) {
            continue;
        }
        auto& marks = sheet[question->second.value.template as<std::string>()];
        for (const auto& [name, field] : record.fields) {
            marks.take(name, field.value);
        }
    }
    return sheet;
}

/// How one question of an audit stands.
enum class QuestionStatus {
    Answered,       ///< Answered, or given a result other than N/A and not reviewed.
    NotApplicable,  ///< Answered "na" / "n/a", or result not_applicable.
    NotReviewed,    ///< Result not_reviewed with a reason (a non-blank comment).
    Missing,        ///< No answer, or not reviewed without a reason.
};

/// How a question stands from its answer's marks (nullptr: the question has no answer record).
QuestionStatus statusOf(const AnswerMarks* marks);

/// How complete an audit is against its template version.
struct Completeness {
    std::size_t questions = 0;         ///< Questions of the template version.
    std::size_t answered = 0;          ///< Answered (N/A and not reviewed are counted apart).
    std::size_t notApplicable = 0;     ///< Marked N/A: not applicable, so not counted below.
    std::size_t notReviewed = 0;       ///< Marked not reviewed, with a reason.
    std::vector<std::string> missing;  ///< The questions still open, in the template's order.

    /// Questions that apply: all but those marked N/A.
    std::size_t applicable() const noexcept { return questions - notApplicable; }
    /// Whether the audit may be submitted: nothing missing.
    bool complete() const noexcept { return missing.empty(); }
};

/// How complete an audit on `checklist` is, from its answers' marks by question id (answers to
/// questions the template does not have are not counted).
Completeness completenessOf(const ChecklistTemplate& checklist,
                            const std::map<std::string, AnswerMarks>& answers);

/// Why an audit that is `completeness` complete may not be submitted, or nullopt:
/// `invalid_transition` naming how many questions are open and the first of them.
std::optional<shared::ValidationError> submissionRefusal(const Completeness& completeness);

}  // namespace verdant::audit
