#include "CourseEffectiveness.hpp"

#include "AuditResults.hpp"
#include "ClausePattern.hpp"
#include "RecordFields.hpp"

#include "verdant/audit/AuditSteps.hpp"
#include "verdant/audit/Collections.hpp"
#include "verdant/training/Collections.hpp"

#include <Poco/JSON/Array.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <set>

namespace verdant::server::training_office {

using shared::RecordId;
namespace a = audit::collections;
namespace t = training::collections;

namespace {

/// When each attending supplier's audits start to count: the end of the first session of the
/// course (not cancelled) at which one of its people checked in or attended.
std::map<RecordId, std::int64_t> attendingSuppliers(const sync::Store& store,
                                                    const std::vector<sync::Record>& sessions) {
    std::map<RecordId, std::int64_t> from;
    for (const auto& session : sessions) {
        const auto end = *timeField(session, "ends_at");
        const auto registrations = liveRecords(
            store, t::kAttendance,
            store.findRecords(t::kAttendance, "session_id", shared::Value::id(session.id)));
        for (const auto& registration : registrations) {
            const auto state = textField(registration, "state");
            const auto supplier = idField(registration, "supplier_id");
            if (supplier && (state == "checked_in" || state == "attended")) {
                const auto [entry, added] = from.emplace(*supplier, end);
                entry->second = std::min(entry->second, end);
            }
        }
    }
    return from;
}

/// The course's sessions that were not cancelled and have an end.
std::vector<sync::Record> heldSessions(const sync::Store& store, const RecordId& course) {
    std::vector<sync::Record> held;
    for (auto& session : liveRecords(
             store, t::kTrainingSessions,
             store.findRecords(t::kTrainingSessions, "course_id", shared::Value::id(course)))) {
        if (textField(session, "status") != "cancelled" && timeField(session, "ends_at")) {
            held.push_back(std::move(session));
        }
    }
    return held;
}

/// The clauses that read as a clause or pattern (others match nothing).
std::vector<ClausePattern> patternsOf(const std::vector<std::string>& clauses) {
    std::vector<ClausePattern> patterns;
    for (const auto& clause : clauses) {
        if (auto pattern = ClausePattern::parse(clause)) {
            patterns.push_back(std::move(*pattern));
        }
    }
    return patterns;
}

Poco::JSON::Array idsJson(const std::vector<RecordId>& ids) {
    Poco::JSON::Array array;
    for (const auto& id : ids) {
        array.add(id.toString());
    }
    return array;
}

Poco::JSON::Object::Ptr groupJson(const EffectivenessGroup& group) {
    Poco::JSON::Object::Ptr json = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
    json->set("suppliers", group.suppliers.size());
    json->set("audits", group.audits.size());
    json->set("audits_with_target_finding", group.auditsWithTargetFinding.size());
    const auto rate = group.recurrenceRate();
    json->set("recurrence_rate", rate ? Poco::Dynamic::Var(*rate) : Poco::Dynamic::Var());
    json->set("supplier_ids", idsJson(group.suppliers));
    json->set("audit_ids", idsJson(group.audits));
    json->set("audit_ids_with_target_finding", idsJson(group.auditsWithTargetFinding));
    return json;
}

/// Ids joined by spaces (a CSV cell; ids hold no comma, quote or line break).
std::string idsCell(const std::vector<RecordId>& ids) {
    std::string cell;
    for (const auto& id : ids) {
        cell += (cell.empty() ? "" : " ") + id.toString();
    }
    return cell;
}

std::string csvRow(const std::string& name, const EffectivenessGroup& group) {
    const auto rate = group.recurrenceRate();
    char rateText[32] = "";
    if (rate) {
        std::snprintf(rateText, sizeof rateText, "%.4f", *rate);
    }
    return name + "," + std::to_string(group.suppliers.size()) + "," +
           std::to_string(group.audits.size()) + "," +
           std::to_string(group.auditsWithTargetFinding.size()) + "," + rateText + "," +
           idsCell(group.suppliers) + "," + idsCell(group.audits) + "," +
           idsCell(group.auditsWithTargetFinding) + "\r\n";
}

}  // namespace

std::optional<double> EffectivenessGroup::recurrenceRate() const {
    if (audits.empty()) {
        return std::nullopt;
    }
    const double rate =
        static_cast<double>(auditsWithTargetFinding.size()) / static_cast<double>(audits.size());
    return std::round(rate * 10000.0) / 10000.0;
}

CourseEffectiveness CourseEffectiveness::compute(const sync::Store& store, sync::Record course) {
    CourseEffectiveness report;
    report.clauses = setField(course, "clauses");
    const auto patterns = patternsOf(report.clauses);
    const auto targetTiers = setField(course, "target_tiers");
    const auto sessions = heldSessions(store, course.id);
    for (const auto& session : sessions) {
        const auto end = *timeField(session, "ends_at");
        report.firstSessionEnd = std::min(report.firstSessionEnd.value_or(end), end);
    }
    const auto attending = attendingSuppliers(store, sessions);

    // Each supplier's group and the time from which its audits count.
    std::map<RecordId, std::pair<EffectivenessGroup*, std::optional<std::int64_t>>> sides;
    for (const auto& supplier : liveRecords(store, a::kSuppliers)) {
        const auto from = attending.find(supplier.id);
        if (from != attending.end()) {
            report.attended.suppliers.push_back(supplier.id);
            sides[supplier.id] = {&report.attended, from->second};
            continue;
        }
        const auto tier = intField(supplier, "tier");
        const bool targeted =
            targetTiers.empty() || (tier && std::find(targetTiers.begin(), targetTiers.end(),
                                                      std::to_string(*tier)) != targetTiers.end());
        if (targeted) {
            report.notAttended.suppliers.push_back(supplier.id);
            sides[supplier.id] = {&report.notAttended, report.firstSessionEnd};
        }
    }

    const auto results = AuditResults::read(store);
    for (const auto& [id, audit] : results.audits()) {
        const auto side = audit.supplierId ? sides.find(*audit.supplierId) : sides.end();
        if (side == sides.end() || !side->second.second || !audit.submittedAt ||
            *audit.submittedAt <= *side->second.second || !audit::isSubmittedState(audit.state)) {
            continue;
        }
        auto& group = *side->second.first;
        group.audits.push_back(id);
        if (results.hasFindingOn(id, patterns)) {
            group.auditsWithTargetFinding.push_back(id);
        }
    }
    report.course = std::move(course);
    return report;
}

Poco::JSON::Object::Ptr CourseEffectiveness::json() const {
    Poco::JSON::Object::Ptr courseJson = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
    courseJson->set("id", course.id.toString());
    for (const char* field : {"title_en", "title_zh"}) {
        const auto title = textField(course, field);
        courseJson->set(field, title ? Poco::Dynamic::Var(*title) : Poco::Dynamic::Var());
    }
    Poco::JSON::Array clauseList;
    for (const auto& clause : clauses) {
        clauseList.add(clause);
    }
    courseJson->set("clauses", clauseList);
    Poco::JSON::Object::Ptr body = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
    body->set("course", courseJson);
    body->set("first_session_end",
              firstSessionEnd ? Poco::Dynamic::Var(*firstSessionEnd) : Poco::Dynamic::Var());
    body->set("attended", groupJson(attended));
    body->set("not_attended", groupJson(notAttended));
    return body;
}

std::string CourseEffectiveness::csv() const {
    return "group,suppliers,audits,audits_with_target_finding,recurrence_rate,supplier_ids,"
           "audit_ids,audit_ids_with_target_finding\r\n" +
           csvRow("attended", attended) + csvRow("not_attended", notAttended);
}

}  // namespace verdant::server::training_office
