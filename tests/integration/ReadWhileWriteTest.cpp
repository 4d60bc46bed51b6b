// Reads never wait for writes: while a write holds a tenant's store (its writer connection, inside
// the BEGIN IMMEDIATE transaction of a batch), pulls, review queries and health still answer, and
// they see the last committed state, not the write in progress.

#include "ServerHarness.hpp"
#include "TestDevice.hpp"

#include "verdant/domain/DomainSchema.hpp"
#include "verdant/server/storage/TenantStores.hpp"
#include "verdant/shared/IdGenerator.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace verdant {
namespace {

using server::Role;
using shared::RecordId;
using shared::Value;
using test::TestDevice;
namespace c = audit::collections;

/// Only breaks the deadlock of a server whose reads wait for the write: the write gives up
/// waiting for the reads after this long (and the test fails). Below the client's own timeout.
constexpr auto kDeadlockBreaker = std::chrono::seconds(15);

/// A write that holds the tenant's store, inside its transaction, until the test lets it go.
class HeldWrite {
public:
    /// Applies `change` through the tenant's writer on a thread of its own; the batch's gate
    /// (called inside the transaction) announces the write and waits for release().
    HeldWrite(server::TenantStores& stores, const std::string& tenantId, shared::Change change)
        : _thread([this, &stores, tenantId, change = std::move(change)] {
              stores.with(tenantId, [&](sync::Store& store) {
                  const std::vector<shared::Change> batch{change};
                  const auto result = store.apply(
                      batch, [&](const shared::Change&, const std::optional<std::string>&) {
                          std::unique_lock lock(_mutex);
                          _writing = true;
                          _changed.notify_all();
                          _gaveUp =
                              !_changed.wait_for(lock, kDeadlockBreaker, [&] { return _released; });
                          return std::optional<shared::ValidationError>{};
                      });
                  _applied = result.count(sync::ChangeOutcome::Applied) == 1;
              });
          }) {}

    ~HeldWrite() {
        release();
        _thread.join();
    }
    HeldWrite(const HeldWrite&) = delete;
    HeldWrite& operator=(const HeldWrite&) = delete;

    /// Returns once the write is inside its transaction.
    void awaitWriting() {
        std::unique_lock lock(_mutex);
        _changed.wait(lock, [&] { return _writing; });
    }

    /// Lets the write commit.
    void release() {
        std::lock_guard lock(_mutex);
        _released = true;
        _changed.notify_all();
    }

    /// Waits for the write to commit; whether it had to give up waiting for release().
    bool finishAndReportGaveUp() {
        release();
        _thread.join();
        _thread = std::thread([] {});
        return _gaveUp;
    }

    bool applied() const { return _applied; }

private:
    std::mutex _mutex;
    std::condition_variable _changed;
    bool _writing = false;
    bool _released = false;
    bool _gaveUp = false;
    bool _applied = false;
    std::thread _thread;
};

class ReadsDuringAWrite : public ::testing::Test {
protected:
    ReadsDuringAWrite()
        : _tenantId(test::seedTenant(_server, "acme",
                                     {{"hq", Role::HqReviewer}, {"li", Role::FieldExpert}})),
          _hq(_server.endpoint(), "acme", "hq", "hq-password", _clock),
          _li(_server.endpoint(), "acme", "li", "li-password", _clock) {
        _hq.set(c::kSuppliers, _supplier, "name_en", Value::string("Green Dyeing Co."));
        _hq.set(c::kAudits, _audit, "supplier_id", Value::id(_supplier));
        _hq.set(c::kAudits, _audit, "assignee_id", Value::string(_li.userId()));
        _hq.push();
        _li.pull();
    }

    shared::ManualClock _clock{1'800'000'000'000};
    shared::IdGenerator _ids{_clock};
    test::ServerHarness _server{{}, {&_clock}};
    std::string _tenantId;
    TestDevice _hq;
    TestDevice _li;
    RecordId _supplier = _ids.nextRecordId();
    RecordId _audit = _ids.nextRecordId();
};

TEST_F(ReadsDuringAWrite, PullsReviewQueriesAndHealthAnswerWhileAPushHoldsTheStore) {
    // HQ renames the supplier; the write stops inside its transaction, holding the write lock.
    const auto rename =
        _hq.set(c::kSuppliers, _supplier, "name_en", Value::string("Green Dyeing Ltd."));
    HeldWrite write(_server.server().stores(), _tenantId, rename);
    write.awaitWriting();

    // Every read answers meanwhile, from the last committed state.
    _li.pull();
    EXPECT_EQ(_li.replica().record(c::kSuppliers, _supplier)->fields.at("name_en").value,
              Value::string("Green Dyeing Co."))
        << "a pull sees committed changes only";
    for (const std::string path : {"/v1/review/audits?state=scheduled", "/v1/templates",
                                   "/v1/conflicts", "/v1/quarantine", "/v1/health"}) {
        EXPECT_EQ(_hq.send("GET", path).status, 200) << path;
    }
    const auto audit = _hq.send("GET", "/v1/review/audits/" + _audit.toString());
    EXPECT_EQ(audit.status, 200) << audit.body;
    EXPECT_EQ(audit.body.find("Green Dyeing Ltd."), std::string::npos) << audit.body;

    EXPECT_FALSE(write.finishAndReportGaveUp()) << "the reads waited for the write to finish";
    EXPECT_TRUE(write.applied());
    // Once committed, the next pull carries it.
    _li.pull();
    EXPECT_EQ(_li.replica().record(c::kSuppliers, _supplier)->fields.at("name_en").value,
              Value::string("Green Dyeing Ltd."));
}

}  // namespace
}  // namespace verdant
