#pragma once

/// Small builders for declaring a domain's collections (each domain module declares its own, in
/// shared/domain/<module>/): a field with its type and merge kind, a SHA-256 digest field, and the
/// scope rule of a record that belongs to a parent record's scope.

#include "verdant/shared/Schema.hpp"

#include <string>
#include <vector>

namespace verdant::shared::specs {

inline FieldSpec field(std::string name, FieldType type, MergeKind merge,
                       std::vector<std::string> enumValues = {}) {
    FieldSpec spec;
    spec.name = std::move(name);
    spec.type = type;
    spec.merge = merge;
    spec.enumValues = std::move(enumValues);
    return spec;
}

/// A SHA-256 digest field: it names a blob's bytes, so it must never be a path or a URL.
inline FieldSpec sha256Field(std::string name, MergeKind merge) {
    auto spec = field(std::move(name), FieldType::String, merge);
    spec.format = TextFormat::Sha256Hex;
    return spec;
}

inline ScopeRule childOf(const char* parentCollection, std::string parentField) {
    ScopeRule rule;
    rule.kind = ScopeRule::Kind::Parent;
    rule.parentCollection = parentCollection;
    rule.parentField = std::move(parentField);
    return rule;
}

}  // namespace verdant::shared::specs
