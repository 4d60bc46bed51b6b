#include "verdant/training/Waitlist.hpp"

#include <algorithm>

namespace verdant::training {

bool holdsSeat(const std::string& state) {
    return state == "registered" || state == "checked_in" || state == "attended";
}

WaitlistDecision decideWaitlist(const SessionSeats& seats, std::vector<SeatRequest> requests) {
    std::sort(requests.begin(), requests.end(), [](const SeatRequest& a, const SeatRequest& b) {
        return a.order != b.order ? a.order < b.order : a.id < b.id;
    });
    std::int64_t present = 0;  // checked in or attended: never moved
    std::vector<const SeatRequest*> registered;
    std::vector<const SeatRequest*> waiting;
    for (const auto& request : requests) {
        if (request.state == "registered") {
            registered.push_back(&request);
        } else if (request.state == "waitlisted") {
            waiting.push_back(&request);
        } else if (holdsSeat(request.state)) {
            ++present;
        }
    }
    WaitlistDecision decision;
    const auto capacity =
        seats.capacity.value_or(present + std::ssize(registered) + std::ssize(waiting));
    while (seats.waitlist && !registered.empty() && present + std::ssize(registered) > capacity) {
        decision.waitlisted.push_back(registered.back()->id);
        waiting.push_back(registered.back());
        registered.pop_back();
    }
    std::sort(waiting.begin(), waiting.end(), [](const SeatRequest* a, const SeatRequest* b) {
        return a->order != b->order ? a->order < b->order : a->id < b->id;
    });
    std::size_t next = 0;
    for (; next < waiting.size() && present + std::ssize(registered) < capacity; ++next) {
        decision.promoted.push_back(waiting[next]->id);
        registered.push_back(waiting[next]);
    }
    std::map<shared::RecordId, std::int64_t> rank;
    for (std::size_t i = next; i < waiting.size(); ++i) {
        rank.emplace(waiting[i]->id, static_cast<std::int64_t>(i - next + 1));
    }
    for (const auto& request : requests) {
        const auto found = rank.find(request.id);
        const auto position =
            found == rank.end() ? std::nullopt : std::optional<std::int64_t>(found->second);
        if (request.waitlistPosition != position) {
            decision.positions.emplace(request.id, position);
        }
    }
    decision.seatsTaken = present + std::ssize(registered);
    return decision;
}

}  // namespace verdant::training
