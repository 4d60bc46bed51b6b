// The store's incremental checksums (a sum of row digests per scope, kept by every write) against
// a recomputation from the rows, over random histories with refusals, rolled-back batches,
// purges and rewrites; and a replica damaged under the store.

#include "DeviceHistory.hpp"

#include "verdant/shared/ErrorCode.hpp"
#include "verdant/sync/Store.hpp"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <filesystem>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <unistd.h>
#include <vector>

namespace verdant::sync {
namespace {

const std::string kZero(64, '0');

struct Crash : std::runtime_error {
    Crash() : std::runtime_error("crash") {}
};

/// Where the next batch dies, if it does.
struct CrashPlan {
    std::optional<std::pair<FaultPoint, std::size_t>> at;
};

Store crashableStore(CrashPlan& plan) {
    StoreOptions options;
    options.faultInjector = [&plan](FaultPoint point, std::size_t index) {
        if (plan.at && plan.at->first == point && plan.at->second == index) {
            plan.at.reset();
            throw Crash();
        }
    };
    return deviceStore(std::move(options));
}

/// Fails the test where a kept checksum differs from the one recomputed from the rows.
void expectKeptChecksumsMatchTheRows(const Store& store, const std::vector<RecordId>& audits) {
    const auto recomputed = store.recomputedChecksums();
    const auto of = [&](const std::string& key) {
        const auto found = recomputed.find(key);
        return found == recomputed.end() ? kZero : found->second;
    };
    ASSERT_EQ(store.checksum(), of("*"));
    for (const auto& audit : audits) {
        ASSERT_EQ(store.scopeChecksum(keyOf(audit)), of(keyOf(audit)));
    }
    ASSERT_TRUE(store.damagedScopes().empty());
}

/// A gated batch (some changes refused) into `server`, sometimes crashing half-way first.
void deliver(Store& server, CrashPlan& plan, const std::vector<Change>& batch,
             RandomHistory& history) {
    std::vector<bool> refuse;
    for (std::size_t i = 0; i < batch.size(); ++i) {
        refuse.push_back(history.pick(0, 5) == 0);
    }
    std::size_t asked = 0;
    const ChangeGate gate =
        [&](const Change&,
            const std::optional<std::string>&) -> std::optional<shared::ValidationError> {
        const bool no = refuse.at(asked++ % refuse.size());
        if (no) {
            return shared::ValidationError{shared::ErrorCode::Forbidden, "not yours"};
        }
        return std::nullopt;
    };
    if (history.pick(0, 3) == 0) {
        // The process dies half-way: the batch is rolled back whole, the sums with it.
        const auto point = static_cast<FaultPoint>(history.pick(0, 2));
        const auto index =
            point == FaultPoint::BeforeChange
                ? static_cast<std::size_t>(history.pick(0, static_cast<int>(batch.size()) - 1))
                : batch.size();
        plan.at = std::make_pair(point, index);
        const auto before = server.checksum();
        EXPECT_THROW(server.apply(batch, gate), Crash);
        EXPECT_EQ(server.checksum(), before);
        asked = 0;
    }
    server.apply(batch, gate);
}

TEST(StoreChecksums, KeptChecksumsMatchARecomputationAfterRandomHistories) {
    for (std::uint32_t seed = 1; seed <= 40; ++seed) {
        SCOPED_TRACE("seed " + std::to_string(seed));
        RandomHistory history(seed);
        Store world = deviceStore();
        CrashPlan plan;
        Store server = crashableStore(plan);
        Store tablet = deviceStore();
        std::vector<Change> pending;
        const int length = history.pick(20, 50);
        for (int i = 0; i < length; ++i) {
            const Change change = history.next(world);
            world.apply(std::vector{change});
            pending.push_back(change);
            if (history.pick(0, 2) != 0) {
                continue;
            }
            deliver(server, plan, pending, history);
            tablet.apply(pending);
            pending.clear();
            expectKeptChecksumsMatchTheRows(server, history.audits());
            switch (history.pick(0, 5)) {
                case 0:  // the audit is taken away from the tablet
                    tablet.purgeScope(keyOf(history.audits()[history.pick(0, 1)]));
                    break;
                case 1:  // the tablet removes or re-dates its unsent changes
                    tablet.rewriteDeviceChanges(history.tablet().id(),
                                                static_cast<std::uint64_t>(history.pick(0, 10)),
                                                [&](const Change& sent) -> std::optional<Change> {
                                                    if (history.pick(0, 1) == 0) {
                                                        return std::nullopt;
                                                    }
                                                    Change later = sent;
                                                    later.hlc.physicalMs += 1;
                                                    later.baseVersion.reset();
                                                    return later;
                                                });
                    break;
                default:
                    break;
            }
            expectKeptChecksumsMatchTheRows(tablet, history.audits());
            expectKeptChecksumsMatchTheRows(world, history.audits());
        }
    }
}

TEST(StoreChecksums, ConvergedReplicasHaveTheSameChecksumsWhateverTheirOrder) {
    RandomHistory history(7);
    Store world = deviceStore();
    std::vector<Change> all;
    for (int i = 0; i < 60; ++i) {
        all.push_back(history.next(world));
        world.apply(std::vector{all.back()});
    }
    std::shuffle(all.begin(), all.end(), history.random());
    Store other = deviceStore();
    for (const auto& change : all) {
        other.apply(std::vector{change});
    }
    EXPECT_EQ(other.checksum(), world.checksum());
    EXPECT_NE(world.checksum(), kZero);
    for (const auto& audit : history.audits()) {
        EXPECT_EQ(other.scopeChecksum(keyOf(audit)), world.scopeChecksum(keyOf(audit)));
    }
}

TEST(StoreChecksums, TheFeedEndOfAScopeIsItsLastPosition) {
    TestDevice tablet(1);
    Store store = deviceStore();
    const auto audit = tablet.newRecordId();
    const auto answer = tablet.newRecordId();
    EXPECT_EQ(store.scopeFeedEnd(keyOf(audit)), 0U);
    store.apply(std::vector{tablet.set("audits", audit, "title", Value::string("Plant 1"))});
    EXPECT_EQ(store.scopeFeedEnd(keyOf(audit)), 1U);
    // The answer's note arrives before its audit_id: it joins the scope at position 3.
    store.apply(std::vector{tablet.set("answers", answer, "note", Value::string("n"))});
    EXPECT_EQ(store.scopeFeedEnd(keyOf(audit)), 1U);
    store.apply(std::vector{tablet.set("answers", answer, "audit_id", Value::id(audit))});
    EXPECT_EQ(store.scopeFeedEnd(keyOf(audit)), 3U);
    const auto page = store.changesSince(0, 100, {keyOf(audit)});
    ASSERT_FALSE(page.empty());
    EXPECT_EQ(page.back().serverSeq, store.scopeFeedEnd(keyOf(audit)));
    EXPECT_EQ(store.scopeFeedEnd("*"), 0U);  // the store's own keys name no scope
    EXPECT_EQ(store.scopeChecksum("*"), kZero);
}

/// A store file removed (with its WAL files) at the end of the test.
struct TempFile {
    explicit TempFile(const std::string& name)
        : path((std::filesystem::temp_directory_path() / (name + ".db")).string()) {
        clean();
    }
    ~TempFile() { clean(); }
    void clean() const {
        for (const char* suffix : {"", "-wal", "-shm"}) {
            std::filesystem::remove(path + suffix);
        }
    }
    std::string path;
};

void execRaw(const std::string& path, const char* sql) {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
    char* error = nullptr;
    const int rc = sqlite3_exec(db, sql, nullptr, nullptr, &error);
    sqlite3_free(error);
    sqlite3_close(db);
    ASSERT_EQ(rc, SQLITE_OK);
}

TEST(StoreChecksums, ARowDamagedUnderTheStoreIsFoundAndItsScopeChecksumRebuilt) {
    TempFile file("verdant-checksum-damage-" + std::to_string(::getpid()));
    TestDevice tablet(1);
    const auto damaged = tablet.newRecordId();
    const auto intact = tablet.newRecordId();
    const auto answer = tablet.newRecordId();
    std::string before;
    {
        Store store(file.path, deviceSchema());
        store.apply(std::vector{
            tablet.set("audits", damaged, "title", Value::string("Plant 1")),
            tablet.set("audits", intact, "title", Value::string("Plant 2")),
            tablet.set("answers", answer, "audit_id", Value::id(damaged)),
            tablet.set("answers", answer, "note", Value::string("leak at the drain")),
        });
        before = store.scopeChecksum(keyOf(damaged));
    }
    // A field row of the answer is lost behind the store's back (a bad restore, a bad disk).
    execRaw(file.path, "DELETE FROM fields WHERE field = 'note'");
    Store store(file.path, deviceSchema());
    EXPECT_EQ(store.scopeChecksum(keyOf(damaged)), before);  // the kept sum cannot know
    EXPECT_EQ(store.damagedScopes(), std::vector{keyOf(damaged)});
    store.rebuildChecksums();
    EXPECT_TRUE(store.damagedScopes().empty());
    EXPECT_NE(store.scopeChecksum(keyOf(damaged)), before);
}

// A field's state names its writes by their log rows: a log row lost under the store leaves a
// state that cannot be read back. The check names that scope (it does not fail), and applying
// the scope's changes again (what a repair pull does) brings the replica back whole.
TEST(StoreChecksums, ALogRowLostUnderTheStoreDamagesItsScopeAndTheChangesRepairIt) {
    TempFile file("verdant-checksum-lost-log-" + std::to_string(::getpid()));
    TestDevice tablet(1);
    const auto audit = tablet.newRecordId();
    const auto answer = tablet.newRecordId();
    const std::vector changes{
        tablet.set("audits", audit, "title", Value::string("Plant 1")),
        tablet.set("answers", answer, "audit_id", Value::id(audit)),
        tablet.set("answers", answer, "note", Value::string("leak at the drain")),
    };
    std::string dump;
    {
        Store store(file.path, deviceSchema());
        store.apply(changes);
        dump = store.canonicalDump();
    }
    execRaw(file.path, "DELETE FROM changes WHERE field = 'note'");
    Store store(file.path, deviceSchema());
    EXPECT_EQ(store.damagedScopes(), std::vector{keyOf(audit)});
    store.purgeScope(keyOf(audit));
    store.apply(changes);
    EXPECT_TRUE(store.damagedScopes().empty());
    EXPECT_EQ(store.canonicalDump(), dump);
}

}  // namespace
}  // namespace verdant::sync
