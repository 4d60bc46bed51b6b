#pragma once

#include "verdant/server/PushBatch.hpp"
#include "verdant/shared/Change.hpp"
#include "verdant/shared/Id.hpp"
#include "verdant/shared/Schema.hpp"
#include "verdant/shared/Value.hpp"
#include "verdant/sync/Store.hpp"

#include <cstddef>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace verdant::server {

/// One question of a checklist template: what kind of answer it takes and its limits.
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
};

/// The questions of one template version, parsed from its `content` document
/// (`sections[].questions[]`, as server/demo/template-gsc-environment-v1.json).
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

    /// Why `value` (an answer record's `value`, e.g. `{"answer":"yes","note":"…"}`) does not
    /// answer `question`, or nullopt if it does. Null (a cleared answer) always does. Codes:
    /// `invalid_answer` (not an object with "answer", or the wrong type), `answer_out_of_range`,
    /// `choice_not_in_list`, `answer_too_long`.
    static std::optional<shared::ValidationError> check(const ChecklistQuestion& question,
                                                        const shared::Value& value);

private:
    std::map<std::string, ChecklistQuestion, std::less<>> _questions;
};

/// Checks the checklist answers of one push batch against the template version each answer's
/// audit is pinned to.
///
/// Built from the store before the batch is applied (a push gate must not read the store while
/// it applies), it looks up, for every answer the batch writes, the answer's audit and question
/// (stored, or set in the same batch), the audit's template version and that version's content,
/// parsing each template once. An answer whose audit, template or content is unknown is not
/// checked: the store's schema checks are all it gets. Not thread-safe; use it for one batch.
///
/// Cost: one lookup in the batch's index per answer field it needs and one store read per
/// answer record, audit and template version (through PushBatch), whatever the batch's size.
class AnswerValidator {
public:
    /// Reads what `batch` needs from `store`; keeps no reference to either.
    AnswerValidator(const sync::Store& store, std::span<const shared::Change> batch);

    /// The same, reading through `batch` (shared with the push's other checks, so a record they
    /// both need is read once); keeps no reference to it.
    explicit AnswerValidator(PushBatch& batch);

    /// Why `change` may not be applied, or nullopt: a Set of an answer's `question_id` to (or of
    /// any field of an answer to) a question the template does not have is `unknown_question`;
    /// a `value` that does not answer its question gets ChecklistTemplate::check's code. Other
    /// changes always pass.
    std::optional<shared::ValidationError> check(const shared::Change& change) const;

private:
    void read(PushBatch& batch);

    /// What an answer record is checked against.
    struct AnswerContext {
        std::shared_ptr<const ChecklistTemplate> checklist;  ///< Null: not checked.
        std::optional<std::string> questionId;               ///< Stored or set in the batch.
    };

    std::map<shared::RecordId, AnswerContext> _answers;
};

}  // namespace verdant::server
