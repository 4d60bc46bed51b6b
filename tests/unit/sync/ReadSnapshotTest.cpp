// Readers of a store file next to its writer: a read snapshot sees one committed state for as
// long as it lives, and a read-only connection refuses to write.

#include "SyncFixtures.hpp"

#include "verdant/sync/Store.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

namespace verdant::sync {
namespace {

using shared::Value;
using testing::TestDevice;

/// A store file in the temporary directory, removed (with its WAL) at both ends of a test.
class StoreFile : public ::testing::Test {
protected:
    StoreFile() { remove(); }
    ~StoreFile() override { remove(); }

    void remove() const {
        for (const auto* suffix : {"", "-wal", "-shm"}) {
            std::filesystem::remove(_path.string() + suffix);
        }
    }

    const std::filesystem::path _path =
        std::filesystem::temp_directory_path() /
        ("verdant-read-snapshot-" +
         std::to_string(::testing::UnitTest::GetInstance()->random_seed()) + ".db");
};

StoreOptions readerOptions() {
    StoreOptions options;
    options.readOnly = true;
    return options;
}

TEST_F(StoreFile, ASnapshotSeesOneCommittedStateWhileAnotherConnectionCommits) {
    TestDevice device(1);
    const auto record = device.newRecordId();
    Store writer(_path.string(), testing::testSchema());
    writer.apply(std::vector{device.set("answers", record, "note", Value::string("first"))});
    const Store reader(_path.string(), testing::testSchema(), readerOptions());
    {
        const Store::ReadSnapshot snapshot(reader);
        EXPECT_EQ(reader.lastServerSeq(), 1U);
        writer.apply(std::vector{device.set("answers", record, "note", Value::string("second"))});
        EXPECT_EQ(reader.lastServerSeq(), 1U) << "a commit after the snapshot began is not seen";
        EXPECT_EQ(reader.record("answers", record)->fields.at("note").value,
                  Value::string("first"));
        EXPECT_EQ(reader.changesSince(0, 10).size(), 1U);
    }
    EXPECT_EQ(reader.lastServerSeq(), 2U) << "the next read sees the commit";
    EXPECT_EQ(reader.record("answers", record)->fields.at("note").value, Value::string("second"));
}

TEST_F(StoreFile, AReadOnlyStoreRefusesToWriteAndLeavesTheFileToTheWriter) {
    TestDevice device(1);
    const auto record = device.newRecordId();
    Store writer(_path.string(), testing::testSchema());
    Store reader(_path.string(), testing::testSchema(), readerOptions());
    EXPECT_THROW(
        reader.apply(std::vector{device.set("answers", record, "note", Value::string("x"))}),
        shared::Error);
    EXPECT_EQ(reader.lastServerSeq(), 0U);
    TestDevice other(2);
    EXPECT_EQ(writer.apply(std::vector{other.set("answers", record, "note", Value::string("y"))})
                  .count(ChangeOutcome::Applied),
              1U);
    EXPECT_EQ(reader.record("answers", record)->fields.at("note").value, Value::string("y"));
}

}  // namespace
}  // namespace verdant::sync
