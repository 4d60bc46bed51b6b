#include "verdant/server/sync/RecordJson.hpp"

#include "verdant/shared/ChangeCodec.hpp"

#include <Poco/Exception.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Parser.h>

namespace verdant::server {

Poco::Dynamic::Var plainJson(const shared::Value& value) {
    switch (value.kind()) {
        case shared::ValueKind::Null:
            return Poco::Dynamic::Var();
        case shared::ValueKind::Bool:
            return value.as<bool>();
        case shared::ValueKind::Int:
            return static_cast<Poco::Int64>(value.as<std::int64_t>());
        case shared::ValueKind::Real:
            return value.as<double>();
        case shared::ValueKind::String:
            return value.as<std::string>();
        case shared::ValueKind::Timestamp:
            return static_cast<Poco::Int64>(value.as<shared::Timestamp>().ms);
        case shared::ValueKind::Id:
            return value.as<shared::RecordId>().toString();
        case shared::ValueKind::Json: {
            const auto& text = value.as<shared::JsonText>().text;
            try {
                Poco::JSON::Parser parser;
                return parser.parse(text);
            } catch (const Poco::Exception&) {
                return text;  // stored before validation existed: show it as it is
            }
        }
    }
    return Poco::Dynamic::Var();
}

Poco::Dynamic::Var taggedJson(const shared::Value& value) {
    shared::Change carrier;
    carrier.value = value;
    Poco::JSON::Parser parser;
    return parser.parse(shared::ChangeCodec::toJson(carrier))
        .extract<Poco::JSON::Object::Ptr>()
        ->get("value");
}

Poco::JSON::Object::Ptr recordJson(const shared::Schema& schema, const sync::Record& record) {
    Poco::JSON::Object::Ptr object = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
    object->set("id", record.id.toString());
    Poco::JSON::Array conflicted;
    const auto* collection = schema.collection(record.collection);
    for (const auto& [name, field] : record.fields) {
        const auto* spec = collection != nullptr ? collection->field(name) : nullptr;
        if (spec != nullptr && spec->type == shared::FieldType::StringSet) {
            Poco::JSON::Array elements;
            for (const auto& element : field.elements) {
                elements.add(element);
            }
            object->set(name, elements);
        } else {
            object->set(name, plainJson(field.value));
        }
        if (field.inConflict) {
            conflicted.add(name);
        }
    }
    if (conflicted.size() > 0) {
        object->set("conflicted_fields", conflicted);
    }
    return object;
}

Poco::JSON::Object::Ptr conflictJson(const sync::Conflict& conflict) {
    Poco::JSON::Array candidates;
    for (const auto& candidate : conflict.candidates) {
        Poco::JSON::Object item;
        item.set("value", taggedJson(candidate.value));
        item.set("author", candidate.author);
        item.set("device_id", candidate.device.toString());
        item.set("device_seq", candidate.deviceSeq);
        item.set("hlc", candidate.hlc.toString());
        item.set("time_ms", static_cast<Poco::Int64>(candidate.hlc.physicalMs));
        candidates.add(item);
    }
    Poco::JSON::Object::Ptr object = new Poco::JSON::Object;
    object->set("collection", conflict.collection);
    object->set("record_id", conflict.recordId.toString());
    object->set("field", conflict.field);
    object->set("version", conflict.version.toString());
    object->set("candidates", candidates);
    return object;
}

}  // namespace verdant::server
