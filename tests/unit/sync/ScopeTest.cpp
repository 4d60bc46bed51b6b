// Sync scopes in the store: scope keys of records, scoped pulls (with records that join their
// scope late), per-scope checksums, finding records by value, purging a scope and the
// permission gate on apply.

#include "SyncFixtures.hpp"

#include "verdant/shared/ErrorCode.hpp"
#include "verdant/sync/Store.hpp"

#include <gtest/gtest.h>

#include <stdexcept>

namespace verdant::sync {
namespace {

using shared::Change;
using shared::CollectionSpec;
using shared::ErrorCode;
using shared::FieldSpec;
using shared::FieldType;
using shared::MergeKind;
using shared::Operation;
using shared::RecordId;
using shared::ScopeRule;
using shared::ValidationError;
using shared::Value;
using testing::TestDevice;

// The checksum of no rows: a sum of digests over nothing.
const std::string kEmptyChecksum(64, '0');

/// Audits are scope roots; answers and findings point straight at their audit.
shared::Schema scopedSchema() {
    return shared::Schema({
        CollectionSpec(
            "answers",
            {
                FieldSpec{"audit_id", FieldType::IdRef, MergeKind::Immutable, {}, 16},
                FieldSpec{"answer", FieldType::String, MergeKind::ReviewedRegister, {}, 64},
                FieldSpec{"note", FieldType::String, MergeKind::LastWriterWins, {}, 64},
            },
            ScopeRule::parent("audit_id", "audits")),
        CollectionSpec(
            "audits",
            {
                FieldSpec{"title", FieldType::String, MergeKind::LastWriterWins, {}, 64},
                FieldSpec{"assignee", FieldType::String, MergeKind::LastWriterWins, {}, 64},
                FieldSpec{"auditors", FieldType::StringSet, MergeKind::AddWinsSet, {}, 64},
            }),
    });
}

Store scopedStore(StoreOptions options = {}) {
    return Store(":memory:", scopedSchema(), std::move(options));
}

std::string keyOf(const RecordId& audit) {
    return shared::scopeKey("audits", audit);
}

std::vector<Change> changesOf(const std::vector<LoggedChange>& logged) {
    std::vector<Change> changes;
    for (const auto& entry : logged) {
        changes.push_back(entry.change);
    }
    return changes;
}

/// Pulls `scopes` from `server` into `replica` in pages of `pageSize`, from `cursor` on.
std::uint64_t pullScopes(const Store& server, Store& replica,
                         const std::vector<std::string>& scopes, std::size_t pageSize,
                         std::uint64_t cursor = 0) {
    for (;;) {
        const auto page = server.changesSince(cursor, pageSize, scopes);
        if (page.empty()) {
            return cursor;
        }
        replica.apply(changesOf(page));
        cursor = page.back().serverSeq;
    }
}

/// An audit with a title and two answers, one with an open conflict.
struct AuditFixture {
    RecordId audit;
    RecordId firstAnswer;
    RecordId secondAnswer;
    std::vector<Change> changes;

