#pragma once

#include "verdant/client/Client.hpp"
#include "verdant/shared/Change.hpp"
#include "verdant/sync/Sqlite.hpp"

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace verdant::client {

/// The device's own bookkeeping, in `client_*` tables of the user's local database beside the
/// replica's tables (its own connection): identity and tokens, how far the outbox was sent and
/// acknowledged, pull cursors, the server's clock offset, and the changes the server refused.
///
/// The outbox itself is not here: it is the replica's change log (this device's changes above
/// the acknowledged sequence), written in the same transaction as the local write.
///
/// Not thread-safe: the Client serialises access.
class LocalState {
public:
    /// Opens the tables at `path` (creating them if needed), calling `onOpen` first.
    LocalState(const std::string& path, const std::function<void(sqlite3*)>& onOpen);

    /// A setting, or nullopt if never set.
    std::optional<std::string> get(const std::string& key);
    /// A numeric setting, or `fallback`.
    std::int64_t getInteger(const std::string& key, std::int64_t fallback);
    /// Sets one setting.
    void set(const std::string& key, const std::string& value);
    /// Sets several settings in one transaction.
    void set(const std::map<std::string, std::string>& values);
    /// Removes a setting.
    void erase(const std::string& key);

    /// Makes every commit so far durable against power loss (a WAL checkpoint, which syncs the
    /// log first): commits are NORMAL, durable against crashes only, until this runs.
    void flushToDisk();
    /// Forgets every pull cursor: the scopes arrive again whole (the server lost its log).
    void clearCursors();

    /// Pull cursors by scope.
    std::map<std::string, std::uint64_t> cursors();
    /// Sets a scope's cursor.
    void setCursor(const std::string& scope, std::uint64_t cursor);
    /// Sets the cursors that moved in one pull round and some settings, in one transaction.
    void saveRound(const std::map<std::string, std::uint64_t>& cursors,
                   const std::map<std::string, std::string>& settings);
    /// Forgets a scope (purged).
    void eraseCursor(const std::string& scope);

    /// Keeps a refused change (idempotent per device sequence).
    void addQuarantined(const QuarantineEntry& entry);
    /// Every refused change, oldest first.
    std::vector<QuarantineEntry> quarantined();
    /// How many quarantined changes wait for HQ's decision.
    std::size_t quarantinedCount();
    /// Records HQ's decision ("accepted", "discarded") on this device's refused change
    /// `deviceSeq`; false when there is no such undecided entry.
    bool decideQuarantined(std::uint64_t deviceSeq, const std::string& decision);
    /// Whether a change to this record is quarantined and waits for HQ.
    bool isQuarantined(std::string_view collection, const shared::RecordId& id);
    /// The records of `collection` with a change quarantined that waits for HQ (one range of
    /// the quarantine's by-record index).
    std::vector<shared::RecordId> quarantinedRecords(std::string_view collection);

private:
    sync::sqlite::Database _db;
};

}  // namespace verdant::client
