// What the server's audit domain rules cost, on a store shaped like a busy tenant's: a
// file-backed, durable store (as the server opens it) with the domain schema, the demo template
// (23 questions, scoring rule "rba-200-v1") and 300 background audits of 23 answers each, half of
// them submitted and scored (about 30k logged changes).
//
//  - BM_PushAuditDay/plain: one field expert's day for a new audit (start it, 23 answers with
//    audit_id, question_id, value and comment, submit it: 94 changes) through Store::apply(batch),
//    without any gate.
//  - BM_PushAuditDay/gated: the same batch through the checks SyncEndpoint::push runs
//    (server::PushGate: answers, role, writable scopes, workflow) and its follow-up (the score
//    snapshot and submitted_at, as server::submissionWrites, written in the same transaction).
//  - BM_PushLargeBatch/answers:N: one push of N answer changes (audit_id, question_id, value and
//    comment of N/4 answers) spread over 125 started audits of the same expert, through the same
//    gate; counter "ns_per_change". What a device that was offline for a week sends at once: the
//    checks must cost what the batch carries, not its square nor the store's size.
//  - BM_ReviewAuditView: what the review API does per submitted audit for the queue and the
//    audit view: its scope log, its amendment flags and its score.
//
// The pushes are reported as changes per second too (counter "changes_per_second"). Every
// iteration of a push benchmark schedules a fresh audit (not timed), so each one does the same
// work; the store grows by ~100 changes per iteration, which is why the iteration count is fixed.
//
// Run: build/bench/bench/verdant_audit_bench --benchmark_repetitions=5
//          --benchmark_report_aggregates_only=true

#include "verdant/domain/DomainSchema.hpp"
#include "verdant/server/audit/AnswerValidator.hpp"
#include "verdant/server/audit/AuditWorkflow.hpp"
#include "verdant/server/sync/PushGate.hpp"
#include "verdant/server/sync/ServerWriter.hpp"
#include "verdant/shared/Clock.hpp"
#include "verdant/shared/HlcClock.hpp"
#include "verdant/shared/IdGenerator.hpp"
#include "verdant/shared/Schema.hpp"
#include "verdant/sync/Store.hpp"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <benchmark/benchmark.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <random>
#include <span>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

namespace {

using namespace verdant;
using shared::RecordId;
using shared::Value;
namespace c = audit::collections;

constexpr std::size_t kBackgroundAudits = 300;
constexpr std::size_t kFieldExperts = 10;
constexpr std::int64_t kEpochMs = 1'704'067'200'000;  // 2024-01-01T00:00:00Z
constexpr std::int64_t kHourMs = 60LL * 60 * 1000;
constexpr std::size_t kWholeLog = 100000;       // the review API's limit for an audit's scope log
constexpr std::size_t kLargeBatchAudits = 125;  // audits one large push spreads over

/// One question of the demo template, as far as the bench needs it to answer validly.
struct Question {
    std::string id;
    std::string type;             ///< "yes_no_na", "number", "score_0_5", "choice", "text".
    std::string defaultSeverity;  ///< The result of a "no".
    std::vector<std::string> choices;
};

/// The demo template's content and questions; empty when the file cannot be read or parsed.
struct DemoTemplate {
    std::string content;
    std::vector<Question> questions;
};

DemoTemplate loadDemoTemplate() {
    DemoTemplate demo;
    std::ifstream file(VERDANT_DEMO_TEMPLATE);
    std::stringstream text;
    text << file.rdbuf();
    demo.content = text.str();
    try {
        const auto root =
            Poco::JSON::Parser().parse(demo.content).extract<Poco::JSON::Object::Ptr>();
        const auto sections = root->getArray("sections");
        for (std::size_t s = 0; s < sections->size(); ++s) {
            const auto questions =
                sections->getObject(static_cast<unsigned>(s))->getArray("questions");
            for (std::size_t q = 0; q < questions->size(); ++q) {
                const auto question = questions->getObject(static_cast<unsigned>(q));
                Question parsed;
                parsed.id = question->getValue<std::string>("id");
                parsed.type = question->getValue<std::string>("type");
                parsed.defaultSeverity =
                    question->optValue<std::string>("default_severity", "minor");
                if (const auto choices = question->getArray("choices")) {
                    for (std::size_t i = 0; i < choices->size(); ++i) {
                        parsed.choices.push_back(
                            choices->getElement<std::string>(static_cast<unsigned>(i)));
                    }
                }
                demo.questions.push_back(std::move(parsed));
            }
        }
    } catch (const Poco::Exception&) {
        demo.questions.clear();
    }
    return demo;
}

/// A device of one user: its id, HLC clock and sequence counter, on the shared simulated clock.
class Device {
public:
    Device(shared::ManualClock& clock, shared::IdGenerator& ids, std::string author)
        : _clock(clock),
          _id(ids.nextDeviceId()),
          _hlc(clock, shared::nodeIdOf(_id), std::nullopt),
          _author(std::move(author)) {}

