#include "verdant/sync/Store.hpp"

#include "StateCodec.hpp"
#include "StoreDigest.hpp"
#include "StoredState.hpp"
#include "sqlite/SqliteBackend.hpp"
#include "sqlite/StoreMigrations.hpp"

#include "verdant/shared/ChangeCodec.hpp"
#include "verdant/sync/Merge.hpp"
#include "verdant/sync/Sqlite.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <cstring>
#include <set>
#include <unordered_map>
#include <utility>

namespace verdant::sync {

using shared::Change;
using shared::DeviceId;
using shared::Error;
using shared::ErrorCode;
using shared::FieldSpec;
using shared::Hlc;
using shared::MergeKind;
using shared::Operation;
using shared::RecordId;
using shared::ValidationError;

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

namespace {

/// The value of a field the schema no longer names: its last write (what every register kind
/// shows when the field has no conflict).
shared::Value shownValue(const FieldState& state) {
    return state.writes.empty() ? shared::Value::null() : state.writes.back().value;
}

/// The reviewed-register spec used to read a conflict whose field left the schema.
const FieldSpec& reviewedFallback() {
    static const FieldSpec kSpec{"",
                                 shared::FieldType::String,
                                 MergeKind::ReviewedRegister,
                                 {},
                                 shared::kDefaultMaxValueBytes};
    return kSpec;
}

std::string sha256Hex(std::string_view text) {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int size = 0;
    if (EVP_Digest(text.data(), text.size(), digest, &size, EVP_sha256(), nullptr) != 1) {
        throw Error(ErrorCode::InternalError, "Could not compute the store checksum.");
    }
    return codec::toHex(std::span<const std::uint8_t>(digest, size));
}

/// Throws the first refusal among `applied`'s results (the caller's transaction rolls back).
void throwIfRefused(const ApplyResult& applied, const std::string& context) {
    for (const auto& outcome : applied.results) {
        if (outcome.outcome == ChangeOutcome::Refused) {
            throw Error(outcome.error.value_or(ErrorCode::InternalError),
                        context + outcome.message);
        }
    }
}

/// What rewriteDeviceChanges() calls per change.
using ChangeRewrite = std::function<std::optional<Change>(const Change&)>;

/// The longest refusal message kept or sent back, in bytes: a gate or a schema check that
/// quotes a client's text must not echo megabytes.
constexpr std::size_t kMaxMessageBytes = 1024;

/// The first bytes of `text`, at most `limit`, cut at a UTF-8 character boundary.
std::string_view utf8Prefix(std::string_view text, std::size_t limit) {
    if (text.size() <= limit) {
        return text;
    }
    std::size_t end = limit;
    while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0U) == 0x80U) {
        --end;  // a continuation byte: the character started earlier
    }
    return text.substr(0, end);
}

/// `message`, cut to kMaxMessageBytes (marked with an ellipsis) if longer.
std::string boundedMessage(std::string message) {
    if (message.size() > kMaxMessageBytes) {
        message = std::string(utf8Prefix(message, kMaxMessageBytes - 3)) + "\u2026";
    }
    return message;
}

ChangeResult refusedResult(ErrorCode code, std::string message) {
    ChangeResult result;
    result.outcome = ChangeOutcome::Refused;
    result.error = code;
    result.message = boundedMessage(std::move(message));
    return result;
}

/// The text of a string or JSON value, or nullptr for a value of another kind (a few bytes).
const std::string* textOf(const shared::Value& value) {
    if (const auto* text = std::get_if<std::string>(&value.data())) {
        return text;
    }
    if (const auto* json = std::get_if<shared::JsonText>(&value.data())) {
        return &json->text;
    }
    return nullptr;
}

/// What the quarantine keeps of a refused change: the change whole, or, when its value is longer
/// than kQuarantinedValueBytes or a name longer than kQuarantinedNameBytes, those cut to that
/// many bytes (a cut JSON value becomes a string of its text, since a cut document is no JSON),
/// with the full value's size and SHA-256. Refusals must not cost what a hostile client sends.
QuarantinedChange boundedForQuarantine(const Change& change) {
    QuarantinedChange kept;
    const std::string* text = textOf(change.value);
    const bool longValue = text != nullptr && text->size() > kQuarantinedValueBytes;
    kept.truncated = longValue || change.collection.size() > kQuarantinedNameBytes ||
                     change.field.size() > kQuarantinedNameBytes ||
                     change.author.size() > kQuarantinedNameBytes;
    if (!kept.truncated) {
        kept.change = change;
        return kept;
    }
    Change& cut = kept.change;
    cut.collection = utf8Prefix(change.collection, kQuarantinedNameBytes);
    cut.recordId = change.recordId;
    cut.field = utf8Prefix(change.field, kQuarantinedNameBytes);
    cut.operation = change.operation;
    cut.value = longValue
                    ? shared::Value::string(std::string(utf8Prefix(*text, kQuarantinedValueBytes)))
                    : change.value;
    cut.hlc = change.hlc;
    cut.baseVersion = change.baseVersion;
    cut.deviceId = change.deviceId;
    cut.deviceSeq = change.deviceSeq;
    cut.author = utf8Prefix(change.author, kQuarantinedNameBytes);
    if (text != nullptr) {
        kept.valueBytes = text->size();
        kept.valueSha256 = sha256Hex(*text);
    }
    return kept;
}

}  // namespace

// ---- Impl -----------------------------------------------------------------------------------

/// A write transaction on the backend: begun on construction, rolled back on destruction
/// unless commit() ran.
class WriteScope {
public:
    explicit WriteScope(StoreBackend& backend) : _backend(backend) { _backend.beginWrite(); }
    ~WriteScope() {
        if (!_done) {
            _backend.rollback();
        }
    }
    WriteScope(const WriteScope&) = delete;
    WriteScope& operator=(const WriteScope&) = delete;
    /// Commits; if the commit throws, the destructor rolls back.
    void commit() {
        _backend.commit();
        _done = true;
    }

private:
    StoreBackend& _backend;
    bool _done = false;
};

