#pragma once

#include "verdant/audit/ChecklistTemplate.hpp"
#include "verdant/server/sync/PushBatch.hpp"
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

    /// Why `change` may not be applied, or nullopt: audit::answerRefusal against the template
    /// version of the answer's audit. Other changes always pass.
    std::optional<shared::ValidationError> check(const shared::Change& change) const;

private:
    void read(PushBatch& batch);

    /// What an answer record is checked against.
    struct AnswerContext {
        std::shared_ptr<const audit::ChecklistTemplate> checklist;  ///< Null: not checked.
        std::optional<std::string> questionId;                      ///< Stored or set in the batch.
    };

    std::map<shared::RecordId, AnswerContext> _answers;
};

}  // namespace verdant::server
