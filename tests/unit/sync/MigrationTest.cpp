#include "OlderLayouts.hpp"
#include "SyncFixtures.hpp"

#include "verdant/shared/ChangeCodec.hpp"
#include "verdant/shared/ErrorCode.hpp"
#include "verdant/sync/Store.hpp"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <filesystem>

namespace verdant::sync {
namespace {

using shared::Value;

class TempDatabase {
public:
    explicit TempDatabase(const std::string& name)
        : _path(std::filesystem::temp_directory_path() /
                (name + "-" + std::to_string(::getpid()) + ".db")) {
        removeFiles();
    }
    ~TempDatabase() { removeFiles(); }
    std::string path() const { return _path.string(); }

    /// Runs raw SQL on the file, outside the Store (to build old layouts).
    void exec(const std::string& sql) const {
        sqlite3* db = nullptr;
        ASSERT_EQ(sqlite3_open(path().c_str(), &db), SQLITE_OK);
        char* error = nullptr;
        const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error);
        const std::string message = error ? error : "";
        sqlite3_free(error);
        sqlite3_close(db);
        ASSERT_EQ(rc, SQLITE_OK) << message;
    }

private:
    void removeFiles() const {
        std::filesystem::remove(_path);
        std::filesystem::remove(_path.string() + "-wal");
        std::filesystem::remove(_path.string() + "-shm");
    }
    std::filesystem::path _path;
};

/// Takes back step 6 (bounded quarantined payloads).
constexpr const char* kDropQuarantineBounds =
    "ALTER TABLE quarantine DROP COLUMN value_sha256; "
    "ALTER TABLE quarantine DROP COLUMN value_bytes; "
    "ALTER TABLE quarantine DROP COLUMN truncated; ";
// Takes back step 7 (the kept scope checksums).
constexpr const char* kDropScopeDigests = "DROP TABLE scope_digests; ";

TEST(StoreMigration, StepsAreNamedAndEndAtTheLatestVersion) {
    const auto names = Store::migrationNames();
    ASSERT_EQ(static_cast<int>(names.size()), Store::latestSchemaVersion());
    EXPECT_EQ(names.front(), "create_change_log_and_materialized_records");
    EXPECT_EQ(names.back(), "compact_storage");
}

// Every older version is reproduced by taking back what the later steps add (step 8 rewrites
// the field rows and the log's authors; each earlier step only adds objects), then reopened with
// the current Store: its data must be intact and the steps it lacked must work (history index,
// quarantine).
TEST(StoreMigration, OpeningAnOlderVersionDatabaseMigratesItAndKeepsItsData) {
    const std::string dropScopes =
        "DROP INDEX records_by_scope; ALTER TABLE records DROP COLUMN scope_seq; "
        "ALTER TABLE records DROP COLUMN scope_key; ";
    const std::string dropDecisions =
        "ALTER TABLE quarantine DROP COLUMN decided_at; "
        "ALTER TABLE quarantine DROP COLUMN decided_by; "
        "ALTER TABLE quarantine DROP COLUMN decision; ";
    const std::string dropBounds = std::string(kDropScopeDigests) + kDropQuarantineBounds;
    const std::vector<std::pair<int, std::string>> rollbacks = {
        {1, kDropScopeDigests + dropScopes +
                "DROP TABLE quarantine; DROP INDEX changes_by_record; PRAGMA user_version = 1;"},
        {2, kDropScopeDigests + dropScopes + "DROP TABLE quarantine; PRAGMA user_version = 2;"},
        {3, dropBounds + dropDecisions + dropScopes + "PRAGMA user_version = 3;"},
        {4, dropBounds + dropDecisions + "PRAGMA user_version = 4;"},
        {5, dropBounds + "PRAGMA user_version = 5;"},
        {6, std::string(kDropScopeDigests) + "PRAGMA user_version = 6;"},
        {7, "PRAGMA user_version = 7;"},
    };
    for (const auto& [version, rollback] : rollbacks) {
        TempDatabase file("verdant-migration-v" + std::to_string(version));
        testing::TestDevice device(1);
        const auto record = device.newRecordId();
        const auto first = device.set("answers", record, "note", Value::string("written by v1"));
        std::string dump;
        std::string checksum;
        {
            Store store(file.path(), testing::testSchema());
            store.apply(std::vector{first});
            dump = store.canonicalDump();
            checksum = store.checksum();
        }
        testing::takeBackCompactStorage(file.path(), testing::testSchema());
        file.exec(rollback);
        {
            Store store(file.path(), testing::testSchema());
            EXPECT_EQ(store.schemaVersion(), Store::latestSchemaVersion());
            EXPECT_EQ(store.canonicalDump(), dump);
            EXPECT_EQ(store.checksum(), checksum);
            EXPECT_EQ(store.highWaterMark(device.id()), 1U);
            EXPECT_EQ(store.fieldHistory("answers", record, "note").size(), 1U);
            const auto invalid = device.set("answers", record, "nope", Value::string("x"));
            store.apply(std::vector{invalid});
            EXPECT_EQ(store.quarantine().size(), 1U);
            EXPECT_EQ(store.scopeOf("answers", record), "answers/" + record.toString());
        }
    }
}

// Step 8 stores a field's merge state by reference to its log rows and the log's authors by
// number: a version-7 store of 1,000 answers opens with the same data in under half the space.
TEST(StoreMigration, AVersionSevenStoreKeepsItsDataInLessThanHalfTheSpace) {
    TempDatabase file("verdant-migration-compact");
    testing::TestDevice device(1, "3f2c8a4e-5b6d-4e7f-8a9b-0c1d2e3f4a5b");
    std::vector<shared::Change> changes;
    for (int i = 0; i < 1000; ++i) {  // an answer as a tablet writes it: seven fields
        const auto record = device.newRecordId();
        changes.push_back(device.set("answers", record, "answer", Value::string("yes")));
        changes.push_back(device.set("answers", record, "note", Value::string("see photo 3")));
        changes.push_back(device.set("answers", record, "score", Value::integer(i % 5)));
        changes.push_back(device.set("answers", record, "weight", Value::real(1.5)));
        changes.push_back(device.set("answers", record, "applicable", Value::boolean(true)));
        changes.push_back(device.set("answers", record, "supplier", Value::id(record)));
        changes.push_back(device.set("answers", record, "severity", Value::string("minor")));
    }
    std::string dump;
    {
        Store store(file.path(), testing::testSchema());
        store.apply(changes);
        dump = store.canonicalDump();
    }
    testing::takeBackCompactStorage(file.path(), testing::testSchema());
    file.exec("VACUUM");
    const auto before = std::filesystem::file_size(file.path());
    {
        Store store(file.path(), testing::testSchema());
        EXPECT_EQ(store.canonicalDump(), dump);
    }
    const auto after = std::filesystem::file_size(file.path());
    EXPECT_LT(after * 2, before) << before << " bytes before, " << after << " after";
}

// A version-3 database (before scopes) gains the scope columns, and the step fills them from the
// schema's scope rules: Own records get their own key, Parent records their parent's, records
// whose parent field never arrived stay unscoped until it does.
TEST(StoreMigration, AVersionThreeDatabaseGainsTheScopeOfEveryRecord) {
    using shared::CollectionSpec;
    using shared::FieldSpec;
    using shared::FieldType;
    using shared::MergeKind;
    const auto schema = [] {
        return shared::Schema({
            CollectionSpec(
                "audits",
                {FieldSpec{"title", FieldType::String, MergeKind::LastWriterWins, {}, 64}}),
            CollectionSpec(
                "answers",
                {FieldSpec{"audit_id", FieldType::IdRef, MergeKind::Immutable, {}, 16},
                 FieldSpec{"note", FieldType::String, MergeKind::LastWriterWins, {}, 64}},
                shared::ScopeRule::parent("audit_id", "audits")),
        });
    };
    TempDatabase file("verdant-migration-scopes");
    testing::TestDevice device(1);
    const auto audit = device.newRecordId();
    const auto answer = device.newRecordId();
    const auto orphan = device.newRecordId();
    const std::vector changes = {
        device.set("audits", audit, "title", Value::string("Factory A")),
        device.set("answers", answer, "note", Value::string("before its audit")),
        device.set("answers", answer, "audit_id", Value::id(audit)),
        device.set("answers", orphan, "note", Value::string("no audit yet")),
    };
    std::string dump;
    {
        Store store(file.path(), schema());
        store.apply(changes);
        dump = store.canonicalDump();
    }
    testing::takeBackCompactStorage(file.path(), schema());
    file.exec(std::string(kDropScopeDigests) + kDropQuarantineBounds +
              "ALTER TABLE quarantine DROP COLUMN decided_at; "
              "ALTER TABLE quarantine DROP COLUMN decided_by; ALTER TABLE quarantine DROP COLUMN "
              "decision; "
              "DROP INDEX records_by_scope; ALTER TABLE records DROP COLUMN scope_seq; "
              "ALTER TABLE records DROP COLUMN scope_key; PRAGMA user_version = 3;");
    Store store(file.path(), schema());
    EXPECT_EQ(store.schemaVersion(), Store::latestSchemaVersion());
    EXPECT_EQ(store.canonicalDump(), dump);
    const std::string key = "audits/" + audit.toString();
    EXPECT_EQ(store.scopeOf("audits", audit), key);
    EXPECT_EQ(store.scopeOf("answers", answer), key);
    EXPECT_EQ(store.scopeOf("answers", orphan), std::nullopt);
    EXPECT_EQ(store.changesSince(0, 10, {key}).size(), 3U);
    EXPECT_EQ(store.scopeChecksum(key), [&] {
        Store fresh(":memory:", schema());
        fresh.apply(std::vector{changes[0], changes[1], changes[2]});
        return fresh.scopeChecksum(key);
    }());
    // The orphan joins when its parent field arrives after the upgrade.
    store.apply(std::vector{device.set("answers", orphan, "audit_id", Value::id(audit))});
    EXPECT_EQ(store.scopeOf("answers", orphan), key);
}

// A version-5 database keeps its quarantine entries (whole, as they were stored) and, once
// migrated, stores a new oversized refusal as a bounded prefix with its size and digest.
TEST(StoreMigration, AVersionFiveQuarantineStaysWholeAndNewRefusalsAreBounded) {
    TempDatabase file("verdant-migration-bounds");
    testing::TestDevice device(1);
    const auto record = device.newRecordId();
    const auto old = device.set("answers", record, "nope", Value::string("old refusal"));
    {
        Store store(file.path(), testing::testSchema());
        store.apply(std::vector{old});
    }
    testing::takeBackCompactStorage(file.path(), testing::testSchema());
    file.exec(std::string(kDropScopeDigests) + kDropQuarantineBounds + "PRAGMA user_version = 5;");
    Store store(file.path(), testing::testSchema());
    EXPECT_EQ(store.schemaVersion(), Store::latestSchemaVersion());
    const auto kept = store.quarantined(device.id(), old.deviceSeq);
    ASSERT_TRUE(kept);
    EXPECT_EQ(kept->change, old);
    EXPECT_FALSE(kept->truncated);

    const auto huge =
        device.set("answers", record, "note", Value::string(std::string(100'000, 'x')));
    store.apply(std::vector{huge});
    const auto cut = store.quarantined(device.id(), huge.deviceSeq);
    ASSERT_TRUE(cut);
    EXPECT_TRUE(cut->truncated);
    EXPECT_EQ(cut->valueBytes, 100'000U);
    EXPECT_EQ(cut->change.value.as<std::string>().size(), kQuarantinedValueBytes);
}

TEST(StoreMigration, ADatabaseFromANewerBuildIsRefused) {
    TempDatabase file("verdant-migration-newer");
    file.exec("PRAGMA user_version = 999;");
    try {
        Store store(file.path(), testing::testSchema());
        FAIL() << "opened a database from the future";
    } catch (const shared::Error& error) {
        EXPECT_EQ(error.code(), shared::ErrorCode::UnsupportedStoreVersion);
    }
}

// Before refused changes counted as received, a resend could leave one (device, seq) applied in
// the log and undecided in the quarantine. Such a store opens, and the entry cannot be accepted:
// that would apply the change a second time.
TEST(StoreMigration, AChangeAnOlderStoreHoldsAppliedAndQuarantinedCannotBeAccepted) {
    TempDatabase file("verdant-migration-double");
    testing::TestDevice device(1);
    const auto change = device.set("answers", device.newRecordId(), "answer", Value::string("no"));
    {
        Store store(file.path(), testing::testSchema());
        ASSERT_EQ(store.apply(std::vector{change}).results[0].outcome, ChangeOutcome::Applied);
    }
    const auto encoded = shared::ChangeCodec::toBinary({change});
    std::string hex;
    for (const unsigned char byte : encoded) {
        constexpr const char* kDigits = "0123456789abcdef";
        hex += kDigits[byte >> 4];
        hex += kDigits[byte & 0xF];
    }
    file.exec(
        "INSERT INTO quarantine (device_id, device_seq, change, code, message) "
        "SELECT d.device_id, c.device_seq, X'" +
        hex + "', 201, 'forbidden' FROM changes c JOIN devices d ON d.device_ref = c.device_ref");
    Store store(file.path(), testing::testSchema());
    ASSERT_TRUE(store.quarantined(change.deviceId, change.deviceSeq));
    try {
        store.decideQuarantined(change.deviceId, change.deviceSeq, QuarantineDecision::Accepted,
                                "hq", 1, {});
        FAIL() << "accepted a change that was applied already";
    } catch (const shared::Error& e) {
        EXPECT_EQ(e.code(), shared::ErrorCode::InvalidTransition) << e.what();
    }
    EXPECT_NO_THROW(store.decideQuarantined(change.deviceId, change.deviceSeq,
                                            QuarantineDecision::Discarded, "hq", 1, {}));
}

}  // namespace
}  // namespace verdant::sync
