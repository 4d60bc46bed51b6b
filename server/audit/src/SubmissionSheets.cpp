#include "verdant/server/audit/SubmissionSheets.hpp"

#include "ReviewRecords.hpp"

#include "verdant/audit/AuditSteps.hpp"
#include "verdant/audit/Collections.hpp"

namespace verdant::server {

namespace collections = audit::collections;

SubmissionSheets::SubmissionSheets(PushBatch& batch) {
    for (const auto& change : batch.changes()) {
        if (change.collection == collections::kAudits && change.field == "state" &&
            change.operation == shared::Operation::Set &&
            change.value.kind() == shared::ValueKind::String &&
            audit::isSubmittedState(change.value.as<std::string>()) &&
            _sheets.count(change.recordId) == 0) {
            read(batch, change.recordId);
        }
    }
    // The questions of the batch's answers to those audits (stored, or named in the batch).
    for (const auto& change : batch.changes()) {
        if (change.collection != collections::kAnswers || _questions.count(change.recordId) != 0) {
            continue;
        }
        const auto question = batch.value(collections::kAnswers, change.recordId, "question_id");
        if (question && question->kind() == shared::ValueKind::String) {
            _questions.emplace(change.recordId, question->as<std::string>());
        }
    }
}

void SubmissionSheets::read(PushBatch& batch, const shared::RecordId& audit) {
    const auto version = batch.value(collections::kAudits, audit, "template_version_id");
    if (!version || version->kind() != shared::ValueKind::Id) {
        return;
    }
    const auto content =
        batch.value(collections::kTemplateVersions, version->as<shared::RecordId>(), "content");
    auto checklist = content && content->kind() == shared::ValueKind::Json
                         ? audit::ChecklistTemplate::parse(content->as<shared::JsonText>().text)
                         : std::nullopt;
    if (!checklist) {
        return;
    }
    const auto records = review::scopeRecords(batch.store(), audit);
    const auto answers = records.find(collections::kAnswers);
    _sheets.emplace(audit,
                    Sheet{std::make_shared<const audit::ChecklistTemplate>(std::move(*checklist)),
                          answers == records.end() ? std::map<std::string, audit::AnswerMarks>{}
                                                   : audit::answerSheet(answers->second)});
}

void SubmissionSheets::take(const shared::Change& change, const shared::RecordId& audit) {
    const auto sheet = _sheets.find(audit);
    const auto question = _questions.find(change.recordId);
    if (change.collection != collections::kAnswers || sheet == _sheets.end() ||
        question == _questions.end()) {
        return;
    }
    if (change.operation == shared::Operation::Delete) {
        sheet->second.answers.erase(question->second);
    } else if (change.operation == shared::Operation::Set) {
        sheet->second.answers[question->second].take(change.field, change.value);
    }
}

std::optional<shared::ValidationError> SubmissionSheets::submissionRefusal(
    const shared::RecordId& audit) const {
    const auto sheet = _sheets.find(audit);
    if (sheet == _sheets.end()) {
        return std::nullopt;
    }
    return audit::submissionRefusal(
        audit::completenessOf(*sheet->second.checklist, sheet->second.answers));
}

}  // namespace verdant::server
