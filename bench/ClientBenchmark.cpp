// What an app sees of the device SDK (verdant::client::Client), on a real file-backed local
// store opened with the SDK's defaults (WAL, synchronous=NORMAL, 8 MiB cache, 64 MiB mmap):
//
//  - local write latency: one user action = one Client::write() of one answer record, in one
//    transaction: an edit of `value` on an existing answer (1 field change) and the creation of
//    an answer (audit_id, question_id, value: 3 field changes), on a store holding one audit and
//    on a store holding the 100,000 records of an initial sync. Besides Google Benchmark's mean
//    time per action, each run reports the true per-call median and 99th percentile
//    (counters median_us, p99_us) and the median per field change (median_us_per_field).
//    Target (issue): median under 100 µs per field change.
//
//  - initial sync: 100,000 records (625 audits of 159 answers each; 302,500 field changes) pulled
//    into a fresh local store through Client::pull(), the path an app runs: pull requests
//    encoded, binary PullResponse pages of 2,000 changes (ClientOptions::pullPageSize) decoded,
//    each scope page applied with sync::Store::apply in one transaction, cursors saved, and every
//    finished scope's checksum compared. The answers are computed once, before timing, the way
//    server/sync/src/SyncEndpoint.cpp pages a pull (same budget, same per-scope pages, same
//    checksums) from a real sync::Store holding the same changes, and served by an in-process
//    Transport, so the time measured is the SDK's alone (no network, no server work).
//    Pages carry a scope's checksum only on the page that finishes it with changes, as the
//    server sends them (protocol changelog), so each scope is verified once. (Before that change
//    every finished scope came back with its checksum in every later round, 152 rounds here, and
//    the pull ran at ~8k changes/s, checksum-bound.) A second benchmark applies the very same
//    pages with sync::Store::apply directly (no decoding, no cursors, no checksums): the storage
//    engine's share. Counters field_changes_per_second and records_per_second (wall clock), and
//    field_changes_per_cpu_second (CPU time of the pulling thread: less sensitive to other
//    processes on the machine). Target (issue): at least 100,000 field changes/s.
//
//  - local reads: what `verdant audits` reads through the SDK on the store of the initial sync,
//    with 0 and 10,000 answers edited offline (listAuditsReads). With
//    VERDANT_BENCH_DEVICE_STORE=<folder> set, each store is also copied to <folder>/pending-N,
//    for timing the tool itself: verdant audits --json --data-dir <folder>/pending-N
//    --tenant acme --user li (one command line).
//
// Sign-in needs no server: the in-process Transport answers POST /v1/auth/login. Building the
// dataset (a server-side store and its pull answers) takes ~20 s once per process; each run
// then takes a few seconds on 2 cores.
//
// Build and run (Release), median of 5 repetitions (about 5 minutes in all):
//   cmake --preset bench && cmake --build --preset bench -j2 --target verdant_client_bench
//   build/bench/bench/verdant_client_bench --benchmark_repetitions=5
//       --benchmark_report_aggregates_only=true   (one command line)
// Only the local writes: add --benchmark_filter=localWrite; only the reads: =listAudits

#include "verdant/client/Client.hpp"
#include "verdant/client/Transport.hpp"
#include "verdant/domain/DomainSchema.hpp"
#include "verdant/shared/Clock.hpp"
#include "verdant/shared/ErrorCode.hpp"
#include "verdant/shared/HlcClock.hpp"
#include "verdant/shared/IdGenerator.hpp"
#include "verdant/shared/SyncMessages.hpp"
#include "verdant/sync/Store.hpp"

#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <span>
#include <stdexcept>
#include <string>
#include <unistd.h>
#include <vector>

