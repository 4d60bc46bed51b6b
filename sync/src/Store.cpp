#include "verdant/sync/Store.hpp"

#include "StateCodec.hpp"
#include "StoreDigest.hpp"
#include "StoreMigrations.hpp"
#include "StoredState.hpp"

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

// ---- SQL (every statement is prepared once per connection and cached) ----------------------

constexpr std::string_view kSelectDevice = "SELECT device_ref FROM devices WHERE device_id = ?1";
constexpr std::string_view kInsertDevice = "INSERT INTO devices (device_id) VALUES (?1)";
constexpr std::string_view kRaiseHighWater =
    "UPDATE devices SET high_water = max(high_water, ?2) WHERE device_ref = ?1";
// Authors of changes, each kept once (changes.author_ref).
constexpr std::string_view kSelectName = "SELECT name_ref FROM names WHERE name = ?1";
constexpr std::string_view kInsertName = "INSERT INTO names (name) VALUES (?1)";
constexpr std::string_view kSelectHighWater = "SELECT high_water FROM devices WHERE device_id = ?1";
constexpr std::string_view kSelectRecord =
    "SELECT record_ref, deleted, tombstone, scope_key, scope_seq FROM records "
    "WHERE collection = ?1 AND record_id = ?2";
constexpr std::string_view kInsertRecord =
    "INSERT INTO records (collection, record_id, deleted, tombstone, scope_key) "
    "VALUES (?1, ?2, 0, ?3, ?4)";
constexpr std::string_view kUpdateRecord =
    "UPDATE records SET deleted = ?2, tombstone = ?3, scope_key = ?4, scope_seq = ?5 "
    "WHERE record_ref = ?1";
// Whether (device, seq) was received before: refused and quarantined (its code and message;
// asked first, since an immutable-field refusal is also logged and its resend must still carry
// the refusal), or logged (NULL code). Both halves are primary-key/unique-index look-ups.
constexpr std::string_view kSelectReceived =
    "SELECT code, message FROM quarantine WHERE device_id = ?1 AND device_seq = ?2 "
    "UNION ALL SELECT NULL, '' FROM changes c JOIN devices d ON d.device_ref = c.device_ref "
    "WHERE d.device_id = ?1 AND c.device_seq = ?2 "
    "LIMIT 1";
// The outcome a (device, seq) was logged with, if it was logged.
constexpr std::string_view kSelectLoggedOutcome =
    "SELECT c.outcome FROM changes c JOIN devices d ON d.device_ref = c.device_ref "
    "WHERE d.device_id = ?1 AND c.device_seq = ?2";
constexpr std::string_view kSelectFieldState =
    "SELECT state FROM fields WHERE record_ref = ?1 AND field = ?2";
constexpr std::string_view kSelectFieldVersion =
    "SELECT f.state FROM fields f JOIN records r ON r.record_ref = f.record_ref "
    "WHERE r.collection = ?1 AND r.record_id = ?2 AND f.field = ?3";
constexpr std::string_view kInsertField =
    "INSERT INTO fields (record_ref, field, state, in_conflict) VALUES (?1, ?2, ?3, ?4)";
constexpr std::string_view kUpdateField =
    "UPDATE fields SET state = ?3, in_conflict = ?4 WHERE record_ref = ?1 AND field = ?2";
constexpr std::string_view kSelectRecordFields =
    "SELECT field, state, in_conflict FROM fields WHERE record_ref = ?1 ORDER BY field";
constexpr std::string_view kInsertChange =
    "INSERT OR IGNORE INTO changes (device_ref, device_seq, record_ref, field, op, value, hlc, "
    "base, author_ref, outcome) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)";
constexpr std::string_view kSetOutcome = "UPDATE changes SET outcome = ?2 WHERE server_seq = ?1";
constexpr std::string_view kSetOutcomeByDevice =
    "UPDATE changes SET outcome = ?3 WHERE device_seq = ?2 AND device_ref = "
    "(SELECT device_ref FROM devices WHERE device_id = ?1)";
constexpr std::string_view kInsertQuarantine =
    "INSERT OR IGNORE INTO quarantine (device_id, device_seq, change, code, message, truncated, "
    "value_bytes, value_sha256) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)";
// Every quarantine read selects the columns quarantineRow() reads, in this order.
constexpr std::string_view kSelectQuarantine =
    "SELECT change, code, message, decision, decided_by, decided_at, truncated, value_bytes, "
    "value_sha256 FROM quarantine "
    "ORDER BY device_id, device_seq";
constexpr std::string_view kSelectQuarantined =
    "SELECT change, code, message, decision, decided_by, decided_at, truncated, value_bytes, "
    "value_sha256 FROM quarantine "
    "WHERE device_id = ?1 AND device_seq = ?2";
// Pages of the quarantine: ranges of its primary key (device_id, device_seq).
constexpr std::string_view kSelectQuarantinePage =
    "SELECT change, code, message, decision, decided_by, decided_at, truncated, value_bytes, "
    "value_sha256 FROM quarantine "
    "WHERE (device_id, device_seq) > (?1, ?2) ORDER BY device_id, device_seq LIMIT ?3";
constexpr std::string_view kSelectDeviceQuarantinePage =
    "SELECT change, code, message, decision, decided_by, decided_at, truncated, value_bytes, "
    "value_sha256 FROM quarantine "
    "WHERE device_id = ?1 AND device_seq > ?2 ORDER BY device_seq LIMIT ?3";
constexpr std::string_view kDecideQuarantined =
    "UPDATE quarantine SET decision = ?3, decided_by = ?4, decided_at = ?5 "
    "WHERE device_id = ?1 AND device_seq = ?2 AND decision IS NULL";
