#include "RecordJson.hpp"

#include "JsonWriter.hpp"

#include "verdant/domain/DomainSchema.hpp"

#include <Poco/Exception.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/ParseHandler.h>
#include <Poco/JSON/Parser.h>
#include <Poco/JSON/Stringifier.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>
#include <sstream>

namespace verdant::capi {

namespace {

using Poco::Dynamic::Var;
using shared::ErrorCode;
using shared::FieldType;
using shared::Value;

/// Parses JSON text keeping the order of object members (the order fields are written in).
/// Poco's parser accepts only an object or an array at the top, and validates UTF-8.
Var parse(std::string_view text, const char* what) {
    try {
        Poco::JSON::Parser parser(new Poco::JSON::ParseHandler(/*preserveObjectOrder=*/true));
        return parser.parse(std::string(text));
    } catch (const Poco::Exception&) {
        throw shared::Error(ErrorCode::MalformedJson, std::string(what) + " is not valid JSON.");
    }
}

bool isObject(const Var& json) {
    return json.type() == typeid(Poco::JSON::Object::Ptr);
}

bool isArray(const Var& json) {
    return json.type() == typeid(Poco::JSON::Array::Ptr);
}

/// The compact text of a parsed JSON value (member order kept).
std::string condense(const Var& json) {
    std::ostringstream out;
    Poco::JSON::Stringifier::condense(json, out);
    return out.str();
}

/// A JSON integer that fits 64 bits; nullopt for anything else (booleans, 1.0, strings).
std::optional<std::int64_t> integerOf(const Var& json) {
    if (json.isEmpty() || json.isBoolean() || !json.isInteger()) {
        return std::nullopt;
    }
    if (json.isSigned()) {
        return json.convert<Poco::Int64>();
    }
    const auto number = json.convert<Poco::UInt64>();
    if (number > static_cast<Poco::UInt64>(std::numeric_limits<std::int64_t>::max())) {
        return std::nullopt;
    }
    return static_cast<std::int64_t>(number);
}

/// What a field of `type` takes, for messages.
const char* expectation(FieldType type) {
    switch (type) {
        case FieldType::String:
            return "a string";
        case FieldType::Int:
            return "an integer (64-bit)";
        case FieldType::Real:
            return "a finite number";
        case FieldType::Bool:
            return "true or false";
        case FieldType::Timestamp:
            return "a timestamp as integer Unix milliseconds";
        case FieldType::IdRef:
            return "a record id (UUID text)";
        case FieldType::Enum:
            return "one of its values as a string";
        case FieldType::StringSet:
            return R"({"add": "element"} or {"remove": "element"})";
        case FieldType::Json:
            return "a JSON object or array";
    }
    return "another type";
}

[[noreturn]] void wrongType(const shared::FieldSpec& field) {
    throw FieldInputError(ErrorCode::WrongType, field.name,
                          "The field " + field.name + " takes " + expectation(field.type) + ".");
}

/// The value `json` sets a register field to (null clears it).
Value registerValue(const shared::FieldSpec& field, const Var& json) {
    if (json.isEmpty()) {
        return Value::null();
    }
    switch (field.type) {
        case FieldType::String:
        case FieldType::Enum:
            if (json.isString()) {
                return Value::string(json.extract<std::string>());
            }
            break;
        case FieldType::Int:
            if (const auto number = integerOf(json)) {
                return Value::integer(*number);
            }
            break;
        case FieldType::Real:
            if (!json.isBoolean() && json.isNumeric()) {
                const double number = json.convert<double>();
                if (std::isfinite(number)) {
                    return Value::real(number);
                }
            }
            break;
        case FieldType::Bool:
            if (json.isBoolean()) {
                return Value::boolean(json.extract<bool>());
            }
            break;
        case FieldType::Timestamp:
            if (const auto number = integerOf(json)) {
                return Value::timestamp(*number);
            }
            break;
        case FieldType::IdRef:
            if (json.isString()) {
                if (const auto id = shared::RecordId::parse(json.extract<std::string>())) {
                    return Value::id(*id);
                }
            }
            break;
        case FieldType::Json:
            // The schema keeps JSON documents that are objects or arrays (what Poco parses at
            // the top level); say so here rather than with a vaguer error on write.
            if (isObject(json) || isArray(json)) {
                return Value::json(condense(json));
            }
            break;
        case FieldType::StringSet:
            break;
    }
    wrongType(field);
}

/// The strings an {"add": ...} or {"remove": ...} member names: one string or an array of them.
std::vector<std::string> elementsOf(const shared::FieldSpec& field, const Var& json) {
    if (json.isString()) {
        return {json.extract<std::string>()};
    }
    if (isArray(json)) {
        const auto& array = *json.extract<Poco::JSON::Array::Ptr>();
        std::vector<std::string> elements;
        for (std::size_t i = 0; i < array.size(); ++i) {
            const auto element = array.get(static_cast<unsigned>(i));
            if (!element.isString()) {
                wrongType(field);
            }
            elements.push_back(element.extract<std::string>());
        }
        return elements;
    }
    wrongType(field);
}

/// The writes one member of the caller's object stands for.
void appendWrites(const shared::FieldSpec& field, const Var& json,
                  std::vector<client::FieldWrite>& writes) {
    if (field.type == FieldType::StringSet) {
        if (!isObject(json)) {
            wrongType(field);
        }
        const auto& operations = *json.extract<Poco::JSON::Object::Ptr>();
        std::vector<std::string> names;
        operations.getNames(names);
        if (names.empty()) {
            wrongType(field);
        }
        for (const auto& name : names) {
            if (name != "add" && name != "remove") {
                wrongType(field);
            }
            for (auto& element : elementsOf(field, operations.get(name))) {
                writes.push_back(name == "add"
                                     ? client::FieldWrite::add(field.name, std::move(element))
                                     : client::FieldWrite::remove(field.name, std::move(element)));
            }
        }
        return;
    }
    if (field.merge == shared::MergeKind::MonotoneState && isObject(json)) {
        const auto& operation = *json.extract<Poco::JSON::Object::Ptr>();
        if (operation.size() != 1 || !operation.has("reopen") ||
            !operation.get("reopen").isString()) {
            throw FieldInputError(ErrorCode::WrongType, field.name,
                                  "The field " + field.name +
                                      R"( takes a state as a string, or {"reopen": "state"}.)");
        }
        writes.push_back(
            client::FieldWrite::reopen(field.name, operation.get("reopen").extract<std::string>()));
        return;
    }
    writes.push_back(client::FieldWrite::set(field.name, registerValue(field, json)));
}

void writeJsonText(JsonWriter& out, const std::string& text) {
    // Re-written through the parser so the result is valid JSON whatever the store holds.
    try {
        Poco::JSON::Parser parser(new Poco::JSON::ParseHandler(/*preserveObjectOrder=*/true));
        out.raw(condense(parser.parse(text)));
    } catch (const Poco::Exception&) {
        out.string(text);
    }
}

void writeValue(JsonWriter& out, const Value& value) {
    switch (value.kind()) {
        case shared::ValueKind::Null:
            out.null();
            return;
        case shared::ValueKind::Bool:
            out.boolean(value.as<bool>());
            return;
        case shared::ValueKind::Int:
            out.integer(value.as<std::int64_t>());
            return;
        case shared::ValueKind::Real:
            out.real(value.as<double>());
            return;
        case shared::ValueKind::String:
            out.string(value.as<std::string>());
            return;
        case shared::ValueKind::Timestamp:
            out.integer(value.as<shared::Timestamp>().ms);
            return;
        case shared::ValueKind::Id:
            out.string(value.as<shared::RecordId>().toString());
            return;
        case shared::ValueKind::Json:
            writeJsonText(out, value.as<shared::JsonText>().text);
            return;
    }
    out.null();
}

void writeRecord(JsonWriter& out, const sync::Record& record) {
    const auto* collection = domain::domainSchema().collection(record.collection);
    out.beginObject();
    out.key("collection").string(record.collection);
    out.key("id").string(record.id.toString());
    out.key("deleted").boolean(record.deleted);
    out.key("fields").beginObject();
    std::vector<std::string> conflicted;
    for (const auto& [name, field] : record.fields) {
        const auto* spec = collection ? collection->field(name) : nullptr;
        out.key(name);
        if ((spec && spec->type == FieldType::StringSet) || !field.elements.empty()) {
            out.beginArray();
            for (const auto& element : field.elements) {
                out.string(element);
            }
            out.endArray();
        } else {
            writeValue(out, field.value);
        }
        if (field.inConflict) {
            conflicted.push_back(name);
        }
    }
    out.endObject();
    out.key("conflicted_fields").beginArray();
    for (const auto& name : conflicted) {
        out.string(name);
    }
    out.endArray();
    out.endObject();
}

/// The members of a change a binding shows: what, where, which device number, when.
void writeChangeMembers(JsonWriter& out, const shared::Change& change) {
    out.key("collection").string(change.collection);
    out.key("record_id").string(change.recordId.toString());
    out.key("field").string(change.field);
    out.key("operation").string(shared::wireName(change.operation));
    out.key("value");
    writeValue(out, change.value);
    out.key("device_seq").unsignedInteger(change.deviceSeq);
    out.key("hlc").string(change.hlc.toString());
}

}  // namespace

FieldInputError::FieldInputError(shared::ErrorCode code, std::string field, std::string message)
    : shared::Error(code, std::move(message)), _field(std::move(field)) {}

std::vector<client::FieldWrite> fieldWritesFromJson(const shared::CollectionSpec& collection,
                                                    std::string_view fieldsJson) {
    const auto json = parse(fieldsJson, "fields_json");
    if (!isObject(json)) {
        throw shared::Error(ErrorCode::InvalidParameter,
                            R"(fields_json must be a JSON object {"field": value, ...}.)");
    }
    const auto& object = *json.extract<Poco::JSON::Object::Ptr>();
    std::vector<std::string> names;
    object.getNames(names);
    if (names.empty()) {
        throw shared::Error(ErrorCode::InvalidParameter, "fields_json names no field to write.");
    }
    std::vector<client::FieldWrite> writes;
    for (const auto& name : names) {
        const auto* field = collection.field(name);
        if (!field) {
            throw FieldInputError(
                ErrorCode::UnknownField, name,
                "The collection " + collection.name() + " has no field " + name + ".");
        }
        appendWrites(*field, object.get(name), writes);
    }
    // A child record (an answer, a finding) belongs to its parent's scope through its parent
    // field; sending that change first lets the server place every later change of the write.
    if (collection.scope().kind == shared::ScopeRule::Kind::Parent) {
        std::stable_partition(writes.begin(), writes.end(), [&](const client::FieldWrite& write) {
            return write.field == collection.scope().parentField;
        });
    }
    return writes;
}

shared::Value queryValueFromJson(const shared::FieldSpec& field, std::string_view valueJson) {
    // Poco parses only objects and arrays at the top level: wrap the one value in an array.
    const auto wrapped = parse("[" + std::string(valueJson) + "]", "value_json");
    const auto& array = *wrapped.extract<Poco::JSON::Array::Ptr>();
    if (array.size() != 1) {
        throw shared::Error(ErrorCode::MalformedJson, "value_json must be one JSON value.");
    }
    const auto json = array.get(0);
    if (field.type == FieldType::StringSet) {
        if (!json.isString()) {
            throw FieldInputError(ErrorCode::WrongType, field.name,
                                  "A query of the set " + field.name + " takes a string.");
        }
        return Value::string(json.extract<std::string>());
    }
    return registerValue(field, json);
}

std::string recordJson(const sync::Record& record) {
    JsonWriter out;
    writeRecord(out, record);
    return out.take();
}

std::string recordsJson(const std::vector<sync::Record>& records) {
    JsonWriter out;
    out.beginArray();
    for (const auto& record : records) {
        writeRecord(out, record);
    }
    out.endArray();
    return out.take();
}

std::string writeResultJson(const client::WriteResult& result) {
    JsonWriter out;
    out.beginObject();
    out.key("record_id").string(result.recordId.toString());
    out.key("changes").unsignedInteger(result.changes.size());
    out.endObject();
    return out.take();
}

std::string checkInResultJson(const client::CheckInResult& result) {
    JsonWriter out;
    out.beginObject();
    out.key("registration_id").string(result.registrationId.toString());
    out.key("person_name").string(result.personName);
    out.key("changes").unsignedInteger(result.changes.size());
    out.endObject();
    return out.take();
}

std::string rosterJson(const client::Roster& roster) {
    const auto time = [](JsonWriter& out, const std::optional<std::int64_t>& ms) {
        if (ms) {
            out.integer(*ms);
        } else {
            out.null();
        }
    };
    JsonWriter out;
    out.beginObject().key("people").beginArray();
    for (const auto& person : roster.people) {
        out.beginObject();
        out.key("registration_id").string(person.registrationId.toString());
        out.key("person_name_zh").string(person.personNameZh);
        out.key("person_name_en").string(person.personNameEn);
        out.key("state").string(person.state);
        time(out.key("first_check_in"), person.firstCheckIn);
        time(out.key("last_check_out"), person.lastCheckOut);
        out.key("recorded_by").beginArray();
        for (const auto& device : person.recordedBy) {
            out.string(device);
        }
        out.endArray().endObject();
    }
    out.endArray().key("counts").beginObject();
    for (const auto& [state, count] : roster.countsByState) {
        out.key(state).unsignedInteger(count);
    }
    out.endObject().endObject();
    return out.take();
}

std::string statusJson(const client::ClientStatus& status) {
    JsonWriter out;
    out.beginObject();
    out.key("tenant").string(status.tenant);
    out.key("username").string(status.username);
    out.key("user_id").string(status.userId);
    out.key("role").string(status.role);
    out.key("device_id").string(status.deviceId);
    out.key("signed_in").boolean(status.signedIn);
    out.key("pending_changes").unsignedInteger(status.pendingChanges);
    out.key("open_conflicts").unsignedInteger(status.openConflicts);
    out.key("quarantined").unsignedInteger(status.quarantined);
    out.key("last_sync_ms");
    if (status.lastSyncMs) {
        out.integer(*status.lastSyncMs);
    } else {
        out.null();
    }
    out.key("last_error");
    if (status.lastError) {
        out.beginObject();
        out.key("code").integer(static_cast<std::int64_t>(status.lastError->code));
        out.key("name").string(shared::wireName(status.lastError->code));
        out.key("message").string(status.lastError->message);
        out.endObject();
    } else {
        out.null();
    }
    out.key("server_offset_ms").integer(status.serverOffsetMs);
    out.endObject();
    return out.take();
}

std::string conflictsJson(const std::vector<sync::Conflict>& conflicts) {
    JsonWriter out;
    out.beginArray();
    for (const auto& conflict : conflicts) {
        out.beginObject();
        out.key("collection").string(conflict.collection);
        out.key("record_id").string(conflict.recordId.toString());
        out.key("field").string(conflict.field);
        out.key("version").string(conflict.version.toString());
        out.key("candidates").beginArray();
        for (const auto& candidate : conflict.candidates) {
            out.beginObject();
            out.key("value");
            writeValue(out, candidate.value);
            out.key("author").string(candidate.author);
            out.key("device_id").string(candidate.device.toString());
            out.key("device_seq").unsignedInteger(candidate.deviceSeq);
            out.key("hlc").string(candidate.hlc.toString());
            out.key("time_ms").unsignedInteger(candidate.hlc.physicalMs);
            out.endObject();
        }
        out.endArray();
        out.endObject();
    }
    out.endArray();
    return out.take();
}

std::string quarantineJson(const std::vector<client::QuarantineEntry>& entries) {
    JsonWriter out;
    out.beginArray();
    for (const auto& entry : entries) {
        out.beginObject();
        writeChangeMembers(out, entry.change);
        out.key("code").integer(static_cast<std::int64_t>(entry.code));
        out.key("error").string(shared::wireName(entry.code));
        out.key("message").string(entry.message);
        out.key("refused_at_ms").integer(entry.refusedAtMs);
        out.key("decision");
        if (entry.decision) {
            out.string(*entry.decision);
        } else {
            out.null();
        }
        out.endObject();
    }
    out.endArray();
    return out.take();
}

std::string changesJson(const std::vector<shared::Change>& changes) {
    JsonWriter out;
    out.beginArray();
    for (const auto& change : changes) {
        out.beginObject();
        writeChangeMembers(out, change);
        out.endObject();
    }
    out.endArray();
    return out.take();
}

}  // namespace verdant::capi
