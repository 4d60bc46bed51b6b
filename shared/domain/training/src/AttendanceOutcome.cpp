#include "verdant/training/AttendanceOutcome.hpp"

namespace verdant::training {

std::optional<std::string> outcomeAtEnd(const std::string& state,
                                        std::optional<std::int64_t> firstCheckInMs,
                                        const SessionStart& session) {
    const bool checkedIn = state == "checked_in" || state == "attended";
    if (!checkedIn && state != "registered") {
        return std::nullopt;  // held no seat
    }
    if (!firstCheckInMs) {
        return std::string(checkedIn ? "present" : "no_show");
    }
    if (!session.startsAtMs) {
        return std::string("present");
    }
    const auto onTimeUntil = *session.startsAtMs + session.lateAfterMinutes.value_or(0) * 60'000;
    return std::string(*firstCheckInMs <= onTimeUntil ? "present" : "late");
}

}  // namespace verdant::training