constexpr std::string_view kLoggedColumns =
    "SELECT c.server_seq, d.device_id, c.device_seq, r.collection, r.record_id, c.field, c.op, "
    "c.value, c.hlc, c.base, n.name, c.outcome FROM changes c "
    "JOIN devices d ON d.device_ref = c.device_ref JOIN records r ON r.record_ref = c.record_ref "
    "JOIN names n ON n.name_ref = c.author_ref ";
constexpr std::string_view kConflicts =
    "SELECT r.collection, r.record_id, f.field, f.state FROM fields f "
    "JOIN records r ON r.record_ref = f.record_ref WHERE f.in_conflict = 1 "
    "ORDER BY r.collection, r.record_id, f.field";
constexpr std::string_view kDump =
    "SELECT r.collection, r.record_id, r.deleted, r.tombstone, f.field, f.in_conflict, f.state "
    "FROM records r LEFT JOIN fields f ON f.record_ref = r.record_ref "
    "ORDER BY r.collection, r.record_id, f.field";
// A scoped pull page. ?1 is a JSON array of scope keys, ?2 the cursor, ?3 the limit. The first
// part is every change after the cursor of a record in the scopes; the second, the changes up to
// the cursor of records that joined a scope after it (their position is the join's). CROSS JOIN
// fixes the order scope -> records (records_by_scope) -> changes (changes_by_record, whose
// implicit rowid column bounds server_seq), so a small scope never scans the log.
constexpr std::string_view kScopedColumns =
    "SELECT c.server_seq AS seq, d.device_id, c.device_seq, r.collection, r.record_id, c.field, "
    "c.op, c.value, c.hlc, c.base, n.name, c.outcome, ";
constexpr std::string_view kScopedAfter =
    "max(c.server_seq, r.scope_seq) AS pos, r.record_ref FROM json_each(?1) k "
    "CROSS JOIN records r ON r.scope_key = k.value "
    "CROSS JOIN changes c ON c.record_ref = r.record_ref AND c.server_seq > ?2 "
    "JOIN devices d ON d.device_ref = c.device_ref JOIN names n ON n.name_ref = c.author_ref "
    "UNION ALL ";
constexpr std::string_view kScopedJoined =
    "r.scope_seq AS pos, r.record_ref FROM json_each(?1) k "
    "CROSS JOIN records r ON r.scope_key = k.value AND r.scope_seq > ?2 "
    "CROSS JOIN changes c ON c.record_ref = r.record_ref AND c.server_seq <= ?2 "
    "JOIN devices d ON d.device_ref = c.device_ref JOIN names n ON n.name_ref = c.author_ref "
    "ORDER BY pos, seq LIMIT ?3";
constexpr std::string_view kSelectScope =
    "SELECT scope_key FROM records WHERE collection = ?1 AND record_id = ?2";
constexpr std::string_view kFindRecords =
    "SELECT r.record_id, f.state FROM records r "
    "JOIN fields f ON f.record_ref = r.record_ref AND f.field = ?2 "
    "WHERE r.collection = ?1 AND r.deleted = 0 ORDER BY r.record_id";
constexpr std::string_view kPurgeChanges =
    "DELETE FROM changes WHERE record_ref IN (SELECT record_ref FROM records WHERE scope_key = ?1)";
constexpr std::string_view kPurgeFields =
    "DELETE FROM fields WHERE record_ref IN (SELECT record_ref FROM records WHERE scope_key = ?1)";
constexpr std::string_view kPurgeRecords = "DELETE FROM records WHERE scope_key = ?1";
// Keeps the log's highest server sequence after a purge removed its row (rowids would otherwise
// be reused): record_ref 0 and device_ref 0 exist nowhere, so every log query (they join both)
// skips it. Earlier placeholders are dropped.
constexpr std::string_view kInsertPlaceholder =
    "INSERT INTO changes (server_seq, device_ref, device_seq, record_ref, field, op, value, hlc, "
    "base, author_ref, outcome) VALUES (?1, 0, ?1, 0, '', 0, x'', x'', NULL, 0, 0)";
constexpr std::string_view kDeleteOldPlaceholders =
    "DELETE FROM changes WHERE record_ref = 0 AND server_seq < ?1";
// rewriteDeviceChanges: one device's changes by sequence (the UNIQUE (device_ref, device_seq)
// index), a record's changes in log order (changes_by_record), and removing a record to rebuild.
constexpr std::string_view kDeviceChangesWhere =
    "WHERE c.device_ref = ?1 AND c.device_seq > ?2 ORDER BY c.device_seq LIMIT ?3";
constexpr std::string_view kRecordChangesWhere = "WHERE c.record_ref = ?1 ORDER BY c.server_seq";
constexpr std::string_view kDeleteRecordChanges = "DELETE FROM changes WHERE record_ref = ?1";
constexpr std::string_view kDeleteRecordFields = "DELETE FROM fields WHERE record_ref = ?1";
constexpr std::string_view kDeleteRecord = "DELETE FROM records WHERE record_ref = ?1";
// ?2 = 1 includes tombstoned records. The (collection, record_id) index gives the order.
constexpr std::string_view kSelectRecordIds =
    "SELECT record_id FROM records WHERE collection = ?1 AND (?2 = 1 OR deleted = 0) "
    "ORDER BY record_id";
constexpr std::string_view kSelectScopeRecords =
    "SELECT collection, record_id FROM records WHERE scope_key = ?1 "
    "ORDER BY collection, record_id";

template <std::size_t N>
std::span<const std::uint8_t> bytesOf(const std::array<std::uint8_t, N>& bytes) {
    return {bytes.data(), bytes.size()};
}

