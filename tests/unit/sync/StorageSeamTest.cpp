// The storage seam: the sync engine runs over any StoreBackend, and a backend that fails at any
// point of a batch (a lost connection, a full disk, a failed commit) leaves nothing of the batch
// behind: the engine rolls the transaction back, and the same batch applies once the storage
// answers again. The backend here forwards to the SQLite one and fails where it is told to.

#include "DeviceHistory.hpp"
#include "SyncFixtures.hpp"

#include "verdant/shared/ErrorCode.hpp"
#include "verdant/sync/Store.hpp"
#include "verdant/sync/StoreBackend.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <string>

namespace verdant::sync {
namespace {

using shared::Value;
using testing::TestDevice;

/// Forwards every call to the SQLite backend, except the one named in `failAt`, which throws
/// StorageUnavailable as a storage failure would.
class FailingBackend final : public StoreBackend {
public:
    FailingBackend(std::unique_ptr<StoreBackend> inner, const std::string* failAt)
        : _inner(std::move(inner)), _failAt(failAt) {}

    void beginWrite() override {
        maybeFail("beginWrite");
        _inner->beginWrite();
    }
    void commit() override {
        maybeFail("commit");
        _inner->commit();
    }
    void rollback() noexcept override { _inner->rollback(); }
    void beginRead() override {
        maybeFail("beginRead");
        _inner->beginRead();
    }
    void endRead() noexcept override { _inner->endRead(); }
    void holdCheckpoints(bool held) override {
        maybeFail("holdCheckpoints");
        _inner->holdCheckpoints(held);
    }
    int schemaVersion() override {
        maybeFail("schemaVersion");
        return _inner->schemaVersion();
    }
    std::optional<std::int64_t> findDevice(const shared::DeviceId& device) override {
        maybeFail("findDevice");
        return _inner->findDevice(device);
    }
    std::int64_t addDevice(const shared::DeviceId& device) override {
        maybeFail("addDevice");
        return _inner->addDevice(device);
    }
    void raiseHighWater(std::int64_t deviceRef, std::uint64_t mark) override {
        maybeFail("raiseHighWater");
        _inner->raiseHighWater(deviceRef, mark);
    }
    std::uint64_t highWater(const shared::DeviceId& device) override {
        maybeFail("highWater");
        return _inner->highWater(device);
    }
    std::optional<std::int64_t> findName(std::string_view name) override {
        maybeFail("findName");
        return _inner->findName(name);
    }
    std::int64_t addName(std::string_view name) override {
        maybeFail("addName");
        return _inner->addName(name);
    }
    std::optional<RecordRow> findRecord(std::string_view collection,
                                        const shared::RecordId& id) override {
        maybeFail("findRecord");
        return _inner->findRecord(collection, id);
    }
    std::int64_t addRecord(std::string_view collection, const shared::RecordId& id,
                           std::span<const std::uint8_t> tombstone,
                           const std::optional<std::string>& scopeKey) override {
        maybeFail("addRecord");
        return _inner->addRecord(collection, id, tombstone, scopeKey);
    }
    void updateRecord(const RecordRow& row) override {
        maybeFail("updateRecord");
        _inner->updateRecord(row);
    }
    std::vector<shared::RecordId> recordIds(std::string_view collection,
                                            bool includeDeleted) override {
        maybeFail("recordIds");
        return _inner->recordIds(collection, includeDeleted);
    }
    std::vector<RecordRef> recordsInScope(const std::string& scopeKey) override {
        maybeFail("recordsInScope");
        return _inner->recordsInScope(scopeKey);
    }
    std::map<std::string, std::size_t> recordsPerScope(std::string_view collection) override {
        maybeFail("recordsPerScope");
        return _inner->recordsPerScope(collection);
    }
    std::optional<std::vector<std::uint8_t>> fieldState(std::int64_t recordRef,
                                                        std::string_view field) override {
        maybeFail("fieldState");
        return _inner->fieldState(recordRef, field);
    }
    void putField(std::int64_t recordRef, const FieldRow& row, bool exists) override {
        maybeFail("putField");
        _inner->putField(recordRef, row, exists);
    }
    void forEachField(std::int64_t recordRef,
                      const std::function<void(const FieldRow&)>& visit) override {
        maybeFail("forEachField");
        _inner->forEachField(recordRef, visit);
    }
    void forEachFieldOf(
        std::string_view collection, std::string_view field,
        const std::function<void(const shared::RecordId&, const FieldRow&)>& visit) override {
        maybeFail("forEachFieldOf");
        _inner->forEachFieldOf(collection, field, visit);
    }
    void forEachConflict(const std::function<void(const StateRow&)>& visit) override {
        maybeFail("forEachConflict");
        _inner->forEachConflict(visit);
    }
    void forEachStateRow(const std::function<void(const StateRow&)>& visit) override {
        maybeFail("forEachStateRow");
        _inner->forEachStateRow(visit);
    }
    void forEachStateRowOf(std::int64_t recordRef,
                           const std::function<void(const StateRow&)>& visit) override {
        maybeFail("forEachStateRowOf");
        _inner->forEachStateRowOf(recordRef, visit);
    }
    std::optional<std::uint64_t> appendChange(const ChangeRow& row) override {
        maybeFail("appendChange");
        return _inner->appendChange(row);
    }
    void setOutcome(std::uint64_t serverSeq, ChangeOutcome outcome) override {
        maybeFail("setOutcome");
        _inner->setOutcome(serverSeq, outcome);
    }
    void setOutcomeOf(const shared::DeviceId& device, std::uint64_t deviceSeq,
                      ChangeOutcome outcome) override {
        maybeFail("setOutcomeOf");
        _inner->setOutcomeOf(device, deviceSeq, outcome);
    }
    std::optional<ReceivedBefore> receivedBefore(const shared::DeviceId& device,
                                                 std::uint64_t deviceSeq) override {
        maybeFail("receivedBefore");
        return _inner->receivedBefore(device, deviceSeq);
    }
    std::optional<ChangeOutcome> loggedOutcome(const shared::DeviceId& device,
                                               std::uint64_t deviceSeq) override {
        maybeFail("loggedOutcome");
        return _inner->loggedOutcome(device, deviceSeq);
    }
    std::optional<Write> loggedWrite(std::int64_t deviceRef, std::uint64_t deviceSeq) override {
        maybeFail("loggedWrite");
        return _inner->loggedWrite(deviceRef, deviceSeq);
    }
    std::uint64_t lastServerSeq() override {
        maybeFail("lastServerSeq");
        return _inner->lastServerSeq();
    }
    std::vector<LoggedChange> changesSince(std::uint64_t after, std::size_t limit) override {
        maybeFail("changesSince");
        return _inner->changesSince(after, limit);
    }
    std::vector<LoggedChange> scopedChanges(std::uint64_t after, std::size_t limit,
                                            const std::vector<std::string>& scopeKeys) override {
        maybeFail("scopedChanges");
        return _inner->scopedChanges(after, limit, scopeKeys);
    }
    std::vector<LoggedChange> fieldHistory(std::int64_t recordRef,
                                           std::string_view field) override {
        maybeFail("fieldHistory");
        return _inner->fieldHistory(recordRef, field);
    }
    std::vector<LoggedChange> recordChanges(std::int64_t recordRef) override {
        maybeFail("recordChanges");
        return _inner->recordChanges(recordRef);
    }
    std::vector<LoggedChange> deviceChanges(std::int64_t deviceRef, std::uint64_t afterSeq,
                                            std::size_t limit) override {
        maybeFail("deviceChanges");
        return _inner->deviceChanges(deviceRef, afterSeq, limit);
    }
    std::size_t purgeScope(const std::string& scopeKey) override {
        maybeFail("purgeScope");
        return _inner->purgeScope(scopeKey);
    }
    void removeRecords(std::span<const std::int64_t> recordRefs) override {
        maybeFail("removeRecords");
        _inner->removeRecords(recordRefs);
    }
    void addQuarantined(const QuarantinedChange& entry) override {
        maybeFail("addQuarantined");
        _inner->addQuarantined(entry);
    }
    std::vector<QuarantinedChange> quarantine() override {
        maybeFail("quarantine");
        return _inner->quarantine();
    }
    std::optional<QuarantinedChange> quarantined(const shared::DeviceId& device,
                                                 std::uint64_t deviceSeq) override {
        maybeFail("quarantined");
        return _inner->quarantined(device, deviceSeq);
    }
    std::vector<QuarantinedChange> quarantinePage(
        const QuarantinePosition& after, std::size_t limit,
        const std::optional<shared::DeviceId>& device) override {
        maybeFail("quarantinePage");
        return _inner->quarantinePage(after, limit, device);
    }
    void decideQuarantined(const shared::DeviceId& device, std::uint64_t deviceSeq,
                           QuarantineDecision decision, const std::string& decidedBy,
                           std::int64_t decidedAtMs) override {
        maybeFail("decideQuarantined");
        _inner->decideQuarantined(device, deviceSeq, decision, decidedBy, decidedAtMs);
    }
    ScopeSumRow scopeSum(std::string_view scopeKey) override {
        maybeFail("scopeSum");
        return _inner->scopeSum(scopeKey);
    }
    void putScopeSum(std::string_view scopeKey, std::span<const std::uint8_t> sum,
                     std::uint64_t lastSeq) override {
        maybeFail("putScopeSum");
        _inner->putScopeSum(scopeKey, sum, lastSeq);
    }
    void removeScopeSum(std::string_view scopeKey) override {
        maybeFail("removeScopeSum");
        _inner->removeScopeSum(scopeKey);
    }
    std::map<std::string, std::vector<std::uint8_t>> scopeSums() override {
        maybeFail("scopeSums");
        return _inner->scopeSums();
    }
    void clearScopeSums() override {
        maybeFail("clearScopeSums");
        _inner->clearScopeSums();
    }
    std::map<std::string, std::uint64_t> feedEnds() override {
        maybeFail("feedEnds");
        return _inner->feedEnds();
    }

private:
    void maybeFail(const char* method) const {
        if (*_failAt == method) {
            throw shared::Error(shared::ErrorCode::StorageUnavailable, "disk I/O error");
        }
    }

