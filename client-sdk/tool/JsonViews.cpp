#include "JsonViews.hpp"

#include <Poco/Exception.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Parser.h>

namespace verdant::cli {

Poco::JSON::Object::Ptr jsonObject() {
    return new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
}

Poco::Dynamic::Var toJson(const shared::Value& value) {
    switch (value.kind()) {
        case shared::ValueKind::Null:
            return {};
        case shared::ValueKind::Bool:
            return value.as<bool>();
        case shared::ValueKind::Int:
            return value.as<std::int64_t>();
        case shared::ValueKind::Real:
            return value.as<double>();
        case shared::ValueKind::String:
            return value.as<std::string>();
        case shared::ValueKind::Timestamp:
            return value.as<shared::Timestamp>().ms;
        case shared::ValueKind::Id:
            return value.as<shared::RecordId>().toString();
        case shared::ValueKind::Json: {
            const auto& text = value.as<shared::JsonText>().text;
            try {
                Poco::JSON::Parser parser;
                return parser.parse(text);
            } catch (const Poco::Exception&) {
                return text;
            }
        }
    }
    return {};
}

Poco::JSON::Object::Ptr errorJson(shared::ErrorCode code, std::string_view message,
                                  std::string_view field) {
    auto error = jsonObject();
    error->set("code", std::string(shared::wireName(code)));
    error->set("category", std::string(shared::wireName(shared::categoryOf(code))));
    error->set("message", std::string(message));
    if (!field.empty()) {
        error->set("field", std::string(field));
    }
    return error;
}

Poco::JSON::Object::Ptr toJson(const client::SyncReport& report, std::string_view operation) {
    auto object = jsonObject();
    object->set("operation", std::string(operation));
    object->set("complete", report.complete);
    object->set("pushed", report.pushed);
    object->set("pulled", report.pulled);
    object->set("conflicts_raised", report.conflictsRaised);
    object->set("quarantined", report.quarantined);
    object->set("restamped", report.restamped);
    object->set("purged_scopes", report.purgedScopes);
    object->set("repaired_scopes", report.repairedScopes);
    object->set("open_conflicts", report.openConflicts);
    object->set("pending_changes", report.pendingChanges);
    object->set("bytes_sent", report.bytesSent);
    object->set("bytes_received", report.bytesReceived);
    object->set("server_offset_ms", report.serverOffsetMs);
    object->set("retries", report.attempts);
    Poco::JSON::Array::Ptr errors = new Poco::JSON::Array;
    for (const auto& error : report.errors) {
        errors->add(errorJson(error.code, error.message));
    }
    object->set("errors", errors);
    return object;
}

Poco::JSON::Object::Ptr toJson(const client::ClientStatus& status) {
    auto object = jsonObject();
    object->set("tenant", status.tenant);
    object->set("username", status.username);
    object->set("user_id", status.userId);
    object->set("role", status.role);
    object->set("device_id", status.deviceId);
    object->set("signed_in", status.signedIn);
    object->set("pending_changes", status.pendingChanges);
    object->set("open_conflicts", status.openConflicts);
    object->set("quarantined", status.quarantined);
    object->set("last_sync_ms",
                status.lastSyncMs ? Poco::Dynamic::Var(*status.lastSyncMs) : Poco::Dynamic::Var());
    object->set("last_error", status.lastError
                                  ? Poco::Dynamic::Var(errorJson(status.lastError->code,
                                                                 status.lastError->message))
                                  : Poco::Dynamic::Var());
    object->set("server_offset_ms", status.serverOffsetMs);
    return object;
}

Poco::JSON::Object::Ptr toJson(const client::QuarantineEntry& entry) {
    auto object = jsonObject();
    object->set("collection", entry.change.collection);
    object->set("record_id", entry.change.recordId.toString());
    object->set("field", entry.change.field);
    object->set("operation", std::string(shared::wireName(entry.change.operation)));
    object->set("value", toJson(entry.change.value));
    object->set("error", errorJson(entry.code, entry.message));
    object->set("refused_at_ms", entry.refusedAtMs);
    object->set("decision",
                entry.decision ? Poco::Dynamic::Var(*entry.decision) : Poco::Dynamic::Var());
    return object;
}

Poco::JSON::Object::Ptr toJson(const sync::Conflict& conflict) {
    auto object = jsonObject();
    object->set("collection", conflict.collection);
    object->set("record_id", conflict.recordId.toString());
    object->set("field", conflict.field);
    Poco::JSON::Array::Ptr candidates = new Poco::JSON::Array;
    for (std::size_t i = 0; i < conflict.candidates.size(); ++i) {
        const auto& candidate = conflict.candidates[i];
        auto item = jsonObject();
        item->set("value", toJson(candidate.value));
        item->set("author", candidate.author);
        item->set("device_id", candidate.device.toString());
        item->set("device_seq", candidate.deviceSeq);
        item->set("hlc", candidate.hlc.toString());
        item->set("written_at_ms", candidate.hlc.physicalMs);
        item->set("visible", i + 1 == conflict.candidates.size());
        candidates->add(item);
    }
    object->set("candidates", candidates);
    object->set("version", conflict.version.toString());
    return object;
}

void printJson(std::ostream& out, const Poco::JSON::Object::Ptr& document) {
    document->stringify(out);
    out << '\n';
}

}  // namespace verdant::cli
