#include "TemplateCatalogue.hpp"

#include "ReviewRecords.hpp"

#include "verdant/audit/Collections.hpp"
#include "verdant/shared/Scoring.hpp"

#include <algorithm>
#include <set>
#include <tuple>
#include <vector>

namespace verdant::server::review {

using shared::Error;
using shared::ErrorCode;
using shared::Value;
namespace c = audit::collections;

namespace {

/// The member `key` of `object` (at `path`, for messages), which must be present.
Poco::Dynamic::Var requiredMember(const Poco::JSON::Object& object, const std::string& path,
                                  const std::string& key) {
    if (!object.has(key) || object.isNull(key)) {
        throw Error(ErrorCode::InvalidParameter, "'" + path + key + "' is required.");
    }
    return object.get(key);
}

/// A required non-empty string member.
std::string requiredString(const Poco::JSON::Object& object, const std::string& path,
                           const std::string& key) {
    const auto value = requiredMember(object, path, key);
    if (!value.isString()) {
        throw Error(ErrorCode::InvalidParameter, "'" + path + key + "' must be a string.");
    }
    auto text = value.extract<std::string>();
    if (text.empty()) {
        throw Error(ErrorCode::InvalidParameter, "'" + path + key + "' must not be empty.");
    }
    return text;
}

/// A required array member.
Poco::JSON::Array::Ptr requiredArray(const Poco::JSON::Object& object, const std::string& path,
                                     const std::string& key) {
    const auto value = requiredMember(object, path, key);
    if (value.type() != typeid(Poco::JSON::Array::Ptr)) {
        throw Error(ErrorCode::InvalidParameter, "'" + path + key + "' must be an array.");
    }
    return value.extract<Poco::JSON::Array::Ptr>();
}

/// Element `index` of `array` (at `path`), which must be an object.
Poco::JSON::Object::Ptr objectElement(const Poco::JSON::Array& array, const std::string& path,
                                      std::size_t index) {
    auto object = array.getObject(static_cast<unsigned>(index));
    if (!object) {
        throw Error(ErrorCode::InvalidParameter,
                    "'" + path + "[" + std::to_string(index) + "]' must be an object.");
    }
    return object;
}

/// The header members of a template document: template_id, version and scoring_rule.
TemplateHeader checkHeader(const Poco::JSON::Object& document) {
    TemplateHeader header;
    header.templateId = requiredString(document, "", "template_id");
    const auto version = requiredMember(document, "", "version");
    if (!version.isInteger() || version.isBoolean() || !version.isSigned() ||
        version.convert<Poco::Int64>() < 1) {
        throw Error(ErrorCode::InvalidParameter, "'version' must be a whole number from 1.");
    }
    header.version = version.convert<Poco::Int64>();
    header.scoringRule = requiredString(document, "", "scoring_rule");
    if (shared::scoringRule(header.scoringRule) == nullptr) {
        throw Error(ErrorCode::InvalidParameter,
                    "'scoring_rule' names no scoring rule this "
                    "server knows: '" +
                        header.scoringRule + "'.");
    }
    return header;
}

/// The sections of a template document: each an object with an id and questions, each question
/// with an id (unique in the document) and a type, at least one question in all.
void checkSections(const Poco::JSON::Object& document) {
    const auto sections = requiredArray(document, "", "sections");
    if (sections->size() == 0) {
        throw Error(ErrorCode::InvalidParameter, "'sections' must not be empty.");
    }
    std::set<std::string> questionIds;
    for (std::size_t s = 0; s < sections->size(); ++s) {
        const auto section = objectElement(*sections, "sections", s);
        const auto sectionPath = "sections[" + std::to_string(s) + "].";
        requiredString(*section, sectionPath, "id");
        const auto questions = requiredArray(*section, sectionPath, "questions");
        for (std::size_t q = 0; q < questions->size(); ++q) {
            const auto question = objectElement(*questions, sectionPath + "questions", q);
            const auto questionPath = sectionPath + "questions[" + std::to_string(q) + "].";
            const auto id = requiredString(*question, questionPath, "id");
            requiredString(*question, questionPath, "type");
            if (!questionIds.insert(id).second) {
                throw Error(ErrorCode::InvalidParameter,
                            "Question id '" + id + "' is used twice ('" + questionPath + "id').");
            }
        }
    }
    if (questionIds.empty()) {
        throw Error(ErrorCode::InvalidParameter, "'sections' must hold at least one question.");
    }
}

/// A template version as the catalogue lists it.
Poco::JSON::Object::Ptr versionJson(const sync::Record& version) {
    auto item = orderedObject();
    item->set("id", version.id.toString());
    item->set("template_key", stringOrNull(version, "template_key"));
    item->set("version", intOrNull(intField(version, "version")));
    item->set("scoring_rule", stringOrNull(version, "scoring_rule"));
    item->set("published_at", intOrNull(timestampField(version, "published_at")));
    return item;
}

}  // namespace

TemplateHeader checkTemplateDocument(const Poco::JSON::Object& document,
                                     std::size_t documentBytes) {
    auto header = checkHeader(document);
    checkSections(document);
    const auto maxBytes =
        audit::auditSchema().collection(c::kTemplateVersions)->field("content")->maxBytes;
    if (documentBytes > maxBytes) {
        throw Error(ErrorCode::PayloadTooLarge, "A template document may be at most " +
                                                    std::to_string(maxBytes / 1024) + " KiB.");
    }
    return header;
}

void publishTemplateVersion(sync::Store& store, ServerWriter& writer, const std::string& publisher,
                            const shared::RecordId& versionId, const TemplateHeader& header,
                            const std::string& content, std::int64_t publishedAtMs) {
    for (const auto& id : store.findRecords(c::kTemplateVersions, "template_key",
                                            Value::string(header.templateId))) {
        const auto existing = liveRecord(store, c::kTemplateVersions, id);
        if (existing && intField(*existing, "version") == header.version) {
            throw Error(ErrorCode::AlreadyExists,
                        "Version " + std::to_string(header.version) + " of template '" +
                            header.templateId + "' is already published (" + id.toString() +
                            "); published versions never change, publish a new version.");
        }
    }
    const auto write = [&](const char* field, Value value) {
        return ServerWrite{c::kTemplateVersions, versionId, field, shared::Operation::Set,
                           std::move(value)};
    };
    writer.apply(
        store, publisher,
        {write("template_key", Value::string(header.templateId)),
         write("version", Value::integer(header.version)), write("content", Value::json(content)),
         write("scoring_rule", Value::string(header.scoringRule)),
         write("published_at", Value::timestamp(publishedAtMs))});
}

Poco::JSON::Array::Ptr templateCatalogue(const sync::Store& store) {
    std::vector<sync::Record> versions;
    for (const auto& id : store.recordIds(c::kTemplateVersions)) {
        if (auto version = liveRecord(store, c::kTemplateVersions, id)) {
            versions.push_back(std::move(*version));
        }
    }
    const auto key = [](const sync::Record& record) {
        const auto published = timestampField(record, "published_at");
        return std::make_tuple(published.has_value(), published.value_or(0),
                               intField(record, "version").value_or(0), record.id);
    };
    std::sort(versions.begin(), versions.end(),
              [&](const sync::Record& a, const sync::Record& b) { return key(a) > key(b); });
    Poco::JSON::Array::Ptr items = new Poco::JSON::Array;
    for (const auto& version : versions) {
        items->add(versionJson(version));
    }
    return items;
}

}  // namespace verdant::server::review