namespace {

using namespace verdant;
using client::FieldWrite;
using shared::Value;
namespace fs = std::filesystem;

constexpr std::size_t kInitialSyncAudits = 625;
constexpr std::size_t kAnswersPerAudit = 159;  // 625 * (1 + 159) = 100,000 records
constexpr std::size_t kAnswerDevices = 8;      // auditors' tablets that wrote the answers
/// The binary form the SDK speaks to a current server.
constexpr auto kForm = shared::BinaryFormat::V2;
const std::uint32_t kPullPageSize = client::ClientOptions{}.pullPageSize;  // 2000
constexpr const char* kTenant = "acme";
constexpr const char* kUsername = "li";
constexpr const char* kLoginAnswer =
    R"({"access_token":"a","refresh_token":"r",)"
    R"("user":{"id":"u1","username":"li","role":"field_expert","tenant_id":"t1"}})";

/// A scratch folder for the whole process, removed at exit.
const fs::path& scratchRoot() {
    static const struct Root {
        fs::path path = fs::temp_directory_path() /
                        ("verdant-client-bench-" + std::to_string(static_cast<long>(::getpid())));
        Root() {
            fs::remove_all(path);
            fs::create_directories(path);
        }
        ~Root() {
            std::error_code ignored;
            fs::remove_all(path, ignored);
        }
    } kRoot;
    return kRoot.path;
}

std::string questionId(std::size_t index) {
    return "Q-" + std::to_string(100 + index);
}

/// A server's state after field work: audits created at HQ, answered on auditors' tablets; and
/// the pull answers a device that has none of it receives, paged as SyncEndpoint::pull does.
struct Dataset {
    std::vector<shared::RecordId> audits;
    std::size_t records = 0;
    std::size_t fieldChanges = 0;
    /// Binary PullResponse bodies, one per pull round, as SyncEndpoint::pull pages them today:
    /// every finished scope's page carries its checksum again in every later round.
    std::vector<std::string> responses;
    /// The same rounds with a finished scope's checksum sent once, on the page that finished it
    /// (what a client that verifies each scope once, or a server that sends it once, would do).
    std::vector<std::string> responsesChecksumOnce;
    std::vector<std::map<std::string, std::uint64_t>> expectedCursors;  ///< Sent in each round.
    std::vector<std::vector<shared::Change>> applyBatches;  ///< The non-empty scope pages.
    std::uint64_t responseBytes = 0;
    std::uint64_t responseBytesChecksumOnce = 0;
};

std::vector<shared::Change> fieldWork(std::size_t auditCount,
                                      std::vector<shared::RecordId>& audits) {
    const auto start = shared::SystemClock::instance().nowMs() - 30LL * 24 * 3600 * 1000;
    shared::ManualClock clock(start);
    shared::IdGenerator ids(clock, 2024);
    struct Device {
        shared::DeviceId id;
        std::unique_ptr<shared::HlcClock> hlc;
        std::uint64_t seq = 0;
        std::string author;
    };
    std::vector<Device> devices;
    for (std::size_t i = 0; i <= kAnswerDevices; ++i) {  // [0] is HQ's web session
        const auto id = ids.nextDeviceId();
        devices.push_back(Device{
            id, std::make_unique<shared::HlcClock>(clock, shared::nodeIdOf(id), std::nullopt), 0,
            i == 0 ? "hq-planner" : "u" + std::to_string(i)});
    }
    const auto supplier = ids.nextRecordId();
    const auto facility = ids.nextRecordId();
    const auto templateVersion = ids.nextRecordId();
    static const std::vector<std::string> kChoices = {"compliant", "non_compliant",
                                                      "not_applicable"};

    std::vector<shared::Change> changes;
    changes.reserve(auditCount * (7 + 3 * kAnswersPerAudit));
    auto emit = [&](Device& device, const char* collection, const shared::RecordId& record,
                    std::string field, Value value) {
        clock.advance(1);
        shared::Change change;
        change.collection = collection;
        change.recordId = record;
        change.field = std::move(field);
        change.value = std::move(value);
        change.hlc = device.hlc->now();
        change.deviceId = device.id;
        change.deviceSeq = ++device.seq;
        change.author = device.author;
        changes.push_back(std::move(change));
    };
    for (std::size_t a = 0; a < auditCount; ++a) {
        const auto audit = ids.nextRecordId();
        audits.push_back(audit);
        auto& hq = devices[0];
        using namespace audit::collections;
        emit(hq, kAudits, audit, "facility_id", Value::id(facility));
        emit(hq, kAudits, audit, "supplier_id", Value::id(supplier));
        emit(hq, kAudits, audit, "template_version_id", Value::id(templateVersion));
        emit(hq, kAudits, audit, "type", Value::string("periodic"));
        emit(hq, kAudits, audit, "assignee_id", Value::string("u1"));
        emit(hq, kAudits, audit, "scheduled_for", Value::timestamp(start + 86'400'000));
        emit(hq, kAudits, audit, "state", Value::string("in_progress"));
        auto& tablet = devices[1 + a % kAnswerDevices];
        for (std::size_t q = 0; q < kAnswersPerAudit; ++q) {
            const auto question = questionId(q);
            const auto answer = audit::answerRecordId(audit, question);
            emit(tablet, kAnswers, answer, "audit_id", Value::id(audit));
            emit(tablet, kAnswers, answer, "question_id", Value::string(question));
            emit(tablet, kAnswers, answer, "value",
                 Value::json(R"({"choice":")" + kChoices[(a + q) % kChoices.size()] +
                             R"(","score":)" + std::to_string((a * 7 + q) % 5) + "}"));
        }
    }
    return changes;
}

