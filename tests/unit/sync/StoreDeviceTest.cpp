// The store APIs the device SDK needs: the connection seam (StoreOptions::onOpen), reading a
// device's outbox (deviceChanges), rewriting or removing its unsent changes
// (rewriteDeviceChanges), and listing records by collection or scope.

#include "DeviceHistory.hpp"
#include "SyncFixtures.hpp"

#include "verdant/shared/ErrorCode.hpp"
#include "verdant/sync/Store.hpp"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <random>
#include <span>
#include <stdexcept>

namespace verdant::sync {
namespace {

using shared::ErrorCode;  // the others come with DeviceHistory.hpp

/// The dump of a fresh store that applied `changes`, one batch.
std::string freshDump(const std::vector<Change>& changes) {
    Store fresh = deviceStore();
    fresh.apply(changes);
    return fresh.canonicalDump();
}

std::vector<Change> changesOf(const std::vector<LoggedChange>& logged) {
    std::vector<Change> changes;
    changes.reserve(logged.size());
    for (const auto& entry : logged) {
        changes.push_back(entry.change);
    }
    return changes;
}

/// A timestamp of `device` at `ms` after kEpochMs.
Hlc stampOf(const TestDevice& device, std::int64_t ms, std::uint16_t logical = 0) {
    return Hlc{static_cast<std::uint64_t>(testing::kEpochMs + ms), logical,
               shared::nodeIdOf(device.id())};
}

// ---- StoreOptions::onOpen -------------------------------------------------------------------

std::int64_t queryInteger(sqlite3* db, const char* sql) {
    sqlite3_stmt* statement = nullptr;
    if (sqlite3_prepare_v2(db, sql, -1, &statement, nullptr) != SQLITE_OK) {
        throw std::runtime_error(sqlite3_errmsg(db));
    }
    const std::int64_t value =
        sqlite3_step(statement) == SQLITE_ROW ? sqlite3_column_int64(statement, 0) : -1;
    sqlite3_finalize(statement);
    return value;
}

std::string queryText(sqlite3* db, const char* sql) {
    sqlite3_stmt* statement = nullptr;
    if (sqlite3_prepare_v2(db, sql, -1, &statement, nullptr) != SQLITE_OK) {
        throw std::runtime_error(sqlite3_errmsg(db));
    }
    std::string value;
    if (sqlite3_step(statement) == SQLITE_ROW) {
        value = reinterpret_cast<const char*>(sqlite3_column_text(statement, 0));
    }
    sqlite3_finalize(statement);
    return value;
}

/// A database file path unique to the running test, removed (with its WAL files) on exit.
struct TempDatabase {
    std::filesystem::path path;

    TempDatabase() {
        const auto* test = ::testing::UnitTest::GetInstance()->current_test_info();
        path = std::filesystem::temp_directory_path() /
               ("verdant-" + std::string(test->name()) + "-" +
                std::to_string(::testing::UnitTest::GetInstance()->random_seed()) + ".db");
        removeAll();
    }
    ~TempDatabase() { removeAll(); }
    TempDatabase(const TempDatabase&) = delete;
    TempDatabase& operator=(const TempDatabase&) = delete;

