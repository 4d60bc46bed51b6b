// The quarantine: exactly once for refused changes, bounded storage of what was refused, HQ's
// decisions applied exactly once, and pages.

#include "SyncFixtures.hpp"

#include "verdant/shared/ErrorCode.hpp"
#include "verdant/sync/Store.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace verdant::sync {
namespace {

using shared::Change;
using shared::ErrorCode;
using shared::Value;
using testing::TestDevice;

Store memoryStore() {
    return Store(":memory:", testing::testSchema());
}

/// A server-like gate that refuses everything while `open` is false.
ChangeGate gateOpenWhen(const bool& open) {
    return [&open](const Change&,
                   const std::optional<std::string>&) -> std::optional<shared::ValidationError> {
        if (open) {
            return std::nullopt;
        }
        return shared::ValidationError{ErrorCode::Forbidden, "Only the lead may settle this."};
    };
}

TEST(Quarantine, AResendOfAChangeTheGateRefusedIsADuplicateAndNeverApplied) {
    Store server = memoryStore();
    TestDevice expert(1, "expert2");
    const auto record = expert.newRecordId();
    const auto settle = expert.set("answers", record, "answer", Value::string("no"));
    bool open = false;
    const auto refused = server.apply(std::vector{settle}, gateOpenWhen(open));
    ASSERT_EQ(refused.results[0].outcome, ChangeOutcome::Refused);

    open = true;  // what made the gate refuse is gone, e.g. the lead settled the conflict
    const auto resent = server.apply(std::vector{settle}, gateOpenWhen(open));
    EXPECT_EQ(resent.results[0].outcome, ChangeOutcome::Duplicate);
    EXPECT_EQ(resent.results[0].error, ErrorCode::Forbidden) << "still refused, the device learns";
    EXPECT_FALSE(resent.results[0].serverSeq);
    EXPECT_FALSE(server.record("answers", record)) << "never applied behind the quarantine";
    EXPECT_TRUE(server.changesSince(0, 10).empty());
    EXPECT_EQ(server.quarantine().size(), 1U);
    EXPECT_EQ(server.highWaterMark(expert.id()), settle.deviceSeq);
}

TEST(Quarantine, AResendOfAnImmutableFieldRewriteStillCarriesItsRefusal) {
    // The one refusal that is logged (as refused) as well as quarantined.
    Store server = memoryStore();
    TestDevice a(1), b(2, "b", 10);
    const auto record = a.newRecordId();
    const auto created = a.set("answers", record, "created_at", Value::timestamp(100));
    const auto rewrite = b.set("answers", record, "created_at", Value::timestamp(200));
    bool open = true;
    ASSERT_EQ(server.apply(std::vector{created, rewrite}, gateOpenWhen(open)).results[1].error,
              ErrorCode::ImmutableField);
    const auto resent = server.apply(std::vector{rewrite}, gateOpenWhen(open));
    EXPECT_EQ(resent.results[0].outcome, ChangeOutcome::Duplicate);
    EXPECT_EQ(resent.results[0].error, ErrorCode::ImmutableField)
        << "the device must learn it was refused, not that it is on the server";
}

TEST(Quarantine, AResendOfASchemaInvalidChangeIsADuplicateOnAGatedStore) {
    Store server = memoryStore();
    TestDevice tablet(1);
    const auto record = tablet.newRecordId();
    const auto invalid = tablet.set("answers", record, "colour", Value::string("red"));
    bool open = true;
    EXPECT_EQ(server.apply(std::vector{invalid}, gateOpenWhen(open)).results[0].error,
              ErrorCode::UnknownField);
    const auto resent = server.apply(std::vector{invalid, invalid}, gateOpenWhen(open));
    for (const auto& result : resent.results) {
        EXPECT_EQ(result.outcome, ChangeOutcome::Duplicate);
        EXPECT_EQ(result.error, ErrorCode::UnknownField);
    }
    EXPECT_EQ(server.quarantine().size(), 1U);
}

TEST(Quarantine, AChangeRefusedForClockSkewIsNotReceivedAndMayBeResent) {
    shared::ManualClock serverWall(testing::kEpochMs);
    shared::HlcClock serverClock(serverWall, 99, std::chrono::minutes(5));
    StoreOptions options;
    options.clock = &serverClock;
    Store server(":memory:", testing::testSchema(), options);
    TestDevice fastTablet(1, "auditor", 86'400'000);
    const auto record = fastTablet.newRecordId();
    auto change = fastTablet.set("answers", record, "note", Value::string("tomorrow"));
    bool open = true;
    EXPECT_EQ(server.apply(std::vector{change}, gateOpenWhen(open)).results[0].error,
              ErrorCode::ClockSkew);
    change.hlc = shared::Hlc{static_cast<std::uint64_t>(testing::kEpochMs), 0,
                             change.hlc.node};  // re-stamped, same seq
    EXPECT_EQ(server.apply(std::vector{change}, gateOpenWhen(open)).results[0].outcome,
              ChangeOutcome::Applied);
}

// A device replica (ungated) re-merges what it pulls: after a purge and a fresh pull of a scope,
// a change it logged and also quarantined (a second write of an immutable field) is merged again,
// so the rebuilt copy equals the server's.
TEST(Quarantine, ADeviceRebuildsAPurgedScopeIncludingChangesItQuarantined) {
    Store server = memoryStore();
    Store tablet = memoryStore();
    TestDevice a(1), b(2, "b", 10);
    const auto record = a.newRecordId();
    const std::vector changes = {a.set("answers", record, "created_at", Value::timestamp(100)),
                                 b.set("answers", record, "created_at", Value::timestamp(200))};
    server.apply(changes);
    tablet.apply(changes);
    ASSERT_EQ(tablet.quarantine().size(), 1U);
    const std::string scope = "answers/" + record.toString();
    ASSERT_EQ(tablet.purgeScope(scope), 1U);
    tablet.apply(changes);
    EXPECT_EQ(tablet.scopeChecksum(scope), server.scopeChecksum(scope));
}

TEST(Quarantine, AcceptingAppliesTheWritesExactlyOnceWithTheDecision) {
    Store server = memoryStore();
    TestDevice expert(1, "expert2"), hq(9, "server");
    const auto record = expert.newRecordId();
    const auto refused = expert.set("answers", record, "note", Value::string("late"));
    bool open = false;
    server.apply(std::vector{refused}, gateOpenWhen(open));

    // A write the store refuses rolls the decision back with it.
    const auto invalid = hq.set("answers", record, "colour", Value::string("x"));
    EXPECT_THROW(
        server.decideQuarantined(expert.id(), refused.deviceSeq, QuarantineDecision::Accepted,
                                 "hq-1", 1, std::vector{invalid}),
        shared::Error);
    EXPECT_FALSE(server.quarantined(expert.id(), refused.deviceSeq)->decision);
    EXPECT_TRUE(server.quarantine().size() == 1U) << "the server's own write is not quarantined";

    auto write = refused;
    write.deviceId = hq.id();
    write.deviceSeq = 2;
    const auto accepted =
        server.decideQuarantined(expert.id(), refused.deviceSeq, QuarantineDecision::Accepted,
                                 "hq-1", 1, std::vector{write});
    ASSERT_EQ(accepted.results.size(), 1U);
    EXPECT_EQ(accepted.results[0].outcome, ChangeOutcome::Applied);
    EXPECT_EQ(server.quarantined(expert.id(), refused.deviceSeq)->decision,
              QuarantineDecision::Accepted);

    auto again = write;
    again.deviceSeq = 3;
    EXPECT_THROW(
        server.decideQuarantined(expert.id(), refused.deviceSeq, QuarantineDecision::Accepted,
                                 "hq-2", 2, std::vector{again}),
        shared::Error);
    EXPECT_EQ(server.changesSince(0, 10).size(), 1U) << "applied once";
    EXPECT_EQ(server.highWaterMark(hq.id()), 2U);

    open = true;
    EXPECT_EQ(server.apply(std::vector{refused}, gateOpenWhen(open)).results[0].outcome,
              ChangeOutcome::Duplicate)
        << "a resend after HQ's decision is still the same change";
    EXPECT_EQ(server.changesSince(0, 10).size(), 1U);
}

TEST(Quarantine, ARefusedOversizedValueIsKeptAsABoundedPrefixWithItsDigest) {
    Store server = memoryStore();
    TestDevice tablet(1);
    const auto record = tablet.newRecordId();
    const auto huge =
        tablet.set("answers", record, "note", Value::string(std::string(1'000'000, 'a')));
    const auto result = server.apply(std::vector{huge});
    EXPECT_EQ(result.results[0].error, ErrorCode::ValueTooLarge);

    const auto kept = server.quarantined(tablet.id(), huge.deviceSeq);
    ASSERT_TRUE(kept);
    EXPECT_TRUE(kept->truncated);
    EXPECT_EQ(kept->change.value, Value::string(std::string(kQuarantinedValueBytes, 'a')));
    EXPECT_EQ(kept->valueBytes, 1'000'000U);
    // The SHA-256 of a million 'a's (FIPS 180-2's test vector).
    EXPECT_EQ(kept->valueSha256,
              "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
    EXPECT_EQ(kept->change.deviceSeq, huge.deviceSeq);
    EXPECT_EQ(kept->change.hlc, huge.hlc);

    try {
        server.decideQuarantined(tablet.id(), huge.deviceSeq, QuarantineDecision::Accepted, "hq",
                                 1);
        ADD_FAILURE() << "a prefix must never be applied";
    } catch (const shared::Error& error) {
        EXPECT_EQ(error.code(), ErrorCode::ValueTooLarge);
    }
    server.decideQuarantined(tablet.id(), huge.deviceSeq, QuarantineDecision::Discarded, "hq", 1);
    EXPECT_EQ(server.quarantined(tablet.id(), huge.deviceSeq)->decision,
              QuarantineDecision::Discarded);
}

TEST(Quarantine, HugeNamesAreCutAndNeverEchoedWhole) {
    Store server = memoryStore();
    TestDevice tablet(1);
    const auto record = tablet.newRecordId();
    const std::string name(1'000'000, 'c');
    const auto result = server.apply(std::vector{
        tablet.set(name, record, "note", Value::string("x")),
        tablet.set("answers", record, name, Value::string("x")),
        tablet.set("answers", record, "severity", Value::string(std::string(1000, 's'))),
    });
    for (const auto& outcome : result.results) {
        EXPECT_EQ(outcome.outcome, ChangeOutcome::Refused);
        EXPECT_LT(outcome.message.size(), 200U) << outcome.message.substr(0, 80);
    }
    const auto kept = server.quarantine();
    ASSERT_EQ(kept.size(), 3U);
    EXPECT_TRUE(kept[0].truncated);
    EXPECT_EQ(kept[0].change.collection, std::string(kQuarantinedNameBytes, 'c'));
    EXPECT_TRUE(kept[1].truncated);
    EXPECT_EQ(kept[1].change.field, std::string(kQuarantinedNameBytes, 'c'));
    EXPECT_FALSE(kept[2].truncated) << "a short value is kept whole";
    for (const auto& entry : kept) {
        EXPECT_LT(entry.message.size(), 200U);
    }
}

TEST(Quarantine, PagesFollowTheOrderAndCanBeLimitedToOneDevice) {
    Store server = memoryStore();
    TestDevice a(1), b(2);
    const auto record = a.newRecordId();
    std::vector<Change> invalid;
    for (int i = 0; i < 3; ++i) {
        invalid.push_back(a.set("answers", record, "nope", Value::string("x")));
        invalid.push_back(b.set("answers", record, "nope", Value::string("x")));
    }
    server.apply(invalid);
    const auto all = server.quarantine();
    ASSERT_EQ(all.size(), 6U);

    std::vector<QuarantinedChange> paged;
    QuarantinePosition after;
    for (;;) {
        const auto page = server.quarantinePage(after, 4);
        ASSERT_LE(page.size(), 4U);
        paged.insert(paged.end(), page.begin(), page.end());
        if (page.size() < 4) {
            break;
        }
        after = {page.back().change.deviceId, page.back().change.deviceSeq};
    }
    ASSERT_EQ(paged.size(), all.size());
    for (std::size_t i = 0; i < all.size(); ++i) {
        EXPECT_EQ(paged[i].change, all[i].change) << i;
    }

    const auto firstTwo = server.quarantinePage({}, 2, b.id());
    ASSERT_EQ(firstTwo.size(), 2U);
    EXPECT_EQ(firstTwo[0].change.deviceId, b.id());
    EXPECT_EQ(firstTwo[1].change.deviceSeq, 2U);
    const auto rest = server.quarantinePage({b.id(), 2}, 100, b.id());
    ASSERT_EQ(rest.size(), 1U);
    EXPECT_EQ(rest[0].change.deviceSeq, 3U);
}

}  // namespace
}  // namespace verdant::sync