/// Builds the dataset: the changes applied to a server-side sync::Store, then the pull answers
/// computed as SyncEndpoint::pull computes them for a device that sends back every cursor.
Dataset buildDataset(std::size_t auditCount) {
    Dataset data;
    const auto changes = fieldWork(auditCount, data.audits);
    data.records = auditCount * (1 + kAnswersPerAudit);
    data.fieldChanges = changes.size();

    const auto path = scratchRoot() / ("server-" + std::to_string(auditCount) + ".db");
    sync::StoreOptions options;
    options.durable = false;
    sync::Store server(path.string(), domain::domainSchema(), options);
    constexpr std::size_t kPushBatch = 1000;
    for (std::size_t i = 0; i < changes.size(); i += kPushBatch) {
        const auto count = std::min(kPushBatch, changes.size() - i);
        const auto applied = server.apply(std::span(changes).subspan(i, count));
        if (applied.count(sync::ChangeOutcome::Applied) != count) {
            throw std::runtime_error("the server store refused part of the dataset");
        }
    }

    std::set<std::string> scopes;  // every audit is assigned to the user: all readable
    for (const auto& audit : data.audits) {
        scopes.insert(shared::scopeKey(audit::collections::kAudits, audit));
    }
    std::map<std::string, std::string> checksums;  // the state does not change while paging
    std::map<std::string, std::uint64_t> cursors;
    std::set<std::string> finished;
    const auto last = server.lastServerSeq();
    for (;;) {
        data.expectedCursors.push_back(cursors);
        shared::PullResponse response;
        shared::PullResponse responseChecksumOnce;
        std::size_t budget = kPullPageSize;
        for (const auto& scope : scopes) {
            shared::ScopePage page;
            page.scope = scope;
            const auto cursor = cursors.find(scope);
            page.snapshot = cursor == cursors.end();
            const std::uint64_t after = page.snapshot ? 0 : cursor->second;
            auto logged = server.changesSince(after, budget + 1, {scope});
            page.more = logged.size() > budget;
            std::size_t count = std::min(budget, logged.size());
            while (count > 0 && count < logged.size() &&
                   logged[count].serverSeq == logged[count - 1].serverSeq) {
                ++count;
            }
            logged.resize(count);
            std::vector<shared::Change> batch;
            for (auto& entry : logged) {
                batch.push_back(entry.change);
                page.changes.push_back({entry.serverSeq, std::move(entry.change)});
            }
            if (!batch.empty()) {
                data.applyBatches.push_back(std::move(batch));
            }
            budget -= std::min(budget, page.changes.size());
            page.cursor =
                page.more ? (page.changes.empty() ? after : page.changes.back().serverSeq) : last;
            if (!page.more) {
                auto& checksum = checksums[scope];
                if (checksum.empty()) {
                    checksum = server.scopeChecksum(scope);
                }
                page.checksum = checksum;
            }
            response.more = response.more || page.more;
            auto pageChecksumOnce = page;
            if (!page.more && !finished.insert(scope).second) {
                pageChecksumOnce.checksum.clear();  // verified when the scope finished
            }
            responseChecksumOnce.scopes.push_back(std::move(pageChecksumOnce));
            response.scopes.push_back(std::move(page));
        }
        responseChecksumOnce.more = response.more;
        for (const auto& page : response.scopes) {
            cursors[page.scope] = page.cursor;
        }
        // serverTimeMs stays 0 (no offset learned): the answers are built before the timing.
        data.responses.push_back(shared::SyncMessageCodec::toBinary(response, kForm));
        data.responseBytes += data.responses.back().size();
        data.responsesChecksumOnce.push_back(
            shared::SyncMessageCodec::toBinary(responseChecksumOnce, kForm));
        data.responseBytesChecksumOnce += data.responsesChecksumOnce.back().size();
        if (!response.more) {
            break;
        }
    }
    return data;
}

