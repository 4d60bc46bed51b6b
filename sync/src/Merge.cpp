#include "verdant/sync/Merge.hpp"

#include <algorithm>

namespace verdant::sync {

using shared::Change;
using shared::FieldSpec;
using shared::Hlc;
using shared::MergeKind;
using shared::Operation;
using shared::Value;

namespace {

template <class T>
void keepMax(std::optional<T>& into, const std::optional<T>& from) {
    if (from && (!into || *into < *from)) {
        into = from;
    }
}

void keepHigherKey(std::optional<Write>& into, const std::optional<Write>& from) {
    if (from && (!into || into->key < from->key)) {
        into = from;
    }
}

/// Keeps the single write for which `better(candidate, current)` holds (total order on writes).
template <class Better>
void keepSingle(FieldState& into, const FieldState& from, Better better) {
    keepMax(into.version, from.version);
    if (from.writes.empty()) {
        return;
    }
    if (into.writes.empty() || better(from.writes.front(), into.writes.front())) {
        into.writes.assign(1, from.writes.front());
    }
}

std::size_t enumPosition(const FieldSpec& field, const Write& write) {
    // Validated changes always hold one of the enum values; an unknown one (a value removed from
    // the schema later) sorts lowest, so it can never block a valid state.
    const auto* text = std::get_if<std::string>(&write.value.data());
    if (text == nullptr) {
        return 0;
    }
    const auto index = field.enumIndex(*text);
    return index ? *index + 1 : 0;
}

}  // namespace

FieldState stateOf(const FieldSpec& field, const Change& change) {
    FieldState state;
    state.version = change.hlc;
    Write write{shared::keyOf(change), change.author, change.value};
    switch (field.merge) {
        case MergeKind::AddWinsSet: {
            auto& element = state.elements[change.value.as<std::string>()];
            if (change.operation == Operation::Add) {
                element.lastAdd = write.key;
            } else {
                element.lastRemoveBase = change.baseVersion;
            }
            break;
        }
        case MergeKind::MonotoneState:
            if (change.operation == Operation::Reopen) {
                state.reopen = std::move(write);
            } else {
                state.writes.push_back(std::move(write));
            }
            break;
        case MergeKind::ReviewedRegister:
            state.maxBase = change.baseVersion;
            state.writes.push_back(std::move(write));
            break;
        case MergeKind::LastWriterWins:
        case MergeKind::Min:
        case MergeKind::Max:
        case MergeKind::Immutable:
            state.writes.push_back(std::move(write));
            break;
    }
    return state;
}

RecordState recordStateOf(const Change& change) {
    RecordState state;
    Write write{shared::keyOf(change), change.author, Value::null()};
    if (change.operation == Operation::Delete) {
        state.lastDelete = std::move(write);
    } else {
        state.lastRestore = std::move(write);
    }
    return state;
}

void mergeInto(const FieldSpec& field, FieldState& into, const FieldState& from) {
    switch (field.merge) {
        case MergeKind::LastWriterWins:
            mergeLastWriterWins(into, from);
            return;
        case MergeKind::ReviewedRegister:
            mergeReviewedRegister(into, from);
            return;
        case MergeKind::AddWinsSet:
            mergeAddWinsSet(into, from);
            return;
        case MergeKind::MonotoneState:
            mergeMonotoneState(field, into, from);
            return;
        case MergeKind::Min:
            mergeMin(into, from);
            return;
        case MergeKind::Max:
            mergeMax(into, from);
            return;
        case MergeKind::Immutable:
            mergeImmutable(into, from);
            return;
    }
}

FieldState merge(const FieldSpec& field, const FieldState& a, const FieldState& b) {
    FieldState result = a;
    mergeInto(field, result, b);
    return result;
}

void mergeLastWriterWins(FieldState& into, const FieldState& from) {
    keepSingle(into, from, [](const Write& a, const Write& b) { return a.key > b.key; });
}

void mergeReviewedRegister(FieldState& into, const FieldState& from) {
    keepMax(into.version, from.version);
    keepMax(into.maxBase, from.maxBase);
    std::vector<Write> merged;
    merged.reserve(into.writes.size() + from.writes.size());
    std::merge(into.writes.begin(), into.writes.end(), from.writes.begin(), from.writes.end(),
               std::back_inserter(merged),
               [](const Write& a, const Write& b) { return a.key < b.key; });
    // The same write may be in both states (a duplicate delivery): keep one copy.
    merged.erase(std::unique(merged.begin(), merged.end(),
                             [](const Write& a, const Write& b) { return a.key == b.key; }),
                 merged.end());
    // A write covered by some writer's base was seen by that writer: no longer a candidate.
    if (into.maxBase) {
        const Hlc base = *into.maxBase;
        std::erase_if(merged, [&base](const Write& write) { return write.key.hlc <= base; });
    }
    into.writes = std::move(merged);
}

void mergeAddWinsSet(FieldState& into, const FieldState& from) {
    keepMax(into.version, from.version);
    for (const auto& [element, state] : from.elements) {
        auto& target = into.elements[element];
        keepMax(target.lastAdd, state.lastAdd);
        keepMax(target.lastRemoveBase, state.lastRemoveBase);
    }
}

void mergeMonotoneState(const FieldSpec& field, FieldState& into, const FieldState& from) {
    keepMax(into.version, from.version);
    keepHigherKey(into.reopen, from.reopen);
    for (const auto& write : from.writes) {
        const std::size_t position = enumPosition(field, write);
        auto found = std::find_if(into.writes.begin(), into.writes.end(), [&](const Write& w) {
            return enumPosition(field, w) == position && w.value == write.value;
        });
        if (found == into.writes.end()) {
            const auto at =
                std::find_if(into.writes.begin(), into.writes.end(), [&](const Write& w) {
                    const std::size_t p = enumPosition(field, w);
                    return p > position ||
                           (p == position && shared::compareValues(w.value, write.value) > 0);
                });
            into.writes.insert(at, write);
        } else if (found->key < write.key) {
            *found = write;
        }
    }
}

void mergeMin(FieldState& into, const FieldState& from) {
    keepSingle(into, from, [](const Write& a, const Write& b) {
        const int order = shared::compareValues(a.value, b.value);
        return order < 0 || (order == 0 && a.key < b.key);
    });
}

void mergeMax(FieldState& into, const FieldState& from) {
    keepSingle(into, from, [](const Write& a, const Write& b) {
        const int order = shared::compareValues(a.value, b.value);
        return order > 0 || (order == 0 && a.key < b.key);
    });
}

void mergeImmutable(FieldState& into, const FieldState& from) {
    keepSingle(into, from, [](const Write& a, const Write& b) { return a.key < b.key; });
}

void mergeTombstone(RecordState& into, const RecordState& from) {
    keepHigherKey(into.lastDelete, from.lastDelete);
    keepHigherKey(into.lastRestore, from.lastRestore);
}

std::optional<Write> visibleWrite(const FieldSpec& field, const FieldState& state) {
    switch (field.merge) {
        case MergeKind::AddWinsSet:
            return std::nullopt;
        case MergeKind::MonotoneState: {
            const Write* best = state.reopen ? &*state.reopen : nullptr;
            std::size_t bestPosition = best ? enumPosition(field, *best) : 0;
            for (const auto& write : state.writes) {
                if (state.reopen && !(state.reopen->key < write.key)) {
                    continue;  // written before the reopen: the reopen overrides it
                }
                const std::size_t position = enumPosition(field, write);
                if (best == nullptr || position > bestPosition ||
                    (position == bestPosition && best->key < write.key)) {
                    best = &write;
                    bestPosition = position;
                }
            }
            return best ? std::optional<Write>(*best) : std::nullopt;
        }
        case MergeKind::ReviewedRegister:
            return state.writes.empty() ? std::nullopt : std::optional<Write>(state.writes.back());
        case MergeKind::LastWriterWins:
        case MergeKind::Min:
        case MergeKind::Max:
        case MergeKind::Immutable:
            return state.writes.empty() ? std::nullopt : std::optional<Write>(state.writes.front());
    }
    return std::nullopt;
}

Value visibleValue(const FieldSpec& field, const FieldState& state) {
    auto write = visibleWrite(field, state);
    return write ? std::move(write->value) : Value::null();
}

std::vector<std::string> visibleElements(const FieldState& state) {
    std::vector<std::string> elements;
    for (const auto& [element, elementState] : state.elements) {
        if (elementState.present()) {
            elements.push_back(element);
        }
    }
    return elements;
}

bool hasConflict(const FieldSpec& field, const FieldState& state) noexcept {
    return field.merge == MergeKind::ReviewedRegister && state.writes.size() >= 2;
}

std::optional<Conflict> conflictOf(const FieldSpec& field, const FieldState& state,
                                   const std::string& collection, const shared::RecordId& record) {
    if (!hasConflict(field, state)) {
        return std::nullopt;
    }
    Conflict conflict{collection, record, field.name, {}, state.version.value_or(Hlc{})};
    conflict.candidates.reserve(state.writes.size());
    for (const auto& write : state.writes) {
        conflict.candidates.push_back(ConflictCandidate{write.value, write.author, write.key.device,
                                                        write.key.deviceSeq, write.key.hlc});
    }
    return conflict;
}

}  // namespace verdant::sync
