#include "ReviewAuditView.hpp"

#include "ReviewRecords.hpp"

#include "verdant/audit/Collections.hpp"
#include "verdant/server/audit/AuditWorkflow.hpp"

#include <Poco/JSON/Array.h>

namespace verdant::server::review {

using shared::Value;
namespace c = audit::collections;

namespace {

/// The audit's template version ({id, template_key, version, scoring_rule}), or null.
Poco::Dynamic::Var templateVersionJson(const sync::Store& store, const sync::Record& audit) {
    const auto versionId = idField(audit, "template_version_id");
    const auto version =
        versionId ? liveRecord(store, c::kTemplateVersions, *versionId) : std::nullopt;
    if (!version) {
        return {};
    }
    auto object = orderedObject();
    object->set("id", versionId->toString());
    object->set("template_key", stringOrNull(*version, "template_key"));
    object->set("version", intOrNull(intField(*version, "version")));
    object->set("scoring_rule", stringOrNull(*version, "scoring_rule"));
    return object;
}

/// The question an answer answers, {clause, text {en, zh}}, or null when the template has none.
Poco::Dynamic::Var answerQuestionJson(const audit::ChecklistTemplate& checklist,
                                      const sync::Record& answer) {
    const auto questionId = stringField(answer, "question_id");
    const auto* question = questionId ? checklist.question(*questionId) : nullptr;
    if (question == nullptr) {
        return {};
    }
    auto text = orderedObject();
    text->set("en", question->textEn);
    text->set("zh", question->textZh);
    auto object = orderedObject();
    object->set("clause", question->clause);
    object->set("text", text);
    return object;
}

/// Sets the records of each collection of the audit's scope on `body`, each decorated with
/// what a reviewer needs beside the record: an answer's question, a plan's deadline.
void setScopeRecords(const sync::Store& store, const sync::Record& audit, std::int64_t nowMs,
                     Poco::JSON::Object& body) {
    const auto& schema = store.schema();
    const auto checklist = auditChecklist(store, audit);
    auto records = scopeRecords(store, audit.id);
    const auto list = [&](const char* collection, const auto& decorate) {
        Poco::JSON::Array array;
        for (const auto& record : records[collection]) {
            auto item = recordJson(schema, record);
            decorate(record, *item);
            array.add(item);
        }
        body.set(collection, array);
    };
    const auto plain = [](const sync::Record&, Poco::JSON::Object&) {};
    list(c::kAnswers, [&](const sync::Record& answer, Poco::JSON::Object& item) {
        item.set("question", answerQuestionJson(checklist, answer));
    });
    list(c::kFindings, plain);
    list(c::kPhotos, plain);
    list(c::kCorrectiveActions, [&](const sync::Record& plan, Poco::JSON::Object& item) {
        const auto due = capDueAtMs(store, plan);
        item.set("due_at", intOrNull(due));
        item.set("overdue", due && *due < nowMs && stringField(plan, "status") != "verified");
    });
    list(c::kSignatures, plain);
    list(c::kReviewComments, plain);
}

/// Every change of the audit's scope log, oldest first, each flagged when it is an amendment.
Poco::JSON::Array historyJson(const sync::Store& store, const sync::Record& audit) {
    const auto log = store.changesSince(0, kWholeLog, {shared::scopeKey(c::kAudits, audit.id)});
    const auto flags = amendmentFlags(log, audit.id, auditFieldExperts(audit));
    Poco::JSON::Array history;
    for (std::size_t i = 0; i < log.size(); ++i) {
        const auto& change = log[i].change;
        auto item = orderedObject();
        item->set("server_seq", log[i].serverSeq);
        item->set("time_ms", static_cast<Poco::Int64>(change.hlc.physicalMs));
        item->set("author", change.author);
        item->set("device_id", change.deviceId.toString());
        item->set("collection", change.collection);
        item->set("record_id", change.recordId.toString());
        item->set("field", change.field);
        item->set("operation", std::string(shared::wireName(change.operation)));
        item->set("value", taggedJson(change.value));
        item->set("outcome", std::string(sync::wireName(log[i].outcome)));
        item->set("amendment", i < flags.size() && flags[i]);
        history.add(item);
    }
    return history;
}

/// How complete an audit is, as the audit view shows it (null when its template is unknown).
Poco::Dynamic::Var completenessJson(const std::optional<audit::Completeness>& completeness) {
    if (!completeness) {
        return {};
    }
    auto object = orderedObject();
    object->set("complete", completeness->complete());
    object->set("questions", completeness->questions);
    object->set("applicable", completeness->applicable());
    object->set("answered", completeness->answered);
    object->set("not_applicable", completeness->notApplicable);
    object->set("not_reviewed", completeness->notReviewed);
    Poco::JSON::Array missing;
    for (const auto& question : completeness->missing) {
        missing.add(question);
    }
    object->set("missing", missing);
    return object;
}

/// The audit's stored score snapshot beside the score it would get now.
Poco::JSON::Object::Ptr scoreJson(const sync::Store& store, const sync::Record& audit) {
    const auto stored = jsonField(audit, "score");
    const auto snapshot = storedSnapshot(audit);
    const auto rule =
        snapshot ? std::optional<std::string>(snapshot->ruleId) : auditScoringRule(store, audit.id);
    const auto recomputed = rule ? scoreAudit(store, audit.id, rule) : std::nullopt;
    auto score = orderedObject();
    score->set("snapshot", stored ? plainJson(Value::json(*stored)) : Poco::Dynamic::Var());
    score->set("recomputed",
               recomputed ? documentJson(recomputed->toJson()) : Poco::Dynamic::Var());
    score->set("changed_since_snapshot", snapshot && recomputed && *snapshot != *recomputed);
    return score;
}

}  // namespace

Poco::JSON::Object::Ptr auditView(const sync::Store& store, const sync::Record& audit,
                                  std::int64_t nowMs) {
    auto body = orderedObject();
    body->set("audit", recordJson(store.schema(), audit));
    body->set("template_version", templateVersionJson(store, audit));
    setScopeRecords(store, audit, nowMs, *body);
    Poco::JSON::Array conflicts;
    for (const auto& conflict : auditConflicts(store, audit.id)) {
        conflicts.add(conflictJson(conflict));
    }
    body->set("conflicts", conflicts);
    body->set("history", historyJson(store, audit));
    body->set("completeness", completenessJson(auditCompleteness(store, audit.id)));
    body->set("score", scoreJson(store, audit));
    return body;
}

}  // namespace verdant::server::review
