// Checksums are what devices and servers of different versions compare: the digest of a stored
// row (and so the sum) must never change by accident. The dump shows what the rows hold.

#include "SyncFixtures.hpp"

#include "verdant/sync/Store.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <iostream>

namespace verdant::testing {
namespace {

using shared::Value;

// The checksum of the state below as incremental checksums first shipped (protocol 1, draft).
// If this fails, the row digests changed: devices and servers of different versions would
// repair forever.
constexpr const char* kExpectedChecksum =
    "eec5d5618524e228a45ae17ac89cf79177d49ba57a1116a283a5ab39382bc61a";

TEST(CanonicalDump, FormatIsStable) {
    TestDevice a(1, "ana");
    TestDevice b(2, "ben");
    sync::Store store(":memory:", testSchema());
    const auto answer = a.newRecordId();
    const auto visit = a.newRecordId();
    const auto gone = b.newRecordId();
    std::vector<shared::Change> changes = {
        a.set("answers", answer, "answer", Value::string("yes")),
        b.set("answers", answer, "answer", Value::string("no")),  // concurrent: a conflict
        a.set("answers", answer, "note", Value::string("checked twice")),
        a.set("answers", answer, "score", Value::integer(7)),
        a.change("answers", answer, "tags", shared::Operation::Add, Value::string("water")),
        b.set("attendance", visit, "status", Value::string("checked_in")),
        b.set("attendance", visit, "first_check_in", Value::timestamp(kEpochMs + 5)),
        b.set("answers", gone, "note", Value::string("to delete")),
        b.change("answers", gone, "", shared::Operation::Delete, Value::null()),
    };
    store.apply(changes);
    const std::string dump = store.canonicalDump();
    if (const char* print = std::getenv("VERDANT_PRINT_DUMP"); print != nullptr) {
        std::cout << dump;
    }
    EXPECT_EQ(store.checksum(), kExpectedChecksum) << dump;
}

}  // namespace
}  // namespace verdant::testing
