#include "verdant/server/audit/AnswerValidator.hpp"

#include "verdant/audit/Collections.hpp"

namespace verdant::server {

using shared::ValidationError;
namespace collections = audit::collections;

AnswerValidator::AnswerValidator(const sync::Store& store, std::span<const shared::Change> batch) {
    PushBatch view(store, batch);
    read(view);
}

AnswerValidator::AnswerValidator(PushBatch& batch) {
    read(batch);
}

void AnswerValidator::read(PushBatch& batch) {
    std::map<shared::RecordId, std::shared_ptr<const audit::ChecklistTemplate>> templates;
    const auto templateOf = [&](const shared::RecordId& version) {
        const auto found = templates.find(version);
        if (found != templates.end()) {
            return found->second;
        }
        std::shared_ptr<const audit::ChecklistTemplate> checklist;
        const auto content = batch.value(collections::kTemplateVersions, version, "content");
        if (content && content->kind() == shared::ValueKind::Json) {
            if (auto parsed =
                    audit::ChecklistTemplate::parse(content->as<shared::JsonText>().text)) {
                checklist = std::make_shared<const audit::ChecklistTemplate>(std::move(*parsed));
            }
        }
        templates.emplace(version, checklist);
        return checklist;
    };
    // Each answer record once; its audit and the audit's template version are read once each
    // (PushBatch keeps what it read), and its fields are looked up in the batch's index.
    for (const auto& change : batch.changes()) {
        if (change.collection != collections::kAnswers ||
            change.operation != shared::Operation::Set || _answers.count(change.recordId) != 0) {
            continue;
        }
        AnswerContext context;
        const auto question = batch.value(collections::kAnswers, change.recordId, "question_id");
        if (question && question->kind() == shared::ValueKind::String) {
            context.questionId = question->as<std::string>();
        }
        const auto audit = batch.value(collections::kAnswers, change.recordId, "audit_id");
        if (audit && audit->kind() == shared::ValueKind::Id) {
            const auto version = batch.value(collections::kAudits, audit->as<shared::RecordId>(),
                                             "template_version_id");
            if (version && version->kind() == shared::ValueKind::Id) {
                context.checklist = templateOf(version->as<shared::RecordId>());
            }
        }
        _answers.emplace(change.recordId, std::move(context));
    }
}

std::optional<ValidationError> AnswerValidator::check(const shared::Change& change) const {
    if (change.collection != collections::kAnswers || change.operation != shared::Operation::Set) {
        return std::nullopt;
    }
    const auto found = _answers.find(change.recordId);
    if (found == _answers.end() || !found->second.checklist) {
        return std::nullopt;
    }
    return audit::answerRefusal(*found->second.checklist, found->second.questionId, change);
}

}  // namespace verdant::server