const Dataset& dataset(std::size_t auditCount) {
    static std::mutex mutex;
    static std::map<std::size_t, std::unique_ptr<Dataset>> cache;
    std::lock_guard lock(mutex);
    auto& entry = cache[auditCount];
    if (!entry) {
        entry = std::make_unique<Dataset>(buildDataset(auditCount));
    }
    return *entry;
}

/// The server as the SDK reaches it: signs anyone in, and answers pulls with the dataset's
/// pages in order, refusing (400 invalid_request) a request whose cursors or repair list differ
/// from what the real server would have been sent.
class FakeServer final : public client::Transport {
public:
    FakeServer(const Dataset* data, bool checksumOnce)
        : _data(data),
          _responses(data == nullptr ? nullptr
                     : checksumOnce  ? &data->responsesChecksumOnce
                                     : &data->responses) {}

    client::HttpResponse send(const std::string& /*method*/, const std::string& path,
                              const std::string& /*contentType*/, const std::string& body,
                              const std::map<std::string, std::string>& /*headers*/) override {
        if (path == "/v1/auth/login") {
            return client::HttpResponse{200, "application/json", kLoginAnswer, {}};
        }
        if (path == "/v1/sync/pull" && _data != nullptr) {
            const auto request = shared::SyncMessageCodec::pullRequestFromBinary(body, kForm);
            if (_round >= _responses->size()) {
                return refuse("pulled past the last page");
            }
            if (!request.repair.empty()) {
                return refuse("a scope checksum differed: the device asked for a repair");
            }
            if (request.cursors != _data->expectedCursors[_round] ||
                request.limit != kPullPageSize) {
                return refuse("unexpected cursors or page size in round " + std::to_string(_round));
            }
            return client::HttpResponse{200,
                                        std::string(shared::SyncMessageCodec::contentTypeOf(kForm)),
                                        (*_responses)[_round++],
                                        {}};
        }
        return refuse("unexpected request " + path);
    }

private:
    static client::HttpResponse refuse(const std::string& why) {
        return client::HttpResponse{
            400,
            "application/json",
            R"({"error":{"code":")" +
                std::string(shared::wireName(shared::ErrorCode::InvalidRequest)) +
                R"(","message":")" + why + R"("}})",
            {}};
    }

    const Dataset* _data;
    const std::vector<std::string>* _responses;
    std::size_t _round = 0;
};

client::ClientOptions clientOptions(const fs::path& directory, const Dataset* data,
                                    bool checksumOnce = false) {
    client::ClientOptions options;  // the SDK's defaults: durable = false, binary encoding
    options.dataDirectory = directory.string();
    options.server.baseUrl = "https://verdant.invalid";
    options.transport = std::make_shared<FakeServer>(data, checksumOnce);
    options.sleep = [](std::chrono::milliseconds) {};
    return options;
}

std::string describeFailure(const client::SyncReport& report, const Dataset& data) {
    if (!report.errors.empty()) {
        return "pull failed: " + report.errors.front().message;
    }
    if (report.pulled != data.fieldChanges || report.repairedScopes != 0) {
        return "pulled " + std::to_string(report.pulled) + " of " +
               std::to_string(data.fieldChanges) + " changes";
    }
    return {};
}

void removeStore(const fs::path& directory) {
    std::error_code ignored;
    fs::remove_all(directory, ignored);
}

/// The options Client's constructor opens its local store with (client-sdk/src/Client.cpp).
sync::StoreOptions localStoreOptions(shared::HlcClock* hlc) {
    sync::StoreOptions options;
    options.clock = hlc;
    options.durable = false;
    options.cacheKiB = 8 * 1024;
    options.mmapBytes = 64LL * 1024 * 1024;
    return options;
}

