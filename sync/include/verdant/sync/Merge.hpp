#pragma once

#include "verdant/shared/Change.hpp"
#include "verdant/shared/Schema.hpp"
#include "verdant/sync/Conflict.hpp"
#include "verdant/sync/FieldState.hpp"

#include <optional>
#include <string>
#include <vector>

namespace verdant::sync {

/// Merge functions: one per merge kind, all pure.
///
/// A change becomes a singleton state (stateOf); merging a state `from` into `into` is the join of
/// the two. Every join is commutative, associative and idempotent (the unit and property tests
/// check all three per kind), so replicas that merged the same set of changes in any order, with
/// any duplication or batching, hold equal states. The store only ever calls these functions,
/// which is why the server and the device SDK can never disagree on a merge.
///
/// "Seen" is judged with base versions: a writer's base is the field version (highest HLC) it
/// had when writing, so a write with HLC <= base is treated as seen by that writer. This is
/// exact for writes the writer really received (its HLC clock is ahead of all of them) and
/// errs towards "seen" only for a write with an older HLC than something it did see; such a
/// write has also lost the LWW order to that newer write (see docs/sync-engine.md).
///
/// All functions are stateless and thread-safe; none throws for inputs the schema validated.

/// The singleton state of one field change (Set, Add, Remove, Reopen). `change` must be valid
/// for `field` (Schema::validate returned nullopt).
FieldState stateOf(const shared::FieldSpec& field, const shared::Change& change);

/// The singleton state of one record change (Delete or Restore).
RecordState recordStateOf(const shared::Change& change);

/// Merges `from` into `into` according to `field.merge` (dispatches to the functions below).
void mergeInto(const shared::FieldSpec& field, FieldState& into, const FieldState& from);

/// The join of two states: a copy of `a` with `b` merged in.
FieldState merge(const shared::FieldSpec& field, const FieldState& a, const FieldState& b);

/// Last-writer-wins register: keeps the write with the highest key (HLC, device, seq).
/// CONFLICT: two devices write the field without seeing each other's write.
/// RESOLUTION: the higher key wins silently; the other value stays in the field history. Use
/// a reviewed register where a silent loss is not acceptable.
void mergeLastWriterWins(FieldState& into, const FieldState& from);

/// Reviewed register: candidates = the writes whose key is above every base merged (writes no
/// other writer had seen). The visible value is the highest-keyed candidate, as in LWW.
/// CONFLICT: two or more candidates, i.e. concurrent writes (base version not covering the
/// other's write), e.g. lead and co-auditor answer C.2 differently offline.
/// RESOLUTION: all candidates are kept and a Conflict is open until a write whose base version
/// is at least the highest candidate's HLC arrives (a person picked or typed the answer); that
/// write covers every candidate and becomes the only one, on every replica.
void mergeReviewedRegister(FieldState& into, const FieldState& from);

/// Add-wins (observed-remove) set: per element, the highest add and the highest base version of
/// its removes; the element is present iff its highest add is above that base.
/// CONFLICT: one device removes a tag while another (concurrently) adds it.
/// RESOLUTION: the add wins: a remove only removes adds its writer had seen (HLC <= its base).
void mergeAddWinsSet(FieldState& into, const FieldState& from);

/// Monotone state over an ordered enum (e.g. invited < registered < cancelled < checked_in <
/// attended): keeps, per state value, its highest-keyed write, and the highest-keyed Reopen.
/// The visible state is the highest state among the Reopen and the writes keyed after it.
/// CONFLICT: two writers move the state concurrently (a cancellation on the web while the person
/// is checked in at the door).
/// RESOLUTION: the later state in the enum order wins, whatever the clocks; going back happens
/// only through an explicit Reopen (role-checked by the server), which wins over writes it had
/// seen and is overridden by later forward moves.
void mergeMonotoneState(const shared::FieldSpec& field, FieldState& into, const FieldState& from);

/// Min register: keeps the smallest value (ties: the lowest key).
/// CONFLICT: two devices record a first check-in time.
/// RESOLUTION: the earliest time wins; no conflict is raised.
void mergeMin(FieldState& into, const FieldState& from);

/// Max register: keeps the largest value (ties: the lowest key).
/// CONFLICT: two devices record a last check-out time.
/// RESOLUTION: the latest time wins; no conflict is raised.
void mergeMax(FieldState& into, const FieldState& from);

/// Immutable field: keeps the write with the lowest key (the first write).
/// CONFLICT: a second write with a different value (a client bug or tampering).
/// RESOLUTION: the first write (lowest key) stands on every replica; the store refuses the
/// other write with ErrorCode::ImmutableField (kept in the history and the quarantine).
void mergeImmutable(FieldState& into, const FieldState& from);

/// Record tombstone: keeps the highest-keyed Delete and the highest-keyed Restore.
/// CONFLICT: one device deletes a record while another restores it (or edits it).
/// RESOLUTION: the record stays deleted unless a Restore with a higher key exists; field edits
/// are still merged underneath, so a restore brings back the converged fields.
void mergeTombstone(RecordState& into, const RecordState& from);

/// The value a reader sees: the winning write's value; for a monotone state the visible state;
/// null for an empty state. For add-wins sets use visibleElements().
shared::Value visibleValue(const shared::FieldSpec& field, const FieldState& state);

/// The write that supplied visibleValue(), or nullopt (empty state, add-wins set).
std::optional<Write> visibleWrite(const shared::FieldSpec& field, const FieldState& state);

/// The elements of an add-wins set, in ascending order.
std::vector<std::string> visibleElements(const FieldState& state);

/// Whether the state holds an open conflict (reviewed register with two or more candidates).
bool hasConflict(const shared::FieldSpec& field, const FieldState& state) noexcept;

/// The open conflict of a field, or nullopt.
std::optional<Conflict> conflictOf(const shared::FieldSpec& field, const FieldState& state,
                                   const std::string& collection, const shared::RecordId& record);

}  // namespace verdant::sync