    const std::string& author() const { return _author; }

    /// A Set change stamped now with the next sequence number.
    shared::Change set(const char* collection, const RecordId& record, std::string field,
                       Value value) {
        _clock.advance(1);
        shared::Change change;
        change.collection = collection;
        change.recordId = record;
        change.field = std::move(field);
        change.value = std::move(value);
        change.hlc = _hlc.now();
        change.deviceId = _id;
        change.deviceSeq = ++_seq;
        change.author = _author;
        return change;
    }

private:
    shared::ManualClock& _clock;
    shared::DeviceId _id;
    shared::HlcClock _hlc;
    std::string _author;
    std::uint64_t _seq = 0;
};

/// A busy tenant's store and the people who write to it. Builds the background in its
/// constructor and removes the store's files in its destructor. Deterministic (fixed seeds).
class BusyTenant {
public:
    BusyTenant()
        : _path((std::filesystem::temp_directory_path() / "verdant-audit-bench.db").string()),
          _clock(kEpochMs),
          _ids(_clock, 11),
          _serverDevice(_ids.nextDeviceId()),
          _serverHlc(_clock, _serverDevice.low64()),
          _hq(_clock, _ids, "hq-reviewer"),
          _random(42),
          _template(loadDemoTemplate()) {
        removeFiles();
        sync::StoreOptions options;
        options.clock = &_serverHlc;  // as TenantStores: refuses changes dated too far ahead
        options.durable = true;       // as the server: an acknowledged push survives power loss
        _store = std::make_unique<sync::Store>(_path, domain::domainSchema(), options);
        for (std::size_t i = 0; i < kFieldExperts; ++i) {
            _experts.push_back(
                std::make_unique<Device>(_clock, _ids, "expert-" + std::to_string(i)));
        }
        if (_template.questions.empty()) {
            _error = "cannot read the demo template " + std::string(VERDANT_DEMO_TEMPLATE);
            return;
        }
        _templateVersion = _ids.nextRecordId();
        if (!allApplied(_store->apply(std::vector{
                _hq.set(c::kTemplateVersions, _templateVersion, "template_key",
                        Value::string("gsc-environment")),
                _hq.set(c::kTemplateVersions, _templateVersion, "version", Value::integer(1)),
                _hq.set(c::kTemplateVersions, _templateVersion, "content",
                        Value::json(_template.content)),
                _hq.set(c::kTemplateVersions, _templateVersion, "scoring_rule",
                        Value::string("rba-200-v1")),
            }))) {
            _error = "the template version was refused";
            return;
        }
        // The background: each audit scheduled by HQ, then pushed by its expert (started,
        // answered with results, and every other one submitted), through the server's gate so
        // the submitted ones carry their score snapshot.
        for (std::size_t i = 0; i < kBackgroundAudits; ++i) {
            _clock.advance(kHourMs);
            auto& expert = *_experts[i % kFieldExperts];
            const auto audit = scheduleAudit(expert);
            const bool submit = i % 2 == 1;
            auto batch =
                std::vector{expert.set(c::kAudits, audit, "state", Value::string("in_progress"))};
            for (const auto& question : _template.questions) {
                const auto answer = audit::answerRecordId(audit, question.id);
                const auto [value, result] = answerOf(question);
                batch.push_back(expert.set(c::kAnswers, answer, "audit_id", Value::id(audit)));
                batch.push_back(
                    expert.set(c::kAnswers, answer, "question_id", Value::string(question.id)));
                batch.push_back(expert.set(c::kAnswers, answer, "value", Value::json(value)));
                batch.push_back(expert.set(c::kAnswers, answer, "result", Value::string(result)));
            }
            if (submit) {
                batch.push_back(expert.set(c::kAudits, audit, "state", Value::string("submitted")));
                _submitted.push_back(audit);
            }
            if (!allApplied(serverPush(batch, expert))) {
                _error = "a background push was refused";
                return;
            }
        }
    }