/// CPU time of the calling thread (where Client::pull runs), in seconds: with other processes
/// on the machine, wall time includes waiting for a core; this does not.
double threadCpuSeconds() {
    timespec now{};
    ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
    return static_cast<double>(now.tv_sec) + static_cast<double>(now.tv_nsec) * 1e-9;
}

// --- Initial sync ---------------------------------------------------------------------------

void setRates(benchmark::State& state, const Dataset& data, double cpuSeconds) {
    const auto runs = static_cast<double>(state.iterations());
    const auto changes = static_cast<double>(data.fieldChanges);
    state.counters["field_changes_per_second"] =
        benchmark::Counter(runs * changes, benchmark::Counter::kIsRate);
    state.counters["records_per_second"] =
        benchmark::Counter(runs * static_cast<double>(data.records), benchmark::Counter::kIsRate);
    state.counters["field_changes_per_cpu_second"] = runs * changes / cpuSeconds;
    state.counters["field_changes"] = changes;
    state.counters["records"] = static_cast<double>(data.records);
}

/// The pull path as an app runs it, against pages built as the server builds them.
void initialSyncThroughClientPull(benchmark::State& state) {
    const bool checksumOnce = true;
    const auto& data = dataset(kInitialSyncAudits);
    const auto directory = scratchRoot() / "initial-sync";
    double cpuSeconds = 0;
    for (auto _ : state) {
        removeStore(directory);
        auto client = client::Client::signIn(clientOptions(directory, &data, checksumOnce), kTenant,
                                             kUsername, "pw");
        const auto cpuStart = threadCpuSeconds();
        const auto start = std::chrono::steady_clock::now();
        const auto report = client->pull();
        const auto end = std::chrono::steady_clock::now();
        cpuSeconds += threadCpuSeconds() - cpuStart;
        state.SetIterationTime(std::chrono::duration<double>(end - start).count());
        if (const auto failure = describeFailure(report, data); !failure.empty()) {
            state.SkipWithError(failure.c_str());
            break;
        }
        client.reset();
    }
    removeStore(directory);
    setRates(state, data, cpuSeconds);
    state.counters["pull_rounds"] = static_cast<double>(data.responses.size());
    state.counters["received_MiB"] =
        static_cast<double>(checksumOnce ? data.responseBytesChecksumOnce : data.responseBytes) /
        (1024.0 * 1024.0);
}

void initialSyncStoreApplyOnly(benchmark::State& state) {
    const auto& data = dataset(kInitialSyncAudits);
    const auto directory = scratchRoot() / "apply-only";
    double cpuSeconds = 0;
    for (auto _ : state) {
        removeStore(directory);
        fs::create_directories(directory);
        shared::HlcClock hlc(shared::SystemClock::instance(), 42, std::nullopt);
        auto store = std::make_unique<sync::Store>((directory / "local.db").string(),
                                                   domain::domainSchema(), localStoreOptions(&hlc));
        std::size_t applied = 0;
        const auto cpuStart = threadCpuSeconds();
        const auto start = std::chrono::steady_clock::now();
        for (const auto& batch : data.applyBatches) {
            applied += store->apply(batch).count(sync::ChangeOutcome::Applied);
        }
        const auto end = std::chrono::steady_clock::now();
        cpuSeconds += threadCpuSeconds() - cpuStart;
        state.SetIterationTime(std::chrono::duration<double>(end - start).count());
        if (applied != data.fieldChanges) {
            state.SkipWithError("some changes were not applied");
            break;
        }
        store.reset();
    }
    removeStore(directory);
    setRates(state, data, cpuSeconds);
}

BENCHMARK(initialSyncThroughClientPull)
    ->Iterations(1)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK(initialSyncStoreApplyOnly)->Iterations(1)->UseManualTime()->Unit(benchmark::kMillisecond);

// --- Local writes ---------------------------------------------------------------------------

