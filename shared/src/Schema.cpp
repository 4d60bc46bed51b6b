#include "verdant/shared/Schema.hpp"

#include <Poco/Exception.h>
#include <Poco/JSON/Handler.h>
#include <Poco/JSON/JSONException.h>
#include <Poco/JSON/Parser.h>

#include <cmath>
#include <set>

namespace verdant::shared {

namespace {

void requireSchema(bool condition, const std::string& message) {
    if (!condition) {
        throw Error(ErrorCode::InvalidSchema, message);
    }
}

bool isOrderedType(FieldType type) noexcept {
    return type == FieldType::Int || type == FieldType::Real || type == FieldType::Timestamp ||
           type == FieldType::String;
}

void checkField(const std::string& collection, const FieldSpec& field) {
    const std::string where = collection + "." + field.name;
    requireSchema(!field.name.empty(), "A field of '" + collection + "' has no name.");
    requireSchema(field.maxBytes > 0, "Field '" + where + "' has a zero size limit.");
    requireSchema((field.type == FieldType::StringSet) == (field.merge == MergeKind::AddWinsSet),
                  "Field '" + where + "': a string set is exactly an add-wins set.");
    if (field.merge == MergeKind::MonotoneState) {
        requireSchema(field.type == FieldType::Enum,
                      "Field '" + where + "': a monotone state must be an enum.");
    }
    if (field.merge == MergeKind::Min || field.merge == MergeKind::Max) {
        requireSchema(isOrderedType(field.type),
                      "Field '" + where + "': min/max need an int, real, timestamp or string.");
    }
    if (field.type == FieldType::Enum) {
        requireSchema(!field.enumValues.empty(), "Enum field '" + where + "' has no values.");
        const std::set<std::string> distinct(field.enumValues.begin(), field.enumValues.end());
        requireSchema(distinct.size() == field.enumValues.size(),
                      "Enum field '" + where + "' repeats a value.");
    }
}

ValidationError refusal(ErrorCode code, std::string message) {
    return ValidationError{code, std::move(message)};
}

bool allowsNull(const FieldSpec& field) noexcept {
    return field.merge == MergeKind::LastWriterWins || field.merge == MergeKind::ReviewedRegister;
}

bool operationFits(Operation operation, MergeKind kind) noexcept {
    switch (operation) {
        case Operation::Set:
            return kind != MergeKind::AddWinsSet;
        case Operation::Add:
        case Operation::Remove:
            return kind == MergeKind::AddWinsSet;
        case Operation::Reopen:
            return kind == MergeKind::MonotoneState;
        case Operation::Delete:
        case Operation::Restore:
            return false;
    }
    return false;
}

ValueKind expectedKind(FieldType type) noexcept {
    switch (type) {
        case FieldType::String:
        case FieldType::Enum:
        case FieldType::StringSet:
            return ValueKind::String;
        case FieldType::Int:
            return ValueKind::Int;
        case FieldType::Real:
            return ValueKind::Real;
        case FieldType::Bool:
            return ValueKind::Bool;
        case FieldType::Timestamp:
            return ValueKind::Timestamp;
        case FieldType::IdRef:
            return ValueKind::Id;
        case FieldType::Json:
            return ValueKind::Json;
    }
    return ValueKind::Null;
}

/// Poco's parser with nothing built: it checks the grammar and converts each number as it would
/// for a document (so it refuses what the parser refuses), without allocating a DOM the check
/// would throw away. A schema check runs on every JSON value of every change applied. Like Poco's
/// DOM builder, it refuses a document that is a bare scalar (not an object or an array).
class NothingBuilt : public Poco::JSON::Handler {
public:
    void reset() override { _depth = 0; }
    void startObject() override { ++_depth; }
    void endObject() override { --_depth; }
    void startArray() override { ++_depth; }
    void endArray() override { --_depth; }
    void key(const std::string& /*name*/) override {}
    void null() override { scalar(); }
    void value(int /*number*/) override { scalar(); }
    void value(unsigned /*number*/) override { scalar(); }
    void value(Poco::Int64 /*number*/) override { scalar(); }
    void value(Poco::UInt64 /*number*/) override { scalar(); }
    void value(const std::string& /*text*/) override { scalar(); }
    void value(double /*number*/) override { scalar(); }
    void value(bool /*flag*/) override { scalar(); }

private:
    void scalar() const {
        if (_depth == 0) {
            throw Poco::JSON::JSONException("A JSON document is an object or an array.");
        }
    }