class Store::Impl {
public:
    Impl(std::unique_ptr<StoreBackend> backend, shared::Schema schema, StoreOptions options)
        : _backend(std::move(backend)),
          _schema(std::move(schema)),
          _options(std::move(options)),
          _states(*_backend) {
        _schema.finalize();
    }

    void beginRead() { _backend->beginRead(); }
    void endRead() noexcept { _backend->endRead(); }

    ApplyResult apply(std::span<const Change> batch, const ChangeGate& gate,
                      const std::function<std::vector<Change>()>& followUp = {});
    std::optional<Record> record(std::string_view collection, const RecordId& id);
    std::optional<Hlc> fieldVersion(std::string_view collection, const RecordId& id,
                                    std::string_view field);
    std::vector<Conflict> openConflicts();
    std::vector<LoggedChange> fieldHistory(std::string_view collection, const RecordId& id,
                                           std::string_view field);
    std::vector<LoggedChange> changesSince(std::uint64_t after, std::size_t limit);
    std::vector<LoggedChange> changesSince(std::uint64_t after, std::size_t limit,
                                           const std::vector<std::string>& scopeKeys);
    std::optional<std::string> scopeOf(std::string_view collection, const RecordId& id);
    std::vector<RecordId> findRecords(std::string_view collection, std::string_view field,
                                      const shared::Value& value);
    std::size_t purgeScope(const std::string& scopeKey);
    std::vector<LoggedChange> deviceChanges(const DeviceId& device, std::uint64_t afterSeq,
                                            std::size_t limit);
    std::size_t rewriteDeviceChanges(const DeviceId& device, std::uint64_t afterSeq,
                                     const ChangeRewrite& rewrite);
    std::vector<RecordId> recordIds(std::string_view collection, bool includeDeleted);
    std::vector<RecordRef> recordsInScope(const std::string& scopeKey);
    std::uint64_t lastServerSeq() { return _backend->lastServerSeq(); }
    std::uint64_t highWaterMark(const DeviceId& device);
    std::vector<QuarantinedChange> quarantine();
    std::vector<QuarantinedChange> quarantinePage(const QuarantinePosition& after,
                                                  std::size_t limit,
                                                  const std::optional<DeviceId>& device);
    std::optional<QuarantinedChange> quarantined(const DeviceId& device, std::uint64_t deviceSeq);
    void decideQuarantined(const DeviceId& device, std::uint64_t deviceSeq,
                           QuarantineDecision decision, const std::string& decidedBy,
                           std::int64_t decidedAtMs);
    ApplyResult decideAndApply(const DeviceId& device, std::uint64_t deviceSeq,
                               QuarantineDecision decision, const std::string& decidedBy,
                               std::int64_t decidedAtMs, std::span<const Change> writes,
                               const std::function<std::vector<Change>()>& followUp);
    std::string canonicalDump();
    ScopeDigestRow digestRow(std::string_view key) { return storedScopeDigest(*_backend, key); }
    std::map<std::string, Digest> recomputedDigests() { return recomputeScopeDigests(*_backend); }
    std::map<std::string, Digest> storedDigests() { return storedScopeDigests(*_backend); }
    void rebuildDigests() {
        WriteScope transaction(*_backend);
        rebuildScopeDigests(*_backend);
        transaction.commit();
    }
    int schemaVersion() { return _backend->schemaVersion(); }
    void holdCheckpoints(bool held) { _backend->holdCheckpoints(held); }
    const shared::Schema& schema() const noexcept { return _schema; }
    std::map<std::string, std::size_t> recordsPerScope(std::string_view collection);
    std::vector<LoggedChange> recordChanges(std::string_view collection, const RecordId& id);

private:
    struct RecordEntry {
        std::int64_t ref = 0;
        std::string collection;
        RecordId id;
        RecordState state;
        std::optional<std::string> scopeKey;  // records.scope_key
        std::int64_t scopeSeq = 0;            // records.scope_seq
        bool dirty = false;
        bool inserted = false;  // inserted by this batch
        // The checksum bookkeeping (see StoreDigest.hpp): whether the record's rows are in the
        // scope sums, under which scope, with which tombstone digest; what its fields added in
        // this batch; the highest log position the batch gave it.
        bool counted = false;
        std::optional<std::string> countedScope;
        Digest countedTombstone;
        Digest fieldDelta;
        std::uint64_t lastSeq = 0;
        bool touched = false;
    };
    struct FieldEntry {
        RecordEntry* record = nullptr;
        const FieldSpec* spec = nullptr;
        FieldState state;
        Digest storedDigest;  // the digest of the stored row (zero when none)
        bool stored = false;  // a row exists (UPDATE rather than INSERT on write-back)
        bool dirty = false;
    };
    struct KeyHash {
        std::size_t operator()(const std::pair<std::string, RecordId>& key) const noexcept {
            return std::hash<std::string>{}(key.first) ^ key.second.low64();
        }
        std::size_t operator()(
            const std::pair<std::int64_t, const FieldSpec*>& key) const noexcept {
            return std::hash<const FieldSpec*>{}(key.second) ^
                   (static_cast<std::size_t>(key.first) * 0x9e3779b97f4a7c15ULL);
        }
    };
    /// The rows one batch reads and merges into, each read once and written back once. Emptied
    /// at the start of every batch, so it never outlives the transaction that read it: another
    /// connection's writes or a rolled-back batch cannot leave stale state behind. (Keeping it
    /// across batches, validated with PRAGMA data_version, measured no faster.)
    struct Cache {
        std::map<DeviceId, std::int64_t> deviceRefs;
        std::unordered_map<std::string, std::int64_t> nameRefs;
        std::unordered_map<std::pair<std::string, RecordId>, RecordEntry, KeyHash> records;
        // Keyed by the schema's spec (one per field name; the schema outlives the cache).
        std::unordered_map<std::pair<std::int64_t, const FieldSpec*>, FieldEntry, KeyHash> fields;
    };
    /// Bookkeeping of one batch.
    struct Batch {
        std::map<std::int64_t, std::uint64_t> highWater;
        std::vector<FieldEntry*> dirtyFields;
        std::vector<RecordEntry*> dirtyRecords;
        std::vector<RecordEntry*> touchedRecords;  // every record a change of the batch reached
        std::optional<Hlc> maxApplied;
    };

