#pragma once

/// The training domain's synced collections: training sessions (scope roots, held by their
/// coordinator's devices) and the attendance records that belong to a session's scope.

#include "verdant/shared/Schema.hpp"

namespace verdant::training {

/// Collection names, for code that addresses them.
namespace collections {
inline constexpr const char* kTrainingSessions = "training_sessions";
inline constexpr const char* kAttendance = "attendance";
}  // namespace collections

/// Adds the training domain's collections to `schema`.
void addCollections(shared::Schema& schema);

}  // namespace verdant::training
