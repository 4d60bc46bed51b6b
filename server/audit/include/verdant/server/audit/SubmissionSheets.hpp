#pragma once

#include "verdant/audit/Completeness.hpp"
#include "verdant/server/sync/PushBatch.hpp"
#include "verdant/shared/Change.hpp"
#include "verdant/shared/Id.hpp"
#include "verdant/shared/Schema.hpp"

#include <map>
#include <memory>
#include <optional>
#include <string>

namespace verdant::server {

/// The answer sheets of the audits one push batch submits, followed through the batch, so that a
/// submission is judged complete (audit::completenessOf) on the answers it would stand on: those
/// stored and those the batch wrote before it.
///
/// Built from the store before the batch is applied, like WorkflowGate, which owns it: for each
/// audit the batch sets to a submitted state, its template version and its stored answers (one
/// read of the audit's scope). An audit whose template version or content is unknown is not
/// judged (as AnswerValidator does not check its answers). Not thread-safe; one batch.
class SubmissionSheets {
public:
    /// Reads what `batch` needs; keeps no reference to it.
    explicit SubmissionSheets(PushBatch& batch);

    /// Takes in `change` of an answer of `audit`, once the gate let it through.
    void take(const shared::Change& change, const shared::RecordId& audit);

    /// Why `audit` may not be submitted as the batch has it so far, or nullopt
    /// (audit::submissionRefusal).
    std::optional<shared::ValidationError> submissionRefusal(const shared::RecordId& audit) const;

private:
    struct Sheet {
        std::shared_ptr<const audit::ChecklistTemplate> checklist;
        std::map<std::string, audit::AnswerMarks> answers;  ///< By question id.
    };

    void read(PushBatch& batch, const shared::RecordId& audit);

    std::map<shared::RecordId, Sheet> _sheets;           ///< By audit id.
    std::map<shared::RecordId, std::string> _questions;  ///< Answer id → its question id.
};

}  // namespace verdant::server
