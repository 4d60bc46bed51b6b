#include "verdant/training/TrainingRules.hpp"
#include "verdant/training/Waitlist.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>

namespace verdant::training {
namespace {

using Positions = std::map<shared::RecordId, std::optional<std::int64_t>>;

shared::RecordId idOf(std::uint8_t n) {
    shared::RecordId::Bytes bytes{};
    bytes[15] = n;
    return shared::RecordId(bytes);
}

SeatRequest request(std::uint8_t n, std::string state, std::uint64_t order,
                    std::optional<std::int64_t> position = std::nullopt) {
    return SeatRequest{idOf(n), std::move(state), position, order};
}

/// `requests` with `decision` applied.
std::vector<SeatRequest> applied(std::vector<SeatRequest> requests,
                                 const WaitlistDecision& decision) {
    for (auto& r : requests) {
        if (std::count(decision.promoted.begin(), decision.promoted.end(), r.id) != 0) {
            r.state = "registered";
        }
        if (std::count(decision.waitlisted.begin(), decision.waitlisted.end(), r.id) != 0) {
            r.state = "waitlisted";
        }
        if (const auto found = decision.positions.find(r.id); found != decision.positions.end()) {
            r.waitlistPosition = found->second;
        }
    }
    return requests;
}

TEST(Waitlist, BeyondCapacityTheLastToAskWaitInTheOrderTheyAsked) {
    const std::vector<SeatRequest> four{request(1, "registered", 10), request(2, "registered", 11),
                                        request(3, "registered", 12), request(4, "registered", 13)};
    const auto decision = decideWaitlist({2, true}, four);
    EXPECT_TRUE(decision.promoted.empty());
    EXPECT_EQ(decision.waitlisted, (std::vector{idOf(4), idOf(3)}));
    EXPECT_EQ(decision.positions, (Positions{{idOf(3), 1}, {idOf(4), 2}}));
    EXPECT_EQ(decision.seatsTaken, 2);
}

TEST(Waitlist, TheOrderIsTheServersNotTheRecordIds) {
    const auto decision =
        decideWaitlist({1, true}, {request(1, "registered", 20), request(2, "registered", 5)});
    EXPECT_EQ(decision.waitlisted, (std::vector{idOf(1)})) << "2 asked first";
}

TEST(Waitlist, ACancellationPromotesExactlyTheFirstWaitingAndRenumbersTheRest) {
    const std::vector<SeatRequest> after{request(1, "cancelled", 10), request(2, "registered", 11),
                                         request(3, "waitlisted", 12, 1),
                                         request(4, "waitlisted", 13, 2)};
    const auto decision = decideWaitlist({2, true}, after);
    EXPECT_EQ(decision.promoted, (std::vector{idOf(3)}));
    EXPECT_TRUE(decision.waitlisted.empty());
    EXPECT_EQ(decision.positions, (Positions{{idOf(3), std::nullopt}, {idOf(4), 1}}));
}

TEST(Waitlist, ARaisedCapacityPromotesInOrderAndNoCapacityMeansNoLimit) {
    const std::vector<SeatRequest> waiting{request(1, "registered", 1),
                                           request(2, "waitlisted", 3, 2),
                                           request(3, "waitlisted", 2, 1)};
    EXPECT_EQ(decideWaitlist({2, true}, waiting).promoted, (std::vector{idOf(3)}));
    EXPECT_EQ(decideWaitlist({std::nullopt, true}, waiting).promoted,
              (std::vector{idOf(3), idOf(2)}));
}

TEST(Waitlist, PeopleAtTheDoorKeepTheirSeatARegisteredOneWaitsInstead) {
    const auto decision =
        decideWaitlist({1, true}, {request(1, "registered", 1), request(2, "checked_in", 2)});
    EXPECT_EQ(decision.waitlisted, (std::vector{idOf(1)}));
    const auto over =
        decideWaitlist({1, true}, {request(1, "attended", 1), request(2, "checked_in", 2)});
    EXPECT_TRUE(over.waitlisted.empty()) << "nobody present is sent away";
    EXPECT_EQ(over.seatsTaken, 2);
}

TEST(Waitlist, WithoutAWaitlistNobodyIsMovedBack) {
    const auto decision =
        decideWaitlist({1, false}, {request(1, "registered", 1), request(2, "registered", 2)});
    EXPECT_TRUE(decision.waitlisted.empty());
    EXPECT_EQ(decision.seatsTaken, 2);
    EXPECT_TRUE(fullSessionRefusal(1, false, 0) == std::nullopt);
    EXPECT_EQ(fullSessionRefusal(1, false, 1)->code, shared::ErrorCode::SessionFull);
    EXPECT_TRUE(fullSessionRefusal(1, true, 5) == std::nullopt) << "a waitlist takes them";
    EXPECT_TRUE(fullSessionRefusal(std::nullopt, false, 5) == std::nullopt);
}

TEST(Waitlist, TheDecisionIsIdempotentAndIgnoresTheInputOrder) {
    std::vector<SeatRequest> requests;
    for (std::uint8_t n = 1; n <= 12; ++n) {
        requests.push_back(request(
            n, n % 4 == 0 ? "cancelled" : (n % 3 == 0 ? "waitlisted" : "registered"), 100 - n));
    }
    const auto decision = decideWaitlist({5, true}, requests);
    auto shuffled = requests;
    std::shuffle(shuffled.begin(), shuffled.end(), std::mt19937(7));
    const auto again = decideWaitlist({5, true}, shuffled);
    EXPECT_EQ(again.promoted, decision.promoted);
    EXPECT_EQ(again.waitlisted, decision.waitlisted);
    EXPECT_EQ(again.positions, decision.positions);
    const auto settled = decideWaitlist({5, true}, applied(requests, decision));
    EXPECT_TRUE(settled.promoted.empty() && settled.waitlisted.empty() &&
                settled.positions.empty());
    EXPECT_EQ(settled.seatsTaken, 5);
}

}  // namespace
}  // namespace verdant::training
