// Pull latency while pushes of the same tenant keep its writer busy, through TenantStores as the
// server's handlers use it: a pull page read behind the tenant's writer (as every read was
// before readers existed) and from a reader connection. Release build:
//   cmake --preset bench && cmake --build --preset bench --target verdant_pull_under_push_bench
//   build/bench/bench/verdant_pull_under_push_bench [pushers] [pulls]
// Prints, for each way of reading, the pull latency percentiles and the pushes completed.

#include "verdant/domain/DomainSchema.hpp"
#include "verdant/server/storage/SqliteStoreBackends.hpp"
#include "verdant/server/storage/TenantStores.hpp"
#include "verdant/shared/Clock.hpp"
#include "verdant/shared/IdGenerator.hpp"

#include <Poco/File.h>
#include <Poco/TemporaryFile.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

namespace {

using namespace verdant;
using Clock = std::chrono::steady_clock;

constexpr const char* kTenant = "0b5e5d1c-8f7a-4c2e-9d3b-2a1f0e9c8b7a";
constexpr std::size_t kBatch = 200;        // changes per push
constexpr std::size_t kPage = 200;         // changes per pull page
constexpr std::size_t kSeedBatches = 100;  // 20,000 changes before measuring

/// One device's pushes: batches of supplier renames under its own device id.
class Pusher {
public:
    explicit Pusher(std::uint64_t seed) : _ids(_clock, seed), _device(_ids.nextDeviceId()) {}

    std::vector<shared::Change> batch() {
        std::vector<shared::Change> changes;
        for (std::size_t i = 0; i < kBatch; ++i) {
            shared::Change change;
            change.collection = audit::collections::kSuppliers;
            change.recordId = _ids.nextRecordId();
            change.field = "name_en";
            change.operation = shared::Operation::Set;
            change.value = shared::Value::string("Supplier " + std::to_string(_seq));
            change.hlc = shared::Hlc{_clock.nowMs(), 0, _device.low64()};
            change.deviceId = _device;
            change.deviceSeq = ++_seq;
            change.author = "bench";
            changes.push_back(std::move(change));
        }
        return changes;
    }

private:
    shared::ManualClock _clock{1'800'000'000'000};
    shared::IdGenerator _ids;
    shared::DeviceId _device;
    std::uint64_t _seq = 0;
};

/// A pull page as the pull handler reads it: the log's end, then a page of changes.
std::size_t pullPage(const sync::Store& store) {
    const auto last = store.lastServerSeq();
    const auto after = last > 4 * kPage ? last - 4 * kPage : 0;
    return store.changesSince(after, kPage).size();
}

double percentile(std::vector<double> values, double p) {
    std::sort(values.begin(), values.end());
    return values[std::min(values.size() - 1, static_cast<std::size_t>(p * values.size()))];
}

void measure(const char* name, bool fromReader, int pushers, int pulls) {
    Poco::TemporaryFile dataDir;
    Poco::File(dataDir.path()).createDirectories();
    shared::ManualClock clock{1'800'000'000'000};
    shared::HlcClock hlc{clock, 1};
    server::SqliteStoreBackends backends(dataDir.path(), dataDir.path() + "/accounts.db",
                                         domain::domainSchema());
    server::TenantStores stores(backends, domain::domainSchema(), hlc, 32);
    Pusher seeder(1000);
    for (std::size_t i = 0; i < kSeedBatches; ++i) {
        stores.with(kTenant, [&](sync::Store& store) { store.apply(seeder.batch()); });
    }

    std::atomic<bool> stop{false};
    std::atomic<std::size_t> pushes{0};
    std::vector<std::thread> threads;
    for (int p = 0; p < pushers; ++p) {
        threads.emplace_back([&, p] {
            Pusher pusher(static_cast<std::uint64_t>(p) + 1);
            while (!stop) {
                auto batch = pusher.batch();  // prepared outside the lock, as a request body is
                stores.with(kTenant, [&](sync::Store& store) { store.apply(batch); });
                ++pushes;
            }
        });
    }
    std::vector<double> latencies;
    const auto started = Clock::now();
    for (int i = 0; i < pulls; ++i) {
        const auto begin = Clock::now();
        const auto got = fromReader
                             ? stores.read(kTenant, pullPage)
                             : stores.with(kTenant, [](sync::Store& s) { return pullPage(s); });
        latencies.push_back(
            std::chrono::duration<double, std::milli>(Clock::now() - begin).count());
        if (got == 0) {
            std::fprintf(stderr, "empty page\n");
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(2));  // a device's think time
    }
    const double seconds = std::chrono::duration<double>(Clock::now() - started).count();
    stop = true;
    for (auto& thread : threads) {
        thread.join();
    }
    const auto logged =
        stores.read(kTenant, [](const sync::Store& s) { return s.lastServerSeq(); });
    std::printf(
        "%-18s pushers %d  pulls %d  pull ms p50 %6.2f  p90 %6.2f  p99 %6.2f  max %6.2f"
        "  pushes/s %6.1f  changes logged %llu\n",
        name, pushers, pulls, percentile(latencies, 0.50), percentile(latencies, 0.90),
        percentile(latencies, 0.99), percentile(latencies, 1.0),
        static_cast<double>(pushes) / seconds, static_cast<unsigned long long>(logged));
}

}  // namespace

int main(int argc, char** argv) {
    const int pushers = argc > 1 ? std::atoi(argv[1]) : 4;
    const int pulls = argc > 2 ? std::atoi(argv[2]) : 300;
    measure("behind the writer", false, pushers, pulls);
    measure("from a reader", true, pushers, pulls);
    return 0;
}
