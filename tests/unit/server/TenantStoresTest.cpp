// TenantStores at shutdown: closing waits for reads in progress, whose connections stay usable
// until they finish, and a later request opens the tenant again.

#include "TemporaryDirectory.hpp"

#include "verdant/domain/DomainSchema.hpp"
#include "verdant/server/storage/SqliteStoreBackends.hpp"
#include "verdant/server/storage/TenantStores.hpp"
#include "verdant/shared/Clock.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <future>
#include <mutex>

namespace verdant::server {
namespace {

constexpr const char* kTenant = "0b5e5d1c-8f7a-4c2e-9d3b-2a1f0e9c8b7a";

class TenantStoresAtShutdown : public ::testing::Test {
protected:
    test::TemporaryDirectory _dataDir;
    shared::ManualClock _clock{1'800'000'000'000};
    shared::HlcClock _hlc{_clock, 1};
    SqliteStoreBackends _backends{_dataDir.path(), _dataDir.path() + "/accounts.db",
                                  domain::domainSchema()};
    TenantStores _stores{_backends, domain::domainSchema(), _hlc};
};

TEST_F(TenantStoresAtShutdown, ClosingWaitsForAReadInProgressAndItsConnection) {
    std::mutex mutex;
    std::condition_variable changed;
    bool reading = false;
    bool finish = false;
    bool readFinished = false;
    auto read = std::async(std::launch::async, [&] {
        return _stores.read(kTenant, [&](const sync::Store& store) {
            std::unique_lock lock(mutex);
            reading = true;
            changed.notify_all();
            changed.wait(lock, [&] { return finish; });
            const auto seq = store.lastServerSeq();  // the connection is still open
            readFinished = true;
            return seq;
        });
    });
    {
        std::unique_lock lock(mutex);
        changed.wait(lock, [&] { return reading; });
    }
    auto close = std::async(std::launch::async, [&] {
        _stores.closeAll();
        std::lock_guard lock(mutex);
        return readFinished;
    });
    // Give a close that does not wait the chance to return early (it may not take longer).
    close.wait_for(std::chrono::milliseconds(300));
    {
        std::lock_guard lock(mutex);
        finish = true;
        changed.notify_all();
    }
    EXPECT_EQ(read.get(), 0U);
    EXPECT_TRUE(close.get()) << "the store closed under a read in progress";
}

TEST_F(TenantStoresAtShutdown, ATenantOpensAgainAfterClosing) {
    _stores.with(kTenant, [](sync::Store& store) { EXPECT_EQ(store.lastServerSeq(), 0U); });
    _stores.closeAll();
    EXPECT_EQ(_stores.read(kTenant, [](const sync::Store& store) { return store.lastServerSeq(); }),
              0U);
}

}  // namespace
}  // namespace verdant::server