    void removeAll() const {
        std::filesystem::remove(path);
        std::filesystem::remove(path.string() + "-wal");
        std::filesystem::remove(path.string() + "-shm");
    }
};

TEST(StoreOpen, OnOpenSeesTheConnectionOnceBeforeAnyPragmaOrMigrationRuns) {
    const TempDatabase file;
    struct Seen {
        int calls = 0;
        std::int64_t userVersion = -1;
        std::int64_t tables = -1;
        std::string journalMode;
    } seen;
    StoreOptions options;
    options.onOpen = [&seen](sqlite3* connection) {
        ++seen.calls;
        seen.userVersion = queryInteger(connection, "PRAGMA user_version");
        seen.tables = queryInteger(connection, "SELECT count(*) FROM sqlite_master");
        seen.journalMode = queryText(connection, "PRAGMA journal_mode");
    };
    TestDevice device(1);
    const auto audit = device.newRecordId();
    {
        Store store(file.path.string(), deviceSchema(), options);
        EXPECT_EQ(seen.calls, 1);
        EXPECT_EQ(seen.userVersion, 0);         // before the migrations
        EXPECT_EQ(seen.tables, 0);              // nothing created yet
        EXPECT_EQ(seen.journalMode, "delete");  // before the store switched to WAL
        EXPECT_EQ(store.schemaVersion(), Store::latestSchemaVersion());
        store.apply(std::vector{device.set("audits", audit, "title", Value::string("Plant 1"))});
    }
    {
        Store store(file.path.string(), deviceSchema(), options);
        EXPECT_EQ(seen.calls, 2);
        EXPECT_EQ(seen.userVersion, Store::latestSchemaVersion());
        EXPECT_EQ(seen.journalMode, "wal");
        EXPECT_EQ(store.record("audits", audit)->fields.at("title").value,
                  Value::string("Plant 1"));
    }
}

TEST(StoreOpen, AnOnOpenThatThrowsFailsTheOpenAndNothingIsCreated) {
    const TempDatabase file;
    StoreOptions options;
    options.onOpen = [](sqlite3*) { throw std::runtime_error("wrong key"); };
    EXPECT_THROW(Store(file.path.string(), deviceSchema(), options), std::runtime_error);

    int calls = 0;
    options.onOpen = [&calls](sqlite3*) { ++calls; };
    Store store(file.path.string(), deviceSchema(), options);
    EXPECT_EQ(calls, 1);
    EXPECT_EQ(store.schemaVersion(), Store::latestSchemaVersion());
}

// ---- deviceChanges --------------------------------------------------------------------------

TEST(StoreDeviceChanges, PagesThroughOneDevicesChangesInSequenceOrderWhateverTheArrivalOrder) {
    Store store = deviceStore();
    TestDevice tablet(1), office(2);
    const std::vector records{tablet.newRecordId(), tablet.newRecordId(), tablet.newRecordId()};
    std::vector<Change> own;
    std::vector<Change> arrivals;
    for (int i = 0; i < 25; ++i) {
        const RecordId& record = records[static_cast<std::size_t>(i % 3)];
        own.push_back(tablet.set("audits", record, "title", Value::string(std::to_string(i))));
        arrivals.push_back(office.set("audits", record, "title", Value::string("office")));
    }
    // Arrival order differs from sequence order: the office's changes, the odd sequences, then the
    // even ones.
    for (std::size_t i = 0; i < own.size(); i += 2) {
        arrivals.push_back(own[i]);
    }
    store.apply(arrivals);
    std::vector<Change> later;
    for (std::size_t i = 1; i < own.size(); i += 2) {
        later.push_back(own[i]);
    }
    store.apply(later);

    std::vector<Change> paged;
    std::uint64_t after = 0;
    for (;;) {
        const auto page = store.deviceChanges(tablet.id(), after, 10);
        ASSERT_LE(page.size(), 10U);
        if (page.empty()) {
            break;
        }
        for (const auto& logged : page) {
            EXPECT_GT(logged.serverSeq, 0U);
            paged.push_back(logged.change);
        }
        after = page.back().change.deviceSeq;
    }
    EXPECT_EQ(paged, own);

    const auto tail = store.deviceChanges(tablet.id(), 20, 100);
    ASSERT_EQ(tail.size(), 5U);
    EXPECT_EQ(tail.front().change, own[20]);
    EXPECT_TRUE(store.deviceChanges(tablet.id(), 25, 100).empty());
    EXPECT_TRUE(store.deviceChanges(tablet.id(), 0, 0).empty());
    EXPECT_TRUE(store.deviceChanges(TestDevice(3).id(), 0, 100).empty());
    EXPECT_EQ(store.deviceChanges(office.id(), 0, 100).size(), 25U);
}

TEST(StoreDeviceChanges, QuarantinedChangesAreNotInTheOutbox) {
    Store store = deviceStore();
    TestDevice tablet(1);
    const auto audit = tablet.newRecordId();
    const auto good = tablet.set("audits", audit, "title", Value::string("ok"));
    const auto bad = tablet.set("audits", audit, "nope", Value::string("x"));
    store.apply(std::vector{good, bad});
    EXPECT_EQ(changesOf(store.deviceChanges(tablet.id(), 0, 10)), std::vector{good});
    EXPECT_EQ(store.highWaterMark(tablet.id()), 2U);
}

// ---- rewriteDeviceChanges -------------------------------------------------------------------

TEST(StoreRewriteDeviceChanges, RestampingFutureDatedChangesLetsAConcurrentWriteWin) {
    Store store = deviceStore();
    TestDevice tablet(1, "lead", kHourMs);  // its clock runs an hour fast
    TestDevice office(2, "office", 1'000);
    const auto audit = tablet.newRecordId();
    const auto answer = tablet.newRecordId();
    const auto title = tablet.set("audits", audit, "title", Value::string("Tablet title"));
    const auto yes = tablet.set("answers", answer, "answer", Value::string("yes"));
    const auto no = tablet.set("answers", answer, "answer", Value::string("no"), yes.hlc);
    const auto officeTitle = office.set("audits", audit, "title", Value::string("Office title"));
    store.apply(std::vector{title, yes, no});
    store.apply(std::vector{officeTitle});
    ASSERT_EQ(store.record("audits", audit)->fields.at("title").value,
              Value::string("Tablet title"));

    // Re-stamp with a corrected clock (before the office's write) and remap the base versions.
    std::map<Hlc, Hlc> restamped;
    std::vector<Change> rewritten;
    const auto count = store.rewriteDeviceChanges(
        tablet.id(), 0, [&](const Change& change) -> std::optional<Change> {
            Change copy = change;
            copy.hlc = stampOf(tablet, 10 + static_cast<std::int64_t>(change.deviceSeq));
            restamped.emplace(change.hlc, copy.hlc);
            if (copy.baseVersion) {
                copy.baseVersion = restamped.at(*copy.baseVersion);
            }
            rewritten.push_back(copy);
            return copy;
        });
    EXPECT_EQ(count, 3U);

    const auto stored = store.record("audits", audit);
    EXPECT_EQ(stored->fields.at("title").value, Value::string("Office title"));
    EXPECT_EQ(stored->fields.at("title").writtenBy->key.device, office.id());
    const auto answered = store.record("answers", answer);
    EXPECT_EQ(answered->fields.at("answer").value, Value::string("no"));
    EXPECT_FALSE(answered->fields.at("answer").inConflict);  // still a sequential edit
    EXPECT_EQ(store.fieldVersion("answers", answer, "answer"), rewritten[2].hlc);
    EXPECT_TRUE(store.openConflicts().empty());
    EXPECT_EQ(changesOf(store.deviceChanges(tablet.id(), 0, 10)), rewritten);
    const auto history = store.fieldHistory("audits", audit, "title");
    ASSERT_EQ(history.size(), 2U);
    EXPECT_EQ(history[0].change, rewritten[0]);  // now the older write
    EXPECT_EQ(history[1].change, officeTitle);
    EXPECT_EQ(store.highWaterMark(tablet.id()), 3U);

    auto expected = rewritten;
    expected.push_back(officeTitle);
    EXPECT_EQ(store.canonicalDump(), freshDump(expected));
}

TEST(StoreRewriteDeviceChanges, ARemovedChangeVanishesAndItsSequenceIsNeverReused) {
    Store store = deviceStore();
    TestDevice tablet(1), office(2);
    const auto audit = tablet.newRecordId();
    const auto answer = tablet.newRecordId();
    const auto lonely = tablet.newRecordId();
    const auto s1 = tablet.set("audits", audit, "title", Value::string("Plant 1"));
    const auto s2 = tablet.set("answers", answer, "audit_id", Value::id(audit));
    const auto s3 = tablet.set("answers", answer, "note", Value::string("refused by the server"));
    const auto s4 =
        tablet.change("audits", audit, "auditors", Operation::Add, Value::string("ana"));
    const auto s5 = tablet.set("answers", lonely, "note", Value::string("only change"));
    const auto o1 = office.set("answers", answer, "note", Value::string("office note"));
    store.apply(std::vector{s1, s2, s3, o1, s4, s5});
    ASSERT_EQ(store.record("answers", answer)->fields.at("note").value,
              Value::string("refused by the server"));
    const auto lastBefore = store.lastServerSeq();

    const auto removed = store.rewriteDeviceChanges(
        tablet.id(), 1, [&](const Change& change) -> std::optional<Change> {
            if (change.deviceSeq == 3 || change.deviceSeq == 5) {
                return std::nullopt;
            }
            return change;
        });
    EXPECT_EQ(removed, 2U);
    EXPECT_EQ(store.record("answers", answer)->fields.at("note").value,
              Value::string("office note"));
    EXPECT_FALSE(store.record("answers", lonely).has_value());
    EXPECT_EQ(store.recordIds("answers"), std::vector{answer});
    EXPECT_EQ(changesOf(store.deviceChanges(tablet.id(), 0, 10)), (std::vector{s1, s2, s4}));
    EXPECT_EQ(changesOf(store.fieldHistory("answers", answer, "note")), std::vector{o1});
    EXPECT_EQ(store.highWaterMark(tablet.id()), 5U);
    EXPECT_EQ(store.scopeOf("answers", answer), keyOf(audit));
    EXPECT_GE(store.lastServerSeq(), lastBefore);
    EXPECT_EQ(store.canonicalDump(), freshDump({s1, s2, s4, o1}));

    const auto lastAfter = store.lastServerSeq();
    const auto s6 = tablet.set("answers", answer, "note", Value::string("again"));
    const auto result = store.apply(std::vector{s6});
    EXPECT_EQ(result.results[0].outcome, ChangeOutcome::Applied);
    EXPECT_EQ(result.results[0].serverSeq, lastAfter + 1);
    EXPECT_EQ(store.highWaterMark(tablet.id()), 6U);
    EXPECT_EQ(store.canonicalDump(), freshDump({s1, s2, s4, o1, s6}));
}

TEST(StoreRewriteDeviceChanges, RemovingTheNewestLogEntryKeepsTheLogPositionGrowing) {
    Store store = deviceStore();
    TestDevice tablet(1);
    const auto kept = tablet.newRecordId();
    const auto dropped = tablet.newRecordId();
    const auto s1 = tablet.set("audits", kept, "title", Value::string("kept"));
    const auto s2 = tablet.set("audits", dropped, "title", Value::string("dropped"));
    store.apply(std::vector{s1, s2});
    EXPECT_EQ(store.rewriteDeviceChanges(tablet.id(), 1,
                                         [](const Change&) { return std::optional<Change>(); }),
              1U);
    EXPECT_EQ(store.lastServerSeq(), 2U);
    EXPECT_EQ(changesOf(store.changesSince(0, 10)), std::vector{s1});  // no placeholder shown

    const auto s3 = tablet.set("audits", kept, "title", Value::string("again"));
    EXPECT_EQ(store.apply(std::vector{s3}).results[0].serverSeq, 3U);
    EXPECT_EQ(store.changesSince(0, 10).size(), 2U);
}

TEST(StoreRewriteDeviceChanges, RebuiltChangesMoveToNewHigherLogPositions) {
    Store store = deviceStore();
    TestDevice tablet(1), office(2);
    const auto audit = tablet.newRecordId();
    const auto other = tablet.newRecordId();
    const auto s1 = tablet.set("audits", audit, "title", Value::string("mine"));
    const auto o1 = office.set("audits", audit, "title", Value::string("office"));
    const auto s2 = tablet.set("audits", other, "title", Value::string("untouched"));
    store.apply(std::vector{s1, o1, s2});
    ASSERT_EQ(store.lastServerSeq(), 3U);
    store.rewriteDeviceChanges(tablet.id(), 0, [&](const Change& change) -> std::optional<Change> {
        if (change.deviceSeq != 1) {
            return change;
        }
        Change copy = change;
        copy.value = Value::string("mine, corrected");
        return copy;
    });
    auto corrected = s1;
    corrected.value = Value::string("mine, corrected");
    // The audit's two changes are logged again after the untouched record's, in their old order.
    const auto log = store.changesSince(0, 10);
    ASSERT_EQ(log.size(), 3U);
    EXPECT_EQ(log[0].change, s2);
    EXPECT_EQ(log[0].serverSeq, 3U);
    EXPECT_EQ(log[1].change, corrected);
    EXPECT_EQ(log[1].serverSeq, 4U);
    EXPECT_EQ(log[2].change, o1);
    EXPECT_EQ(log[2].serverSeq, 5U);
    EXPECT_EQ(store.canonicalDump(), freshDump({corrected, o1, s2}));
}

TEST(StoreRewriteDeviceChanges, ARewrittenBaseVersionClearsOrRaisesAReviewedConflict) {
    Store store = deviceStore();
    TestDevice lead(1, "lead"), co(2, "co");
    const auto answer = lead.newRecordId();
    const auto no = co.set("answers", answer, "answer", Value::string("no"));
    const auto yes = lead.set("answers", answer, "answer", Value::string("yes"));  // concurrent
    store.apply(std::vector{no});
    store.apply(std::vector{yes});
    ASSERT_EQ(store.openConflicts().size(), 1U);

    // As if the lead had seen the co-auditor's answer: a sequential edit, no conflict.
    auto seen = yes;
    seen.baseVersion = no.hlc;
    seen.hlc = stampOf(lead, 50);
    EXPECT_EQ(store.rewriteDeviceChanges(lead.id(), 0, [&](const Change&) { return seen; }), 1U);
    EXPECT_TRUE(store.openConflicts().empty());
    EXPECT_EQ(store.record("answers", answer)->fields.at("answer").value, Value::string("yes"));
    EXPECT_EQ(store.canonicalDump(), freshDump({no, seen}));

    // And back to a concurrent edit: the conflict with both values is there again.
    auto concurrent = seen;
    concurrent.baseVersion.reset();
    EXPECT_EQ(store.rewriteDeviceChanges(lead.id(), 0, [&](const Change&) { return concurrent; }),
              1U);
    const auto conflicts = store.openConflicts();
    ASSERT_EQ(conflicts.size(), 1U);
    EXPECT_EQ(conflicts[0].candidates.size(), 2U);
    EXPECT_TRUE(store.record("answers", answer)->fields.at("answer").inConflict);
    EXPECT_EQ(store.canonicalDump(), freshDump({no, concurrent}));
}

TEST(StoreRewriteDeviceChanges, AnImmutableFieldsFirstWriteFollowsTheRewrittenClock) {
    Store store = deviceStore();
    TestDevice tablet(1, "lead", kHourMs), office(2);
    const auto answer = tablet.newRecordId();
    const auto mine = tablet.set("answers", answer, "created_at", Value::timestamp(100));
    const auto theirs = office.set("answers", answer, "created_at", Value::timestamp(200));
    store.apply(std::vector{mine});
    // The office's write is older, so it is the first write; the tablet's is marked refused.
    EXPECT_EQ(store.apply(std::vector{theirs}).results[0].outcome, ChangeOutcome::Applied);
    ASSERT_EQ(store.record("answers", answer)->fields.at("created_at").value,
              Value::timestamp(200));
    ASSERT_EQ(store.fieldHistory("answers", answer, "created_at")[1].outcome,
              ChangeOutcome::Refused);

    auto restamped = mine;
    restamped.hlc = stampOf(tablet, -5);
    store.rewriteDeviceChanges(tablet.id(), 0, [&](const Change&) { return restamped; });
    EXPECT_EQ(store.record("answers", answer)->fields.at("created_at").value,
              Value::timestamp(100));
    const auto history = store.fieldHistory("answers", answer, "created_at");
    ASSERT_EQ(history.size(), 2U);
    EXPECT_EQ(history[0].change, restamped);
    EXPECT_EQ(history[0].outcome, ChangeOutcome::Applied);
    EXPECT_EQ(history[1].change, theirs);
    EXPECT_EQ(history[1].outcome, ChangeOutcome::Refused);
    EXPECT_EQ(store.canonicalDump(), freshDump({theirs, restamped}));
}

TEST(StoreRewriteDeviceChanges, RewritingTheParentFieldMovesTheRecordToTheOtherScope) {
    Store store = deviceStore();
    TestDevice tablet(1), office(2);
    const auto first = tablet.newRecordId();
    const auto second = tablet.newRecordId();
    const auto answer = tablet.newRecordId();
    const std::vector<Change> audits{
        office.set("audits", first, "title", Value::string("first")),
        office.set("audits", second, "title", Value::string("second")),
    };
    store.apply(audits);
    const auto note = tablet.set("answers", answer, "note", Value::string("n"));
    const auto parent = tablet.set("answers", answer, "audit_id", Value::id(first));
    store.apply(std::vector{note, parent});
    ASSERT_EQ(store.scopeOf("answers", answer), keyOf(first));

    auto moved = parent;
    moved.value = Value::id(second);
    store.rewriteDeviceChanges(tablet.id(), 0, [&](const Change& change) {
        return change.deviceSeq == parent.deviceSeq ? moved : change;
    });
    EXPECT_EQ(store.scopeOf("answers", answer), keyOf(second));
    EXPECT_EQ(store.recordsInScope(keyOf(first)), (std::vector{RecordRef{"audits", first}}));
    EXPECT_EQ(store.recordsInScope(keyOf(second)),
              (std::vector{RecordRef{"answers", answer}, RecordRef{"audits", second}}));
    auto expected = audits;
    expected.push_back(note);
    expected.push_back(moved);
    EXPECT_EQ(store.canonicalDump(), freshDump(expected));
    EXPECT_EQ(store.scopeChecksum(keyOf(second)), [&] {
        Store fresh = deviceStore();
        fresh.apply(expected);
        return fresh.scopeChecksum(keyOf(second));
    }());
}

struct RewriteAborted : std::runtime_error {
    RewriteAborted() : std::runtime_error("rewrite aborted") {}
};

TEST(StoreRewriteDeviceChanges, ARewriteThatThrowsLeavesTheStoreUnchanged) {
    Store store = deviceStore();
    TestDevice tablet(1), office(2);
    const auto audit = tablet.newRecordId();
    const auto answer = tablet.newRecordId();
    std::vector<Change> changes{
        tablet.set("audits", audit, "title", Value::string("a")),
        office.set("audits", audit, "title", Value::string("b")),
        tablet.set("answers", answer, "audit_id", Value::id(audit)),
        tablet.set("answers", answer, "answer", Value::string("yes")),
        office.set("answers", answer, "answer", Value::string("no")),
        tablet.set("answers", answer, "note", Value::string("n")),
    };
    store.apply(changes);
    const auto checksum = store.checksum();
    const auto log = store.changesSince(0, 100);
    const auto lastSeq = store.lastServerSeq();
    const auto conflicts = store.openConflicts().size();

    EXPECT_THROW(store.rewriteDeviceChanges(tablet.id(), 0,
                                            [&](const Change& change) -> std::optional<Change> {
                                                if (change.deviceSeq == 1) {
                                                    Change copy = change;
                                                    copy.value = Value::string("changed");
                                                    return copy;
                                                }
                                                if (change.deviceSeq == 2) {
                                                    return std::nullopt;
                                                }
                                                throw RewriteAborted();
                                            }),
                 RewriteAborted);
    EXPECT_EQ(store.checksum(), checksum);
    EXPECT_EQ(store.lastServerSeq(), lastSeq);
    const auto logAfter = store.changesSince(0, 100);
    ASSERT_EQ(logAfter.size(), log.size());
    for (std::size_t i = 0; i < log.size(); ++i) {
        EXPECT_EQ(logAfter[i].serverSeq, log[i].serverSeq);
        EXPECT_EQ(logAfter[i].change, log[i].change);
    }
    EXPECT_EQ(store.openConflicts().size(), conflicts);

    // The store still works: a later rewrite and apply give the state of a fresh replay.
    EXPECT_EQ(store.rewriteDeviceChanges(tablet.id(), 2,
                                         [](const Change&) { return std::optional<Change>(); }),
              2U);
    const auto more = tablet.set("audits", audit, "title", Value::string("c"));
    store.apply(std::vector{more});
    EXPECT_EQ(store.canonicalDump(),
              freshDump({changes[0], changes[1], changes[2], changes[4], more}));
}

TEST(StoreRewriteDeviceChanges, AReplacementMustKeepItsDeviceAndSequence) {
    Store store = deviceStore();
    TestDevice tablet(1), office(2);
    const auto audit = tablet.newRecordId();
    store.apply(std::vector{tablet.set("audits", audit, "title", Value::string("a")),
                            tablet.set("audits", audit, "title", Value::string("b"))});
    const auto checksum = store.checksum();
    const auto outbox = store.deviceChanges(tablet.id(), 0, 10);

    const auto expectRefused = [&](const std::function<void(Change&)>& edit) {
        try {
            store.rewriteDeviceChanges(tablet.id(), 0, [&](const Change& change) {
                Change copy = change;
                copy.value = Value::string("edited");
                if (change.deviceSeq == 2) {
                    edit(copy);
                }
                return std::optional(copy);
            });
            ADD_FAILURE() << "the rewrite was accepted";
        } catch (const shared::Error& error) {
            EXPECT_EQ(error.code(), ErrorCode::InvalidChange);
        }
        EXPECT_EQ(store.checksum(), checksum);
        EXPECT_EQ(changesOf(store.deviceChanges(tablet.id(), 0, 10)), changesOf(outbox));
    };
    expectRefused([](Change& change) { change.deviceSeq = 3; });
    expectRefused([](Change& change) { change.deviceSeq = 1; });
    expectRefused([&](Change& change) { change.deviceId = office.id(); });
}

TEST(StoreRewriteDeviceChanges, AnInvalidReplacementIsRefusedWithItsValidationCode) {
    Store store = deviceStore();
    TestDevice tablet(1, "lead", kHourMs);
    const auto answer = tablet.newRecordId();
    const auto yes = tablet.set("answers", answer, "answer", Value::string("yes"));
    const auto no = tablet.set("answers", answer, "answer", Value::string("no"), yes.hlc);
    store.apply(std::vector{yes, no});
    const auto checksum = store.checksum();

    // Re-stamping without remapping the base leaves a base newer than the change.
    try {
        store.rewriteDeviceChanges(tablet.id(), 0, [&](const Change& change) {
            Change copy = change;
            copy.hlc = stampOf(tablet, static_cast<std::int64_t>(change.deviceSeq));
            return std::optional(copy);
        });
        ADD_FAILURE() << "the rewrite was accepted";
    } catch (const shared::Error& error) {
        EXPECT_EQ(error.code(), ErrorCode::InvalidChange);
    }
    try {
        store.rewriteDeviceChanges(tablet.id(), 0, [&](const Change& change) {
            Change copy = change;
            copy.value = Value::integer(7);
            return std::optional(copy);
        });
        ADD_FAILURE() << "the rewrite was accepted";
    } catch (const shared::Error& error) {
        EXPECT_EQ(error.code(), ErrorCode::WrongType);
    }
    EXPECT_EQ(store.checksum(), checksum);
}

TEST(StoreRewriteDeviceChanges, NothingToRewriteChangesNothing) {
    Store store = deviceStore();
    TestDevice tablet(1);
    const auto audit = tablet.newRecordId();
    store.apply(std::vector{tablet.set("audits", audit, "title", Value::string("a"))});
    const auto dump = store.canonicalDump();
    int calls = 0;
    const auto identity = [&calls](const Change& change) {
        ++calls;
        return std::optional(change);
    };
    EXPECT_EQ(store.rewriteDeviceChanges(tablet.id(), 0, identity), 0U);
    EXPECT_EQ(calls, 1);
    EXPECT_EQ(store.rewriteDeviceChanges(tablet.id(), 1, identity), 0U);
    EXPECT_EQ(store.rewriteDeviceChanges(TestDevice(2).id(), 0, identity), 0U);
    EXPECT_EQ(calls, 1);
    EXPECT_EQ(store.canonicalDump(), dump);
    EXPECT_EQ(store.changesSince(0, 10).front().serverSeq, 1U);  // not even re-logged
}

/// Random histories of three devices on a handful of records; the tablet's replica holds its own
/// changes and some of the others', then rewrites (re-stamps, edits, removes) its changes after a
/// random sequence. Its state must equal a fresh replay of the resulting changes.
TEST(StoreRewriteDeviceChanges, MatchesAFreshReplayOfTheResultingChangesOverRandomHistories) {
    for (std::uint32_t seed = 1; seed <= 50; ++seed) {
        SCOPED_TRACE("seed " + std::to_string(seed));
        RandomHistory history(seed);
        Store world = deviceStore();
        Store replica = deviceStore();
        std::vector<Change> delivered;
        std::vector<Change> pending;
        const int length = history.pick(15, 40);
        for (int i = 0; i < length; ++i) {
            const Change change = history.next(world);
            world.apply(std::vector{change});
            if (change.deviceId == history.tablet().id() || history.pick(0, 3) != 0) {
                pending.push_back(change);
            }
            if (!pending.empty() && history.pick(0, 2) == 0) {  // a local edit or a pull page
                replica.apply(pending);
                delivered.insert(delivered.end(), pending.begin(), pending.end());
                pending.clear();
            }
        }
        replica.apply(pending);
        delivered.insert(delivered.end(), pending.begin(), pending.end());
        ASSERT_EQ(replica.canonicalDump(), freshDump(delivered));

        const shared::DeviceId tablet = history.tablet().id();
        const auto highWater = replica.highWaterMark(tablet);
        const auto lastSeq = replica.lastServerSeq();
        const auto afterSeq =
            static_cast<std::uint64_t>(history.pick(0, static_cast<int>(highWater)));

        // Sometimes a rewrite first fails halfway: nothing of it may remain.
        const auto outbox = replica.deviceChanges(tablet, afterSeq, 1'000).size();
        if (outbox > 0 && history.pick(0, 3) == 0) {
            const auto checksum = replica.checksum();
            int calls = 0;
            const int failAt = history.pick(1, static_cast<int>(outbox));
            try {
                replica.rewriteDeviceChanges(tablet, afterSeq,
                                             [&](const Change&) -> std::optional<Change> {
                                                 if (++calls == failAt) {
                                                     throw RewriteAborted();
                                                 }
                                                 return std::nullopt;
                                             });
                ADD_FAILURE() << "the rewrite did not throw";
            } catch (const RewriteAborted&) {
            }
            ASSERT_EQ(replica.checksum(), checksum);
            ASSERT_EQ(replica.lastServerSeq(), lastSeq);
        }

        // Re-stamp (earlier or later), edit or remove each change after `afterSeq`.
        std::map<Hlc, Hlc> restamped;
        std::map<std::uint64_t, std::optional<Change>> edits;
        const auto count = replica.rewriteDeviceChanges(
            tablet, afterSeq, [&](const Change& change) -> std::optional<Change> {
                const int choice = history.pick(0, 9);
                if (choice < 2) {
                    edits.emplace(change.deviceSeq, std::nullopt);
                    return std::nullopt;
                }
                Change copy = change;
                if (choice >= 5) {
                    // Mostly earlier (up to two hours: a corrected fast clock), sometimes later.
                    const std::int64_t shift = history.pick(0, 3) == 0
                                                   ? history.pick(0, 3'000)
                                                   : -std::int64_t{history.pick(0, 7'200)} * 1'000;
                    copy.hlc.physicalMs = static_cast<std::uint64_t>(
                        static_cast<std::int64_t>(change.hlc.physicalMs) + shift);
                    copy.hlc.logical = static_cast<std::uint16_t>(history.pick(0, 2));
                    restamped.emplace(change.hlc, copy.hlc);
                }
                if (choice == 9 && copy.operation == Operation::Set &&
                    (copy.field == "note" || copy.field == "title")) {
                    copy.value = Value::string("edited");
                }
                if (copy.baseVersion) {
                    if (const auto found = restamped.find(*copy.baseVersion);
                        found != restamped.end()) {
                        copy.baseVersion = found->second;
                    }
                    if (!(*copy.baseVersion < copy.hlc)) {
                        copy.baseVersion.reset();  // had not seen it after all
                    }
                }
                if (copy != change) {
                    edits.emplace(change.deviceSeq, copy);
                }
                return copy;
            });
        EXPECT_EQ(count, edits.size());

        std::vector<Change> expected;
        std::vector<Change> expectedOutbox;
        for (const Change& change : delivered) {
            auto edit = change.deviceId == tablet ? edits.find(change.deviceSeq) : edits.end();
            if (edit == edits.end()) {
                expected.push_back(change);
            } else if (edit->second) {
                expected.push_back(*edit->second);
            }
        }
        for (const Change& change : expected) {
            if (change.deviceId == tablet && change.deviceSeq > afterSeq) {
                expectedOutbox.push_back(change);
            }
        }
        std::sort(expectedOutbox.begin(), expectedOutbox.end(),
                  [](const Change& a, const Change& b) { return a.deviceSeq < b.deviceSeq; });

        // A fresh replica given the resulting changes in another order and batching.
        std::shuffle(expected.begin(), expected.end(), history.random());
        Store fresh = deviceStore();
        for (std::size_t at = 0; at < expected.size();) {
            const auto size = std::min<std::size_t>(expected.size() - at,
                                                    static_cast<std::size_t>(history.pick(1, 6)));
            fresh.apply(std::span(expected).subspan(at, size));
            at += size;
        }
        ASSERT_EQ(replica.canonicalDump(), fresh.canonicalDump());
        EXPECT_EQ(changesOf(replica.deviceChanges(tablet, afterSeq, 1'000)), expectedOutbox);
        EXPECT_EQ(replica.highWaterMark(tablet), highWater);
        EXPECT_GE(replica.lastServerSeq(), lastSeq);
        EXPECT_EQ(replica.changesSince(0, 1'000).size(), expected.size());
        for (const char* collection : {"answers", "audits", "attendance"}) {
            EXPECT_EQ(replica.recordIds(collection, true), fresh.recordIds(collection, true));
            EXPECT_EQ(replica.recordIds(collection), fresh.recordIds(collection));
        }
        for (const auto& answer : history.answers()) {
            EXPECT_EQ(replica.scopeOf("answers", answer), fresh.scopeOf("answers", answer));
        }
        for (const auto& audit : history.audits()) {
            EXPECT_EQ(replica.recordsInScope(keyOf(audit)), fresh.recordsInScope(keyOf(audit)));
            EXPECT_EQ(replica.scopeChecksum(keyOf(audit)), fresh.scopeChecksum(keyOf(audit)));
        }

        // The replica keeps working: its next change is logged after everything.
        const auto lastAfter = replica.lastServerSeq();
        const auto next = history.next(world);
        const auto result = replica.apply(std::vector{next});
        if (result.results[0].serverSeq) {
            EXPECT_EQ(*result.results[0].serverSeq, lastAfter + 1);
        }
    }
}

// ---- recordIds and recordsInScope -----------------------------------------------------------

TEST(StoreRecordIds, ListsTheRecordsOfACollectionInIdOrderWithoutTombstonesUnlessAsked) {
    Store store = deviceStore();
    TestDevice tablet(1);
    std::vector<RecordId> answers{tablet.newRecordId(), tablet.newRecordId(), tablet.newRecordId()};
    const auto audit = tablet.newRecordId();
    // Written in reverse id order, so the order returned is not the insertion order.
    store.apply(std::vector{
        tablet.set("answers", answers[2], "note", Value::string("c")),
        tablet.set("answers", answers[1], "note", Value::string("b")),
        tablet.set("answers", answers[0], "note", Value::string("a")),
        tablet.set("audits", audit, "title", Value::string("t")),
        tablet.change("answers", answers[1], "", Operation::Delete, Value::null()),
    });
    const RecordId deleted = answers[1];
    std::sort(answers.begin(), answers.end());
    EXPECT_EQ(store.recordIds("answers", true), answers);
    auto live = answers;
    live.erase(std::find(live.begin(), live.end(), deleted));
    EXPECT_EQ(store.recordIds("answers"), live);
    EXPECT_EQ(store.recordIds("audits"), std::vector{audit});
    EXPECT_TRUE(store.recordIds("attendance").empty());
    EXPECT_TRUE(store.recordIds("nope", true).empty());
}

TEST(StoreRecordsInScope, ListsAnAuditAndTheAnswersThatNameItByCollectionThenId) {
    Store store = deviceStore();
    TestDevice tablet(1);
    const auto audit = tablet.newRecordId();
    const auto otherAudit = tablet.newRecordId();
    std::vector<RecordId> answers{tablet.newRecordId(), tablet.newRecordId(), tablet.newRecordId()};
    const auto orphan = tablet.newRecordId();
    const auto elsewhere = tablet.newRecordId();
    store.apply(std::vector{
        tablet.set("answers", answers[2], "audit_id", Value::id(audit)),
        tablet.set("audits", audit, "title", Value::string("Plant 1")),
        tablet.set("answers", answers[0], "audit_id", Value::id(audit)),
        tablet.set("answers", answers[1], "audit_id", Value::id(audit)),
        tablet.change("answers", answers[1], "", Operation::Delete, Value::null()),
        tablet.set("answers", orphan, "note", Value::string("no audit yet")),
        tablet.set("answers", elsewhere, "audit_id", Value::id(otherAudit)),
    });
    std::sort(answers.begin(), answers.end());
    std::vector<RecordRef> expected;
    expected.reserve(answers.size() + 1);
    for (const auto& answer : answers) {
        expected.push_back(RecordRef{"answers", answer});  // tombstoned ones included
    }
    expected.push_back(RecordRef{"audits", audit});
    EXPECT_EQ(store.recordsInScope(keyOf(audit)), expected);
    // The other audit is not on this replica, but an answer naming it is in its scope.
    EXPECT_EQ(store.recordsInScope(keyOf(otherAudit)),
              (std::vector{RecordRef{"answers", elsewhere}}));
    EXPECT_TRUE(store.recordsInScope(keyOf(orphan)).empty());
    EXPECT_TRUE(store.recordsInScope("audits/nope").empty());
}

// ---- recordsPerScope and recordChanges --------------------------------------------------------

TEST(StoreRecordsPerScope, CountsTheLiveRecordsOfACollectionInEachScope) {
    Store store = deviceStore();
    TestDevice tablet(1);
    const auto audit = tablet.newRecordId();
    const auto otherAudit = tablet.newRecordId();
    std::vector<RecordId> answers{tablet.newRecordId(), tablet.newRecordId(), tablet.newRecordId()};
    store.apply(std::vector{
        tablet.set("audits", audit, "title", Value::string("Plant 1")),
        tablet.set("answers", answers[0], "audit_id", Value::id(audit)),
        tablet.set("answers", answers[1], "audit_id", Value::id(audit)),
        tablet.set("answers", answers[2], "audit_id", Value::id(audit)),
        tablet.change("answers", answers[1], "", Operation::Delete, Value::null()),
        tablet.set("answers", tablet.newRecordId(), "note", Value::string("no audit yet")),
        tablet.set("answers", tablet.newRecordId(), "audit_id", Value::id(otherAudit)),
    });
    EXPECT_EQ(store.recordsPerScope("answers"),
              (std::map<std::string, std::size_t>{{keyOf(audit), 2}, {keyOf(otherAudit), 1}}));
    EXPECT_EQ(store.recordsPerScope("audits"),
              (std::map<std::string, std::size_t>{{keyOf(audit), 1}}));
    EXPECT_TRUE(store.recordsPerScope("attendance").empty());
}

TEST(StoreRecordChanges, ListsEveryDevicesChangesOfOneRecordInLogOrder) {
    Store store = deviceStore();
    TestDevice tablet(1), office(2);
    const auto audit = tablet.newRecordId();
    const auto other = tablet.newRecordId();
    const std::vector<Change> changes{
        tablet.set("audits", audit, "title", Value::string("a")),
        office.set("audits", other, "title", Value::string("x")),
        office.set("audits", audit, "title", Value::string("b")),
        tablet.change("audits", audit, "", Operation::Delete, Value::null()),
    };
    store.apply(changes);
    std::vector<std::pair<shared::DeviceId, std::uint64_t>> seen;
    std::uint64_t lastSeq = 0;
    for (const auto& logged : store.recordChanges("audits", audit)) {
        EXPECT_GT(logged.serverSeq, lastSeq);
        lastSeq = logged.serverSeq;
        seen.emplace_back(logged.change.deviceId, logged.change.deviceSeq);
    }
    EXPECT_EQ(seen, (std::vector<std::pair<shared::DeviceId, std::uint64_t>>{
                        {changes[0].deviceId, changes[0].deviceSeq},
                        {changes[2].deviceId, changes[2].deviceSeq},
                        {changes[3].deviceId, changes[3].deviceSeq}}));
    EXPECT_TRUE(store.recordChanges("audits", tablet.newRecordId()).empty());
}

}  // namespace
}  // namespace verdant::sync
