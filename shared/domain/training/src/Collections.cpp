#include "verdant/training/Collections.hpp"

#include "verdant/shared/FieldSpecs.hpp"

namespace verdant::training {

void addCollections(shared::Schema& schema) {
    using shared::specs::childOf;
    using shared::specs::field;
    using F = shared::FieldType;
    using M = shared::MergeKind;
    schema.add(shared::CollectionSpec(collections::kTrainingSessions,
                                      {
                                          field("course", F::String, M::LastWriterWins),
                                          field("starts_at", F::Timestamp, M::LastWriterWins),
                                          field("venue", F::String, M::LastWriterWins),
                                          field("capacity", F::Int, M::LastWriterWins),
                                          field("coordinator_id", F::String, M::LastWriterWins),
                                          field("trainer", F::String, M::LastWriterWins),
                                      }));
    schema.add(shared::CollectionSpec(
        collections::kAttendance,
        {
            field("session_id", F::IdRef, M::Immutable),
            field("person", F::String, M::Immutable),
            // Checked in at the door beats cancelled on the web: the later state wins.
            field("state", F::Enum, M::MonotoneState,
                  {"invited", "registered", "cancelled", "checked_in", "attended"}),
            field("first_check_in", F::Timestamp, M::Min),
            field("last_check_out", F::Timestamp, M::Max),
        },
        childOf(collections::kTrainingSessions, "session_id")));
}

}  // namespace verdant::training