    void inject(FaultPoint point, std::size_t index) {
        if (_options.faultInjector) {
            _options.faultInjector(point, index);
        }
    }

    /// How applyBatch() treats a change: as received (apply()), or as a change already on this
    /// replica merged again by rewriteDeviceChanges() (no clock-skew check, no fault injection).
    enum class Arrival : std::uint8_t { Received, Rebuilt };

    /// `first`, when set, runs at the start of the transaction (it may throw to roll back).
    /// When `strict`, a refused change of `batch` throws (and rolls back) as a follow-up does.
    ApplyResult applyInTransaction(std::span<const Change> batch, const ChangeGate& gate,
                                   const std::function<std::vector<Change>()>& followUp,
                                   const std::function<void()>& first = {}, bool strict = false);
    /// Validates, logs and merges `batch` into the cache, inside the caller's transaction; the
    /// caller writes `state` back and commits.
    ApplyResult applyBatch(std::span<const Change> batch, const ChangeGate& gate, Arrival arrival,
                           Batch& state);
    std::size_t rewriteInTransaction(const DeviceId& device, std::uint64_t afterSeq,
                                     const ChangeRewrite& rewrite);
    std::int64_t deviceRef(const DeviceId& device);
    std::int64_t nameRef(const std::string& name);
    /// The stored form of `state` (StoredState.hpp) into _scratch.
    void encodeStored(const FieldState& state);
    /// The canonical form of `state` into _scratch.
    void encodeCanonical(const FieldState& state);
    std::optional<std::int64_t> findRecordRef(std::string_view collection, const RecordId& id);
    RecordEntry* existingRecordEntry(const Change& change);
    RecordEntry& recordEntry(const Change& change);
    /// A Duplicate result when (device, seq) of `change` was logged or quarantined before
    /// (with the refusal's code when it was refused), else nullopt.
    std::optional<ChangeResult> receivedBefore(const Change& change);
    std::optional<ValidationError> askGate(const Change& change, const ChangeGate& gate);
    void followParent(const Change& change, const FieldSpec& spec, const FieldState& state,
                      RecordEntry& record, std::uint64_t serverSeq, Batch& batch);
    void dumpField(std::string& dump, const StateRow& row);
    FieldEntry& fieldEntry(RecordEntry& record, const FieldSpec& spec);
    void writeDigests(Batch& batch);
    void quarantineChange(const Change& change, ErrorCode code, const std::string& message);
    void setOutcome(std::uint64_t serverSeq, ChangeOutcome outcome);
    /// Logs `change` (its log position), or nullopt if (device, sequence) is logged already.
    std::optional<std::uint64_t> logChange(const Change& change, std::int64_t device,
                                           std::int64_t record);
    void writeBack(Batch& batch);

    std::unique_ptr<StoreBackend> _backend;
    shared::Schema _schema;
    StoreOptions _options;
    StoredStateReader _states;
    codec::ByteWriter _scratch;
    Cache _cache;
};

std::int64_t Store::Impl::nameRef(const std::string& name) {
    if (const auto found = _cache.nameRefs.find(name); found != _cache.nameRefs.end()) {
        return found->second;
    }
    const auto found = _backend->findName(name);
    const std::int64_t ref = found ? *found : _backend->addName(name);
    _cache.nameRefs.emplace(name, ref);
    return ref;
}

void Store::Impl::encodeStored(const FieldState& state) {
    _scratch.clear();
    writeStoredFieldState(_scratch, state,
                          [this](const DeviceId& device) { return deviceRef(device); });
}

void Store::Impl::encodeCanonical(const FieldState& state) {
    _scratch.clear();
    codec::writeFieldState(_scratch, state);
}

std::int64_t Store::Impl::deviceRef(const DeviceId& device) {
    if (const auto found = _cache.deviceRefs.find(device); found != _cache.deviceRefs.end()) {
        return found->second;
    }
    const auto found = _backend->findDevice(device);
    const std::int64_t ref = found ? *found : _backend->addDevice(device);
    _cache.deviceRefs.emplace(device, ref);
    return ref;
}

std::optional<std::int64_t> Store::Impl::findRecordRef(std::string_view collection,
                                                       const RecordId& id) {
    const auto row = _backend->findRecord(collection, id);
    return row ? std::optional<std::int64_t>(row->ref) : std::nullopt;
}

Store::Impl::RecordEntry* Store::Impl::existingRecordEntry(const Change& change) {
    auto key = std::make_pair(change.collection, change.recordId);
    if (const auto found = _cache.records.find(key); found != _cache.records.end()) {
        return &found->second;
    }
    auto row = _backend->findRecord(change.collection, change.recordId);
    if (!row) {
        return nullptr;
    }
    RecordEntry entry;
    entry.ref = row->ref;
    entry.collection = change.collection;
    entry.id = change.recordId;
    entry.state = codec::decodeRecordState(row->tombstone);
    entry.scopeKey = std::move(row->scopeKey);
    entry.scopeSeq = row->scopeSeq;
    entry.counted = true;
    entry.countedScope = entry.scopeKey;
    entry.countedTombstone = recordRowDigest(change.collection, change.recordId, row->tombstone);
    return &_cache.records.emplace(std::move(key), std::move(entry)).first->second;
}

