// The commands that read and write records in the local store: audits, answer, conflicts,
// schedule-audit. None of them touches the network.

#include "Commands.hpp"
#include "Formatting.hpp"
#include "JsonViews.hpp"
#include "Session.hpp"

#include "verdant/domain/DomainSchema.hpp"
#include "verdant/shared/ErrorCode.hpp"
#include "verdant/shared/Scoring.hpp"

#include <Poco/Exception.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Parser.h>
#include <Poco/JSONString.h>

#include <iostream>
#include <map>
#include <optional>
#include <sstream>

namespace verdant::cli {

namespace {

namespace c = audit::collections;
using shared::RecordId;
using shared::Value;

/// The visible value of `field`, or nullopt when it was never written or is null.
std::optional<Value> fieldOf(const sync::Record& record, const std::string& field) {
    const auto found = record.fields.find(field);
    if (found == record.fields.end() || found->second.value.isNull()) {
        return std::nullopt;
    }
    return found->second.value;
}

/// A string field's text, or "" when absent or not a string.
std::string textOf(const sync::Record& record, const std::string& field) {
    const auto value = fieldOf(record, field);
    return value && value->kind() == shared::ValueKind::String ? value->as<std::string>() : "";
}

std::optional<RecordId> idOf(const sync::Record& record, const std::string& field) {
    const auto value = fieldOf(record, field);
    if (value && value->kind() == shared::ValueKind::Id) {
        return value->as<RecordId>();
    }
    return std::nullopt;
}

/// A record id given on the command line; an error with code invalid_parameter if malformed.
RecordId parseId(const std::string& text, const std::string& what) {
    if (auto id = RecordId::parse(text)) {
        return *id;
    }
    throw shared::Error(shared::ErrorCode::InvalidParameter,
                        "'" + text + "' is not " + what +
                            " (a UUID such as 0190f5d2-7b3c-7a4e-9f00-1234567890ab).");
}

/// A referenced supplier or facility as a person recognises it: its name if the record is on
/// the device, else its id.
struct Reference {
    std::optional<RecordId> id;
    std::string name;

    std::string display() const { return !name.empty() ? name : id ? id->toString() : ""; }
};

Reference supplierOf(const client::Client& client, const sync::Record& audit) {
    Reference reference{idOf(audit, "supplier_id"), ""};
    if (reference.id) {
        if (const auto supplier = client.record(c::kSuppliers, *reference.id)) {
            reference.name = textOf(*supplier, "name_en");
            if (reference.name.empty()) {
                reference.name = textOf(*supplier, "name_zh");
            }
        }
    }
    return reference;
}

Reference facilityOf(const client::Client& client, const sync::Record& audit) {
    Reference reference{idOf(audit, "facility_id"), ""};
    if (reference.id) {
        if (const auto facility = client.record(c::kFacilities, *reference.id)) {
            reference.name = textOf(*facility, "name");
        }
    }
    return reference;
}

/// How many answers an audit has, and how many of them are not simply synced.
struct AnswerCounts {
    std::size_t total = 0;
    std::size_t unsynced = 0;     ///< Not yet on the server (local, queued or sent).
    std::size_t conflicted = 0;   ///< On the server, waiting for a person to choose.
    std::size_t quarantined = 0;  ///< Refused by the server, kept for HQ to decide.

    /// Counts one more answer, in `state`.
    void add(client::RecordSyncState state) {
        ++total;
        note(state);
    }

