#include "SyncFixtures.hpp"

#include "verdant/shared/ErrorCode.hpp"
#include "verdant/sync/Store.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <stdexcept>

namespace verdant::sync {
namespace {

using shared::Change;
using shared::ErrorCode;
using shared::Operation;
using shared::Value;
using testing::TestDevice;

Store memoryStore(StoreOptions options = {}) {
    return Store(":memory:", testing::testSchema(), std::move(options));
}

/// Applies every change of `source`'s log to `target` (a pull of everything).
void pullAll(const Store& source, Store& target) {
    std::vector<Change> changes;
    for (const auto& logged : source.changesSince(0, 1'000'000)) {
        changes.push_back(logged.change);
    }
    target.apply(changes);
}

TEST(Store, ConcurrentReviewedEditsRaiseAConflictWithBothValues) {
    Store server = memoryStore();
    TestDevice lead(1, "lead"), coAuditor(2, "co-auditor", 10);
    const auto record = lead.newRecordId();
    const auto yes = lead.set("answers", record, "answer", Value::string("yes"));
    const auto no = coAuditor.set("answers", record, "answer", Value::string("no"));
    EXPECT_EQ(server.apply(std::vector{yes}).results[0].outcome, ChangeOutcome::Applied);
    EXPECT_EQ(server.apply(std::vector{no}).results[0].outcome, ChangeOutcome::ConflictRaised);

    const auto conflicts = server.openConflicts();
    ASSERT_EQ(conflicts.size(), 1U);
    EXPECT_EQ(conflicts[0].field, "answer");
    ASSERT_EQ(conflicts[0].candidates.size(), 2U);
    EXPECT_EQ(conflicts[0].candidates[0].value, Value::string("yes"));
    EXPECT_EQ(conflicts[0].candidates[0].author, "lead");
    EXPECT_EQ(conflicts[0].candidates[1].value, Value::string("no"));
    EXPECT_EQ(conflicts[0].candidates[1].author, "co-auditor");
    const auto stored = server.record("answers", record);
    ASSERT_TRUE(stored.has_value());
    EXPECT_TRUE(stored->fields.at("answer").inConflict);
}

TEST(Store, SequentialReviewedEditsDoNotConflict) {
    Store server = memoryStore();
    TestDevice lead(1), coAuditor(2);
    const auto record = lead.newRecordId();
    const auto yes = lead.set("answers", record, "answer", Value::string("yes"));
    server.apply(std::vector{yes});
    const auto base = server.fieldVersion("answers", record, "answer");
    ASSERT_EQ(base, yes.hlc);
    coAuditor.hlc().receive(*base);
    const auto no = coAuditor.set("answers", record, "answer", Value::string("no"), base);
    EXPECT_EQ(server.apply(std::vector{no}).results[0].outcome, ChangeOutcome::Applied);
    EXPECT_TRUE(server.openConflicts().empty());
    EXPECT_EQ(server.record("answers", record)->fields.at("answer").value, Value::string("no"));
}

TEST(Store, AResolutionClearsTheConflictOnEveryReplica) {
    Store server = memoryStore();
    Store leadTablet = memoryStore();
    Store coTablet = memoryStore();
    TestDevice lead(1, "lead"), coAuditor(2, "co"), reviewer(3, "hq");
    const auto record = lead.newRecordId();
    const auto yes = lead.set("answers", record, "answer", Value::string("yes"));
    const auto no = coAuditor.set("answers", record, "answer", Value::string("no"));
    leadTablet.apply(std::vector{yes});
    coTablet.apply(std::vector{no});
    server.apply(std::vector{no});
    server.apply(std::vector{yes});
    pullAll(server, leadTablet);
    pullAll(server, coTablet);
    for (const Store* replica : {&server, &leadTablet, &coTablet}) {
        ASSERT_EQ(replica->openConflicts().size(), 1U);
    }

    const auto conflict = server.openConflicts().front();
    reviewer.hlc().receive(conflict.version);
    const auto resolution =
        reviewer.set("answers", record, "answer", Value::string("yes"), conflict.version);
    EXPECT_EQ(server.apply(std::vector{resolution}).results[0].outcome, ChangeOutcome::Applied);
    pullAll(server, leadTablet);
    pullAll(server, coTablet);
    for (const Store* replica : {&server, &leadTablet, &coTablet}) {
        EXPECT_TRUE(replica->openConflicts().empty());
        const auto stored = replica->record("answers", record);
        EXPECT_EQ(stored->fields.at("answer").value, Value::string("yes"));
        EXPECT_FALSE(stored->fields.at("answer").inConflict);
    }
    EXPECT_EQ(server.canonicalDump(), leadTablet.canonicalDump());
    EXPECT_EQ(server.checksum(), coTablet.checksum());
}

TEST(Store, AnAddRemoveRaceOnASetKeepsTheTag) {
    Store server = memoryStore();
    TestDevice a(1), b(2);
    const auto record = a.newRecordId();
    const auto add = a.change("answers", record, "tags", Operation::Add, Value::string("smoke"));
    server.apply(std::vector{add});
    b.hlc().receive(add.hlc);
    const auto remove =
        b.change("answers", record, "tags", Operation::Remove, Value::string("smoke"),
                 server.fieldVersion("answers", record, "tags"));
    const auto addAgain =
        a.change("answers", record, "tags", Operation::Add, Value::string("smoke"), add.hlc);
    server.apply(std::vector{remove, addAgain});
    EXPECT_EQ(server.record("answers", record)->fields.at("tags").elements,
              std::vector<std::string>{"smoke"});
}

TEST(Store, CheckInAtTheDoorWinsOverACancellationOnTheWeb) {
    Store server = memoryStore();
    TestDevice door(1, "coordinator"), web(2, "web", 30'000);
    const auto record = door.newRecordId();
    const auto registered = web.set("attendance", record, "status", Value::string("registered"));
    server.apply(std::vector{registered});
    door.hlc().receive(registered.hlc);  // the door tablet pulled the registration
    const auto checkIn =
        door.set("attendance", record, "status", Value::string("checked_in"), registered.hlc);
    const auto cancel =
        web.set("attendance", record, "status", Value::string("cancelled"), registered.hlc);
    server.apply(std::vector{checkIn});
    server.apply(std::vector{cancel});
    EXPECT_EQ(server.record("attendance", record)->fields.at("status").value,
              Value::string("checked_in"));
}

TEST(Store, MinAndMaxTimesKeepTheFirstCheckInAndTheLastCheckOut) {
    Store server = memoryStore();
    TestDevice door1(1), door2(2);
    const auto record = door1.newRecordId();
    server.apply(std::vector{
        door1.set("attendance", record, "first_check_in", Value::timestamp(testing::kEpochMs + 60)),
        door2.set("attendance", record, "first_check_in", Value::timestamp(testing::kEpochMs + 5)),
        door2.set("attendance", record, "last_check_out",
                  Value::timestamp(testing::kEpochMs + 900)),
        door1.set("attendance", record, "last_check_out",
                  Value::timestamp(testing::kEpochMs + 300)),
    });
    const auto stored = server.record("attendance", record);
    EXPECT_EQ(stored->fields.at("first_check_in").value, Value::timestamp(testing::kEpochMs + 5));
    EXPECT_EQ(stored->fields.at("last_check_out").value, Value::timestamp(testing::kEpochMs + 900));
}

TEST(Store, RewritingAnImmutableFieldIsRefusedAndQuarantined) {
    Store server = memoryStore();
    TestDevice a(1), b(2, "b", 10);
    const auto record = a.newRecordId();
    const auto created = a.set("answers", record, "created_at", Value::timestamp(100));
    const auto same = a.set("answers", record, "created_at", Value::timestamp(100));
    const auto rewrite = b.set("answers", record, "created_at", Value::timestamp(200));
    const auto result = server.apply(std::vector{created, same, rewrite});
    EXPECT_EQ(result.results[0].outcome, ChangeOutcome::Applied);
    EXPECT_EQ(result.results[1].outcome, ChangeOutcome::Applied);  // same value: harmless
    EXPECT_EQ(result.results[2].outcome, ChangeOutcome::Refused);
    EXPECT_EQ(result.results[2].error, ErrorCode::ImmutableField);
    EXPECT_EQ(server.record("answers", record)->fields.at("created_at").value,
              Value::timestamp(100));
    const auto quarantined = server.quarantine();
    ASSERT_EQ(quarantined.size(), 1U);
    EXPECT_EQ(quarantined[0].change, rewrite);
    EXPECT_EQ(quarantined[0].code, ErrorCode::ImmutableField);
}

TEST(Store, AFollowUpSeesTheBatchAndCommitsWithItOrNotAtAll) {
    bool failCommit = false;
    StoreOptions options;
    options.faultInjector = [&](FaultPoint at, std::size_t) {
        if (failCommit && at == FaultPoint::BeforeCommit) {
            throw std::runtime_error("power cut");
        }
    };
    Store server = memoryStore(options);
    TestDevice tablet(1), replica(2, "server");
    const auto record = tablet.newRecordId();
    // The follow-up derives a field from what the batch wrote, as the server's score snapshot does.
    const Store::FollowUp derive = [&](const Store& after) {
        const auto written = after.record("answers", record);
        const auto note = written ? written->fields.at("note").value.as<std::string>() : "";
        return std::vector{
            replica.set("answers", record, "extra",
                        Value::json(R"({"length":)" + std::to_string(note.size()) + "}"))};
    };

    failCommit = true;
    EXPECT_THROW(
        server.apply(std::vector{tablet.set("answers", record, "note", Value::string("abc"))},
                     ChangeGate{}, derive),
        std::runtime_error);
    EXPECT_FALSE(server.record("answers", record)) << "neither the batch nor its follow-up";
    EXPECT_EQ(server.highWaterMark(replica.id()), 0U);

    failCommit = false;
    const auto result =
        server.apply(std::vector{tablet.set("answers", record, "note", Value::string("abcd"))},
                     ChangeGate{}, derive);
    EXPECT_EQ(result.results.size(), 1U) << "the batch's results only";
    const auto stored = server.record("answers", record);
    ASSERT_TRUE(stored);
    EXPECT_EQ(stored->fields.at("extra").value, Value::json(R"({"length":4})"));
    EXPECT_EQ(server.highWaterMark(replica.id()), 2U)
        << "the follow-up's second change; its first went with the rolled-back batch";
}

TEST(Store, HqDecidesAQuarantinedChangeOnceAndTheDecisionIsKept) {
    Store server = memoryStore();
    TestDevice a(1), b(2, "b", 10);
    const auto record = a.newRecordId();
    const auto rewrite = b.set("answers", record, "created_at", Value::timestamp(200));
    server.apply(
        std::vector{a.set("answers", record, "created_at", Value::timestamp(100)), rewrite});
    ASSERT_TRUE(server.quarantined(b.id(), rewrite.deviceSeq));
    EXPECT_FALSE(server.quarantined(b.id(), rewrite.deviceSeq)->decision) << "waiting for HQ";
    EXPECT_FALSE(server.quarantined(a.id(), rewrite.deviceSeq)) << "another device's seq";

    server.decideQuarantined(b.id(), rewrite.deviceSeq, QuarantineDecision::Discarded, "hq-1",
                             testing::kEpochMs);
    const auto decided = server.quarantined(b.id(), rewrite.deviceSeq);
    ASSERT_TRUE(decided);
    EXPECT_EQ(decided->decision, QuarantineDecision::Discarded);
    EXPECT_EQ(decided->decidedBy, "hq-1");
    EXPECT_EQ(decided->decidedAtMs, testing::kEpochMs);
    EXPECT_EQ(decided->change, rewrite) << "the refused change stays on record";
    EXPECT_EQ(server.quarantine().size(), 1U);

    try {
        server.decideQuarantined(b.id(), rewrite.deviceSeq, QuarantineDecision::Accepted, "hq-2",
                                 testing::kEpochMs);
        ADD_FAILURE() << "a second decision must be refused";
    } catch (const shared::Error& error) {
        EXPECT_EQ(error.code(), ErrorCode::InvalidTransition);
    }
    try {
        server.decideQuarantined(b.id(), 999, QuarantineDecision::Accepted, "hq-2", 0);
        ADD_FAILURE() << "deciding a change that is not quarantined must be refused";
    } catch (const shared::Error& error) {
        EXPECT_EQ(error.code(), ErrorCode::NotFound);
    }
    EXPECT_EQ(server.quarantined(b.id(), rewrite.deviceSeq)->decidedBy, "hq-1");
}

TEST(Store, AChangeStampedTooFarInTheFutureIsRefusedWithClockSkew) {
    shared::ManualClock serverWall(testing::kEpochMs);
    shared::HlcClock serverClock(serverWall, 99, std::chrono::minutes(5));
    StoreOptions options;
    options.clock = &serverClock;
    Store server = memoryStore(options);
    TestDevice fastTablet(1, "auditor", 3 * 86'400'000);  // three days ahead
    TestDevice goodTablet(2, "auditor", 60'000);          // a minute ahead: within the drift
    const auto record = fastTablet.newRecordId();
    const auto skewed = fastTablet.set("answers", record, "note", Value::string("from the future"));
    const auto fine = goodTablet.set("answers", record, "note", Value::string("ok"));
    const auto result = server.apply(std::vector{skewed, fine});
    EXPECT_EQ(result.results[0].outcome, ChangeOutcome::Refused);
    EXPECT_EQ(result.results[0].error, ErrorCode::ClockSkew);
    EXPECT_EQ(result.results[1].outcome, ChangeOutcome::Applied);
    EXPECT_EQ(server.highWaterMark(fastTablet.id()), 0U);  // to be re-stamped and resent
    EXPECT_TRUE(server.quarantine().empty());
    EXPECT_EQ(server.record("answers", record)->fields.at("note").value, Value::string("ok"));
    EXPECT_GT(serverClock.last(), fine.hlc);  // the server's clock moved past what it applied
}

TEST(Store, SchemaViolationsAreTypedRefusalsAndAreQuarantined) {
    Store server = memoryStore();
    TestDevice a(1);
    const auto record = a.newRecordId();
    const std::vector<Change> changes = {
        a.set("audits", record, "answer", Value::string("x")),
        a.set("answers", record, "colour", Value::string("x")),
        a.set("answers", record, "score", Value::string("seven")),
        a.set("answers", record, "severity", Value::string("catastrophic")),
        a.set("answers", record, "note", Value::string(std::string(2000, 'x'))),
        a.set("answers", record, "extra", Value::json("{not json")),
        a.change("answers", record, "note", Operation::Add, Value::string("x")),
        a.set("answers", record, "note", Value::string("fine")),
    };
    const auto result = server.apply(changes);
    const std::vector<std::optional<ErrorCode>> expected = {
        ErrorCode::UnknownCollection, ErrorCode::UnknownField,
        ErrorCode::WrongType,         ErrorCode::InvalidEnumValue,
        ErrorCode::ValueTooLarge,     ErrorCode::WrongType,
        ErrorCode::InvalidChange,     std::nullopt,
    };
    for (std::size_t i = 0; i < changes.size(); ++i) {
        EXPECT_EQ(result.results[i].error, expected[i]) << "change " << i;
    }
    EXPECT_EQ(result.count(ChangeOutcome::Refused), 7U);
    EXPECT_EQ(server.quarantine().size(), 7U);
    EXPECT_EQ(server.highWaterMark(a.id()), 8U);  // refused changes are kept, not lost
}

std::vector<Change> tenThousandChanges(TestDevice& device) {
    std::vector<Change> changes;
    std::vector<shared::RecordId> records;
    std::map<shared::RecordId, std::optional<shared::Hlc>> lastAnswer;
    for (int i = 0; i < 200; ++i) {
        records.push_back(device.newRecordId());
    }
    for (int i = 0; i < 10'000; ++i) {
        const auto& record = records[static_cast<std::size_t>(i) % records.size()];
        switch (i % 5) {
            case 0:
                changes.push_back(
                    device.set("answers", record, "note", Value::string("n" + std::to_string(i))));
                break;
            case 1: {
                // Each write saw the device's previous answer: sequential, no conflicts.
                auto& base = lastAnswer[record];
                changes.push_back(device.set("answers", record, "answer",
                                             Value::string("a" + std::to_string(i)), base));
                base = changes.back().hlc;
                break;
            }
            case 2:
                changes.push_back(device.change("answers", record, "tags", Operation::Add,
                                                Value::string("t" + std::to_string(i % 7))));
                break;
            case 3:
                changes.push_back(device.set("answers", record, "score", Value::integer(i)));
                break;
            default:
                changes.push_back(
                    device.set("attendance", record, "last_check_out", Value::timestamp(i)));
                break;
        }
    }
    return changes;
}

TEST(Store, TheSameTenThousandChangeBatchAppliedTwiceLeavesTheStoreUnchanged) {
    Store server = memoryStore();
    TestDevice device(1);
    const auto batch = tenThousandChanges(device);
    const auto first = server.apply(batch);
    EXPECT_EQ(first.count(ChangeOutcome::Refused), 0U);
    const std::string dump = server.canonicalDump();
    const auto lastSeq = server.lastServerSeq();
    EXPECT_EQ(lastSeq, 10'000U);
    EXPECT_EQ(server.highWaterMark(device.id()), 10'000U);

    const auto second = server.apply(batch);
    EXPECT_EQ(second.count(ChangeOutcome::Duplicate), 10'000U);
    EXPECT_EQ(server.canonicalDump(), dump);
    EXPECT_EQ(server.lastServerSeq(), lastSeq);
    EXPECT_EQ(server.highWaterMark(device.id()), 10'000U);
}

struct InjectedFault : std::runtime_error {
    InjectedFault() : std::runtime_error("injected fault") {}
};

TEST(Store, ABatchThatFailsHalfwayLeavesNothingBehind) {
    for (const FaultPoint point :
         {FaultPoint::BeforeChange, FaultPoint::BeforeWriteBack, FaultPoint::BeforeCommit}) {
        bool armed = false;
        StoreOptions options;
        options.faultInjector = [&armed, point](FaultPoint at, std::size_t index) {
            if (armed && at == point && (point != FaultPoint::BeforeChange || index == 5'000)) {
                throw InjectedFault();
            }
        };
        Store server = memoryStore(options);
        TestDevice device(1);
        const auto earlier =
            device.set("answers", device.newRecordId(), "note", Value::string("kept"));
        server.apply(std::vector{earlier});
        const std::string before = server.canonicalDump();

        const auto batch = tenThousandChanges(device);
        armed = true;
        EXPECT_THROW(server.apply(batch), InjectedFault);
        EXPECT_EQ(server.canonicalDump(), before);
        EXPECT_EQ(server.lastServerSeq(), 1U);
        EXPECT_EQ(server.highWaterMark(device.id()), 1U);
        EXPECT_TRUE(server.changesSince(1, 10).empty());

        armed = false;  // the retried batch then applies in full, nothing counted twice
        const auto retried = server.apply(batch);
        EXPECT_EQ(retried.count(ChangeOutcome::Applied), 10'000U);
        EXPECT_EQ(server.highWaterMark(device.id()), 10'001U);
        EXPECT_EQ(server.lastServerSeq(), 10'001U);
    }
}

TEST(Store, FieldHistoryListsEveryWriteWithWhoWhenWhereAndBase) {
    Store server = memoryStore();
    TestDevice lead(1, "lead"), co(2, "co");
    const auto record = lead.newRecordId();
    const auto first = lead.set("answers", record, "answer", Value::string("yes"));
    co.hlc().receive(first.hlc);
    const auto second = co.set("answers", record, "answer", Value::string("no"), first.hlc);
    server.apply(std::vector{second, first});
    const auto history = server.fieldHistory("answers", record, "answer");
    ASSERT_EQ(history.size(), 2U);
    EXPECT_EQ(history[0].change, first);
    EXPECT_EQ(history[1].change, second);
    EXPECT_EQ(history[1].change.author, "co");
    EXPECT_EQ(history[1].change.deviceId, co.id());
    EXPECT_EQ(history[1].change.baseVersion, first.hlc);
    EXPECT_EQ(history[0].serverSeq, 2U);  // arrival order differs from HLC order
}

TEST(Store, ChangesSincePagesThroughTheLogInServerOrder) {
    Store server = memoryStore();
    TestDevice device(1);
    const auto record = device.newRecordId();
    std::vector<Change> changes;
    for (int i = 0; i < 25; ++i) {
        changes.push_back(device.set("answers", record, "score", Value::integer(i)));
    }
    server.apply(changes);
    std::uint64_t cursor = 0;
    std::vector<Change> pulled;
    for (;;) {
        const auto page = server.changesSince(cursor, 10);
        if (page.empty()) {
            break;
        }
        for (const auto& logged : page) {
            pulled.push_back(logged.change);
        }
        cursor = page.back().serverSeq;
    }
    EXPECT_EQ(pulled, changes);
}

TEST(Store, ADeletedRecordStaysDeletedUntilANewerRestore) {
    Store server = memoryStore();
    TestDevice a(1), b(2);
    const auto record = a.newRecordId();
    const auto note = a.set("answers", record, "note", Value::string("x"));
    const auto restoreEarly = b.change("answers", record, "", Operation::Restore, Value::null());
    const auto del = a.change("answers", record, "", Operation::Delete, Value::null());
    server.apply(std::vector{note, del, restoreEarly});
    EXPECT_TRUE(server.record("answers", record)->deleted);
    b.hlc().receive(del.hlc);
    server.apply(std::vector{b.change("answers", record, "", Operation::Restore, Value::null())});
    const auto restored = server.record("answers", record);
    EXPECT_FALSE(restored->deleted);
    EXPECT_EQ(restored->fields.at("note").value, Value::string("x"));
}

TEST(Store, AFileBackedStoreKeepsItsDataAcrossReopening) {
    const auto path = std::filesystem::temp_directory_path() /
                      ("verdant-store-test-" +
                       std::to_string(::testing::UnitTest::GetInstance()->random_seed()) + ".db");
    std::filesystem::remove(path);
    TestDevice device(1);
    const auto record = device.newRecordId();
    std::string dump;
    {
        Store store(path.string(), testing::testSchema());
        store.apply(std::vector{device.set("answers", record, "note", Value::string("persisted"))});
        dump = store.canonicalDump();
    }
    {
        Store store(path.string(), testing::testSchema());
        EXPECT_EQ(store.canonicalDump(), dump);
        EXPECT_EQ(store.highWaterMark(device.id()), 1U);
        EXPECT_EQ(store.schemaVersion(), Store::latestSchemaVersion());
    }
    std::filesystem::remove(path);
    std::filesystem::remove(path.string() + "-wal");
    std::filesystem::remove(path.string() + "-shm");
}

}  // namespace
}  // namespace verdant::sync