template <class Tag>
shared::Id<Tag> idFromColumn(std::span<const std::uint8_t> blob) {
    typename shared::Id<Tag>::Bytes bytes{};
    if (blob.size() != bytes.size()) {
        throw Error(ErrorCode::InternalError, "The store holds a corrupt id.");
    }
    std::memcpy(bytes.data(), blob.data(), bytes.size());
    return shared::Id<Tag>(bytes);
}

Hlc hlcFromColumn(std::span<const std::uint8_t> blob) {
    if (auto hlc = Hlc::fromBinary(blob)) {
        return *hlc;
    }
    throw Error(ErrorCode::InternalError, "The store holds a corrupt timestamp.");
}

/// Reads one row selected with kLoggedColumns.
LoggedChange loggedChangeFromRow(const sqlite::Statement& row) {
    LoggedChange logged;
    logged.serverSeq = static_cast<std::uint64_t>(row.integer(0));
    Change& change = logged.change;
    change.deviceId = idFromColumn<shared::DeviceIdTag>(row.blob(1));
    change.deviceSeq = static_cast<std::uint64_t>(row.integer(2));
    change.collection = std::string(row.text(3));
    change.recordId = idFromColumn<shared::RecordIdTag>(row.blob(4));
    change.field = std::string(row.text(5));
    change.operation = static_cast<Operation>(row.integer(6));
    change.value = codec::decodeValue(row.blob(7));
    change.hlc = hlcFromColumn(row.blob(8));
    if (!row.isNull(9)) {
        change.baseVersion = hlcFromColumn(row.blob(9));
    }
    change.author = std::string(row.text(10));
    logged.outcome = static_cast<ChangeOutcome>(row.integer(11));
    return logged;
}

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