    ~BusyTenant() {
        _store.reset();
        removeFiles();
    }

    BusyTenant(const BusyTenant&) = delete;
    BusyTenant& operator=(const BusyTenant&) = delete;

    /// Why the setup failed, or empty.
    const std::string& error() const { return _error; }

    sync::Store& store() { return *_store; }
    Device& expert() { return *_experts.front(); }
    const std::vector<RecordId>& submitted() const { return _submitted; }

    /// HQ schedules a new audit on the template for `expert` (applied at once).
    RecordId scheduleAudit(const Device& expert) {
        const auto audit = _ids.nextRecordId();
        const bool ok = allApplied(_store->apply(std::vector{
            _hq.set(c::kAudits, audit, "template_version_id", Value::id(_templateVersion)),
            _hq.set(c::kAudits, audit, "assignee_id", Value::string(expert.author())),
            _hq.set(c::kAudits, audit, "state", Value::string("scheduled")),
        }));
        if (!ok) {
            _error = "scheduling an audit was refused";
        }
        return audit;
    }

    /// One field expert's day on `audit`: start it, answer every question (audit_id,
    /// question_id, value, comment), submit it.
    std::vector<shared::Change> auditDay(Device& expert, const RecordId& audit) {
        std::vector<shared::Change> batch;
        batch.reserve(_template.questions.size() * 4 + 2);
        batch.push_back(expert.set(c::kAudits, audit, "state", Value::string("in_progress")));
        for (const auto& question : _template.questions) {
            const auto answer = audit::answerRecordId(audit, question.id);
            batch.push_back(expert.set(c::kAnswers, answer, "audit_id", Value::id(audit)));
            batch.push_back(
                expert.set(c::kAnswers, answer, "question_id", Value::string(question.id)));
            batch.push_back(
                expert.set(c::kAnswers, answer, "value", Value::json(answerOf(question).first)));
            batch.push_back(expert.set(
                c::kAnswers, answer, "comment",
                Value::string("Checked on site with the EHS manager, photo " +
                              std::to_string(_random() % 1000) + " taken at the east gate.")));
        }
        batch.push_back(expert.set(c::kAudits, audit, "state", Value::string("submitted")));
        return batch;
    }

    /// `batch`, pushed by `device`'s field expert, through the checks of SyncEndpoint::push
    /// (server::PushGate) and its follow-up (the score snapshot of each audit the batch
    /// submitted, in the same transaction).
    sync::ApplyResult serverPush(std::span<const shared::Change> batch, const Device& device) {
        server::Principal principal;
        principal.tenantId = "bench";
        principal.userId = device.author();
        principal.username = device.author();
        principal.role = server::Role::FieldExpert;
        server::PushGate checks(*_store, batch, principal);
        const sync::ChangeGate gate = [&](const shared::Change& change,
                                          const std::optional<std::string>& scope) {
            return checks.check(change, scope);
        };
        return _store->apply(batch, gate, [&](const sync::Store& after) {
            // As SyncEndpoint::push.
            const auto writes =
                server::submissionWrites(after, checks.submissions(), _clock.nowMs());
            return server::ServerWriter(_serverHlc, _serverDevice).prepare(after, "server", writes);
        });
    }