    int _depth = 0;
};

bool isJson(const std::string& text) {
    try {
        Poco::JSON::Parser parser(new NothingBuilt);
        parser.parse(text);
        return true;
    } catch (const Poco::Exception&) {
        return false;
    } catch (const std::exception&) {
        return false;
    }
}

}  // namespace

std::string_view wireName(FieldType type) noexcept {
    switch (type) {
        case FieldType::String:
            return "string";
        case FieldType::Int:
            return "int";
        case FieldType::Real:
            return "real";
        case FieldType::Bool:
            return "bool";
        case FieldType::Timestamp:
            return "timestamp";
        case FieldType::IdRef:
            return "id";
        case FieldType::Enum:
            return "enum";
        case FieldType::StringSet:
            return "string_set";
        case FieldType::Json:
            return "json";
    }
    return "string";
}

std::string_view wireName(MergeKind kind) noexcept {
    switch (kind) {
        case MergeKind::LastWriterWins:
            return "lww";
        case MergeKind::ReviewedRegister:
            return "reviewed_register";
        case MergeKind::AddWinsSet:
            return "add_wins_set";
        case MergeKind::MonotoneState:
            return "monotone_state";
        case MergeKind::Min:
            return "min";
        case MergeKind::Max:
            return "max";
        case MergeKind::Immutable:
            return "immutable";
    }
    return "lww";
}

bool FieldSpec::fitsFormat(std::string_view text) const noexcept {
    switch (format) {
        case TextFormat::Any:
            return true;
        case TextFormat::Sha256Hex:
            return text.size() == 64 &&
                   text.find_first_not_of("0123456789abcdef") == std::string_view::npos;
    }
    return false;
}

std::optional<std::size_t> FieldSpec::enumIndex(std::string_view value) const noexcept {
    for (std::size_t i = 0; i < enumValues.size(); ++i) {
        if (enumValues[i] == value) {
            return i;
        }
    }
    return std::nullopt;
}

std::string scopeKey(std::string_view collection, const RecordId& root) {
    std::string key;
    key.reserve(collection.size() + 37);
    key.append(collection);
    key += '/';
    key += root.toString();
    return key;
}

CollectionSpec::CollectionSpec(std::string name, std::vector<FieldSpec> fields, ScopeRule scope)
    : _name(std::move(name)), _fields(std::move(fields)), _scope(std::move(scope)) {
    for (std::size_t i = 0; i < _fields.size(); ++i) {
        _index.emplace(_fields[i].name, i);
    }
}

const FieldSpec* CollectionSpec::field(std::string_view name) const noexcept {
    const auto found = _index.find(name);
    return found == _index.end() ? nullptr : &_fields[found->second];
}

Schema::Schema(std::vector<CollectionSpec> collections) {
    for (auto& collection : collections) {
        add(std::move(collection));
    }
    finalize();
}

void Schema::checkScopeRule(const CollectionSpec& collection) const {
    const std::string& name = collection.name();
    const ScopeRule& rule = collection.scope();
    if (rule.kind == ScopeRule::Kind::Own) {
        requireSchema(rule.parentField.empty() && rule.parentCollection.empty(),
                      "Collection '" + name + "' is its own scope but names a parent.");
        return;
    }
    const std::string where = name + "." + rule.parentField;
    const FieldSpec* field = collection.field(rule.parentField);
    requireSchema(field != nullptr,
                  "Collection '" + name + "': the scope parent field '" + where + "' is missing.");
    requireSchema(field->type == FieldType::IdRef && field->merge == MergeKind::Immutable,
                  "Scope parent field '" + where + "' must be an immutable id reference.");
    requireSchema(!rule.parentCollection.empty() && rule.parentCollection != name,
                  "Collection '" + name + "' must name another collection as its scope parent.");
    if (const auto* parent = this->collection(rule.parentCollection)) {
        requireSchema(parent->scope().kind == ScopeRule::Kind::Own,
                      "Collection '" + name + "': scope parent '" + rule.parentCollection +
                          "' is itself scoped by a parent; scopes are one level deep.");
    }
    for (const auto& [otherName, other] : _collections) {
        requireSchema(
            other.scope().kind == ScopeRule::Kind::Own || other.scope().parentCollection != name,
            "Collection '" + otherName + "' uses '" + name + "' as its scope parent, so '" + name +
                "' must be its own scope.");
    }
}

void Schema::finalize() const {
    for (const auto& [name, collection] : _collections) {
        const ScopeRule& rule = collection.scope();
        if (rule.kind != ScopeRule::Kind::Parent) {
            continue;
        }
        const auto* parent = this->collection(rule.parentCollection);
        requireSchema(parent != nullptr, "Collection '" + name + "': scope parent '" +
                                             rule.parentCollection + "' is not in the schema.");
        requireSchema(parent->scope().kind == ScopeRule::Kind::Own,
                      "Collection '" + name + "': scope parent '" + rule.parentCollection +
                          "' is itself scoped by a parent; scopes are one level deep.");
    }
}

std::optional<std::string> Schema::scopeKeyOf(const Change& change) const {
    const auto* spec = collection(change.collection);
    if (spec == nullptr) {
        return std::nullopt;
    }
    const ScopeRule& rule = spec->scope();
    if (rule.kind == ScopeRule::Kind::Own) {
        return scopeKey(change.collection, change.recordId);
    }
    if (change.operation != Operation::Set || change.field != rule.parentField ||
        change.value.kind() != ValueKind::Id) {
        return std::nullopt;
    }
    return scopeKey(rule.parentCollection, change.value.as<RecordId>());
}

Schema& Schema::add(CollectionSpec collection) {
    const std::string& name = collection.name();
    requireSchema(!name.empty(), "A collection has no name.");
    requireSchema(!_collections.contains(name), "Collection '" + name + "' is declared twice.");
    std::set<std::string> names;
    for (const auto& field : collection.fields()) {
        checkField(name, field);
        requireSchema(names.insert(field.name).second,
                      "Field '" + name + "." + field.name + "' is declared twice.");
    }
    checkScopeRule(collection);
    std::string key = name;
    _collections.emplace(std::move(key), std::move(collection));
    return *this;
}

const CollectionSpec* Schema::collection(std::string_view name) const noexcept {
    const auto found = _collections.find(name);
    return found == _collections.end() ? nullptr : &found->second;
}

std::vector<const CollectionSpec*> Schema::collections() const {
    std::vector<const CollectionSpec*> result;
    result.reserve(_collections.size());
    for (const auto& [name, collection] : _collections) {
        result.push_back(&collection);
    }
    return result;
}

const FieldSpec* Schema::fieldOf(const Change& change) const noexcept {
    const auto* spec = collection(change.collection);
    return spec == nullptr ? nullptr : spec->field(change.field);
}

namespace {

/// What every change must carry, whatever it writes: ids, a sequence, an HLC in range, a base
/// older than the change, an author of bounded size.
std::optional<ValidationError> envelopeRefusal(const Change& change) {
    if (change.recordId.isNil() || change.deviceId.isNil() || change.deviceSeq == 0) {
        return refusal(ErrorCode::InvalidChange,
                       "A change needs a record id, a device id and a device sequence above 0.");
    }
    if (change.hlc.physicalMs > Hlc::kMaxPhysicalMs) {
        return refusal(ErrorCode::InvalidChange, "The change's HLC is out of range.");
    }
    if (change.baseVersion && !(*change.baseVersion < change.hlc)) {
        return refusal(ErrorCode::InvalidChange,
                       "The change's base version is not older than the change itself.");
    }
    if (change.author.size() > kMaxAuthorBytes) {
        return refusal(ErrorCode::ValueTooLarge, "The change's author is too long.");
    }
    return std::nullopt;
}

/// Whether a value of the field's kind and size fits what the field's type further asks (enum
/// values, formats, finite numbers, non-nil ids, JSON text). `where` names the field.
std::optional<ValidationError> contentRefusal(const FieldSpec& field, const Value& value,
                                              const std::string& where) {
    switch (field.type) {
        case FieldType::Enum:
            if (!field.enumIndex(value.as<std::string>())) {
                return refusal(ErrorCode::InvalidEnumValue,
                               "'" + quotedInput(value.as<std::string>()) +
                                   "' is not a value of '" + where + "'.");
            }
            break;
        case FieldType::String:
            if (!field.fitsFormat(value.as<std::string>())) {
                return refusal(ErrorCode::WrongType,
                               "Field '" + where + "' takes 64 lower-case hex digits (a SHA-256).");
            }
            break;
        case FieldType::Real:
            if (!std::isfinite(value.as<double>())) {
                return refusal(ErrorCode::WrongType, "Field '" + where + "' takes finite numbers.");
            }
            break;
        case FieldType::IdRef:
            if (value.as<RecordId>().isNil()) {
                return refusal(ErrorCode::WrongType,
                               "Field '" + where + "' cannot hold the nil id.");
            }
            break;
        case FieldType::Json:
            if (!isJson(value.as<JsonText>().text)) {
                return refusal(ErrorCode::WrongType, "The value of '" + where + "' is not JSON.");
            }
            break;
        default:
            break;
    }
    return std::nullopt;
}

}  // namespace

std::optional<ValidationError> Schema::validate(const Change& change) const {
    const auto* spec = collection(change.collection);
    if (spec == nullptr) {
        return refusal(
            ErrorCode::UnknownCollection,
            "Collection '" + quotedInput(change.collection) + "' is not part of the schema.");
    }
    if (auto refused = envelopeRefusal(change)) {
        return refused;
    }
    if (change.operation == Operation::Delete || change.operation == Operation::Restore) {
        if (!change.field.empty() || !change.value.isNull()) {
            return refusal(ErrorCode::InvalidChange,
                           "Delete and restore address a whole record: no field, no value.");
        }
        return std::nullopt;
    }
    const auto* field = spec->field(change.field);
    if (field == nullptr) {
        return refusal(ErrorCode::UnknownField, "Field '" + quotedInput(change.field) +
                                                    "' is not part of collection '" +
                                                    quotedInput(change.collection) + "'.");
    }
    const std::string where = change.collection + "." + change.field;
    if (!operationFits(change.operation, field->merge)) {
        return refusal(ErrorCode::InvalidChange,
                       "Operation '" + std::string(wireName(change.operation)) +
                           "' does not apply to " + std::string(wireName(field->merge)) +
                           " field '" + where + "'.");
    }
    const Value& value = change.value;
    if (value.isNull()) {
        if (change.operation == Operation::Set && allowsNull(*field)) {
            return std::nullopt;
        }
        return refusal(ErrorCode::WrongType, "Field '" + where + "' cannot be cleared.");
    }
    if (value.kind() != expectedKind(field->type)) {
        return refusal(ErrorCode::WrongType, "Field '" + where + "' takes " +
                                                 std::string(wireName(field->type)) + ", not " +
                                                 std::string(wireName(value.kind())) + ".");
    }
    if (value.payloadSize() > field->maxBytes) {
        return refusal(ErrorCode::ValueTooLarge, "The value of '" + where + "' is larger than " +
                                                     std::to_string(field->maxBytes) + " bytes.");
    }
    return contentRefusal(*field, value, where);
}

}  // namespace verdant::shared