/// A signed-in user's local store holding `auditCount` audits with their answers, built once
/// per process in a template folder; each benchmark run works on a fresh copy of it, opened
/// with Client::open as an app does after its first sign-in. The records are put in with
/// sync::Store::apply, page by page, as the pull does (the same changes, so the same records),
/// without the pull's per-round checksum work, which would make this setup take a minute.
std::unique_ptr<client::Client> openPreparedStore(std::size_t auditCount, const fs::path& run) {
    static std::mutex mutex;
    static std::set<std::size_t> prepared;
    const auto& data = dataset(auditCount);
    const auto templateDirectory = scratchRoot() / ("template-" + std::to_string(auditCount));
    {
        std::lock_guard lock(mutex);
        if (prepared.insert(auditCount).second) {
            client::Client::signIn(clientOptions(templateDirectory, nullptr), kTenant, kUsername,
                                   "pw");
            shared::HlcClock hlc(shared::SystemClock::instance(), 42, std::nullopt);
            sync::Store store(
                client::Client::databasePath(templateDirectory.string(), kTenant, kUsername),
                domain::domainSchema(), localStoreOptions(&hlc));
            for (const auto& batch : data.applyBatches) {
                if (store.apply(batch).count(sync::ChangeOutcome::Applied) != batch.size()) {
                    throw std::runtime_error("the local store refused part of the dataset");
                }
            }
        }  // closed: the WAL is checkpointed into the database file
    }
    removeStore(run);
    fs::copy(templateDirectory, run, fs::copy_options::recursive);
    return client::Client::open(clientOptions(run, nullptr), kTenant, kUsername);
}

/// Times each call of `action(i)` and reports the true median and 99th percentile.
template <typename Action>
void timeEachAction(benchmark::State& state, std::size_t fieldsPerAction, Action&& action) {
    std::vector<double> micros;
    micros.reserve(static_cast<std::size_t>(state.max_iterations));
    std::size_t i = 0;
    for (auto _ : state) {
        const auto start = std::chrono::steady_clock::now();
        const auto result = action(i++);
        const auto end = std::chrono::steady_clock::now();
        micros.push_back(std::chrono::duration<double, std::micro>(end - start).count());
        if (!result.ok) {
            state.SkipWithError(("write refused: " + result.message).c_str());
            break;
        }
    }
    if (micros.empty()) {
        return;
    }
    std::sort(micros.begin(), micros.end());
    const auto median = micros[micros.size() / 2];
    const auto p99 = micros[std::min(micros.size() - 1, micros.size() * 99 / 100)];
    state.counters["median_us"] = median;
    state.counters["p99_us"] = p99;
    state.counters["median_us_per_field"] = median / static_cast<double>(fieldsPerAction);
    state.counters["fields_per_action"] = static_cast<double>(fieldsPerAction);
}

std::size_t auditsHeld(const benchmark::State& state) {
    return state.range(0) != 0 ? kInitialSyncAudits : 1;
}

/// One user action: the auditor changes the answer to a question (1 field change).
void localWriteEditAnswer(benchmark::State& state) {
    const auto run = scratchRoot() / "write-edit";
    {
        auto client = openPreparedStore(auditsHeld(state), run);
        const auto audit = dataset(auditsHeld(state)).audits.front();
        std::vector<shared::RecordId> answers;
        for (std::size_t q = 0; q < kAnswersPerAudit; ++q) {
            answers.push_back(audit::answerRecordId(audit, questionId(q)));
        }
        const std::vector<FieldWrite> edits[2] = {
            {FieldWrite::set("value", Value::json(R"({"choice":"compliant","score":4})"))},
            {FieldWrite::set("value", Value::json(R"({"choice":"non_compliant","score":1})"))},
        };
        timeEachAction(state, 1, [&](std::size_t i) {
            return client->write(audit::collections::kAnswers, answers[i % answers.size()],
                                 edits[(i / answers.size()) % 2]);
        });
    }
    removeStore(run);
}

/// One user action: the auditor answers a new question (3 field changes: audit_id, question_id,
/// value), creating the answer record.
void localWriteCreateAnswer(benchmark::State& state) {
    const auto run = scratchRoot() / "write-create";
    {
        auto client = openPreparedStore(auditsHeld(state), run);
        const auto audit = dataset(auditsHeld(state)).audits.front();
        timeEachAction(state, 3, [&](std::size_t i) {
            // Built inside the timed call: the app builds its FieldWrites per action too.
            const auto question = "X-" + std::to_string(i);
            return client->write(
                audit::collections::kAnswers, audit::answerRecordId(audit, question),
                {FieldWrite::set("audit_id", Value::id(audit)),
                 FieldWrite::set("question_id", Value::string(question)),
                 FieldWrite::set("value", Value::json(R"({"choice":"compliant"})"))});
        });
    }
    removeStore(run);
}