    /// Counts the state of an answer already in `total`.
    void note(client::RecordSyncState state) {
        switch (state) {
            case client::RecordSyncState::Synced:
                break;
            case client::RecordSyncState::Conflict:
                ++conflicted;
                break;
            case client::RecordSyncState::Quarantined:
                ++quarantined;
                break;
            case client::RecordSyncState::Local:
            case client::RecordSyncState::Queued:
            case client::RecordSyncState::Sent:
                ++unsynced;
                break;
        }
    }
};

/// Sync states of a collection as Client::syncStates() gives them: a record missing is synced.
using SyncStates = std::map<RecordId, client::RecordSyncState>;

client::RecordSyncState stateIn(const SyncStates& states, const RecordId& id) {
    const auto found = states.find(id);
    return found != states.end() ? found->second : client::RecordSyncState::Synced;
}

/// What the audit list shows of one audit.
struct AuditSummary {
    const sync::Record* audit = nullptr;
    Reference supplier;
    Reference facility;
    AnswerCounts answers;
    client::RecordSyncState syncState = client::RecordSyncState::Synced;
};

AuditSummary summarise(const client::Client& client, const sync::Record& audit,
                       AnswerCounts answers, client::RecordSyncState syncState) {
    AuditSummary summary;
    summary.audit = &audit;
    summary.supplier = supplierOf(client, audit);
    summary.facility = facilityOf(client, audit);
    summary.answers = answers;
    summary.syncState = syncState;
    return summary;
}

/// The answers of every audit on the device, by the audit's scope key: how many there are, from
/// the scope index (an answer is in the scope of the audit its audit_id names), and the states
/// of those not synced, each read once, so the cost follows the audits and unsynced answers.
std::map<std::string, AnswerCounts> answersByAudit(const client::Client& client) {
    std::map<std::string, AnswerCounts> counts;
    for (const auto& [scope, total] : client.recordsPerScope(c::kAnswers)) {
        counts[scope].total = total;
    }
    for (const auto& [id, state] : client.syncStates(c::kAnswers)) {
        const auto answer = client.record(c::kAnswers, id);
        const auto audit = answer && !answer->deleted ? idOf(*answer, "audit_id") : std::nullopt;
        if (audit) {
            counts[shared::scopeKey(c::kAudits, *audit)].note(state);
        }
    }
    return counts;
}

/// "2 unsynced, 1 conflict, 1 quarantined", leaving out what is zero.
std::string answerNotes(const AuditSummary& summary, const std::string& unsynced,
                        const std::string& conflict) {
    std::string notes;
    auto add = [&](std::size_t count, const std::string& what) {
        if (count != 0) {
            notes += (notes.empty() ? "" : ", ") + std::to_string(count) + " " + what;
        }
    };
    add(summary.answers.unsynced, unsynced);
    add(summary.answers.conflicted, conflict);
    add(summary.answers.quarantined, "quarantined");
    return notes;
}

Poco::Dynamic::Var optionalId(const std::optional<RecordId>& id) {
    return id ? Poco::Dynamic::Var(id->toString()) : Poco::Dynamic::Var();
}

Poco::Dynamic::Var optionalText(const std::string& text) {
    return text.empty() ? Poco::Dynamic::Var() : Poco::Dynamic::Var(text);
}

Poco::JSON::Object::Ptr auditJson(const AuditSummary& summary) {
    const auto& audit = *summary.audit;
    auto object = jsonObject();
    object->set("id", audit.id.toString());
    object->set("state", optionalText(textOf(audit, "state")));
    object->set("type", optionalText(textOf(audit, "type")));
    object->set("assignee_id", optionalText(textOf(audit, "assignee_id")));
    object->set("supplier_id", optionalId(summary.supplier.id));
    object->set("supplier_name", optionalText(summary.supplier.name));
    object->set("facility_id", optionalId(summary.facility.id));
    object->set("facility_name", optionalText(summary.facility.name));
    object->set("template_version_id", optionalId(idOf(audit, "template_version_id")));
    const auto scheduled = fieldOf(audit, "scheduled_for");
    object->set("scheduled_for_ms", scheduled && scheduled->kind() == shared::ValueKind::Timestamp
                                        ? Poco::Dynamic::Var(scheduled->as<shared::Timestamp>().ms)
                                        : Poco::Dynamic::Var());
    object->set("answers", summary.answers.total);
    object->set("unsynced_answers", summary.answers.unsynced);
    object->set("answers_in_conflict", summary.answers.conflicted);
    object->set("quarantined_answers", summary.answers.quarantined);
    object->set("sync_state", std::string(client::wireName(summary.syncState)));
    // The score snapshot the server took on submission, as it sent it.
    const auto score = fieldOf(audit, "score");
    object->set("score", score && score->kind() == shared::ValueKind::Json ? toJson(*score)
                                                                           : Poco::Dynamic::Var());
    return object;
}

/// The score snapshot of an audit as one line ("190.3, green (rule rba-200-v1)"), or "".
std::string scoreLine(const sync::Record& audit) {
    const auto score = fieldOf(audit, "score");
    if (!score || score->kind() != shared::ValueKind::Json) {
        return "";
    }
    try {
        const auto snapshot = shared::ScoreSnapshot::fromJson(score->as<shared::JsonText>().text);
        std::ostringstream line;
        if (snapshot.score) {
            line << *snapshot.score << ", " << snapshot.band.value_or("-");
        } else {
            line << "no score (nothing applicable)";
        }
        line << " (rule " << snapshot.ruleId << ")";
        return line.str();
    } catch (const shared::Error&) {
        return "unreadable";
    }
}

/// HQ's review comments on an audit, each with the question it targets when it is an answer.
std::vector<std::pair<std::string, std::string>> reviewComments(const client::Client& client,
                                                                const RecordId& audit) {
    std::vector<std::pair<std::string, std::string>> comments;
    for (const auto& comment : client.query(c::kReviewComments, "audit_id", Value::id(audit))) {
        std::string about = textOf(comment, "target");
        const auto slash = about.find('/');
        if (about.rfind("answers/", 0) == 0) {
            if (const auto answer = RecordId::parse(about.substr(slash + 1))) {
                if (const auto record = client.record(c::kAnswers, *answer)) {
                    about = textOf(*record, "question_id");
                }
            }
        }
        comments.emplace_back(about, textOf(comment, "text"));
    }
    return comments;
}

std::string orDash(const std::string& text) {
    return text.empty() ? "-" : text;
}

Poco::JSON::Object::Ptr answerJson(const sync::Record& answer, client::RecordSyncState state) {
    auto object = jsonObject();
    object->set("record_id", answer.id.toString());
    object->set("question_id", optionalText(textOf(answer, "question_id")));
    const auto value = fieldOf(answer, "value");
    object->set("value", value ? toJson(*value) : Poco::Dynamic::Var());
    object->set("comment", optionalText(textOf(answer, "comment")));
    const auto found = answer.fields.find("value");
    object->set("in_conflict", found != answer.fields.end() && found->second.inConflict);
    object->set("sync_state", std::string(client::wireName(state)));
    return object;
}

int listAudits(const Invocation& invocation, const client::Client& client) {
    const auto audits = client.records(c::kAudits);
    const auto auditStates = client.syncStates(c::kAudits);
    const auto answerCounts = answersByAudit(client);
    std::vector<AuditSummary> summaries;
    summaries.reserve(audits.size());
    for (const auto& audit : audits) {
        const auto counted = answerCounts.find(shared::scopeKey(c::kAudits, audit.id));
        summaries.push_back(summarise(
            client, audit, counted != answerCounts.end() ? counted->second : AnswerCounts{},
            stateIn(auditStates, audit.id)));
    }
    if (invocation.json()) {
        auto document = jsonObject();
        Poco::JSON::Array::Ptr list = new Poco::JSON::Array;
        for (const auto& summary : summaries) {
            list->add(auditJson(summary));
        }
        document->set("audits", list);
        printJson(std::cout, document);
        return kExitOk;
    }
    if (summaries.empty()) {
        std::cout << "No audits on this device. `verdant pull` downloads the audits assigned to "
                     "you.\n";
        return kExitOk;
    }
    TextTable table({"AUDIT", "STATE", "TYPE", "SUPPLIER / FACILITY", "ANSWERS", "SYNC"});
    for (const auto& summary : summaries) {
        std::string where = summary.supplier.display();
        if (!summary.facility.display().empty()) {
            where += (where.empty() ? "" : " / ") + summary.facility.display();
        }
        const auto notes = answerNotes(summary, "unsynced", "conflict");
        const std::string answers =
            std::to_string(summary.answers.total) + (notes.empty() ? "" : " (" + notes + ")");
        table.add({summary.audit->id.toString(), orDash(textOf(*summary.audit, "state")),
                   orDash(textOf(*summary.audit, "type")), orDash(where), answers,
                   std::string(client::wireName(summary.syncState))});
    }
    table.print(std::cout);
    return kExitOk;
}

int showAudit(const Invocation& invocation, const client::Client& client, const RecordId& id) {
    const auto audit = client.record(c::kAudits, id);
    if (!audit) {
        printError(invocation, shared::ErrorCode::NotFound,
                   "Audit " + id.toString() + " is not on this device.");
        return kExitFailed;
    }
    const auto answers = client.query(c::kAnswers, "audit_id", Value::id(id));
    const auto answerStates = client.syncStates(c::kAnswers);
    AnswerCounts counts;
    for (const auto& answer : answers) {
        counts.add(stateIn(answerStates, answer.id));
    }
    const auto summary =
        summarise(client, *audit, counts, stateIn(client.syncStates(c::kAudits), id));
    if (invocation.json()) {
        auto document = jsonObject();
        document->set("audit", auditJson(summary));
        Poco::JSON::Array::Ptr rows = new Poco::JSON::Array;
        for (const auto& answer : answers) {
            rows->add(answerJson(answer, stateIn(answerStates, answer.id)));
        }
        document->set("answers", rows);
        Poco::JSON::Array::Ptr comments = new Poco::JSON::Array;
        for (const auto& [about, text] : reviewComments(client, id)) {
            auto comment = jsonObject();
            comment->set("about", about);
            comment->set("text", text);
            comments->add(comment);
        }
        document->set("review_comments", comments);
        printJson(std::cout, document);
        return kExitOk;
    }
    std::cout << "Audit " << id.toString() << '\n';
    TextTable details({"", ""});
    details.add({"  state", orDash(textOf(*audit, "state"))});
    details.add({"  type", orDash(textOf(*audit, "type"))});
    details.add({"  supplier", orDash(summary.supplier.display())});
    details.add({"  facility", orDash(summary.facility.display())});
    if (const auto scheduled = fieldOf(*audit, "scheduled_for")) {
        details.add({"  scheduled for", displayValue(*scheduled)});
    }
    if (const auto score = scoreLine(*audit); !score.empty()) {
        details.add({"  score", score});
    }
    details.add({"  sync", std::string(client::wireName(summary.syncState))});
    std::ostringstream text;
    details.print(text);
    const std::string printed = text.str();
    std::cout << printed.substr(printed.find('\n') + 1);
    std::cout << "Answers: " << summary.answers.total;
    if (const auto notes = answerNotes(summary, "not yet on the server", "in conflict");
        !notes.empty()) {
        std::cout << " (" << notes << ")";
    }
    std::cout << '\n';
    const auto comments = reviewComments(client, id);
    if (!comments.empty()) {
        std::cout << "Review comments from HQ:\n";
        for (const auto& [about, said] : comments) {
            std::cout << "  " << orDash(about) << ": " << said << '\n';
        }
    }
    if (answers.empty()) {
        return kExitOk;
    }
    TextTable table({"QUESTION", "VALUE", "COMMENT", "SYNC"});
    for (const auto& answer : answers) {
        const auto value = fieldOf(answer, "value");
        table.add({orDash(textOf(answer, "question_id")), value ? displayValue(*value) : "-",
                   orDash(textOf(answer, "comment")),
                   std::string(client::wireName(stateIn(answerStates, answer.id)))});
    }
    table.print(std::cout);
    return kExitOk;
}

bool parsesAsJson(const std::string& text) {
    try {
        Poco::JSON::Parser parser;
        parser.parse(text);
        return true;
    } catch (const Poco::Exception&) {
        return false;
    }
}

/// VALUE as the JSON document an answer holds. A JSON object or array is kept as written. The
/// schema's JSON fields take only objects and arrays (the JSON parser it validates with, Poco's,
/// refuses a bare scalar at the top level), so anything else is wrapped the way checklist
/// answers are stored: a JSON scalar (4, true, "n/a") as {"answer":4}, other text (yes) as the
/// string {"answer":"yes"}.
std::string answerValueJson(const std::string& value) {
    if (parsesAsJson(value)) {
        return value;
    }
    // `[VALUE]` is a one-element array exactly when VALUE is one JSON scalar.
    try {
        Poco::JSON::Parser parser;
        const auto wrapped = parser.parse("[" + value + "]").extract<Poco::JSON::Array::Ptr>();
        if (wrapped->size() == 1) {
            const auto first = value.find_first_not_of(" \t\r\n");
            const auto last = value.find_last_not_of(" \t\r\n");
            return R"({"answer":)" + value.substr(first, last - first + 1) + "}";
        }
    } catch (const Poco::Exception&) {
        // Not JSON at all: plain text.
    }
    return R"({"answer":)" + Poco::toJSON(value) + "}";
}

/// Whether audit `auditId` is on this device; when not, says so (not_found) and returns false.
bool auditOnDevice(const Invocation& invocation, const client::Client& client,
                   const RecordId& auditId) {
    if (client.record(c::kAudits, auditId)) {
        return true;
    }
    printError(invocation, shared::ErrorCode::NotFound,
               "Audit " + auditId.toString() +
                   " is not on this device: `verdant pull` first, or ask HQ to assign it to you.",
               "audit_id");
    return false;
}

/// Reports a local write the SDK refused, with its code and the field to blame.
void printWriteError(const Invocation& invocation, const client::WriteResult& result) {
    const auto code = result.error.value_or(shared::ErrorCode::InternalError);
    printError(invocation, code,
               result.message.empty() ? std::string(shared::defaultMessage(code)) : result.message,
               result.field);
}

}  // namespace

int runAudits(const Invocation& invocation) {
    auto session = Session::open(invocation);
    if (invocation.arguments.empty()) {
        return listAudits(invocation, *session.client);
    }
    return showAudit(invocation, *session.client, parseId(invocation.arguments[0], "an audit id"));
}

int runAnswer(const Invocation& invocation) {
    const auto auditId = parseId(invocation.arguments[0], "an audit id");
    const auto& questionId = invocation.arguments[1];
    if (questionId.empty()) {
        throw shared::Error(shared::ErrorCode::InvalidParameter, "The question id is empty.");
    }
    auto session = Session::open(invocation);
    auto& client = *session.client;
    if (!auditOnDevice(invocation, client, auditId)) {
        return kExitFailed;
    }
    const auto recordId = audit::answerRecordId(auditId, questionId);
    const auto valueJson = answerValueJson(invocation.arguments[2]);
    std::vector<client::FieldWrite> fields;
    // audit_id and question_id are immutable: written with the first answer only.
    const auto existing = client.record(c::kAnswers, recordId);
    if (!existing || !fieldOf(*existing, "audit_id")) {
        fields.push_back(client::FieldWrite::set("audit_id", Value::id(auditId)));
        fields.push_back(client::FieldWrite::set("question_id", Value::string(questionId)));
    }
    fields.push_back(client::FieldWrite::set("value", Value::json(valueJson)));
    const auto comment = invocation.value("comment");
    if (comment) {
        fields.push_back(client::FieldWrite::set("comment", Value::string(*comment)));
    }
    const auto result = client.write(c::kAnswers, recordId, fields);
    if (!result.ok) {
        printWriteError(invocation, result);
        return kExitFailed;
    }
    const auto state = client.syncState(c::kAnswers, recordId);
    if (invocation.json()) {
        auto document = jsonObject();
        document->set("record_id", recordId.toString());
        document->set("audit_id", auditId.toString());
        document->set("question_id", questionId);
        document->set("value", toJson(Value::json(valueJson)));
        document->set("comment", comment ? Poco::Dynamic::Var(*comment) : Poco::Dynamic::Var());
        document->set("changes_queued", result.changes.size());
        document->set("sync_state", std::string(client::wireName(state)));
        printJson(std::cout, document);
    } else {
        std::cout << "Answered " << questionId << " of audit " << auditId.toString() << ": "
                  << valueJson << (comment ? " (comment: " + *comment + ")" : "") << '\n'
                  << "  record " << recordId.toString() << ", " << client::wireName(state) << '\n';
    }
    return kExitOk;
}

int runSubmit(const Invocation& invocation) {
    const auto auditId = parseId(invocation.arguments[0], "an audit id");
    auto session = Session::open(invocation);
    auto& client = *session.client;
    if (!auditOnDevice(invocation, client, auditId)) {
        return kExitFailed;
    }
    const auto result = client.write(
        c::kAudits, auditId, {client::FieldWrite::set("state", Value::string("submitted"))});
    if (!result.ok) {
        printWriteError(invocation, result);
        return kExitFailed;
    }
    const auto state = client.syncState(c::kAudits, auditId);
    if (invocation.json()) {
        auto document = jsonObject();
        document->set("audit_id", auditId.toString());
        document->set("state", "submitted");
        document->set("sync_state", std::string(client::wireName(state)));
        printJson(std::cout, document);
    } else {
        std::cout << "Submitted audit " << auditId.toString() << " (" << client::wireName(state)
                  << "): it reaches HQ with the next sync, which also brings back its score.\n";
    }
    return kExitOk;
}

int runConflicts(const Invocation& invocation) {
    auto session = Session::open(invocation);
    auto& client = *session.client;
    const auto conflicts = client.conflicts();
    if (invocation.json()) {
        auto document = jsonObject();
        Poco::JSON::Array::Ptr list = new Poco::JSON::Array;
        for (const auto& conflict : conflicts) {
            auto item = toJson(conflict);
            if (conflict.collection == c::kAnswers) {
                if (const auto answer = client.record(c::kAnswers, conflict.recordId)) {
                    item->set("audit_id", optionalId(idOf(*answer, "audit_id")));
                    item->set("question_id", optionalText(textOf(*answer, "question_id")));
                }
            }
            list->add(item);
        }
        document->set("conflicts", list);
        printJson(std::cout, document);
        return kExitOk;
    }
    if (conflicts.empty()) {
        std::cout << "No open conflicts on this device.\n";
        return kExitOk;
    }
    for (const auto& conflict : conflicts) {
        std::cout << conflict.collection << '/' << conflict.recordId.toString() << " field "
                  << conflict.field;
        if (conflict.collection == c::kAnswers) {
            if (const auto answer = client.record(c::kAnswers, conflict.recordId)) {
                const auto audit = idOf(*answer, "audit_id");
                std::cout << " (question " << orDash(textOf(*answer, "question_id")) << " of audit "
                          << (audit ? audit->toString() : "-") << ')';
            }
        }
        std::cout << ": " << conflict.candidates.size() << " competing values\n";
        TextTable table({"  VALUE", "AUTHOR", "DEVICE", "WRITTEN", ""});
        for (std::size_t i = 0; i < conflict.candidates.size(); ++i) {
            const auto& candidate = conflict.candidates[i];
            table.add({"  " + displayValue(candidate.value), candidate.author,
                       candidate.device.toString(),
                       formatTime(static_cast<std::int64_t>(candidate.hlc.physicalMs)),
                       i + 1 == conflict.candidates.size() ? "(shown until resolved)" : ""});
        }
        table.print(std::cout);
    }
    std::cout << "Resolve one by writing the field again with the value chosen (for an answer: "
                 "`verdant answer AUDIT_ID QUESTION_ID VALUE`).\n";
    return kExitOk;
}

int runScheduleAudit(const Invocation& invocation) {
    const auto assignee = invocation.value("assignee").value_or("");
    if (assignee.empty()) {
        throw UsageError("schedule-audit needs --assignee USER_ID", invocation.command);
    }
    std::vector<client::FieldWrite> fields;
    fields.push_back(client::FieldWrite::set("assignee_id", Value::string(assignee)));
    fields.push_back(client::FieldWrite::set("state", Value::string("scheduled")));
    if (auto type = invocation.value("type")) {
        fields.push_back(client::FieldWrite::set("type", Value::string(*type)));
    }
    const std::pair<const char*, const char*> references[] = {{"supplier", "supplier_id"},
                                                              {"facility", "facility_id"},
                                                              {"template", "template_version_id"}};
    for (const auto& [option, field] : references) {
        if (auto text = invocation.value(option)) {
            fields.push_back(client::FieldWrite::set(
                field, Value::id(parseId(*text, std::string("a ") + option + " id"))));
        }
    }
    auto session = Session::open(invocation);
    const auto result = session.client->create(c::kAudits, fields);
    if (!result.ok) {
        printWriteError(invocation, result);
        return kExitFailed;
    }
    const auto state = session.client->syncState(c::kAudits, result.recordId);
    if (invocation.json()) {
        auto document = jsonObject();
        document->set("audit_id", result.recordId.toString());
        document->set("assignee_id", assignee);
        document->set("sync_state", std::string(client::wireName(state)));
        printJson(std::cout, document);
    } else {
        std::cout << "Scheduled audit " << result.recordId.toString() << " for " << assignee << " ("
                  << client::wireName(state) << "; `verdant push` sends it)\n";
    }
    return kExitOk;
}

}  // namespace verdant::cli
