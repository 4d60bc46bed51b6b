#include "ReviewRecords.hpp"

#include "verdant/audit/AuditSteps.hpp"
#include "verdant/audit/Collections.hpp"
#include "verdant/server/audit/AuditWorkflow.hpp"
#include "verdant/shared/ErrorCode.hpp"

#include <Poco/Exception.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Parser.h>

#include <algorithm>
#include <limits>
#include <set>
#include <tuple>

namespace verdant::server::review {

namespace c = audit::collections;

namespace {

const shared::Value* visible(const sync::Record& record, std::string_view field) {
    const auto found = record.fields.find(std::string(field));
    return found == record.fields.end() ? nullptr : &found->second.value;
}

}  // namespace

std::optional<std::string> stringField(const sync::Record& record, std::string_view field) {
    const auto* value = visible(record, field);
    if (value == nullptr || value->kind() != shared::ValueKind::String) {
        return std::nullopt;
    }
    return value->as<std::string>();
}

std::optional<shared::RecordId> idField(const sync::Record& record, std::string_view field) {
    const auto* value = visible(record, field);
    if (value == nullptr || value->kind() != shared::ValueKind::Id) {
        return std::nullopt;
    }
    return value->as<shared::RecordId>();
}

std::optional<std::int64_t> timestampField(const sync::Record& record, std::string_view field) {
    const auto* value = visible(record, field);
    if (value == nullptr || value->kind() != shared::ValueKind::Timestamp) {
        return std::nullopt;
    }
    return value->as<shared::Timestamp>().ms;
}

std::optional<std::int64_t> intField(const sync::Record& record, std::string_view field) {
    const auto* value = visible(record, field);
    if (value == nullptr || value->kind() != shared::ValueKind::Int) {
        return std::nullopt;
    }
    return value->as<std::int64_t>();
}

std::optional<std::string> jsonField(const sync::Record& record, std::string_view field) {
    const auto* value = visible(record, field);
    if (value == nullptr || value->kind() != shared::ValueKind::Json) {
        return std::nullopt;
    }
    return value->as<shared::JsonText>().text;
}

std::optional<sync::Record> liveRecord(const sync::Store& store, std::string_view collection,
                                       const shared::RecordId& id) {
    auto record = store.record(collection, id);
    if (!record || record->deleted) {
        return std::nullopt;
    }
    return record;
}

sync::Record requireRecord(const sync::Store& store, const char* collection,
                           const shared::RecordId& id, const std::string& what) {
    if (auto record = liveRecord(store, collection, id)) {
        return *record;
    }
    throw shared::Error(shared::ErrorCode::NotFound,
                        "There is no " + what + " " + id.toString() + ".");
}

const std::vector<std::string>& enumValues(const char* collection, const char* field) {
    return audit::auditSchema().collection(collection)->field(field)->enumValues;
}

Poco::JSON::Object::Ptr orderedObject() {
    return new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
}

Poco::Dynamic::Var stringOrNull(const sync::Record& record, std::string_view field) {
    const auto value = stringField(record, field);
    return value ? Poco::Dynamic::Var(*value) : Poco::Dynamic::Var();
}

Poco::Dynamic::Var documentJson(const std::string& text) {
    Poco::JSON::Parser parser;
    return parser.parse(text);
}

std::optional<shared::ScoreSnapshot> storedSnapshot(const sync::Record& audit) {
    const auto text = jsonField(audit, "score");
    if (!text) {
        return std::nullopt;
    }
    try {
        return shared::ScoreSnapshot::fromJson(*text);
    } catch (const shared::Error&) {
        return std::nullopt;  // not a snapshot: shown as stored, never compared
    }
}

Poco::Dynamic::Var intOrNull(const std::optional<std::int64_t>& ms) {
    return ms ? Poco::Dynamic::Var(static_cast<Poco::Int64>(*ms)) : Poco::Dynamic::Var();
}

std::map<std::string, std::vector<sync::Record>> scopeRecords(const sync::Store& store,
                                                              const shared::RecordId& audit) {
    std::map<std::string, std::vector<sync::Record>> records;
    for (const auto& ref : store.recordsInScope(shared::scopeKey(c::kAudits, audit))) {
        if (auto record = liveRecord(store, ref.collection, ref.id)) {
            records[ref.collection].push_back(std::move(*record));
        }
    }
    return records;
}

std::vector<sync::Conflict> auditConflicts(const sync::Store& store,
                                           const shared::RecordId& audit) {
    const auto key = shared::scopeKey(c::kAudits, audit);
    std::vector<sync::Conflict> conflicts;
    for (auto& conflict : store.openConflicts()) {
        if (store.scopeOf(conflict.collection, conflict.recordId) == key) {
            conflicts.push_back(std::move(conflict));
        }
    }
    return conflicts;
}

std::map<std::string, std::size_t> openConflictsByScope(const sync::Store& store) {
    std::map<std::string, std::size_t> counts;
    for (const auto& conflict : store.openConflicts()) {
        if (const auto scope = store.scopeOf(conflict.collection, conflict.recordId)) {
            ++counts[*scope];
        }
    }
    return counts;
}

audit::ChecklistTemplate auditChecklist(const sync::Store& store, const sync::Record& audit) {
    const auto versionId = idField(audit, "template_version_id");
    const auto version =
        versionId ? liveRecord(store, c::kTemplateVersions, *versionId) : std::nullopt;
    const auto content = version ? jsonField(*version, "content") : std::nullopt;
    auto checklist = content ? audit::ChecklistTemplate::parse(*content) : std::nullopt;
    return checklist ? std::move(*checklist) : audit::ChecklistTemplate{};
}

bool needsPlan(std::string_view severity) noexcept {
    return severity == "minor" || severity == "major" || severity == "priority";
}

std::map<shared::RecordId, std::vector<sync::Record>> plansByFinding(const sync::Store& store) {
    std::map<shared::RecordId, std::vector<sync::Record>> plans;
    for (const auto& id : store.recordIds(c::kCorrectiveActions)) {
        auto plan = liveRecord(store, c::kCorrectiveActions, id);
        if (const auto finding = plan ? idField(*plan, "finding_id") : std::nullopt) {
            plans[*finding].push_back(std::move(*plan));
        }
    }
    return plans;
}

std::optional<std::int64_t> findingDueAtMs(const sync::Store& store, const sync::Record& finding,
                                           const std::optional<sync::Record>& plan) {
    if (plan) {
        return capDueAtMs(store, *plan);
    }
    const auto severity = stringField(finding, "severity").value_or("");
    const auto auditId = idField(finding, "audit_id");
    if (!needsPlan(severity) || !auditId) {
        return std::nullopt;
    }
    const auto audit = liveRecord(store, c::kAudits, *auditId);
    if (!audit || !audit::isLockedState(stringField(*audit, "state").value_or(""))) {
        return std::nullopt;
    }
    const auto approvedAt = timestampField(*audit, "approved_at");
    if (!approvedAt) {
        return std::nullopt;
    }
    return *approvedAt + capDueDays(severity) * kDayMs;
}

std::vector<OverdueItem> overdueItems(const sync::Store& store, std::int64_t nowMs) {
    std::vector<OverdueItem> items;
    const auto add = [&](OverdueItem item) {
        // Saturated: a due date is any 64-bit time a device once wrote.
        std::int64_t late = 0;
        if (__builtin_sub_overflow(nowMs, item.dueAtMs, &late)) {
            late = std::numeric_limits<std::int64_t>::max();
        }
        item.daysOverdue = late / kDayMs;
        items.push_back(std::move(item));
    };
    const auto plans = plansByFinding(store);
    for (const auto& [findingId, findingPlans] : plans) {
        const auto finding = liveRecord(store, c::kFindings, findingId);
        const auto severity =
            finding ? stringField(*finding, "severity").value_or("") : std::string();
        for (const auto& plan : findingPlans) {
            const auto auditId = idField(plan, "audit_id");
            const auto status = stringField(plan, "status");
            const auto due = capDueAtMs(store, plan);
            if (!auditId || status == "verified" || !due || *due >= nowMs) {
                continue;
            }
            add({plan.id, findingId, *auditId, severity, status, *due, 0});
        }
    }
    for (const auto& id : store.recordIds(c::kFindings)) {
        const auto finding = liveRecord(store, c::kFindings, id);
        const auto auditId = finding ? idField(*finding, "audit_id") : std::nullopt;
        if (!auditId || plans.count(id) != 0) {
            continue;
        }
        const auto due = findingDueAtMs(store, *finding, std::nullopt);
        if (!due || *due >= nowMs) {
            continue;
        }
        add({std::nullopt, id, *auditId, stringField(*finding, "severity").value_or(""),
             std::nullopt, *due, 0});
    }
    std::sort(items.begin(), items.end(), [](const OverdueItem& a, const OverdueItem& b) {
        return std::tie(a.dueAtMs, a.findingId, a.planId) <
               std::tie(b.dueAtMs, b.findingId, b.planId);
    });
    return items;
}

Poco::JSON::Object::Ptr overdueJson(const sync::Store& store, const OverdueItem& item) {
    Poco::JSON::Object::Ptr object = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
    object->set("kind", item.planId ? "plan" : "missing_plan");
    object->set("plan_id",
                item.planId ? Poco::Dynamic::Var(item.planId->toString()) : Poco::Dynamic::Var());
    object->set("finding_id", item.findingId.toString());
    object->set("audit_id", item.auditId.toString());
    Poco::Dynamic::Var supplierJson;
    const auto audit = liveRecord(store, c::kAudits, item.auditId);
    if (const auto supplierId = audit ? idField(*audit, "supplier_id") : std::nullopt) {
        Poco::JSON::Object::Ptr supplier = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
        supplier->set("id", supplierId->toString());
        const auto record = liveRecord(store, c::kSuppliers, *supplierId);
        for (const char* field : {"name_en", "name_zh"}) {
            const auto name = record ? stringField(*record, field) : std::nullopt;
            supplier->set(field, name ? Poco::Dynamic::Var(*name) : Poco::Dynamic::Var());
        }
        supplierJson = supplier;
    }
    object->set("supplier", supplierJson);
    object->set("severity", item.severity);
    object->set("status", item.status ? Poco::Dynamic::Var(*item.status) : Poco::Dynamic::Var());
    object->set("due_at", static_cast<Poco::Int64>(item.dueAtMs));
    object->set("days_overdue", static_cast<Poco::Int64>(item.daysOverdue));
    return object;
}

}  // namespace verdant::server::review
