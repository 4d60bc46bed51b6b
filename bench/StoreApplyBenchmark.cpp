// Merge + apply throughput of the SQLite store: pushes of 500 changes from 4 devices, each
// working through audits (a working set of 150 answer records per device, a fifth of which are
// replaced by new records at every push, as when an auditor moves on to the next audit), over
// every common merge kind, applied to a file-backed store (WAL). A second variant spreads every
// push uniformly over all records ever created, the worst case for page locality.
// Reported as changes per second (counter "changes_per_second").

#include "verdant/shared/Clock.hpp"
#include "verdant/shared/HlcClock.hpp"
#include "verdant/shared/IdGenerator.hpp"
#include "verdant/shared/Schema.hpp"
#include "verdant/sync/Store.hpp"

#include <benchmark/benchmark.h>

#include <filesystem>
#include <map>
#include <random>

namespace {

using namespace verdant;
using shared::FieldSpec;
using shared::FieldType;
using shared::MergeKind;
using shared::Operation;
using shared::Value;

constexpr std::size_t kBatchSize = 500;
constexpr std::size_t kWorkingSet = 150;
constexpr std::size_t kDevices = 4;

shared::Schema benchSchema() {
    shared::Schema schema;
    schema.add(shared::CollectionSpec(
        "answers",
        {
            FieldSpec{"answer", FieldType::String, MergeKind::ReviewedRegister, {}, 1024},
            FieldSpec{"note", FieldType::String, MergeKind::LastWriterWins, {}, 4096},
            FieldSpec{"score", FieldType::Int, MergeKind::LastWriterWins, {}, 8},
            FieldSpec{"tags", FieldType::StringSet, MergeKind::AddWinsSet, {}, 64},
            FieldSpec{"checked_out", FieldType::Timestamp, MergeKind::Max, {}, 8},
            FieldSpec{"status",
                      FieldType::Enum,
                      MergeKind::MonotoneState,
                      {"scheduled", "in_progress", "submitted", "approved"},
                      16},
        }));
    return schema;
}

/// Generates realistic pushes: each device edits records with bases from what it wrote last.
class Workload {
public:
    Workload() : _clock(1'704'067'200'000), _ids(_clock, 7), _random(42) {
        for (std::size_t i = 0; i < kDevices; ++i) {
            _devices.push_back(_ids.nextDeviceId());
            _hlcs.push_back(std::make_unique<shared::HlcClock>(
                _clock, shared::nodeIdOf(_devices.back()), std::nullopt));
        }
        _seqs.assign(kDevices, 0);
        for (std::size_t i = 0; i < kDevices; ++i) {
            _workingSets.emplace_back();
            for (std::size_t j = 0; j < kWorkingSet; ++j) {
                _workingSets.back().push_back(newRecord());
            }
        }
    }

    explicit Workload(bool uniform) : Workload() { _uniform = uniform; }

    std::vector<shared::Change> nextBatch() {
        static const std::vector<std::string> kStatus = {"scheduled", "in_progress", "submitted",
                                                         "approved"};
        std::vector<shared::Change> batch;
        batch.reserve(kBatchSize);
        const std::size_t device = _batch++ % kDevices;  // one push = one device's changes
        auto& workingSet = _workingSets[device];
        for (std::size_t j = 0; j < kWorkingSet / 5; ++j) {
            workingSet[_random() % kWorkingSet] = newRecord();
        }
        for (std::size_t i = 0; i < kBatchSize; ++i) {
            _clock.advance(1);
            shared::Change change;
            change.collection = "answers";
            change.recordId = _uniform ? _allRecords[_random() % _allRecords.size()]
                                       : workingSet[_random() % kWorkingSet];
            change.deviceId = _devices[device];
            change.deviceSeq = ++_seqs[device];
            change.author = "auditor-" + std::to_string(device);
            change.hlc = _hlcs[device]->now();
            const std::size_t kind = _random() % 6;
            switch (kind) {
                case 0: {
                    change.field = "answer";
                    change.value = Value::string(_random() % 2 ? "yes" : "no");
                    auto& base = _lastAnswer[change.recordId];
                    change.baseVersion = base;
                    base = change.hlc;
                    break;
                }
                case 1:
                    change.field = "note";
                    change.value = Value::string("Drainage at the east wall checked, photo " +
                                                 std::to_string(_random() % 1000));
                    break;
                case 2:
                    change.field = "score";
                    change.value = Value::integer(static_cast<std::int64_t>(_random() % 200));
                    break;
                case 3:
                    change.field = "tags";
                    change.operation = Operation::Add;
                    change.value = Value::string("tag" + std::to_string(_random() % 8));
                    break;
                case 4:
                    change.field = "checked_out";
                    change.value = Value::timestamp(_clock.nowMs());
                    break;
                default:
                    change.field = "status";
                    change.value = Value::string(kStatus[_random() % kStatus.size()]);
                    break;
            }
            batch.push_back(std::move(change));
        }
        return batch;
    }

private:
    shared::RecordId newRecord() {
        _allRecords.push_back(_ids.nextRecordId());
        return _allRecords.back();
    }

    shared::ManualClock _clock;
    shared::IdGenerator _ids;
    std::mt19937_64 _random;
    std::vector<shared::DeviceId> _devices;
    std::vector<std::unique_ptr<shared::HlcClock>> _hlcs;
    std::vector<std::uint64_t> _seqs;
    std::vector<std::vector<shared::RecordId>> _workingSets;
    std::vector<shared::RecordId> _allRecords;
    bool _uniform = false;
    std::map<shared::RecordId, std::optional<shared::Hlc>> _lastAnswer;
    std::size_t _batch = 0;
};

void applyBatchesOf500(benchmark::State& state) {
    const bool durable = state.range(0) != 0;
    const bool uniform = state.range(1) != 0;
    const auto path = std::filesystem::temp_directory_path() / "verdant-bench-store.db";
    for (const auto& suffix : {"", "-wal", "-shm"}) {
        std::filesystem::remove(path.string() + suffix);
    }
    {
        sync::StoreOptions options;
        options.durable = durable;
        sync::Store store(path.string(), benchSchema(), options);
        Workload workload(uniform);
        std::size_t applied = 0;
        for (auto _ : state) {
            state.PauseTiming();
            const auto batch = workload.nextBatch();
            state.ResumeTiming();
            const auto result = store.apply(batch);
            applied += result.results.size() - result.count(sync::ChangeOutcome::Refused);
            benchmark::DoNotOptimize(result);
        }
        if (applied != state.iterations() * kBatchSize) {
            state.SkipWithError("some changes were refused");
        }
        state.counters["changes_per_second"] = benchmark::Counter(
            static_cast<double>(state.iterations() * kBatchSize), benchmark::Counter::kIsRate);
    }
    for (const auto& suffix : {"", "-wal", "-shm"}) {
        std::filesystem::remove(path.string() + suffix);
    }
}

BENCHMARK(applyBatchesOf500)
    ->ArgNames({"durable", "uniform"})
    ->Args({1, 0})
    ->Args({0, 0})
    ->Args({1, 1})
    ->Unit(benchmark::kMillisecond)
    ->MinTime(3.0)
    ->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
