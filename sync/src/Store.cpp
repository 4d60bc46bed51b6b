#include "verdant/sync/Store.hpp"

#include "StoreImpl.hpp"
#include "sqlite/SqliteBackend.hpp"
#include "sqlite/StoreMigrations.hpp"

#include <algorithm>
#include <set>

namespace verdant::sync {

std::string_view wireName(ChangeOutcome outcome) noexcept {
    switch (outcome) {
        case ChangeOutcome::Applied:
            return "applied";
        case ChangeOutcome::Duplicate:
            return "duplicate";
        case ChangeOutcome::ConflictRaised:
            return "conflict_raised";
        case ChangeOutcome::Refused:
            return "refused";
    }
    return "applied";
}

std::size_t ApplyResult::count(ChangeOutcome outcome) const noexcept {
    return static_cast<std::size_t>(
        std::count_if(results.begin(), results.end(),
                      [outcome](const ChangeResult& result) { return result.outcome == outcome; }));
}

// ---- Store ----------------------------------------------------------------------------------

Store::Store(const std::string& path, shared::Schema schema, StoreOptions options) {
    schema.finalize();
    auto backend = std::make_unique<SqliteBackend>(path, schema, options);
    _impl = std::make_unique<Impl>(std::move(backend), std::move(schema), std::move(options));
}

Store::Store(std::unique_ptr<StoreBackend> backend, shared::Schema schema, StoreOptions options)
    : _impl(std::make_unique<Impl>(std::move(backend), std::move(schema), std::move(options))) {}

Store::~Store() = default;
Store::Store(Store&&) noexcept = default;
Store& Store::operator=(Store&&) noexcept = default;

ApplyResult Store::apply(std::span<const Change> batch) {
    return _impl->apply(batch, ChangeGate{});
}

ApplyResult Store::apply(std::span<const Change> batch, const ChangeGate& gate) {
    return _impl->apply(batch, gate);
}

ApplyResult Store::apply(std::span<const Change> batch, const ChangeGate& gate,
                         const FollowUp& followUp) {
    return _impl->apply(batch, gate,
                        [&] { return followUp ? followUp(*this) : std::vector<Change>{}; });
}

std::optional<Record> Store::record(std::string_view collection, const RecordId& id) const {
    return _impl->record(collection, id);
}

std::optional<Hlc> Store::fieldVersion(std::string_view collection, const RecordId& id,
                                       std::string_view field) const {
    return _impl->fieldVersion(collection, id, field);
}

std::vector<Conflict> Store::openConflicts() const {
    return _impl->openConflicts();
}

std::vector<LoggedChange> Store::fieldHistory(std::string_view collection, const RecordId& id,
                                              std::string_view field) const {
    return _impl->fieldHistory(collection, id, field);
}

std::vector<LoggedChange> Store::changesSince(std::uint64_t after, std::size_t limit) const {
    return _impl->changesSince(after, limit);
}

std::vector<LoggedChange> Store::changesSince(std::uint64_t after, std::size_t limit,
                                              const std::vector<std::string>& scopeKeys) const {
    return _impl->changesSince(after, limit, scopeKeys);
}

std::optional<std::string> Store::scopeOf(std::string_view collection, const RecordId& id) const {
    return _impl->scopeOf(collection, id);
}

namespace {

/// Whether `key` may name a scope's sum: the store's own keys ('' and '*') are no scopes.
bool isScopeDigestKey(std::string_view key) {
    return key != kUnscopedDigestKey && key != kWholeStoreDigestKey;
}

}  // namespace

std::string Store::scopeChecksum(const std::string& scopeKey) const {
    return isScopeDigestKey(scopeKey) ? _impl->digestRow(scopeKey).sum.hex() : Digest{}.hex();
}

std::uint64_t Store::scopeFeedEnd(const std::string& scopeKey) const {
    return isScopeDigestKey(scopeKey) ? _impl->digestRow(scopeKey).lastSeq : 0;
}

std::map<std::string, std::string> Store::recomputedChecksums() const {
    std::map<std::string, std::string> sums;
    for (const auto& [key, sum] : _impl->recomputedDigests()) {
        sums.emplace(key, sum.hex());
    }
    return sums;
}

std::vector<std::string> Store::damagedScopes() const {
    auto recomputed = _impl->recomputedDigests();
    auto stored = _impl->storedDigests();
    std::set<std::string> keys;
    for (const auto* sums : {&recomputed, &stored}) {
        for (const auto& [key, sum] : *sums) {
            if (isScopeDigestKey(key)) {
                keys.insert(key);
            }
        }
    }
    std::vector<std::string> damaged;
    for (const auto& key : keys) {
        if (!(recomputed[key] == stored[key])) {
            damaged.push_back(key);
        }
    }
    return damaged;
}

void Store::rebuildChecksums() {
    _impl->rebuildDigests();
}

std::vector<RecordId> Store::findRecords(std::string_view collection, std::string_view field,
                                         const shared::Value& value) const {
    return _impl->findRecords(collection, field, value);
}

std::size_t Store::purgeScope(const std::string& scopeKey) {
    return _impl->purgeScope(scopeKey);
}

std::vector<LoggedChange> Store::deviceChanges(const DeviceId& device, std::uint64_t afterSeq,
                                               std::size_t limit) const {
    return _impl->deviceChanges(device, afterSeq, limit);
}

std::size_t Store::rewriteDeviceChanges(
    const DeviceId& device, std::uint64_t afterSeq,
    const std::function<std::optional<Change>(const Change&)>& rewrite) {
    return _impl->rewriteDeviceChanges(device, afterSeq, rewrite);
}

std::vector<RecordId> Store::recordIds(std::string_view collection, bool includeDeleted) const {
    return _impl->recordIds(collection, includeDeleted);
}

std::vector<RecordRef> Store::recordsInScope(const std::string& scopeKey) const {
    return _impl->recordsInScope(scopeKey);
}

std::uint64_t Store::lastServerSeq() const {
    return _impl->lastServerSeq();
}

std::uint64_t Store::highWaterMark(const DeviceId& device) const {
    return _impl->highWaterMark(device);
}

std::vector<QuarantinedChange> Store::quarantine() const {
    return _impl->quarantine();
}

std::optional<QuarantinedChange> Store::quarantined(const DeviceId& device,
                                                    std::uint64_t deviceSeq) const {
    return _impl->quarantined(device, deviceSeq);
}

void Store::decideQuarantined(const DeviceId& device, std::uint64_t deviceSeq,
                              QuarantineDecision decision, const std::string& decidedBy,
                              std::int64_t decidedAtMs) {
    _impl->decideAndApply(device, deviceSeq, decision, decidedBy, decidedAtMs, {}, {});
}

ApplyResult Store::decideQuarantined(const DeviceId& device, std::uint64_t deviceSeq,
                                     QuarantineDecision decision, const std::string& decidedBy,
                                     std::int64_t decidedAtMs, std::span<const Change> writes,
                                     const FollowUp& followUp) {
    return _impl->decideAndApply(device, deviceSeq, decision, decidedBy, decidedAtMs, writes, [&] {
        return followUp ? followUp(*this) : std::vector<Change>{};
    });
}

std::vector<QuarantinedChange> Store::quarantinePage(const QuarantinePosition& after,
                                                     std::size_t limit,
                                                     const std::optional<DeviceId>& device) const {
    return _impl->quarantinePage(after, limit, device);
}

std::string_view wireName(QuarantineDecision decision) noexcept {
    return decision == QuarantineDecision::Accepted ? "accepted" : "discarded";
}

std::string Store::canonicalDump() const {
    return _impl->canonicalDump();
}

std::string Store::checksum() const {
    return _impl->digestRow(kWholeStoreDigestKey).sum.hex();
}

void Store::holdCheckpoints(bool held) {
    _impl->holdCheckpoints(held);
}

int Store::schemaVersion() const {
    return _impl->schemaVersion();
}

int Store::latestSchemaVersion() noexcept {
    return storeMigrations().back().version;
}

std::vector<std::string_view> Store::migrationNames() {
    std::vector<std::string_view> names;
    for (const auto& step : storeMigrations()) {
        names.push_back(step.name);
    }
    return names;
}

const shared::Schema& Store::schema() const noexcept {
    return _impl->schema();
}

Store::ReadSnapshot::ReadSnapshot(const Store& store) : _store(store) {
    _store._impl->beginRead();
}

Store::ReadSnapshot::~ReadSnapshot() {
    _store._impl->endRead();
}

std::map<std::string, std::size_t> Store::recordsPerScope(std::string_view collection) const {
    return _impl->recordsPerScope(collection);
}

std::vector<LoggedChange> Store::recordChanges(std::string_view collection,
                                               const RecordId& id) const {
    return _impl->recordChanges(collection, id);
}

}  // namespace verdant::sync