    /// `audits` new audits of `expert`, scheduled and started (applied at once).
    std::vector<RecordId> startedAudits(Device& expert, std::size_t audits) {
        std::vector<RecordId> started;
        std::vector<shared::Change> starts;
        for (std::size_t i = 0; i < audits; ++i) {
            started.push_back(scheduleAudit(expert));
            starts.push_back(
                expert.set(c::kAudits, started.back(), "state", Value::string("in_progress")));
        }
        if (!allApplied(serverPush(starts, expert))) {
            _error = "starting the audits was refused";
        }
        return started;
    }

    /// `answersPerAudit` answers (audit_id, question_id, value, comment) to each of `audits`.
    std::vector<shared::Change> answers(Device& expert, const std::vector<RecordId>& audits,
                                        std::size_t answersPerAudit) {
        std::vector<shared::Change> batch;
        batch.reserve(audits.size() * answersPerAudit * 4);
        for (const auto& audit : audits) {
            for (std::size_t q = 0; q < answersPerAudit && q < _template.questions.size(); ++q) {
                const auto& question = _template.questions[q];
                const auto answer = audit::answerRecordId(audit, question.id);
                batch.push_back(expert.set(c::kAnswers, answer, "audit_id", Value::id(audit)));
                batch.push_back(
                    expert.set(c::kAnswers, answer, "question_id", Value::string(question.id)));
                batch.push_back(expert.set(c::kAnswers, answer, "value",
                                           Value::json(answerOf(question).first)));
                batch.push_back(expert.set(c::kAnswers, answer, "comment",
                                           Value::string("Seen on site, photo " +
                                                         std::to_string(_random() % 1000) + ".")));
            }
        }
        return batch;
    }

    static bool allApplied(const sync::ApplyResult& result) {
        return result.count(sync::ChangeOutcome::Refused) == 0;
    }

private:
    /// A valid answer (the `value` JSON) to `question` and its result, mostly conformant.
    std::pair<std::string, std::string> answerOf(const Question& question) {
        const auto roll = _random() % 100;
        if (question.type == "yes_no_na") {
            if (roll < 80) {
                return {R"({"answer":"yes"})", "conformance"};
            }
            if (roll < 95) {
                return {R"({"answer":"no"})", question.defaultSeverity};
            }
            return {R"({"answer":"na"})", "not_applicable"};
        }
        if (question.type == "number") {
            return {R"({"answer":)" + std::to_string(roll * 7) + "}", "conformance"};
        }
        if (question.type == "score_0_5") {
            const auto score = roll % 6;
            return {R"({"answer":)" + std::to_string(score) + "}",
                    score < 2 ? question.defaultSeverity : "conformance"};
        }
        if (question.type == "choice" && !question.choices.empty()) {
            const auto& choice = question.choices[roll % question.choices.size()];
            return {R"({"answer":")" + choice + "\"}", "conformance"};
        }
        return {R"({"answer":"Rainwater and wastewater pipes are separated and labelled."})",
                "conformance"};
    }

    void removeFiles() const {
        for (const auto& suffix : {"", "-wal", "-shm"}) {
            std::filesystem::remove(_path + suffix);
        }
    }

    std::string _path;
    shared::ManualClock _clock;
    shared::IdGenerator _ids;
    shared::DeviceId _serverDevice;
    shared::HlcClock _serverHlc;
    Device _hq;
    std::vector<std::unique_ptr<Device>> _experts;
    std::mt19937_64 _random;
    DemoTemplate _template;
    std::unique_ptr<sync::Store> _store;
    RecordId _templateVersion;
    std::vector<RecordId> _submitted;
    std::string _error;
};