Store::Impl::RecordEntry& Store::Impl::recordEntry(const Change& change) {
    if (RecordEntry* existing = existingRecordEntry(change)) {
        return *existing;
    }
    // A new record: in its scope from its first change if that change tells the scope (an Own
    // collection, or the parent field), so scope_seq stays 0.
    RecordEntry entry;
    entry.collection = change.collection;
    entry.id = change.recordId;
    entry.scopeKey = _schema.scopeKeyOf(change);
    _scratch.clear();
    codec::writeRecordState(_scratch, entry.state);
    entry.ref =
        _backend->addRecord(change.collection, change.recordId, _scratch.bytes(), entry.scopeKey);
    entry.inserted = true;
    auto key = std::make_pair(change.collection, change.recordId);
    return _cache.records.emplace(std::move(key), std::move(entry)).first->second;
}

std::optional<ChangeResult> Store::Impl::receivedBefore(const Change& change) {
    if (change.deviceId.isNil() || change.deviceSeq == 0) {
        return std::nullopt;  // not a numbered change: validation refuses it
    }
    const auto received = _backend->receivedBefore(change.deviceId, change.deviceSeq);
    if (!received) {
        return std::nullopt;
    }
    ChangeResult duplicate;
    duplicate.outcome = ChangeOutcome::Duplicate;
    if (received->refusal) {
        // Refused and quarantined earlier: still refused. The code tells the device so, in case
        // the answer that refused it was lost.
        duplicate.error = *received->refusal;
        duplicate.message =
            boundedMessage("Received before and refused; it stays in the quarantine: " +
                           received->message);  // entries of older builds kept longer messages
    }
    return duplicate;
}

std::optional<ValidationError> Store::Impl::askGate(const Change& change, const ChangeGate& gate) {
    // Looked up without creating the record, so a refused change leaves no row behind.
    const RecordEntry* known = existingRecordEntry(change);
    const std::optional<std::string> scope =
        known != nullptr && known->scopeKey ? known->scopeKey : _schema.scopeKeyOf(change);
    return gate(change, scope);
}

void Store::Impl::followParent(const Change& change, const FieldSpec& spec, const FieldState& state,
                               RecordEntry& record, std::uint64_t serverSeq, Batch& batch) {
    const auto& rule = _schema.collection(change.collection)->scope();
    if (rule.kind != shared::ScopeRule::Kind::Parent || rule.parentField != spec.name) {
        return;
    }
    // The scope follows the visible (first-written) parent, so it is a function of the merged
    // state and converges; it changes only if an earlier-keyed write displaces the first one.
    const shared::Value parent = visibleValue(spec, state);
    if (parent.kind() != shared::ValueKind::Id) {
        return;
    }
    std::string key = shared::scopeKey(rule.parentCollection, parent.as<RecordId>());
    if (record.scopeKey == key) {
        return;
    }
    record.scopeKey = std::move(key);
    record.scopeSeq = static_cast<std::int64_t>(serverSeq);
    if (!record.dirty) {
        record.dirty = true;
        batch.dirtyRecords.push_back(&record);
    }
}

Store::Impl::FieldEntry& Store::Impl::fieldEntry(RecordEntry& record, const FieldSpec& spec) {
    const auto key = std::make_pair(record.ref, &spec);
    if (const auto found = _cache.fields.find(key); found != _cache.fields.end()) {
        return found->second;
    }
    FieldEntry entry;
    entry.record = &record;
    entry.spec = &spec;
    if (!record.inserted) {  // a record this batch inserted has no field rows to read
        if (const auto stored = _backend->fieldState(record.ref, spec.name)) {
            entry.state = _states.state(*stored);
            entry.stored = true;
        }
    }
    if (entry.stored) {
        encodeCanonical(entry.state);
        entry.storedDigest =
            fieldRowDigest(record.collection, record.id, spec.name, _scratch.bytes());
    }
    return _cache.fields.emplace(key, std::move(entry)).first->second;
}

void Store::Impl::quarantineChange(const Change& change, ErrorCode code,
                                   const std::string& message) {
    QuarantinedChange kept = boundedForQuarantine(change);
    kept.code = code;
    kept.message = boundedMessage(message);
    _backend->addQuarantined(kept);
}

void Store::Impl::setOutcome(std::uint64_t serverSeq, ChangeOutcome outcome) {
    _backend->setOutcome(serverSeq, outcome);
}

ApplyResult Store::Impl::apply(std::span<const Change> batch, const ChangeGate& gate,
                               const std::function<std::vector<Change>()>& followUp) {
    if (batch.empty()) {
        return ApplyResult{};
    }
    try {
        return applyInTransaction(batch, gate, followUp);
    } catch (...) {
        _cache = Cache{};  // it holds merges that were rolled back
        throw;
    }
}