// Fixed iteration counts: one store copy per run (no calibration runs), about a second each.
BENCHMARK(localWriteEditAnswer)
    ->ArgName("synced_100k")
    ->Arg(0)
    ->Arg(1)
    ->Iterations(20000)
    ->Unit(benchmark::kMicrosecond);
BENCHMARK(localWriteCreateAnswer)
    ->ArgName("synced_100k")
    ->Arg(0)
    ->Arg(1)
    ->Iterations(10000)
    ->Unit(benchmark::kMicrosecond);

// --- Local reads ----------------------------------------------------------------------------

/// Copies the run's local store to $VERDANT_BENCH_DEVICE_STORE/<name> when that is set, so the
/// `verdant` tool can be timed on it:
///   verdant audits --json --data-dir <that folder> --tenant acme --user li
void exportDeviceStore(const fs::path& run, const std::string& name) {
    const char* target = std::getenv("VERDANT_BENCH_DEVICE_STORE");
    if (target == nullptr || *target == '\0') {
        return;
    }
    const auto destination = fs::path(target) / name;
    removeStore(destination);
    fs::create_directories(destination.parent_path());
    fs::copy(run, destination, fs::copy_options::recursive);
}

/// What `verdant audits` reads through the SDK (client-sdk/tool/RecordCommands.cpp), on a
/// device holding the 100,000 records of an initial sync (625 audits, 99,375 answers) with
/// `pending` answers edited offline in its outbox: the audits, the number of answers of each
/// (by scope), the sync states of both collections, the unsynced answers (for their audit), and
/// each audit's supplier and facility. Before these reads were indexed the tool asked, per audit,
/// for its answers by a scan of every answer, and per answer for its sync state by a read of the
/// whole outbox.
void listAuditsReads(benchmark::State& state) {
    const auto pending = static_cast<std::size_t>(state.range(0));
    const auto run = scratchRoot() / "list-audits";
    {
        const auto& data = dataset(kInitialSyncAudits);
        auto client = openPreparedStore(kInitialSyncAudits, run);
        for (std::size_t i = 0; i < pending; ++i) {
            const auto& audit = data.audits[i % data.audits.size()];
            const auto question = questionId((i / data.audits.size()) % kAnswersPerAudit);
            const auto written = client->write(
                audit::collections::kAnswers, audit::answerRecordId(audit, question),
                {FieldWrite::set("value", Value::json(R"({"choice":"compliant","score":4})"))});
            if (!written.ok) {
                state.SkipWithError(("write refused: " + written.message).c_str());
                return;
            }
        }
        client.reset();  // the WAL is checkpointed into the database file
        exportDeviceStore(run, "pending-" + std::to_string(pending));
        client = client::Client::open(clientOptions(run, nullptr), kTenant, kUsername);
        std::size_t answers = 0;
        std::size_t unsynced = 0;
        for (auto _ : state) {
            namespace c = audit::collections;
            const auto audits = client->records(c::kAudits);
            const auto auditStates = client->syncStates(c::kAudits);
            const auto answerStates = client->syncStates(c::kAnswers);
            const auto perAudit = client->recordsPerScope(c::kAnswers);
            for (const auto& [answer, answerState] : answerStates) {
                benchmark::DoNotOptimize(client->record(c::kAnswers, answer));
            }
            std::size_t named = 0;
            for (const auto& audit : audits) {
                for (const char* field : {"supplier_id", "facility_id"}) {
                    const auto& reference = audit.fields.at(field).value;
                    const auto* collection = field[0] == 's' ? c::kSuppliers : c::kFacilities;
                    named += client->record(collection, reference.as<shared::RecordId>()) ? 1 : 0;
                }
            }
            benchmark::DoNotOptimize(named);
            benchmark::DoNotOptimize(auditStates);
            answers = 0;
            for (const auto& [audit, count] : perAudit) {
                answers += count;
            }
            unsynced = answerStates.size();
        }
        state.counters["answers"] = static_cast<double>(answers);
        state.counters["unsynced_answers"] = static_cast<double>(unsynced);
    }
    removeStore(run);
}

BENCHMARK(listAuditsReads)->ArgName("pending")->Arg(0)->Arg(10000)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