void BM_PushAuditDay(benchmark::State& state, bool gated) {
    BusyTenant tenant;
    if (!tenant.error().empty()) {
        state.SkipWithError(tenant.error().c_str());
        return;
    }
    auto& store = tenant.store();
    state.counters["store_changes"] = static_cast<double>(store.lastServerSeq());
    std::size_t changes = 0;
    for (auto _ : state) {
        state.PauseTiming();
        auto& expert = tenant.expert();
        const auto audit = tenant.scheduleAudit(expert);
        const auto batch = tenant.auditDay(expert, audit);
        state.ResumeTiming();
        const auto result = gated ? tenant.serverPush(batch, expert) : store.apply(batch);
        benchmark::DoNotOptimize(result);
        state.PauseTiming();
        changes += batch.size();
        if (!tenant.error().empty() || !BusyTenant::allApplied(result)) {
            state.SkipWithError("a change of the audit day was refused");
            break;
        }
        const auto record = store.record(c::kAudits, audit);
        const bool submitted = record && record->fields.count("state") != 0 &&
                               record->fields.at("state").value == Value::string("submitted");
        if (!submitted) {
            state.SkipWithError("the audit did not end submitted");
            break;
        }
        if (gated && record->fields.count("score") == 0) {
            state.SkipWithError("the submitted audit has no score snapshot");
            break;
        }
        state.ResumeTiming();
    }
    state.counters["changes_per_second"] =
        benchmark::Counter(static_cast<double>(changes), benchmark::Counter::kIsRate);
}

void BM_PushLargeBatch(benchmark::State& state) {
    BusyTenant tenant;
    if (!tenant.error().empty()) {
        state.SkipWithError(tenant.error().c_str());
        return;
    }
    const auto answerChanges = static_cast<std::size_t>(state.range(0));
    const std::size_t answersPerAudit = answerChanges / 4 / kLargeBatchAudits;
    std::size_t changes = 0;
    for (auto _ : state) {
        state.PauseTiming();
        auto& expert = tenant.expert();
        const auto audits = tenant.startedAudits(expert, kLargeBatchAudits);
        const auto batch = tenant.answers(expert, audits, answersPerAudit);
        state.ResumeTiming();
        const auto result = tenant.serverPush(batch, expert);
        benchmark::DoNotOptimize(result);
        state.PauseTiming();
        changes += batch.size();
        if (!tenant.error().empty() || !BusyTenant::allApplied(result)) {
            state.SkipWithError("a change of the large batch was refused");
            break;
        }
        state.ResumeTiming();
    }
    state.counters["store_changes"] = static_cast<double>(tenant.store().lastServerSeq());
    state.counters["ns_per_change"] =
        benchmark::Counter(static_cast<double>(changes) / 1e9,
                           benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

void BM_ReviewAuditView(benchmark::State& state) {
    BusyTenant tenant;
    if (!tenant.error().empty()) {
        state.SkipWithError(tenant.error().c_str());
        return;
    }
    const auto& store = tenant.store();
    const auto& audits = tenant.submitted();
    state.counters["store_changes"] = static_cast<double>(store.lastServerSeq());
    for (const auto& id : audits) {
        if (!server::scoreAudit(store, id) ||
            store.changesSince(0, kWholeLog, {shared::scopeKey(c::kAudits, id)}).empty()) {
            state.SkipWithError("a submitted background audit has no score or no log");
            return;
        }
    }
    std::size_t next = 0;
    for (auto _ : state) {
        // A different submitted audit each time (all of the same shape).
        const auto& id = audits[next++ % audits.size()];
        const auto audit = store.record(c::kAudits, id);
        const auto log = store.changesSince(0, kWholeLog, {shared::scopeKey(c::kAudits, id)});
        const auto flags = server::amendmentFlags(log, id, server::auditFieldExperts(*audit));
        const auto score = server::scoreAudit(store, id);
        benchmark::DoNotOptimize(flags);
        benchmark::DoNotOptimize(score);
    }
}

BENCHMARK_CAPTURE(BM_PushAuditDay, plain, false)
    ->Unit(benchmark::kMillisecond)
    ->Iterations(50)
    ->UseRealTime();
BENCHMARK_CAPTURE(BM_PushAuditDay, gated, true)
    ->Unit(benchmark::kMillisecond)
    ->Iterations(50)
    ->UseRealTime();
BENCHMARK(BM_PushLargeBatch)
    ->ArgName("answers")
    ->Arg(1000)
    ->Arg(5000)
    ->Unit(benchmark::kMillisecond)
    ->Iterations(5)
    ->UseRealTime();
BENCHMARK(BM_ReviewAuditView)->Unit(benchmark::kMicrosecond)->Iterations(1500)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