ApplyResult Store::Impl::applyInTransaction(std::span<const Change> batch, const ChangeGate& gate,
                                            const std::function<std::vector<Change>()>& followUp,
                                            const std::function<void()>& first, bool strict) {
    Batch state;
    WriteScope transaction(*_backend);
    _cache = Cache{};
    if (first) {
        first();
    }
    ApplyResult result = applyBatch(batch, gate, Arrival::Received, state);
    if (strict) {
        throwIfRefused(result, "A change was refused: ");
    }

    inject(FaultPoint::BeforeWriteBack, batch.size());
    writeBack(state);
    if (followUp) {
        // The batch is merged and written: the follow-up reads the state it made.
        const auto more = followUp();
        if (!more.empty()) {
            Batch derived;
            _cache = Cache{};
            throwIfRefused(applyBatch(more, ChangeGate{}, Arrival::Received, derived),
                           "A follow-up change was refused: ");
            writeBack(derived);
            if (derived.maxApplied &&
                (!state.maxApplied || *state.maxApplied < *derived.maxApplied)) {
                state.maxApplied = derived.maxApplied;
            }
        }
    }
    inject(FaultPoint::BeforeCommit, batch.size());
    transaction.commit();

    if (_options.clock != nullptr && state.maxApplied) {
        _options.clock->tryReceive(*state.maxApplied);
    }
    return result;
}

std::optional<std::uint64_t> Store::Impl::logChange(const Change& change, std::int64_t device,
                                                    std::int64_t record) {
    _scratch.clear();
    codec::writeValue(_scratch, change.value);
    ChangeRow row;
    row.deviceRef = device;
    row.deviceSeq = change.deviceSeq;
    row.recordRef = record;
    row.field = change.field;
    row.operation = change.operation;
    row.value = _scratch.bytes();
    row.hlc = change.hlc;
    row.base = change.baseVersion;
    row.authorRef = nameRef(change.author);
    row.outcome = ChangeOutcome::Applied;
    return _backend->appendChange(row);
}

ApplyResult Store::Impl::applyBatch(std::span<const Change> batch, const ChangeGate& gate,
                                    Arrival arrival, Batch& state) {
    ApplyResult result;
    result.results.resize(batch.size());
    for (std::size_t i = 0; i < batch.size(); ++i) {
        if (arrival == Arrival::Received) {
            inject(FaultPoint::BeforeChange, i);
        }
        const Change& change = batch[i];
        ChangeResult& out = result.results[i];

        // Exactly once, refusals included: a replica that judges what it receives (a gate) counts
        // a refused change as received, so a resend is a duplicate before anything re-judges it.
        // An ungated replica (a device applying what it pulled) re-validates a change it refused
        // before: the server accepted it, and a newer schema may accept it here too.
        if (gate) {
            if (auto duplicate = receivedBefore(change)) {
                out = std::move(*duplicate);
                continue;
            }
        }
        if (auto invalid = _schema.validate(change)) {
            out = refusedResult(invalid->code, invalid->message);
            if (!change.deviceId.isNil() && change.deviceSeq > 0) {
                quarantineChange(change, invalid->code, invalid->message);
                auto& mark = state.highWater[deviceRef(change.deviceId)];
                mark = std::max(mark, change.deviceSeq);
            }
            continue;
        }
        if (arrival == Arrival::Received && _options.clock != nullptr &&
            _options.clock->isTooFarAhead(change.hlc)) {
            // Not logged, not quarantined, high-water mark untouched: the device re-stamps the
            // change with a sane clock and sends it again under the same sequence number.
            out = refusedResult(ErrorCode::ClockSkew,
                                "The change is dated " + change.hlc.toString() +
                                    ", too far ahead of this replica's clock; re-stamp and retry.");
            continue;
        }

        const std::int64_t device = deviceRef(change.deviceId);
        if (gate) {
            if (auto refusal = askGate(change, gate)) {
                out = refusedResult(refusal->code, refusal->message);
                quarantineChange(change, refusal->code, refusal->message);
                auto& mark = state.highWater[device];
                mark = std::max(mark, change.deviceSeq);
                continue;
            }
        }
        RecordEntry& record = recordEntry(change);
        if (!record.touched) {
            record.touched = true;
            state.touchedRecords.push_back(&record);
        }
        const auto logged = logChange(change, device, record.ref);
        if (!logged) {
            out.outcome = ChangeOutcome::Duplicate;  // (device, sequence) already logged
            continue;
        }
        const std::uint64_t serverSeq = *logged;
        out.serverSeq = serverSeq;
        record.lastSeq = std::max(record.lastSeq, serverSeq);
        auto& mark = state.highWater[device];
        mark = std::max(mark, change.deviceSeq);
        if (!state.maxApplied || *state.maxApplied < change.hlc) {
            state.maxApplied = change.hlc;
        }

        if (change.operation == Operation::Delete || change.operation == Operation::Restore) {
            mergeTombstone(record.state, recordStateOf(change));
            if (!record.dirty) {
                record.dirty = true;
                state.dirtyRecords.push_back(&record);
            }
            continue;
        }

        const FieldSpec& spec = *_schema.fieldOf(change);
        FieldEntry& field = fieldEntry(record, spec);
        if (!field.dirty) {
            field.dirty = true;
            state.dirtyFields.push_back(&field);
        }
        const auto key = shared::keyOf(change);
        if (spec.merge == MergeKind::Immutable && !field.state.writes.empty() &&
            field.state.writes.front().value != change.value) {
            const Write& first = field.state.writes.front();
            if (first.key < key) {
                const std::string message = "Field '" + change.collection + "." + change.field +
                                            "' was already written and cannot change.";
                out = refusedResult(ErrorCode::ImmutableField, message);
                out.serverSeq = serverSeq;
                setOutcome(serverSeq, ChangeOutcome::Refused);
                quarantineChange(change, ErrorCode::ImmutableField, message);
                // Still merged: the first write stays the winner, but the field version must be
                // the same on replicas that saw the writes in the other order.
                mergeInto(spec, field.state, stateOf(spec, change));
                continue;
            }
            // This write predates the one applied so far: it is the first write and stands on
            // every replica; the other is marked refused in the log.
            _backend->setOutcomeOf(first.key.device, first.key.deviceSeq, ChangeOutcome::Refused);
        }
        mergeInto(spec, field.state, stateOf(spec, change));
        if (spec.merge == MergeKind::Immutable && spec.type == shared::FieldType::IdRef) {
            followParent(change, spec, field.state, record, serverSeq, state);
        }
        if (hasConflict(spec, field.state) &&
            std::any_of(field.state.writes.begin(), field.state.writes.end(),
                        [&key](const Write& write) { return write.key == key; })) {
            out.outcome = ChangeOutcome::ConflictRaised;
            setOutcome(serverSeq, ChangeOutcome::ConflictRaised);
        }
    }
    return result;
}

