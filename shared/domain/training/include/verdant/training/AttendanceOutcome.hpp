#pragma once

/// The attendance outcome the server sets for each registration when its session is done.

#include <cstdint>
#include <optional>
#include <string>

namespace verdant::training {

/// What the session says about lateness: when it started and the grace period (minutes after the
/// start during which a check-in still counts as on time; none: 0).
struct SessionStart {
    std::optional<std::int64_t> startsAtMs;
    std::optional<std::int64_t> lateAfterMinutes;
};

/// The outcome of a registration in `state`, first checked in at `firstCheckInMs`, once its
/// session is done: checked in at or before the start plus the grace period -> "present", after
/// -> "late" (a check-in without a time, or a session without a start, counts as present; a
/// check-in time on a registration counts as a check-in); registered but never checked in ->
/// "no_show"; nothing for anyone who held no seat (invited, waitlisted, cancelled).
std::optional<std::string> outcomeAtEnd(const std::string& state,
                                        std::optional<std::int64_t> firstCheckInMs,
                                        const SessionStart& session);

}  // namespace verdant::training
