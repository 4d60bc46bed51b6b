#pragma once

// The SQLite backend of a replica (the embedded default: a device's store, a server tenant's
// file). All of the sync engine's SQL lives under sync/src/sqlite/: this class's files and the
// migrations that define the layout (StoreMigrations.hpp).

#include "verdant/shared/Schema.hpp"
#include "verdant/sync/Sqlite.hpp"
#include "verdant/sync/StoreBackend.hpp"

#include <string>

namespace verdant::sync {

/// StoreBackend over one SQLite database file (WAL; see StoreOptions for its knobs).
class SqliteBackend final : public StoreBackend {
public:
    /// Opens (creating if needed) the database at `path` and brings its layout up to date;
    /// `schema` (finalized) is what migrations that fill data read. Throws as Store's
    /// constructor documents.
    SqliteBackend(const std::string& path, const shared::Schema& schema,
                  const StoreOptions& options);

    void beginWrite() override;
    void commit() override;
    void rollback() noexcept override;
    void beginRead() override;
    void endRead() noexcept override;
    void holdCheckpoints(bool held) override;
    int schemaVersion() override;

    std::optional<std::int64_t> findDevice(const shared::DeviceId& device) override;
    std::int64_t addDevice(const shared::DeviceId& device) override;
    void raiseHighWater(std::int64_t deviceRef, std::uint64_t mark) override;
    std::uint64_t highWater(const shared::DeviceId& device) override;
    std::optional<std::int64_t> findName(std::string_view name) override;
    std::int64_t addName(std::string_view name) override;

    std::optional<RecordRow> findRecord(std::string_view collection,
                                        const shared::RecordId& id) override;
    std::int64_t addRecord(std::string_view collection, const shared::RecordId& id,
                           std::span<const std::uint8_t> tombstone,
                           const std::optional<std::string>& scopeKey) override;
    void updateRecord(const RecordRow& row) override;
    std::vector<shared::RecordId> recordIds(std::string_view collection,
                                            bool includeDeleted) override;
    std::vector<RecordRef> recordsInScope(const std::string& scopeKey) override;
    std::map<std::string, std::size_t> recordsPerScope(std::string_view collection) override;

    std::optional<std::vector<std::uint8_t>> fieldState(std::int64_t recordRef,
                                                        std::string_view field) override;
    void putField(std::int64_t recordRef, const FieldRow& row, bool exists) override;
    void forEachField(std::int64_t recordRef,
                      const std::function<void(const FieldRow&)>& visit) override;
    void forEachFieldOf(
        std::string_view collection, std::string_view field,
        const std::function<void(const shared::RecordId&, const FieldRow&)>& visit) override;
    void forEachConflict(const std::function<void(const StateRow&)>& visit) override;
    void forEachStateRow(const std::function<void(const StateRow&)>& visit) override;
    void forEachStateRowOf(std::int64_t recordRef,
                           const std::function<void(const StateRow&)>& visit) override;

    std::optional<std::uint64_t> appendChange(const ChangeRow& row) override;
    void setOutcome(std::uint64_t serverSeq, ChangeOutcome outcome) override;
    void setOutcomeOf(const shared::DeviceId& device, std::uint64_t deviceSeq,
                      ChangeOutcome outcome) override;
    std::optional<ReceivedBefore> receivedBefore(const shared::DeviceId& device,
                                                 std::uint64_t deviceSeq) override;
    std::optional<ChangeOutcome> loggedOutcome(const shared::DeviceId& device,
                                               std::uint64_t deviceSeq) override;
    std::optional<Write> loggedWrite(std::int64_t deviceRef, std::uint64_t deviceSeq) override;
    std::uint64_t lastServerSeq() override;
    std::vector<LoggedChange> changesSince(std::uint64_t after, std::size_t limit) override;
    std::vector<LoggedChange> scopedChanges(std::uint64_t after, std::size_t limit,
                                            const std::vector<std::string>& scopeKeys) override;
    std::vector<LoggedChange> fieldHistory(std::int64_t recordRef, std::string_view field) override;
    std::vector<LoggedChange> recordChanges(std::int64_t recordRef) override;
    std::vector<LoggedChange> deviceChanges(std::int64_t deviceRef, std::uint64_t afterSeq,
                                            std::size_t limit) override;

    std::size_t purgeScope(const std::string& scopeKey) override;
    void removeRecords(std::span<const std::int64_t> recordRefs) override;

    void addQuarantined(const QuarantinedChange& entry) override;
    std::vector<QuarantinedChange> quarantine() override;
    std::optional<QuarantinedChange> quarantined(const shared::DeviceId& device,
                                                 std::uint64_t deviceSeq) override;
    std::vector<QuarantinedChange> quarantinePage(
        const QuarantinePosition& after, std::size_t limit,
        const std::optional<shared::DeviceId>& device) override;
    void decideQuarantined(const shared::DeviceId& device, std::uint64_t deviceSeq,
                           QuarantineDecision decision, const std::string& decidedBy,
                           std::int64_t decidedAtMs) override;

    ScopeSumRow scopeSum(std::string_view scopeKey) override;
    void putScopeSum(std::string_view scopeKey, std::span<const std::uint8_t> sum,
                     std::uint64_t lastSeq) override;
    void removeScopeSum(std::string_view scopeKey) override;
    std::map<std::string, std::vector<std::uint8_t>> scopeSums() override;
    void clearScopeSums() override;
    std::map<std::string, std::uint64_t> feedEnds() override;

    /// The connection (for the migrations, which run inside the constructor).
    sqlite::Database& database() noexcept { return _db; }

private:
    void keepLastServerSeq(std::uint64_t lastBefore);
    void forEachRowOf(std::string_view sql, std::optional<std::int64_t> recordRef,
                      const std::function<void(const StateRow&)>& visit);

    sqlite::Database _db;
    StoreOptions _options;
};

}  // namespace verdant::sync