void Store::Impl::writeBack(Batch& batch) {
    // A record that moves to another scope takes its rows' digests along: summed from its rows
    // as they were before this batch (nothing of the batch is written yet).
    DigestDelta delta;
    for (RecordEntry* record : batch.touchedRecords) {
        if (record->counted && record->countedScope != record->scopeKey) {
            delta.move(record->countedScope, record->scopeKey,
                       recomputeRecordDigest(*_backend, record->ref));
            record->countedScope = record->scopeKey;
        }
    }
    delta.writeTo(*_backend);
    for (FieldEntry* entry : batch.dirtyFields) {
        FieldEntry& field = *entry;
        const FieldSpec& spec = *field.spec;
        encodeCanonical(field.state);
        const Digest written =
            fieldRowDigest(field.record->collection, field.record->id, spec.name, _scratch.bytes());
        field.record->fieldDelta += written;
        field.record->fieldDelta -= field.storedDigest;
        field.storedDigest = written;
        encodeStored(field.state);
        _backend->putField(field.record->ref,
                           FieldRow{spec.name, _scratch.bytes(), hasConflict(spec, field.state)},
                           field.stored);
        field.stored = true;
        field.dirty = false;
    }
    for (RecordEntry* entry : batch.dirtyRecords) {
        RecordEntry& record = *entry;
        record.dirty = false;
        RecordRow row;
        row.ref = record.ref;
        row.deleted = record.state.deleted();
        _scratch.clear();
        codec::writeRecordState(_scratch, record.state);
        row.tombstone = _scratch.bytes();
        row.scopeKey = record.scopeKey;
        row.scopeSeq = record.scopeSeq;
        _backend->updateRecord(row);
    }
    for (const auto& [device, mark] : batch.highWater) {
        _backend->raiseHighWater(device, mark);
    }
    writeDigests(batch);
}

/// Adds what the batch changed in its records' rows to their scopes' sums (one read and write
/// of scope_digests per scope touched), and their feed positions.
void Store::Impl::writeDigests(Batch& batch) {
    DigestDelta delta;
    for (RecordEntry* entry : batch.touchedRecords) {
        RecordEntry& record = *entry;
        _scratch.clear();
        codec::writeRecordState(_scratch, record.state);
        const Digest tombstone = recordRowDigest(record.collection, record.id, _scratch.bytes());
        Digest change = record.fieldDelta;
        change += tombstone;
        if (record.counted) {
            change -= record.countedTombstone;
        }
        delta.add(record.scopeKey, change);
        delta.reach(record.scopeKey, record.lastSeq);
        record.counted = true;
        record.countedScope = record.scopeKey;
        record.countedTombstone = tombstone;
        record.fieldDelta = Digest{};
        record.lastSeq = 0;
        record.touched = false;
    }
    batch.touchedRecords.clear();
    delta.writeTo(*_backend);
}

std::optional<Record> Store::Impl::record(std::string_view collection, const RecordId& id) {
    const auto row = _backend->findRecord(collection, id);
    if (!row) {
        return std::nullopt;
    }
    Record record;
    record.deleted = row->deleted;
    record.collection = std::string(collection);
    record.id = id;
    const auto* spec = _schema.collection(collection);
    _backend->forEachField(row->ref, [&](const FieldRow& stored) {
        FieldValue value;
        const FieldState state = _states.state(stored.state);
        value.inConflict = stored.inConflict;
        value.version = state.version;
        value.elements = visibleElements(state);
        if (const FieldSpec* field = spec ? spec->field(stored.field) : nullptr) {
            value.value = visibleValue(*field, state);
            value.writtenBy = visibleWrite(*field, state);
        } else {
            value.value = shownValue(state);
        }
        record.fields.emplace(std::string(stored.field), std::move(value));
    });
    return record;
}

std::optional<Hlc> Store::Impl::fieldVersion(std::string_view collection, const RecordId& id,
                                             std::string_view field) {
    const auto ref = findRecordRef(collection, id);
    if (!ref) {
        return std::nullopt;
    }
    const auto stored = _backend->fieldState(*ref, field);
    return stored ? _states.state(*stored).version : std::nullopt;
}

std::vector<Conflict> Store::Impl::openConflicts() {
    std::vector<Conflict> conflicts;
    _backend->forEachConflict([&](const StateRow& row) {
        const std::string collection(row.collection);
        const std::string name(row.field->field);
        const FieldState state = _states.state(row.field->state);
        const FieldSpec* spec =
            _schema.collection(collection) ? _schema.collection(collection)->field(name) : nullptr;
        FieldSpec fallback = reviewedFallback();
        fallback.name = name;
        if (auto conflict = conflictOf(spec ? *spec : fallback, state, collection, row.id)) {
            conflicts.push_back(std::move(*conflict));
        }
    });
    return conflicts;
}

std::vector<LoggedChange> Store::Impl::fieldHistory(std::string_view collection, const RecordId& id,
                                                    std::string_view field) {
    const auto ref = findRecordRef(collection, id);
    return ref ? _backend->fieldHistory(*ref, field) : std::vector<LoggedChange>{};
}

std::vector<LoggedChange> Store::Impl::changesSince(std::uint64_t after, std::size_t limit) {
    return _backend->changesSince(after, limit);
}