    AuditFixture(TestDevice& lead, TestDevice& co, const std::string& title) {
        audit = lead.newRecordId();
        firstAnswer = lead.newRecordId();
        secondAnswer = lead.newRecordId();
        changes = {
            lead.set("audits", audit, "title", Value::string(title)),
            lead.set("answers", firstAnswer, "audit_id", Value::id(audit)),
            lead.set("answers", firstAnswer, "answer", Value::string("yes")),
            co.set("answers", firstAnswer, "answer", Value::string("no")),  // concurrent
            lead.set("answers", secondAnswer, "audit_id", Value::id(audit)),
            lead.set("answers", secondAnswer, "note", Value::string("east wall")),
        };
    }
};

TEST(Scopes, ARecordOfAnOwnCollectionIsItsOwnScope) {
    Store server = scopedStore();
    TestDevice lead(1);
    const auto audit = lead.newRecordId();
    server.apply(std::vector{lead.set("audits", audit, "title", Value::string("Factory A"))});
    EXPECT_EQ(server.scopeOf("audits", audit), "audits/" + audit.toString());
    EXPECT_EQ(server.scopeOf("audits", lead.newRecordId()), std::nullopt);
}

TEST(Scopes, AChildRecordBelongsToTheScopeOfTheAuditItNames) {
    Store server = scopedStore();
    TestDevice lead(1);
    const auto audit = lead.newRecordId();
    const auto answer = lead.newRecordId();
    server.apply(std::vector{lead.set("answers", answer, "audit_id", Value::id(audit)),
                             lead.set("answers", answer, "note", Value::string("ok"))});
    EXPECT_EQ(server.scopeOf("answers", answer), keyOf(audit));
}

TEST(Scopes, AChildWrittenBeforeItsParentFieldJoinsTheScopeWhenTheFieldArrives) {
    Store server = scopedStore();
    TestDevice lead(1);
    const auto audit = lead.newRecordId();
    const auto answer = lead.newRecordId();
    server.apply(std::vector{lead.set("answers", answer, "note", Value::string("first"))});
    EXPECT_EQ(server.scopeOf("answers", answer), std::nullopt);
    server.apply(std::vector{lead.set("answers", answer, "audit_id", Value::id(audit))});
    EXPECT_EQ(server.scopeOf("answers", answer), keyOf(audit));
}

TEST(Scopes, AScopedPullReturnsOnlyThatScopesChangesInLogOrder) {
    Store server = scopedStore();
    TestDevice lead(1), co(2);
    const AuditFixture first(lead, co, "Factory A");
    const AuditFixture second(lead, co, "Factory B");
    server.apply(second.changes);
    server.apply(first.changes);

    const auto page = server.changesSince(0, 100, {keyOf(first.audit)});
    ASSERT_EQ(page.size(), first.changes.size());
    for (std::size_t i = 0; i < page.size(); ++i) {
        EXPECT_EQ(page[i].change, first.changes[i]);
        EXPECT_EQ(page[i].serverSeq, second.changes.size() + i + 1);  // the log positions
    }
    // Both scopes (a key twice counts once), paged three at a time: everything, in log order.
    std::vector<LoggedChange> all;
    std::uint64_t cursor = 0;
    for (;;) {
        const auto next = server.changesSince(
            cursor, 3, {keyOf(first.audit), keyOf(second.audit), keyOf(first.audit)});
        if (next.empty()) {
            break;
        }
        EXPECT_LE(next.size(), 3U);
        all.insert(all.end(), next.begin(), next.end());
        cursor = next.back().serverSeq;
    }
    EXPECT_EQ(changesOf(all), changesOf(server.changesSince(0, 100)));
    EXPECT_TRUE(server.changesSince(0, 100, {}).empty());
    EXPECT_TRUE(server.changesSince(0, 100, {"audits/unknown"}).empty());
    EXPECT_TRUE(server.changesSince(0, 0, {keyOf(first.audit)}).empty());
}

TEST(Scopes, ALateJoinerBringsItsEarlierChangesAtThePositionOfTheJoin) {
    Store server = scopedStore();
    Store tablet = scopedStore();
    TestDevice lead(1);
    const auto audit = lead.newRecordId();
    const auto answer = lead.newRecordId();
    server.apply(std::vector{lead.set("audits", audit, "title", Value::string("Factory A"))});
    std::uint64_t cursor = pullScopes(server, tablet, {keyOf(audit)}, 10);
    EXPECT_EQ(cursor, 1U);

    // Two fields written before the answer names its audit: not in the scope yet.
    const auto note = lead.set("answers", answer, "note", Value::string("early"));
    const auto verdict = lead.set("answers", answer, "answer", Value::string("yes"));
    server.apply(std::vector{note, verdict});
    EXPECT_TRUE(server.changesSince(cursor, 10, {keyOf(audit)}).empty());

    const auto parent = lead.set("answers", answer, "audit_id", Value::id(audit));
    server.apply(std::vector{parent});
    // Limit 1, but the group sharing the join's position (4) is never split.
    const auto page = server.changesSince(cursor, 1, {keyOf(audit)});
    ASSERT_EQ(page.size(), 3U);
    EXPECT_EQ(page[0].change, note);
    EXPECT_EQ(page[1].change, verdict);
    EXPECT_EQ(page[2].change, parent);
    for (const auto& entry : page) {
        EXPECT_EQ(entry.serverSeq, 4U);
    }
    cursor = pullScopes(server, tablet, {keyOf(audit)}, 1, cursor);
    EXPECT_EQ(cursor, 4U);
    EXPECT_EQ(tablet.scopeChecksum(keyOf(audit)), server.scopeChecksum(keyOf(audit)));
    EXPECT_EQ(tablet.record("answers", answer)->fields.at("note").value, Value::string("early"));

    // Later changes of the record come at their own log positions.
    server.apply(std::vector{lead.set("answers", answer, "note", Value::string("late"))});
    const auto later = server.changesSince(cursor, 10, {keyOf(audit)});
    ASSERT_EQ(later.size(), 1U);
    EXPECT_EQ(later[0].serverSeq, 5U);
}

TEST(Scopes, AScopeChecksumIsTheSameOnAReplicaThatHoldsOtherScopesToo) {
    Store server = scopedStore();
    Store oneScope = scopedStore();
    Store everything = scopedStore();
    TestDevice lead(1), co(2);
    const AuditFixture first(lead, co, "Factory A");
    const AuditFixture second(lead, co, "Factory B");
    server.apply(first.changes);
    server.apply(second.changes);
    pullScopes(server, oneScope, {keyOf(first.audit)}, 2);
    everything.apply(changesOf(server.changesSince(0, 100)));

    const std::string checksum = server.scopeChecksum(keyOf(first.audit));
    EXPECT_NE(checksum, kEmptyChecksum);
    EXPECT_EQ(oneScope.scopeChecksum(keyOf(first.audit)), checksum);
    EXPECT_EQ(everything.scopeChecksum(keyOf(first.audit)), checksum);
    EXPECT_NE(server.scopeChecksum(keyOf(second.audit)), checksum);
    EXPECT_EQ(oneScope.scopeChecksum(keyOf(second.audit)), kEmptyChecksum);
    EXPECT_FALSE(oneScope.record("audits", second.audit).has_value());
    EXPECT_NE(oneScope.checksum(), server.checksum());
}

TEST(Scopes, AnUnknownScopeHasTheChecksumOfTheEmptyDump) {
    Store server = scopedStore();
    EXPECT_EQ(server.scopeChecksum("audits/nothing-here"), kEmptyChecksum);
    EXPECT_EQ(server.scopeChecksum(""), kEmptyChecksum);
}

TEST(Scopes, FindRecordsMatchesVisibleValuesAndSetElementsOfLiveRecords) {
    Store server = scopedStore();
    TestDevice hq(1);
    const auto a = hq.newRecordId();
    const auto b = hq.newRecordId();
    const auto c = hq.newRecordId();
    const auto d = hq.newRecordId();
    server.apply(std::vector{
        hq.set("audits", a, "assignee", Value::string("kim")),
        hq.set("audits", b, "assignee", Value::string("lee")),
        hq.set("audits", b, "assignee", Value::string("kim")),  // reassigned: now kim's
        hq.set("audits", c, "assignee", Value::string("kim")),
        hq.set("audits", c, "assignee", Value::string("lee")),  // reassigned away
        hq.set("audits", d, "assignee", Value::string("kim")),
        hq.change("audits", d, "", Operation::Delete, Value::null()),
        hq.change("audits", a, "auditors", Operation::Add, Value::string("ana")),
        hq.change("audits", c, "auditors", Operation::Add, Value::string("ana")),
        hq.change("audits", c, "auditors", Operation::Add, Value::string("bo")),
    });
    const auto cAuditors = server.fieldVersion("audits", c, "auditors");
    server.apply(std::vector{
        hq.change("audits", c, "auditors", Operation::Remove, Value::string("ana"), cAuditors)});

    EXPECT_EQ(server.findRecords("audits", "assignee", Value::string("kim")),
              (std::vector<RecordId>{a, b}));
    EXPECT_EQ(server.findRecords("audits", "assignee", Value::string("lee")),
              (std::vector<RecordId>{c}));
    EXPECT_EQ(server.findRecords("audits", "auditors", Value::string("ana")),
              (std::vector<RecordId>{a}));
    EXPECT_EQ(server.findRecords("audits", "auditors", Value::string("bo")),
              (std::vector<RecordId>{c}));
    EXPECT_TRUE(server.findRecords("audits", "auditors", Value::integer(1)).empty());
    EXPECT_TRUE(server.findRecords("audits", "assignee", Value::string("nobody")).empty());
    EXPECT_TRUE(server.findRecords("answers", "assignee", Value::string("kim")).empty());
}

TEST(Scopes, PurgingAScopeRemovesItsRecordsAndPullingItAgainRebuildsTheSameState) {
    Store server = scopedStore();
    Store tablet = scopedStore();
    TestDevice lead(1), co(2);
    const AuditFixture first(lead, co, "Factory A");
    const AuditFixture second(lead, co, "Factory B");
    server.apply(first.changes);
    server.apply(second.changes);
    pullScopes(server, tablet, {keyOf(first.audit), keyOf(second.audit)}, 4);
    // A refused local change of the purged scope stays in the quarantine.
    tablet.apply(std::vector{lead.set("answers", first.firstAnswer, "nope", Value::string("x"))});

    const std::string dumpBefore = tablet.canonicalDump();
    const std::string firstBefore = tablet.scopeChecksum(keyOf(first.audit));
    const std::string secondBefore = tablet.scopeChecksum(keyOf(second.audit));
    const std::uint64_t lastSeq = tablet.lastServerSeq();
    ASSERT_EQ(tablet.openConflicts().size(), 2U);

    EXPECT_EQ(tablet.purgeScope(keyOf(first.audit)), 3U);  // the audit and its two answers
    EXPECT_FALSE(tablet.record("audits", first.audit).has_value());
    EXPECT_FALSE(tablet.record("answers", first.firstAnswer).has_value());
    EXPECT_EQ(tablet.scopeOf("answers", first.secondAnswer), std::nullopt);
    EXPECT_EQ(tablet.scopeChecksum(keyOf(first.audit)), kEmptyChecksum);
    EXPECT_EQ(tablet.scopeChecksum(keyOf(second.audit)), secondBefore);
    EXPECT_EQ(tablet.openConflicts().size(), 1U);
    EXPECT_TRUE(tablet.fieldHistory("answers", first.firstAnswer, "answer").empty());
    EXPECT_EQ(tablet.changesSince(0, 100).size(), second.changes.size());
    EXPECT_EQ(tablet.quarantine().size(), 1U);
    EXPECT_EQ(tablet.lastServerSeq(), lastSeq);  // local sequence numbers are not reused
    EXPECT_EQ(tablet.purgeScope(keyOf(first.audit)), 0U);

    pullScopes(server, tablet, {keyOf(first.audit)}, 3);
    EXPECT_EQ(tablet.scopeChecksum(keyOf(first.audit)), firstBefore);
    EXPECT_EQ(tablet.canonicalDump(), dumpBefore);
    EXPECT_GT(tablet.lastServerSeq(), lastSeq);
    EXPECT_EQ(tablet.openConflicts().size(), 2U);
}

TEST(Scopes, PurgingTheScopeThatHoldsTheNewestLogEntryKeepsTheSequenceGrowing) {
    Store tablet = scopedStore();
    TestDevice lead(1);
    const auto kept = lead.newRecordId();
    const auto purged = lead.newRecordId();
    tablet.apply(std::vector{lead.set("audits", kept, "title", Value::string("kept")),
                             lead.set("audits", purged, "title", Value::string("purged"))});
    EXPECT_EQ(tablet.purgeScope(keyOf(purged)), 1U);
    EXPECT_EQ(tablet.lastServerSeq(), 2U);
    const auto result =
        tablet.apply(std::vector{lead.set("audits", kept, "title", Value::string("again"))});
    EXPECT_EQ(result.results[0].serverSeq, 3U);
    const auto all = tablet.changesSince(0, 100);
    ASSERT_EQ(all.size(), 2U);  // the placeholder is never returned
    EXPECT_EQ(all[1].serverSeq, 3U);
}

/// A gate that refuses every change of one scope and of records whose scope is not known (as the
/// server does without permission: a child whose parent was refused must not slip through), and
/// records what it was asked.
struct ScopeGate {
    std::string refused;
    std::vector<std::pair<Change, std::optional<std::string>>> asked;

