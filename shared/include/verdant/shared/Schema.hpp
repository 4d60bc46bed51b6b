#pragma once

#include "verdant/shared/Change.hpp"
#include "verdant/shared/ErrorCode.hpp"

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace verdant::shared {

/// The type of a field's values.
enum class FieldType : std::uint8_t {
    String,     ///< UTF-8 text.
    Int,        ///< 64-bit integer.
    Real,       ///< Finite double.
    Bool,       ///< true / false.
    Timestamp,  ///< Unix milliseconds.
    IdRef,      ///< Reference to a record (its RecordId).
    Enum,       ///< One of the field's `enumValues` (a string).
    StringSet,  ///< A set of strings (merge kind must be AddWinsSet).
    Json,       ///< A JSON document (text).
};

/// How concurrent writes to a field are merged (see sync/Merge.hpp and docs/sync-engine.md).
enum class MergeKind : std::uint8_t {
    LastWriterWins,    ///< Highest change key (HLC, device, seq) wins.
    ReviewedRegister,  ///< Visible value as LWW; concurrent writes raise a conflict.
    AddWinsSet,        ///< Observed-remove set: a concurrent add beats a remove.
    MonotoneState,     ///< Ordered enum: the later state wins; going back needs Reopen.
    Min,               ///< The smallest value written wins.
    Max,               ///< The largest value written wins.
    Immutable,         ///< Written once; the first write (lowest key) stands.
};

/// The lower-case name of a field type, e.g. "string_set".
std::string_view wireName(FieldType type) noexcept;
/// The lower-case name of a merge kind, e.g. "reviewed_register".
std::string_view wireName(MergeKind kind) noexcept;

/// Default size limit of one value (string, JSON): 64 KiB.
inline constexpr std::size_t kDefaultMaxValueBytes = 64 * 1024;
/// Size limit of a change's author string.
inline constexpr std::size_t kMaxAuthorBytes = 256;

/// A shape a string field's values must have, beyond being UTF-8 text.
enum class TextFormat : std::uint8_t {
    Any,        ///< Any text.
    Sha256Hex,  ///< A SHA-256 digest: exactly 64 lower-case hexadecimal digits.
};

/// One field of a collection: name, value type, merge kind, allowed values, size limit.
struct FieldSpec {
    std::string name;                              ///< Unique within the collection, non-empty.
    FieldType type = FieldType::String;            ///< Value type.
    MergeKind merge = MergeKind::LastWriterWins;   ///< Merge kind.
    std::vector<std::string> enumValues;           ///< Enum values in order (monotone: ascending).
    std::size_t maxBytes = kDefaultMaxValueBytes;  ///< Largest payload accepted.
    TextFormat format = TextFormat::Any;           ///< String fields: the shape values have.

    /// Position of `value` in enumValues, or nullopt.
    std::optional<std::size_t> enumIndex(std::string_view value) const noexcept;
    /// Whether `text` has this field's format.
    bool fitsFormat(std::string_view text) const noexcept;
};

/// How records of a collection are placed in sync scopes.
///
/// A sync scope is the unit a device receives, checks (per-scope checksum) and purges. Scopes
/// are one level deep, like PowerSync's bucket parameters or Couchbase's channels: a scope root
/// is a record of an Own-scoped collection (an audit, a session), and every record of a
/// Parent-scoped collection points straight at its root through an immutable id reference
/// (answers.audit_id -> audits), so a record's scope is known from one of its own fields and
/// never changes. See docs/sync-engine.md, "Scopes".
struct ScopeRule {
    /// Whether a record is its own scope root or belongs to the scope of a parent record.
    enum class Kind : std::uint8_t {
        Own,     ///< Each record is a scope root, key "<collection>/<record id>".
        Parent,  ///< Each record belongs to the scope of the record its parentField names.
    };
    Kind kind = Kind::Own;         ///< Own: each record is a scope root, key "<collection>/<id>".
    std::string parentField;       ///< Parent: an Immutable IdRef field of this collection...
    std::string parentCollection;  ///< ...naming a record of this Own-scoped collection; the
                                   ///< record belongs to scope "<parentCollection>/<value>".

    /// The Own rule (the default).
    static ScopeRule own() { return ScopeRule{}; }
    /// A Parent rule: records belong to the scope of `collection`'s record named by `field`.
    static ScopeRule parent(std::string field, std::string collection) {
        return ScopeRule{Kind::Parent, std::move(field), std::move(collection)};
    }
};

/// The scope key of a scope root: "<collection>/<record id>" (RecordId::toString(), canonical
/// lower-case UUID text).
std::string scopeKey(std::string_view collection, const RecordId& root);

/// A collection (a kind of record, e.g. "audit_answers") and its fields.
///
/// Immutable after being added to a Schema; thread-safe for concurrent reads.
class CollectionSpec {
public:
    /// A collection with these fields and scope rule (checked when added to a Schema).
    CollectionSpec(std::string name, std::vector<FieldSpec> fields, ScopeRule scope = {});

    /// The collection's name.
    const std::string& name() const noexcept { return _name; }
    /// The fields in declaration order.
    const std::vector<FieldSpec>& fields() const noexcept { return _fields; }
    /// How the collection's records are placed in sync scopes.
    const ScopeRule& scope() const noexcept { return _scope; }
    /// The field called `name`, or nullptr. The pointer lives as long as this collection.
    const FieldSpec* field(std::string_view name) const noexcept;

private:
    std::string _name;
    std::vector<FieldSpec> _fields;
    ScopeRule _scope;
    std::map<std::string, std::size_t, std::less<>> _index;
};

/// Why a change was refused by validation: a stable code and a message safe to show a user.
struct ValidationError {
    ErrorCode code = ErrorCode::InvalidChange;  ///< One of the 3xx schema/sync codes.
    std::string message;                        ///< Human-readable detail.
    /// Code and message equality.
    friend bool operator==(const ValidationError&, const ValidationError&) = default;
};

/// The schema both server and SDK load: every collection, its fields and their merge kinds.
///
/// Built once at start-up, then only read: concurrent reads are thread-safe; adding collections
/// while others read is not.
class Schema {
public:
    /// An empty schema.
    Schema() = default;

    /// A schema of these collections, in any order; throws Error(ErrorCode::InvalidSchema) if one
    /// is malformed (see add()) or the scope rules do not fit together (see finalize()).
    explicit Schema(std::vector<CollectionSpec> collections);

    /// Adds a collection. Throws Error(ErrorCode::InvalidSchema) for a duplicate or empty name,
    /// a duplicate field, a type that does not fit the merge kind (a string set must be an
    /// add-wins set and vice versa; a monotone state must be an enum; min/max need an ordered
    /// type; an enum needs distinct values), or a scope rule that cannot hold: an Own rule that
    /// names a parent, a Parent rule whose field is missing or not an Immutable IdRef, whose
    /// parent collection is itself, or (when already added) is Parent-scoped, or a Parent rule
    /// on a collection that an added collection already uses as its parent. Collections may be
    /// added in any order; finalize() checks the parents that were added later.
    Schema& add(CollectionSpec collection);

    /// Checks the rules that span collections once all are added: every Parent rule names a
    /// collection of the schema that is Own-scoped (scopes are one level deep). Throws
    /// Error(ErrorCode::InvalidSchema) otherwise. The Schema(vector) constructor and the Store
    /// call it; call it yourself after building a schema with add().
    void finalize() const;

    /// The scope key derivable from `change` alone: "<collection>/<record id>" for an Own-scoped
    /// collection; for a Parent-scoped one, "<parentCollection>/<id>" when the change is a Set of
    /// the parent field with an id value; otherwise (unknown collection, any other field or
    /// operation) nullopt. Never throws for bad input except std::bad_alloc.
    std::optional<std::string> scopeKeyOf(const Change& change) const;

    /// The collection called `name`, or nullptr. The pointer lives as long as the schema.
    const CollectionSpec* collection(std::string_view name) const noexcept;

    /// All collections, ordered by name.
    std::vector<const CollectionSpec*> collections() const;

    /// The field a change addresses, or nullptr (record operations, or unknown names).
    const FieldSpec* fieldOf(const Change& change) const noexcept;

    /// Checks a change against the schema: known collection and field, an operation the merge
    /// kind allows, a value of the field's type, enum and text format (wrong_type otherwise),
    /// within the size limits, a well-formed
    /// identity (device, sequence > 0, record id) and a base version before the change's HLC.
    /// Returns nullopt when valid; never throws for bad input.
    std::optional<ValidationError> validate(const Change& change) const;

private:
    void checkScopeRule(const CollectionSpec& collection) const;

    std::map<std::string, CollectionSpec, std::less<>> _collections;
};

}  // namespace verdant::shared