std::vector<LoggedChange> Store::Impl::changesSince(std::uint64_t after, std::size_t limit,
                                                    const std::vector<std::string>& scopeKeys) {
    if (scopeKeys.empty() || limit == 0) {
        return {};
    }
    return _backend->scopedChanges(after, limit, scopeKeys);
}

std::optional<std::string> Store::Impl::scopeOf(std::string_view collection, const RecordId& id) {
    auto row = _backend->findRecord(collection, id);
    return row ? std::move(row->scopeKey) : std::nullopt;
}

std::vector<RecordId> Store::Impl::findRecords(std::string_view collection, std::string_view field,
                                               const shared::Value& value) {
    std::vector<RecordId> found;
    const auto* spec = _schema.collection(collection);
    const FieldSpec* fieldSpec = spec != nullptr ? spec->field(field) : nullptr;
    const bool isSet = fieldSpec != nullptr && fieldSpec->type == shared::FieldType::StringSet;
    if (isSet && value.kind() != shared::ValueKind::String) {
        return found;
    }
    _backend->forEachFieldOf(collection, field, [&](const RecordId& id, const FieldRow& stored) {
        const FieldState state = _states.state(stored.state);
        bool matches = false;
        if (isSet) {
            const auto elements = visibleElements(state);
            matches = std::binary_search(elements.begin(), elements.end(), value.as<std::string>());
        } else {
            matches = (fieldSpec != nullptr ? visibleValue(*fieldSpec, state)
                                            : shownValue(state)) == value;
        }
        if (matches) {
            found.push_back(id);
        }
    });
    return found;
}

std::size_t Store::Impl::purgeScope(const std::string& scopeKey) {
    WriteScope transaction(*_backend);
    _cache = Cache{};
    forgetScopeDigest(*_backend, scopeKey);
    const std::size_t removed = _backend->purgeScope(scopeKey);
    transaction.commit();
    return removed;
}

std::vector<LoggedChange> Store::Impl::deviceChanges(const DeviceId& device, std::uint64_t afterSeq,
                                                     std::size_t limit) {
    const auto ref = _backend->findDevice(device);
    if (!ref || limit == 0) {
        return {};
    }
    return _backend->deviceChanges(*ref, afterSeq, limit);
}

std::size_t Store::Impl::rewriteDeviceChanges(const DeviceId& device, std::uint64_t afterSeq,
                                              const ChangeRewrite& rewrite) {
    try {
        return rewriteInTransaction(device, afterSeq, rewrite);
    } catch (...) {
        _cache = Cache{};  // it may hold merges that were rolled back
        throw;
    }
}

std::size_t Store::Impl::rewriteInTransaction(const DeviceId& device, std::uint64_t afterSeq,
                                              const ChangeRewrite& rewrite) {
    WriteScope transaction(*_backend);
    _cache = Cache{};

    // 1. Every decision first, so a throwing `rewrite` leaves nothing half done (the transaction
    // rolls back regardless). `edits` maps a sequence to its replacement (nullopt: removed).
    std::map<std::uint64_t, std::optional<Change>> edits;
    std::set<std::pair<std::string, RecordId>> touched;
    for (auto& logged : deviceChanges(device, afterSeq, SIZE_MAX)) {
        std::optional<Change> replacement = rewrite(logged.change);
        if (replacement && *replacement == logged.change) {
            continue;
        }
        touched.emplace(logged.change.collection, logged.change.recordId);
        if (replacement) {
            if (replacement->deviceId != logged.change.deviceId ||
                replacement->deviceSeq != logged.change.deviceSeq) {
                throw Error(ErrorCode::InvalidChange,
                            "A rewritten change must keep its device and sequence number (" +
                                std::to_string(logged.change.deviceSeq) + ").");
            }
            if (auto invalid = _schema.validate(*replacement)) {
                throw Error(invalid->code, "A rewritten change is invalid: " + invalid->message);
            }
            touched.emplace(replacement->collection, replacement->recordId);
        }
        edits.emplace(logged.change.deviceSeq, std::move(replacement));
    }
    if (edits.empty()) {
        return 0;  // nothing written; the guard rolls the empty transaction back
    }

    // 2. The touched records' changes, of every device, in log order, with the edits applied.
    std::vector<std::int64_t> refs;
    std::vector<LoggedChange> logged;
    for (const auto& [collection, id] : touched) {
        const auto ref = findRecordRef(collection, id);
        if (!ref) {
            continue;  // a replacement moves a change to a record not on this replica yet
        }
        refs.push_back(*ref);
        auto changes = _backend->recordChanges(*ref);
        std::move(changes.begin(), changes.end(), std::back_inserter(logged));
    }
    std::sort(logged.begin(), logged.end(), [](const LoggedChange& a, const LoggedChange& b) {
        return a.serverSeq < b.serverSeq;
    });
    std::vector<Change> rebuilt;
    rebuilt.reserve(logged.size());
    for (auto& entry : logged) {
        if (entry.change.deviceId == device) {
            if (auto edit = edits.find(entry.change.deviceSeq); edit != edits.end()) {
                if (edit->second) {
                    rebuilt.push_back(std::move(*edit->second));
                }
                continue;
            }
        }
        rebuilt.push_back(std::move(entry.change));
    }

    // 3. Forget the touched records (rows, fields, log entries), keeping the highest log
    // position, then merge the rebuilt list exactly as apply() would have.
    {
        DigestDelta removed;
        for (const std::int64_t ref : refs) {
            subtractRecord(*_backend, ref, removed);
        }
        removed.writeTo(*_backend);
    }
    _backend->removeRecords(refs);
    _cache = Cache{};
    Batch state;
    applyBatch(rebuilt, ChangeGate{}, Arrival::Rebuilt, state);
    writeBack(state);
    transaction.commit();

    if (_options.clock != nullptr && state.maxApplied) {
        _options.clock->tryReceive(*state.maxApplied);
    }
    return edits.size();
}