/// A JSON array of the distinct `keys` (for json_each).
std::string jsonArrayOf(const std::vector<std::string>& keys) {
    std::vector<const std::string*> sorted;
    sorted.reserve(keys.size());
    for (const auto& key : keys) {
        sorted.push_back(&key);
    }
    std::sort(sorted.begin(), sorted.end(),
              [](const std::string* a, const std::string* b) { return *a < *b; });
    sorted.erase(std::unique(sorted.begin(), sorted.end(),
                             [](const std::string* a, const std::string* b) { return *a == *b; }),
                 sorted.end());
    static constexpr char kHex[] = "0123456789abcdef";
    std::string json = "[";
    for (const std::string* key : sorted) {
        json += json.size() > 1 ? ",\"" : "\"";
        for (const char c : *key) {
            const auto byte = static_cast<unsigned char>(c);
            if (c == '"' || c == '\\') {
                json += '\\';
                json += c;
            } else if (byte < 0x20) {
                json += "\\u00";
                json += kHex[byte >> 4];
                json += kHex[byte & 0xF];
            } else {
                json += c;
            }
        }
        json += '"';
    }
    json += ']';
    return json;
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

class Store::Impl {
public:
    Impl(const std::string& path, shared::Schema schema, StoreOptions options)
        : _db(path), _schema(std::move(schema)), _options(std::move(options)) {
        sqlite3_busy_timeout(_db.handle(), _options.busyTimeoutMs);
        if (_options.onOpen) {
            _options.onOpen(_db.handle());  // e.g. PRAGMA key: before anything reads the file
        }
        _db.exec("PRAGMA page_size = 8192");  // only takes effect when the file is created
        _db.exec("PRAGMA journal_mode = WAL");
        _db.exec(_options.durable ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL");
        // Reads of hot pages from the OS page cache via mmap instead of pread copies, and a
        // page cache large enough for the materialized records of a busy tenant.
        _db.exec("PRAGMA mmap_size = " + std::to_string(_options.mmapBytes));
        _db.exec("PRAGMA cache_size = -" + std::to_string(_options.cacheKiB));
        _db.exec("PRAGMA wal_autocheckpoint = " + std::to_string(_options.walAutocheckpointPages));
        _schema.finalize();
        const int found = migrateStore(_db, _schema);
        if (found > 0 && found < kCompactStorageVersion && !_options.readOnly) {
            // The rows compact_storage rewrote left free pages: give them back to the disk, best
            // effort (it needs no other connection reading; if one is, the space is reused).
            sqlite3_exec(_db.handle(), "VACUUM", nullptr, nullptr, nullptr);
        }
        if (_options.readOnly) {
            _db.exec("PRAGMA query_only = 1");
        }
    }

    /// Begins a read transaction and pins its snapshot (a deferred BEGIN takes it at the first
    /// read), so the state seen is the one committed when the snapshot began.
    void beginRead() {
        _db.exec("BEGIN");
        try {
            _db.queryInteger("SELECT count(*) FROM sqlite_schema");
        } catch (...) {
            endRead();
            throw;
        }
    }
    /// Ends the read transaction begun by beginRead().
    void endRead() noexcept {
        // A read has nothing to commit; should COMMIT fail, ROLLBACK still ends the transaction.
        if (sqlite3_exec(_db.handle(), "COMMIT", nullptr, nullptr, nullptr) != SQLITE_OK) {
            sqlite3_exec(_db.handle(), "ROLLBACK", nullptr, nullptr, nullptr);
        }
    }

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
    std::uint64_t lastServerSeq() {
        return static_cast<std::uint64_t>(_db.queryInteger("SELECT max(server_seq) FROM changes"));
    }
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
    std::string canonicalDump() { return dump(kDump, nullptr); }
    ScopeDigestRow digestRow(std::string_view key) { return storedScopeDigest(_db, key); }
    std::map<std::string, Digest> recomputedDigests() { return recomputeScopeDigests(_db); }
    std::map<std::string, Digest> storedDigests() { return storedScopeDigests(_db); }
    void rebuildDigests() {
        sqlite::Transaction transaction(_db);
        rebuildScopeDigests(_db);
        transaction.commit();
    }
    int schemaVersion() { return static_cast<int>(_db.queryInteger("PRAGMA user_version")); }
    void holdCheckpoints(bool held) {
        if (held) {
            _db.exec("PRAGMA wal_autocheckpoint = 0");
            return;
        }
        _db.exec("PRAGMA wal_autocheckpoint = " + std::to_string(_options.walAutocheckpointPages));
        _db.exec("PRAGMA wal_checkpoint(TRUNCATE)");
    }
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
    std::optional<std::int64_t> findDeviceRef(const DeviceId& device);
    void keepLastServerSeq(std::uint64_t lastBefore);
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
    std::string dump(std::string_view sql, const std::string* scopeKey);
    FieldEntry& fieldEntry(RecordEntry& record, const FieldSpec& spec);
    void writeDigests(Batch& batch);
    void quarantineChange(const Change& change, ErrorCode code, const std::string& message);
    void setOutcome(std::uint64_t serverSeq, ChangeOutcome outcome);
    void writeBack(Batch& batch);

    sqlite::Database _db;
    shared::Schema _schema;
    StoreOptions _options;
    codec::ByteWriter _scratch;
    Cache _cache;
    StoredStateReader _states{_db};
};

std::int64_t Store::Impl::nameRef(const std::string& name) {
    if (const auto found = _cache.nameRefs.find(name); found != _cache.nameRefs.end()) {
        return found->second;
    }
    std::int64_t ref = 0;
    {
        auto select = _db.cached(kSelectName);
        select->bind(1, name);
        if (select->step()) {
            ref = select->integer(0);
        }
    }
    if (ref == 0) {
        auto insert = _db.cached(kInsertName);
        insert->bind(1, name);
        insert->run();
        ref = _db.lastInsertRowid();
    }
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
    std::int64_t ref = 0;
    {
        auto select = _db.cached(kSelectDevice);
        select->bind(1, bytesOf(device.bytes()));
        if (select->step()) {
            ref = select->integer(0);
        }
    }
    if (ref == 0) {
        auto insert = _db.cached(kInsertDevice);
        insert->bind(1, bytesOf(device.bytes()));
        insert->run();
        ref = _db.lastInsertRowid();
    }
    _cache.deviceRefs.emplace(device, ref);
    return ref;
}

std::optional<std::int64_t> Store::Impl::findRecordRef(std::string_view collection,
                                                       const RecordId& id) {
    auto select = _db.cached(kSelectRecord);
    select->bind(1, collection);
    select->bind(2, bytesOf(id.bytes()));
    if (select->step()) {
        return select->integer(0);
    }
    return std::nullopt;
}

Store::Impl::RecordEntry* Store::Impl::existingRecordEntry(const Change& change) {
    auto key = std::make_pair(change.collection, change.recordId);
    if (const auto found = _cache.records.find(key); found != _cache.records.end()) {
        return &found->second;
    }
    RecordEntry entry;
    {
        auto select = _db.cached(kSelectRecord);
        select->bind(1, change.collection);
        select->bind(2, bytesOf(change.recordId.bytes()));
        if (!select->step()) {
            return nullptr;
        }
        entry.ref = select->integer(0);
        entry.collection = change.collection;
        entry.id = change.recordId;
        entry.state = codec::decodeRecordState(select->blob(2));
        if (!select->isNull(3)) {
            entry.scopeKey = std::string(select->text(3));
        }
        entry.scopeSeq = select->integer(4);
        entry.counted = true;
        entry.countedScope = entry.scopeKey;
        entry.countedTombstone =
            recordRowDigest(change.collection, change.recordId, select->blob(2));
    }
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
    auto insert = _db.cached(kInsertRecord);
    insert->bind(1, change.collection);
    insert->bind(2, bytesOf(change.recordId.bytes()));
    insert->bind(3, _scratch.bytes());
    if (entry.scopeKey) {
        insert->bind(4, *entry.scopeKey);
    }
    insert->run();
    entry.ref = _db.lastInsertRowid();
    entry.inserted = true;
    auto key = std::make_pair(change.collection, change.recordId);
    return _cache.records.emplace(std::move(key), std::move(entry)).first->second;
}

std::optional<ChangeResult> Store::Impl::receivedBefore(const Change& change) {
    if (change.deviceId.isNil() || change.deviceSeq == 0) {
        return std::nullopt;  // not a numbered change: validation refuses it
    }
    auto select = _db.cached(kSelectReceived);
    select->bind(1, bytesOf(change.deviceId.bytes()));
    select->bind(2,
                 static_cast<std::int64_t>(std::min<std::uint64_t>(change.deviceSeq, INT64_MAX)));
    if (!select->step()) {
        return std::nullopt;
    }
    ChangeResult duplicate;
    duplicate.outcome = ChangeOutcome::Duplicate;
    if (!select->isNull(0)) {
        // Refused and quarantined earlier: still refused. The code tells the device so, in case
        // the answer that refused it was lost.
        duplicate.error = static_cast<ErrorCode>(select->integer(0));
        duplicate.message = boundedMessage(
            "Received before and refused; it stays in the quarantine: " +
            std::string(select->text(1)));  // entries of older builds kept longer messages
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
        auto select = _db.cached(kSelectFieldState);
        select->bind(1, record.ref);
        select->bind(2, spec.name);
        if (select->step()) {
            entry.state = _states.state(select->blob(0));
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
    const QuarantinedChange kept = boundedForQuarantine(change);
    const std::string encoded = shared::ChangeCodec::toBinary({kept.change});
    auto insert = _db.cached(kInsertQuarantine);
    insert->bind(1, bytesOf(change.deviceId.bytes()));
    insert->bind(2, static_cast<std::int64_t>(change.deviceSeq));
    insert->bind(3,
                 std::span(reinterpret_cast<const std::uint8_t*>(encoded.data()), encoded.size()));
    insert->bind(4, static_cast<std::int64_t>(code));
    insert->bind(5, boundedMessage(message));
    insert->bind(6, std::int64_t{kept.truncated ? 1 : 0});
    if (kept.truncated && !kept.valueSha256.empty()) {
        insert->bind(7, static_cast<std::int64_t>(kept.valueBytes));
        insert->bind(8, kept.valueSha256);
    }
    insert->run();
}

void Store::Impl::setOutcome(std::uint64_t serverSeq, ChangeOutcome outcome) {
    auto update = _db.cached(kSetOutcome);
    update->bind(1, static_cast<std::int64_t>(serverSeq));
    update->bind(2, static_cast<std::int64_t>(outcome));
    update->run();
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
    sqlite::Transaction transaction(_db);
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
        {
            _scratch.clear();
            codec::writeValue(_scratch, change.value);
            auto insert = _db.cached(kInsertChange);
            insert->bind(1, device);
            insert->bind(2, static_cast<std::int64_t>(change.deviceSeq));
            insert->bind(3, record.ref);
            insert->bind(4, change.field);
            insert->bind(5, static_cast<std::int64_t>(change.operation));
            insert->bind(6, _scratch.bytes());
            insert->bind(7, bytesOf(change.hlc.toBinary()));
            if (change.baseVersion) {
                insert->bind(8, bytesOf(change.baseVersion->toBinary()));
            }
            insert->bind(9, nameRef(change.author));
            insert->bind(10, static_cast<std::int64_t>(ChangeOutcome::Applied));
            insert->run();
        }
        if (_db.changes() == 0) {
            out.outcome = ChangeOutcome::Duplicate;  // (device, sequence) already logged
            continue;
        }
        const auto serverSeq = static_cast<std::uint64_t>(_db.lastInsertRowid());
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
            auto update = _db.cached(kSetOutcomeByDevice);
            update->bind(1, bytesOf(first.key.device.bytes()));
            update->bind(2, static_cast<std::int64_t>(first.key.deviceSeq));
            update->bind(3, static_cast<std::int64_t>(ChangeOutcome::Refused));
            update->run();
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
                       recomputeRecordDigest(_db, record->ref));
            record->countedScope = record->scopeKey;
        }
    }
    delta.writeTo(_db);
    for (FieldEntry* entry : batch.dirtyFields) {
        FieldEntry& field = *entry;
        const FieldSpec& spec = *field.spec;
        auto upsert = _db.cached(field.stored ? kUpdateField : kInsertField);
        upsert->bind(1, field.record->ref);
        upsert->bind(2, spec.name);
        encodeCanonical(field.state);
        const Digest written =
            fieldRowDigest(field.record->collection, field.record->id, spec.name, _scratch.bytes());
        field.record->fieldDelta += written;
        field.record->fieldDelta -= field.storedDigest;
        field.storedDigest = written;
        encodeStored(field.state);
        upsert->bind(3, _scratch.bytes());
        upsert->bind(4, std::int64_t{hasConflict(spec, field.state) ? 1 : 0});
        upsert->run();
        field.stored = true;
        field.dirty = false;
    }
    for (RecordEntry* entry : batch.dirtyRecords) {
        RecordEntry& record = *entry;
        record.dirty = false;
        _scratch.clear();
        codec::writeRecordState(_scratch, record.state);
        auto update = _db.cached(kUpdateRecord);
        update->bind(1, record.ref);
        update->bind(2, std::int64_t{record.state.deleted() ? 1 : 0});
        update->bind(3, _scratch.bytes());
        if (record.scopeKey) {
            update->bind(4, *record.scopeKey);
        }
        update->bind(5, record.scopeSeq);
        update->run();
    }
    for (const auto& [device, mark] : batch.highWater) {
        auto update = _db.cached(kRaiseHighWater);
        update->bind(1, device);
        update->bind(2, static_cast<std::int64_t>(mark));
        update->run();
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
    delta.writeTo(_db);
}

std::optional<Record> Store::Impl::record(std::string_view collection, const RecordId& id) {
    Record record;
    std::int64_t ref = 0;
    {
        auto select = _db.cached(kSelectRecord);
        select->bind(1, collection);
        select->bind(2, bytesOf(id.bytes()));
        if (!select->step()) {
            return std::nullopt;
        }
        ref = select->integer(0);
        record.deleted = select->integer(1) != 0;
    }
    record.collection = std::string(collection);
    record.id = id;
    const auto* spec = _schema.collection(collection);
    auto select = _db.cached(kSelectRecordFields);
    select->bind(1, ref);
    while (select->step()) {
        std::string name(select->text(0));
        FieldValue value;
        const FieldState state = _states.state(select->blob(1));
        value.inConflict = select->integer(2) != 0;
        value.version = state.version;
        value.elements = visibleElements(state);
        if (const FieldSpec* field = spec ? spec->field(name) : nullptr) {
            value.value = visibleValue(*field, state);
            value.writtenBy = visibleWrite(*field, state);
        } else {
            value.value = shownValue(state);
        }
        record.fields.emplace(std::move(name), std::move(value));
    }
    return record;
}

std::optional<Hlc> Store::Impl::fieldVersion(std::string_view collection, const RecordId& id,
                                             std::string_view field) {
    auto select = _db.cached(kSelectFieldVersion);
    select->bind(1, collection);
    select->bind(2, bytesOf(id.bytes()));
    select->bind(3, field);
    if (select->step()) {
        return _states.state(select->blob(0)).version;
    }
    return std::nullopt;
}

std::vector<Conflict> Store::Impl::openConflicts() {
    std::vector<Conflict> conflicts;
    auto select = _db.cached(kConflicts);
    while (select->step()) {
        const std::string collection(select->text(0));
        const auto id = idFromColumn<shared::RecordIdTag>(select->blob(1));
        const std::string name(select->text(2));
        const FieldState state = _states.state(select->blob(3));
        const FieldSpec* spec =
            _schema.collection(collection) ? _schema.collection(collection)->field(name) : nullptr;
        FieldSpec fallback = reviewedFallback();
        fallback.name = name;
        if (auto conflict = conflictOf(spec ? *spec : fallback, state, collection, id)) {
            conflicts.push_back(std::move(*conflict));
        }
    }
    return conflicts;
}

std::vector<LoggedChange> Store::Impl::fieldHistory(std::string_view collection, const RecordId& id,
                                                    std::string_view field) {
    std::vector<LoggedChange> history;
    const auto ref = findRecordRef(collection, id);
    if (!ref) {
        return history;
    }
    static const std::string kSql = std::string(kLoggedColumns) +
                                    "WHERE c.record_ref = ?1 AND c.field = ?2 "
                                    "ORDER BY c.hlc, d.device_id, c.device_seq";
    auto select = _db.cached(kSql);
    select->bind(1, *ref);
    select->bind(2, field);
    while (select->step()) {
        history.push_back(loggedChangeFromRow(*select));
    }
    return history;
}

std::vector<LoggedChange> Store::Impl::changesSince(std::uint64_t after, std::size_t limit) {
    std::vector<LoggedChange> changes;
    static const std::string kSql =
        std::string(kLoggedColumns) + "WHERE c.server_seq > ?1 ORDER BY c.server_seq LIMIT ?2";
    auto select = _db.cached(kSql);
    select->bind(1, static_cast<std::int64_t>(after));
    select->bind(2, static_cast<std::int64_t>(std::min<std::size_t>(limit, INT64_MAX)));
    while (select->step()) {
        changes.push_back(loggedChangeFromRow(*select));
    }
    return changes;
}

std::vector<LoggedChange> Store::Impl::changesSince(std::uint64_t after, std::size_t limit,
                                                    const std::vector<std::string>& scopeKeys) {
    std::vector<LoggedChange> changes;
    if (scopeKeys.empty() || limit == 0) {
        return changes;
    }
    std::uint64_t lastSeq = 0;
    std::int64_t lastRecord = 0;
    {
        static const std::string kSql = std::string(kScopedColumns) + std::string(kScopedAfter) +
                                        std::string(kScopedColumns) + std::string(kScopedJoined);
        auto select = _db.cached(kSql);
        select->bind(1, jsonArrayOf(scopeKeys));
        select->bind(2, static_cast<std::int64_t>(std::min<std::uint64_t>(after, INT64_MAX)));
        select->bind(3, static_cast<std::int64_t>(std::min<std::size_t>(limit, INT64_MAX)));
        while (select->step()) {
            changes.push_back(loggedChangeFromRow(*select));
            lastSeq = changes.back().serverSeq;
            changes.back().serverSeq = static_cast<std::uint64_t>(select->integer(12));
            lastRecord = select->integer(13);
        }
    }
    if (changes.size() < limit || lastSeq >= changes.back().serverSeq) {
        return changes;
    }
    // The page ended inside a late joiner's group (its changes before the join share the join's
    // position): complete the group, or the next page (after that position) would skip the rest.
    const std::uint64_t position = changes.back().serverSeq;
    static const std::string kRest =
        std::string(kLoggedColumns) +
        "WHERE c.record_ref = ?1 AND c.server_seq > ?2 AND c.server_seq <= ?3 "
        "ORDER BY c.server_seq";
    auto select = _db.cached(kRest);
    select->bind(1, lastRecord);
    select->bind(2, static_cast<std::int64_t>(lastSeq));
    select->bind(3, static_cast<std::int64_t>(position));
    while (select->step()) {
        changes.push_back(loggedChangeFromRow(*select));
        changes.back().serverSeq = position;
    }
    return changes;
}

std::optional<std::string> Store::Impl::scopeOf(std::string_view collection, const RecordId& id) {
    auto select = _db.cached(kSelectScope);
    select->bind(1, collection);
    select->bind(2, bytesOf(id.bytes()));
    if (select->step() && !select->isNull(0)) {
        return std::string(select->text(0));
    }
    return std::nullopt;
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
    auto select = _db.cached(kFindRecords);
    select->bind(1, collection);
    select->bind(2, field);
    while (select->step()) {
        bool matches = false;
        const FieldState state = _states.state(select->blob(1));
        if (isSet) {
            const auto elements = visibleElements(state);
            matches = std::binary_search(elements.begin(), elements.end(), value.as<std::string>());
        } else {
            matches = (fieldSpec != nullptr ? visibleValue(*fieldSpec, state)
                                            : shownValue(state)) == value;
        }
        if (matches) {
            found.push_back(idFromColumn<shared::RecordIdTag>(select->blob(0)));
        }
    }
    return found;
}

std::size_t Store::Impl::purgeScope(const std::string& scopeKey) {
    sqlite::Transaction transaction(_db);
    _cache = Cache{};
    const std::uint64_t lastBefore = lastServerSeq();
    forgetScopeDigest(_db, scopeKey);
    for (const auto sql : {kPurgeChanges, kPurgeFields}) {
        auto purge = _db.cached(sql);
        purge->bind(1, scopeKey);
        purge->run();
    }
    std::size_t removed = 0;
    {
        auto purge = _db.cached(kPurgeRecords);
        purge->bind(1, scopeKey);
        purge->run();
        removed = static_cast<std::size_t>(_db.changes());
    }
    keepLastServerSeq(lastBefore);
    transaction.commit();
    return removed;
}

/// If rows were deleted from the top of the log, logs a placeholder at `lastBefore` (and drops
/// older ones), so the next change gets a higher server sequence than any before.
void Store::Impl::keepLastServerSeq(std::uint64_t lastBefore) {
    if (lastServerSeq() >= lastBefore) {
        return;
    }
    auto insert = _db.cached(kInsertPlaceholder);
    insert->bind(1, static_cast<std::int64_t>(lastBefore));
    insert->run();
    auto drop = _db.cached(kDeleteOldPlaceholders);
    drop->bind(1, static_cast<std::int64_t>(lastBefore));
    drop->run();
}

std::optional<std::int64_t> Store::Impl::findDeviceRef(const DeviceId& device) {
    auto select = _db.cached(kSelectDevice);
    select->bind(1, bytesOf(device.bytes()));
    if (select->step()) {
        return select->integer(0);
    }
    return std::nullopt;
}

std::vector<LoggedChange> Store::Impl::deviceChanges(const DeviceId& device, std::uint64_t afterSeq,
                                                     std::size_t limit) {
    std::vector<LoggedChange> changes;
    const auto ref = findDeviceRef(device);
    if (!ref || limit == 0) {
        return changes;
    }
    static const std::string kSql = std::string(kLoggedColumns) + std::string(kDeviceChangesWhere);
    auto select = _db.cached(kSql);
    select->bind(1, *ref);
    select->bind(2, static_cast<std::int64_t>(std::min<std::uint64_t>(afterSeq, INT64_MAX)));
    select->bind(3, static_cast<std::int64_t>(std::min<std::size_t>(limit, INT64_MAX)));
    while (select->step()) {
        changes.push_back(loggedChangeFromRow(*select));
    }
    return changes;
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
    sqlite::Transaction transaction(_db);
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
    static const std::string kSql = std::string(kLoggedColumns) + std::string(kRecordChangesWhere);
    for (const auto& [collection, id] : touched) {
        const auto ref = findRecordRef(collection, id);
        if (!ref) {
            continue;  // a replacement moves a change to a record not on this replica yet
        }
        refs.push_back(*ref);
        auto select = _db.cached(kSql);
        select->bind(1, *ref);
        while (select->step()) {
            logged.push_back(loggedChangeFromRow(*select));
        }
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
    const std::uint64_t lastBefore = lastServerSeq();
    {
        DigestDelta removed;
        for (const std::int64_t ref : refs) {
            subtractRecord(_db, ref, removed);
        }
        removed.writeTo(_db);
    }
    for (const std::int64_t ref : refs) {
        for (const auto sql : {kDeleteRecordChanges, kDeleteRecordFields, kDeleteRecord}) {
            auto remove = _db.cached(sql);
            remove->bind(1, ref);
            remove->run();
        }
    }
    keepLastServerSeq(lastBefore);
    _cache = Cache{};
    Batch state;
    applyBatch(rebuilt, ChangeGate{}, Arrival::Rebuilt, state);
    writeBack(state);
    {
        // Once the rebuilt changes are logged above it, the placeholder is no longer needed.
        auto drop = _db.cached(kDeleteOldPlaceholders);
        drop->bind(1, static_cast<std::int64_t>(lastServerSeq()));
        drop->run();
    }
    transaction.commit();

    if (_options.clock != nullptr && state.maxApplied) {
        _options.clock->tryReceive(*state.maxApplied);
    }
    return edits.size();
}

std::vector<RecordId> Store::Impl::recordIds(std::string_view collection, bool includeDeleted) {
    std::vector<RecordId> ids;
    auto select = _db.cached(kSelectRecordIds);
    select->bind(1, collection);
    select->bind(2, std::int64_t{includeDeleted ? 1 : 0});
    while (select->step()) {
        ids.push_back(idFromColumn<shared::RecordIdTag>(select->blob(0)));
    }
    return ids;
}

std::vector<RecordRef> Store::Impl::recordsInScope(const std::string& scopeKey) {
    std::vector<RecordRef> records;
    auto select = _db.cached(kSelectScopeRecords);
    select->bind(1, scopeKey);
    while (select->step()) {
        records.push_back(RecordRef{std::string(select->text(0)),
                                    idFromColumn<shared::RecordIdTag>(select->blob(1))});
    }
    return records;
}

std::uint64_t Store::Impl::highWaterMark(const DeviceId& device) {
    auto select = _db.cached(kSelectHighWater);
    select->bind(1, bytesOf(device.bytes()));
    return select->step() ? static_cast<std::uint64_t>(select->integer(0)) : 0;
}

namespace {

/// The quarantine entry in the current row of a kSelectQuarantine-shaped statement.
QuarantinedChange quarantineRow(sqlite::Statement& select) {
    const auto blob = select.blob(0);
    auto changes = shared::ChangeCodec::fromBinary(
        std::string_view(reinterpret_cast<const char*>(blob.data()), blob.size()));
    if (changes.size() != 1) {
        throw Error(ErrorCode::InternalError, "The store holds a corrupt quarantine entry.");
    }
    QuarantinedChange entry;
    entry.change = std::move(changes.front());
    entry.code = static_cast<ErrorCode>(select.integer(1));
    entry.message = std::string(select.text(2));
    if (!select.isNull(3)) {
        entry.decision = select.text(3) == "accepted" ? QuarantineDecision::Accepted
                                                      : QuarantineDecision::Discarded;
        entry.decidedBy = std::string(select.text(4));
        entry.decidedAtMs = select.integer(5);
    }
    entry.truncated = select.integer(6) != 0;
    if (!select.isNull(7)) {
        entry.valueBytes = static_cast<std::uint64_t>(select.integer(7));
        entry.valueSha256 = std::string(select.text(8));
    }
    return entry;
}

}  // namespace

std::vector<QuarantinedChange> Store::Impl::quarantine() {
    std::vector<QuarantinedChange> result;
    auto select = _db.cached(kSelectQuarantine);
    while (select->step()) {
        result.push_back(quarantineRow(*select));
    }
    return result;
}

std::optional<QuarantinedChange> Store::Impl::quarantined(const DeviceId& device,
                                                          std::uint64_t deviceSeq) {
    auto select = _db.cached(kSelectQuarantined);
    select->bind(1, bytesOf(device.bytes()));
    select->bind(2, static_cast<std::int64_t>(deviceSeq));
    if (!select->step()) {
        return std::nullopt;
    }
    return quarantineRow(*select);
}

std::vector<QuarantinedChange> Store::Impl::quarantinePage(const QuarantinePosition& after,
                                                           std::size_t limit,
                                                           const std::optional<DeviceId>& device) {
    std::vector<QuarantinedChange> page;
    if (limit == 0) {
        return page;
    }
    auto select = _db.cached(device ? kSelectDeviceQuarantinePage : kSelectQuarantinePage);
    select->bind(1, bytesOf(device ? device->bytes() : after.device.bytes()));
    select->bind(2, static_cast<std::int64_t>(std::min<std::uint64_t>(after.deviceSeq, INT64_MAX)));
    select->bind(3, static_cast<std::int64_t>(std::min<std::size_t>(limit, INT64_MAX)));
    while (select->step()) {
        page.push_back(quarantineRow(*select));
    }
    return page;
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
        auto logged = _db.cached(kSelectLoggedOutcome);
        logged->bind(1, bytesOf(device.bytes()));
        logged->bind(2, static_cast<std::int64_t>(deviceSeq));
        if (logged->step()) {
            const auto outcome = static_cast<ChangeOutcome>(logged->integer(0));
            if (outcome == ChangeOutcome::Applied || outcome == ChangeOutcome::ConflictRaised) {
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
    auto update = _db.cached(kDecideQuarantined);
    update->bind(1, bytesOf(device.bytes()));
    update->bind(2, static_cast<std::int64_t>(deviceSeq));
    update->bind(3, std::string(wireName(decision)));
    update->bind(4, decidedBy);
    update->bind(5, decidedAtMs);
    update->run();
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

std::string Store::Impl::dump(std::string_view sql, const std::string* scopeKey) {
    std::string dump;
    auto select = _db.cached(sql);
    if (scopeKey != nullptr) {
        select->bind(1, *scopeKey);
    }
    std::string previousCollection;
    std::vector<std::uint8_t> previousId;
    while (select->step()) {
        // Appended piece by piece: a checksum of every synced scope runs this on each pull.
        const auto collection = select->text(0);
        const auto idBytes = select->blob(1);
        if (collection != previousCollection ||
            !std::equal(idBytes.begin(), idBytes.end(), previousId.begin(), previousId.end())) {
            previousCollection.assign(collection);
            previousId.assign(idBytes.begin(), idBytes.end());
            dump += "record ";
            dump += collection;
            dump += ' ';
            dump += idFromColumn<shared::RecordIdTag>(idBytes).toString();
            if (select->integer(2) != 0) {
                dump += " deleted";
            }
            dump += " tombstone=";
            dump += codec::toHex(select->blob(3));
            dump += '\n';
        }
        if (select->isNull(4)) {
            continue;  // a record with no field written (only deleted/restored)
        }
        const std::string_view name = select->text(4);
        const FieldState state = _states.state(select->blob(6));
        const auto* spec = _schema.collection(collection);
        const FieldSpec* field = spec != nullptr ? spec->field(name) : nullptr;
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
        dump += name;
        dump += " = ";
        dump += shown;
        dump += " version=";
        dump += state.version ? state.version->toString() : "-";
        if (select->integer(5) != 0) {
            dump += " CONFLICT";
        }
        encodeCanonical(state);
        dump += " state=";
        dump += codec::toHex(_scratch.bytes());
        dump += '\n';
    }
    return dump;
}

// ---- Reads that follow what they return (device lists) -------------------------------------

std::map<std::string, std::size_t> Store::Impl::recordsPerScope(std::string_view collection) {
    // The scope index in its order, so the groups need no sort; each entry's row is read for
    // its collection and tombstone only (unforced, the planner prefers the collection range,
    // then sorts: several times slower on a device of 100,000 answers).
    static constexpr std::string_view kSql =
        "SELECT scope_key, count(*) FROM records INDEXED BY records_by_scope "
        "WHERE scope_key IS NOT NULL AND collection = ?1 AND deleted = 0 GROUP BY scope_key";
    std::map<std::string, std::size_t> counts;
    auto select = _db.cached(kSql);
    select->bind(1, collection);
    while (select->step()) {
        counts.emplace_hint(counts.end(), std::string(select->text(0)),
                            static_cast<std::size_t>(select->integer(1)));
    }
    return counts;
}

std::vector<LoggedChange> Store::Impl::recordChanges(std::string_view collection,
                                                     const RecordId& id) {
    std::vector<LoggedChange> changes;
    const auto ref = findRecordRef(collection, id);
    if (!ref) {
        return changes;
    }
    static const std::string kSql = std::string(kLoggedColumns) + std::string(kRecordChangesWhere);
    auto select = _db.cached(kSql);
    select->bind(1, *ref);
    while (select->step()) {
        changes.push_back(loggedChangeFromRow(*select));
    }
    return changes;
}

// ---- Store ----------------------------------------------------------------------------------

Store::Store(const std::string& path, shared::Schema schema, StoreOptions options)
    : _impl(std::make_unique<Impl>(path, std::move(schema), std::move(options))) {}

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