    ChangeGate gate() {
        return [this](const Change& change, const std::optional<std::string>& scope) {
            asked.emplace_back(change, scope);
            if (!refused.empty() && (!scope || scope == refused)) {
                return std::optional(ValidationError{ErrorCode::Forbidden, "Not your audit."});
            }
            return std::optional<ValidationError>();
        };
    }
};

TEST(Scopes, AGateRefusingOneScopeQuarantinesExactlyThoseChangesAndAppliesTheRest) {
    Store server = scopedStore();
    TestDevice lead(1), co(2);
    const AuditFixture mine(lead, co, "Mine");
    const AuditFixture theirs(lead, co, "Theirs");
    std::vector<Change> batch;
    for (std::size_t i = 0; i < mine.changes.size(); ++i) {
        batch.push_back(theirs.changes[i]);
        batch.push_back(mine.changes[i]);
    }
    ScopeGate gate{keyOf(theirs.audit), {}};
    const auto result = server.apply(batch, gate.gate());

    ASSERT_EQ(result.results.size(), batch.size());
    for (std::size_t i = 0; i < batch.size(); ++i) {
        const bool refused = i % 2 == 0;
        EXPECT_EQ(result.results[i].outcome == ChangeOutcome::Refused, refused) << i;
        if (refused) {
            EXPECT_EQ(result.results[i].error, ErrorCode::Forbidden);
            EXPECT_EQ(result.results[i].message, "Not your audit.");
            EXPECT_FALSE(result.results[i].serverSeq.has_value());
        }
    }
    EXPECT_EQ(server.quarantine().size(), theirs.changes.size());
    EXPECT_EQ(server.quarantine()[0].code, ErrorCode::Forbidden);
    EXPECT_FALSE(server.record("audits", theirs.audit).has_value());  // no empty rows left
    EXPECT_FALSE(server.record("answers", theirs.firstAnswer).has_value());
    EXPECT_EQ(server.scopeChecksum(keyOf(theirs.audit)), kEmptyChecksum);
    EXPECT_EQ(server.changesSince(0, 100).size(), mine.changes.size());
    // High-water marks cover the refused changes: they will not be resent.
    EXPECT_EQ(server.highWaterMark(lead.id()), 10U);
    EXPECT_EQ(server.highWaterMark(co.id()), 2U);

    // The same state as a store that received only the allowed changes.
    Store reference = scopedStore();
    reference.apply(mine.changes);
    EXPECT_EQ(server.canonicalDump(), reference.canonicalDump());
}

TEST(Scopes, TheGateSeesTheScopeFromTheStoreFromEarlierInTheBatchOrFromTheChange) {
    Store server = scopedStore();
    TestDevice lead(1);
    const auto audit = lead.newRecordId();
    const auto known = lead.newRecordId();
    const auto fresh = lead.newRecordId();
    const auto orphan = lead.newRecordId();
    server.apply(std::vector{lead.set("answers", known, "audit_id", Value::id(audit))});

    ScopeGate gate;
    server.apply(std::vector{lead.set("answers", known, "note", Value::string("from store")),
                             lead.set("answers", fresh, "audit_id", Value::id(audit)),
                             lead.set("answers", fresh, "note", Value::string("from batch")),
                             lead.set("answers", orphan, "note", Value::string("unknown")),
                             lead.set("audits", audit, "title", Value::string("from change"))},
                 gate.gate());
    ASSERT_EQ(gate.asked.size(), 5U);
    EXPECT_EQ(gate.asked[0].second, keyOf(audit));
    EXPECT_EQ(gate.asked[1].second, keyOf(audit));
    EXPECT_EQ(gate.asked[2].second, keyOf(audit));
    EXPECT_EQ(gate.asked[3].second, std::nullopt);
    EXPECT_EQ(gate.asked[4].second, keyOf(audit));
}

TEST(Scopes, AReplayedBatchDoesNotAskTheGateAboutDuplicates) {
    Store server = scopedStore();
    TestDevice lead(1), co(2);
    const AuditFixture fixture(lead, co, "Factory A");
    std::vector<Change> batch = fixture.changes;
    batch.push_back(fixture.changes[0]);  // a duplicate inside the batch
    ScopeGate gate;
    const auto first = server.apply(batch, gate.gate());
    EXPECT_EQ(gate.asked.size(), fixture.changes.size());
    EXPECT_EQ(first.results.back().outcome, ChangeOutcome::Duplicate);

    gate.asked.clear();
    const auto replay = server.apply(batch, gate.gate());
    EXPECT_TRUE(gate.asked.empty());
    EXPECT_EQ(replay.count(ChangeOutcome::Duplicate), batch.size());
}

TEST(Scopes, InvalidChangesAreRefusedBeforeTheGateIsAsked) {
    Store server = scopedStore();
    TestDevice lead(1);
    ScopeGate gate;
    const auto result = server.apply(
        std::vector{lead.set("audits", lead.newRecordId(), "nope", Value::string("x"))},
        gate.gate());
    EXPECT_EQ(result.results[0].error, ErrorCode::UnknownField);
    EXPECT_TRUE(gate.asked.empty());
}

struct InjectedFault : std::runtime_error {
    InjectedFault() : std::runtime_error("injected fault") {}
};

TEST(Scopes, AGateRefusalIsRolledBackWithTheRestOfAFailedBatch) {
    for (const FaultPoint point :
         {FaultPoint::BeforeChange, FaultPoint::BeforeWriteBack, FaultPoint::BeforeCommit}) {
        bool armed = true;
        StoreOptions options;
        options.faultInjector = [&armed, point](FaultPoint at, std::size_t index) {
            if (armed && at == point && (point != FaultPoint::BeforeChange || index == 3)) {
                throw InjectedFault();
            }
        };
        Store server = scopedStore(options);
        TestDevice lead(1), co(2);
        const AuditFixture mine(lead, co, "Mine");
        const AuditFixture theirs(lead, co, "Theirs");
        std::vector<Change> batch = theirs.changes;  // refused first, then a failure
        batch.insert(batch.end(), mine.changes.begin(), mine.changes.end());
        ScopeGate gate{keyOf(theirs.audit), {}};

        EXPECT_THROW(server.apply(batch, gate.gate()), InjectedFault);
        EXPECT_EQ(server.checksum(), kEmptyChecksum);
        EXPECT_TRUE(server.quarantine().empty());
        EXPECT_EQ(server.highWaterMark(lead.id()), 0U);
        EXPECT_EQ(server.lastServerSeq(), 0U);

        armed = false;
        const auto retried = server.apply(batch, gate.gate());
        EXPECT_EQ(retried.count(ChangeOutcome::Refused), theirs.changes.size());
        EXPECT_EQ(server.quarantine().size(), theirs.changes.size());
    }
}

}  // namespace
}  // namespace verdant::sync