std::vector<RecordId> Store::Impl::recordIds(std::string_view collection, bool includeDeleted) {
    return _backend->recordIds(collection, includeDeleted);
}

std::vector<RecordRef> Store::Impl::recordsInScope(const std::string& scopeKey) {
    return _backend->recordsInScope(scopeKey);
}

std::uint64_t Store::Impl::highWaterMark(const DeviceId& device) {
    return _backend->highWater(device);
}

std::vector<QuarantinedChange> Store::Impl::quarantine() {
    return _backend->quarantine();
}

std::optional<QuarantinedChange> Store::Impl::quarantined(const DeviceId& device,
                                                          std::uint64_t deviceSeq) {
    return _backend->quarantined(device, deviceSeq);
}

std::vector<QuarantinedChange> Store::Impl::quarantinePage(const QuarantinePosition& after,
                                                           std::size_t limit,
                                                           const std::optional<DeviceId>& device) {
    if (limit == 0) {
        return {};
    }
    return _backend->quarantinePage(after, limit, device);
}

void Store::Impl::decideQuarantined(const DeviceId& device, std::uint64_t deviceSeq,
                                    QuarantineDecision decision, const std::string& decidedBy,
                                    std::int64_t decidedAtMs) {
    const auto entry = quarantined(device, deviceSeq);
    if (!entry) {
        throw Error(ErrorCode::NotFound, "There is no quarantined change " +
                                             std::to_string(deviceSeq) + " of that device.");
    }
    if (entry->decision) {
        throw Error(ErrorCode::InvalidTransition, "That change was " +
                                                      std::string(wireName(*entry->decision)) +
                                                      " already by " + entry->decidedBy + ".");
    }
    if (decision == QuarantineDecision::Accepted) {
        // A store written before refused changes counted as received may hold one both logged
        // as applied and quarantined: accepting it would apply it a second time.
        const auto outcome = _backend->loggedOutcome(device, deviceSeq);
        if (outcome) {
            if (*outcome == ChangeOutcome::Applied || *outcome == ChangeOutcome::ConflictRaised) {
                throw Error(ErrorCode::InvalidTransition,
                            "That change was applied already; accepting it would apply it twice. "
                            "Discard it.");
            }
        }
    }
    if (decision == QuarantineDecision::Accepted && entry->truncated) {
        throw Error(ErrorCode::ValueTooLarge,
                    "The server kept only the first bytes of this change (its value has " +
                        std::to_string(entry->valueBytes) +
                        " bytes), so it cannot apply it; the device still holds it whole. "
                        "Discard it, or have the device send a smaller value as a new change.");
    }
    _backend->decideQuarantined(device, deviceSeq, decision, decidedBy, decidedAtMs);
}

ApplyResult Store::Impl::decideAndApply(const DeviceId& device, std::uint64_t deviceSeq,
                                        QuarantineDecision decision, const std::string& decidedBy,
                                        std::int64_t decidedAtMs, std::span<const Change> writes,
                                        const std::function<std::vector<Change>()>& followUp) {
    // Checked and recorded inside the transaction that applies the writes (BEGIN IMMEDIATE:
    // no other connection decides meanwhile), so the two commit together or not at all.
    // The writes are the caller's own: one the store refuses throws, never quarantines.
    try {
        return applyInTransaction(
            writes, ChangeGate{}, followUp,
            [&] { decideQuarantined(device, deviceSeq, decision, decidedBy, decidedAtMs); },
            /*strict=*/true);
    } catch (...) {
        _cache = Cache{};
        throw;
    }
}

std::string Store::Impl::canonicalDump() {
    std::string dump;
    _backend->forEachStateRow([&](const StateRow& row) {
        if (!row.field) {
            dump += "record ";
            dump += row.collection;
            dump += ' ';
            dump += row.id.toString();
            if (row.deleted) {
                dump += " deleted";
            }
            dump += " tombstone=";
            dump += codec::toHex(row.tombstone);
            dump += '\n';
            return;
        }
        dumpField(dump, row);
    });
    return dump;
}

/// One field's line of the canonical dump: name, visible value (or set), version, conflict flag
/// and canonical state.
void Store::Impl::dumpField(std::string& dump, const StateRow& row) {
    const FieldRow& stored = *row.field;
    const FieldState state = _states.state(stored.state);
    const auto* spec = _schema.collection(row.collection);
    const FieldSpec* field = spec != nullptr ? spec->field(stored.field) : nullptr;
    std::string shown =
        (field != nullptr ? visibleValue(*field, state) : shownValue(state)).toDisplayString();
    if (!state.elements.empty()) {
        shown = "{";
        for (const auto& element : visibleElements(state)) {
            shown += (shown.size() > 1 ? "," : "") + element;
        }
        shown += "}";
    }
    dump += "  ";
    dump += stored.field;
    dump += " = ";
    dump += shown;
    dump += " version=";
    dump += state.version ? state.version->toString() : "-";
    if (stored.inConflict) {
        dump += " CONFLICT";
    }
    encodeCanonical(state);
    dump += " state=";
    dump += codec::toHex(_scratch.bytes());
    dump += '\n';
}

// ---- Reads that follow what they return (device lists) -------------------------------------

std::map<std::string, std::size_t> Store::Impl::recordsPerScope(std::string_view collection) {
    return _backend->recordsPerScope(collection);
}

std::vector<LoggedChange> Store::Impl::recordChanges(std::string_view collection,
                                                     const RecordId& id) {
    const auto ref = findRecordRef(collection, id);
    return ref ? _backend->recordChanges(*ref) : std::vector<LoggedChange>{};
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