    std::unique_ptr<StoreBackend> _inner;
    const std::string* _failAt;
};

struct SeamStore {
    explicit SeamStore(const std::string* failAt)
        : store(std::make_unique<FailingBackend>(
                    openSqliteBackend(":memory:", finalized(), StoreOptions{}), failAt),
                deviceSchema()) {}
    static shared::Schema finalized() {
        auto schema = deviceSchema();
        schema.finalize();
        return schema;
    }
    Store store;
};

std::vector<shared::Change> answerBatch(TestDevice& tablet) {
    const auto audit = tablet.newRecordId();
    const auto answer = tablet.newRecordId();
    return {tablet.set("audits", audit, "title", Value::string("Plant 1")),
            tablet.set("answers", answer, "audit_id", Value::id(audit)),
            tablet.set("answers", answer, "note", Value::string("leak at the drain"))};
}

TEST(StorageSeam, TheEngineOverAnotherBackendHoldsWhatTheSqliteStoreHolds) {
    const std::string never;
    SeamStore seam(&never);
    Store plain(":memory:", deviceSchema());
    TestDevice tablet(1);
    const auto batch = answerBatch(tablet);
    seam.store.apply(batch);
    plain.apply(batch);
    EXPECT_EQ(seam.store.canonicalDump(), plain.canonicalDump());
    EXPECT_EQ(seam.store.checksum(), plain.checksum());
    EXPECT_EQ(seam.store.changesSince(0, 10).size(), 3U);
}

TEST(StorageSeam, AStorageFailureAnywhereInABatchLeavesNothingAndTheBatchAppliesLater) {
    for (const std::string point : {"addRecord", "appendChange", "putField", "findRecord",
                                    "raiseHighWater", "putScopeSum", "commit"}) {
        SCOPED_TRACE(point);
        std::string failAt;
        SeamStore seam(&failAt);
        TestDevice tablet(1);
        seam.store.apply(answerBatch(tablet));  // something already there
        const std::string before = seam.store.canonicalDump();
        const std::string checksum = seam.store.checksum();
        const auto batch = answerBatch(tablet);
        failAt = point;
        try {
            seam.store.apply(batch);
            FAIL() << "the batch applied although " << point << " failed";
        } catch (const shared::Error& error) {
            EXPECT_EQ(error.code(), shared::ErrorCode::StorageUnavailable);
        }
        failAt.clear();
        EXPECT_EQ(seam.store.canonicalDump(), before);
        EXPECT_EQ(seam.store.checksum(), checksum);
        EXPECT_TRUE(seam.store.damagedScopes().empty());
        const auto applied = seam.store.apply(batch);
        EXPECT_EQ(applied.count(ChangeOutcome::Applied), batch.size());
        EXPECT_TRUE(seam.store.damagedScopes().empty());
    }
}

}  // namespace
}  // namespace verdant::sync
