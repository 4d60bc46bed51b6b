#include "verdant/domain/DomainSchema.hpp"
#include "verdant/shared/ErrorCode.hpp"
#include "verdant/shared/Schema.hpp"

#include <gtest/gtest.h>

namespace verdant::shared {
namespace {

ErrorCode schemaErrorOf(std::vector<FieldSpec> fields) {
    try {
        Schema schema;
        schema.add(CollectionSpec("things", std::move(fields)));
    } catch (const Error& error) {
        return error.code();
    }
    return ErrorCode::InternalError;  // "no error" marker for the assertions below
}

TEST(Schema, InconsistentDeclarationsAreRejectedAsInvalidSchema) {
    EXPECT_EQ(schemaErrorOf({{"tags", FieldType::StringSet, MergeKind::LastWriterWins, {}, 64}}),
              ErrorCode::InvalidSchema);
    EXPECT_EQ(schemaErrorOf({{"tags", FieldType::String, MergeKind::AddWinsSet, {}, 64}}),
              ErrorCode::InvalidSchema);
    EXPECT_EQ(schemaErrorOf({{"state", FieldType::String, MergeKind::MonotoneState, {}, 64}}),
              ErrorCode::InvalidSchema);
    EXPECT_EQ(schemaErrorOf({{"first", FieldType::Bool, MergeKind::Min, {}, 8}}),
              ErrorCode::InvalidSchema);
    EXPECT_EQ(schemaErrorOf({{"kind", FieldType::Enum, MergeKind::LastWriterWins, {"a", "a"}, 8}}),
              ErrorCode::InvalidSchema);
    EXPECT_EQ(schemaErrorOf({{"a", FieldType::Int, MergeKind::LastWriterWins, {}, 8},
                             {"a", FieldType::Int, MergeKind::Max, {}, 8}}),
              ErrorCode::InvalidSchema);
    EXPECT_EQ(schemaErrorOf({{"a", FieldType::Int, MergeKind::LastWriterWins, {}, 8}}),
              ErrorCode::InternalError);  // valid
}

TEST(Schema, ADuplicateCollectionIsRejected) {
    Schema schema;
    schema.add(CollectionSpec("things", {}));
    EXPECT_THROW(schema.add(CollectionSpec("things", {})), Error);
}

FieldSpec auditRef() {
    return {"audit_id", FieldType::IdRef, MergeKind::Immutable, {}, 16};
}

CollectionSpec audits() {
    return CollectionSpec("audits",
                          {{"title", FieldType::String, MergeKind::LastWriterWins, {}, 64}});
}

CollectionSpec answers(ScopeRule rule = ScopeRule::parent("audit_id", "audits")) {
    return CollectionSpec(
        "answers", {auditRef(), {"answer", FieldType::String, MergeKind::ReviewedRegister, {}, 64}},
        std::move(rule));
}

ErrorCode scopeErrorOf(std::vector<CollectionSpec> collections) {
    try {
        Schema schema(std::move(collections));
    } catch (const Error& error) {
        return error.code();
    }
    return ErrorCode::InternalError;  // "no error" marker
}

TEST(SchemaScopes, CollectionsAreTheirOwnScopeByDefault) {
    const Schema schema({audits()});
    EXPECT_EQ(schema.collection("audits")->scope().kind, ScopeRule::Kind::Own);
}

TEST(SchemaScopes, AParentRuleMayNameACollectionDeclaredLater) {
    EXPECT_EQ(scopeErrorOf({answers(), audits()}), ErrorCode::InternalError);
    EXPECT_EQ(scopeErrorOf({audits(), answers()}), ErrorCode::InternalError);
}

TEST(SchemaScopes, AParentFieldMustBeAnImmutableIdReferenceThatExists) {
    EXPECT_EQ(scopeErrorOf({audits(), answers(ScopeRule::parent("missing", "audits"))}),
              ErrorCode::InvalidSchema);
    EXPECT_EQ(scopeErrorOf({audits(), answers(ScopeRule::parent("answer", "audits"))}),
              ErrorCode::InvalidSchema);
    EXPECT_EQ(scopeErrorOf({audits(),
                            CollectionSpec(
                                "answers",
                                {{"audit_id", FieldType::IdRef, MergeKind::LastWriterWins, {}, 16}},
                                ScopeRule::parent("audit_id", "audits"))}),
              ErrorCode::InvalidSchema);
}

TEST(SchemaScopes, AParentRuleMustNameAnotherOwnScopedCollectionOfTheSchema) {
    EXPECT_EQ(scopeErrorOf({answers()}), ErrorCode::InvalidSchema);  // no audits
    EXPECT_EQ(scopeErrorOf({answers(ScopeRule::parent("audit_id", "answers"))}),
              ErrorCode::InvalidSchema);  // itself
    // Two levels (photos -> answers -> audits), in both declaration orders.
    const CollectionSpec photos("photos",
                                {{"answer_id", FieldType::IdRef, MergeKind::Immutable, {}, 16}},
                                ScopeRule::parent("answer_id", "answers"));
    EXPECT_EQ(scopeErrorOf({audits(), answers(), photos}), ErrorCode::InvalidSchema);
    EXPECT_EQ(scopeErrorOf({photos, audits(), answers()}), ErrorCode::InvalidSchema);
    EXPECT_EQ(scopeErrorOf({audits(), answers(ScopeRule{ScopeRule::Kind::Own, "audit_id", ""})}),
              ErrorCode::InvalidSchema);  // an Own rule naming a parent
}

TEST(SchemaScopes, FinalizeCatchesAParentThatWasNeverAdded) {
    Schema schema;
    schema.add(answers());  // the parent may still come
    EXPECT_THROW(schema.finalize(), Error);
    schema.add(audits());
    EXPECT_NO_THROW(schema.finalize());
}

TEST(SchemaScopes, TheScopeKeyIsDerivedFromTheRecordOrItsParentField) {
    const Schema schema({audits(), answers()});
    const RecordId audit = RecordId::parse("0190f5a2-7b3c-7def-8123-456789abcdef").value();
    const RecordId answer = RecordId::parse("0190f5a2-7b3c-7def-8123-000000000001").value();
    Change change;
    change.collection = "audits";
    change.recordId = audit;
    change.field = "title";
    change.value = Value::string("Factory A");
    EXPECT_EQ(schema.scopeKeyOf(change), "audits/0190f5a2-7b3c-7def-8123-456789abcdef");

    change.collection = "answers";
    change.recordId = answer;
    change.field = "answer";
    EXPECT_EQ(schema.scopeKeyOf(change), std::nullopt);  // not the parent field
    change.field = "audit_id";
    change.value = Value::id(audit);
    EXPECT_EQ(schema.scopeKeyOf(change), "audits/0190f5a2-7b3c-7def-8123-456789abcdef");
    change.field = "";
    change.value = Value::null();
    change.operation = Operation::Delete;
    EXPECT_EQ(schema.scopeKeyOf(change), std::nullopt);
    change.collection = "unknown";
    EXPECT_EQ(schema.scopeKeyOf(change), std::nullopt);
    EXPECT_EQ(scopeKey("audits", audit), "audits/0190f5a2-7b3c-7def-8123-456789abcdef");
}

TEST(DomainSchema, APhotoHashMustBe64LowerCaseHexDigits) {
    Change change;
    change.collection = audit::collections::kPhotos;
    change.recordId = RecordId::parse("0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b").value();
    change.field = "sha256";
    change.operation = Operation::Set;
    change.hlc = Hlc{0x018c1a2b3c4dULL, 0, 1};
    change.deviceId = DeviceId::parse("0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5c").value();
    change.deviceSeq = 1;
    const auto refusal = [&](const std::string& hash) {
        change.value = Value::string(hash);
        return domain::domainSchema().validate(change);
    };
    EXPECT_EQ(refusal(std::string(64, 'a')), std::nullopt);
    EXPECT_EQ(refusal("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"),
              std::nullopt);
    for (const auto& hash :
         {std::string("../../../../etc/passwd"), std::string(64, 'A'), std::string(63, 'a'),
          std::string(65, 'a'), std::string(63, 'a') + "/", std::string()}) {
        const auto refused = refusal(hash);
        ASSERT_TRUE(refused) << hash;
        EXPECT_EQ(refused->code, ErrorCode::WrongType) << hash;
    }
}

TEST(DomainSchema, AJsonFieldTakesAnyJsonDocumentAndNothingElse) {
    Change change;
    change.collection = audit::collections::kAnswers;
    change.recordId = RecordId::parse("0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b").value();
    change.field = "value";
    change.operation = Operation::Set;
    change.hlc = Hlc{0x018c1a2b3c4dULL, 0, 1};
    change.deviceId = DeviceId::parse("0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5c").value();
    change.deviceSeq = 1;
    const auto refusal = [&](const std::string& json) {
        change.value = Value::json(json);
        return domain::domainSchema().validate(change);
    };
    for (const auto& json : {R"({"answer":"yes","note":{"photos":[1,2.5,-3e2,true,null]}})",
                             R"(["yes"])", "[18446744073709551615,-9223372036854775808]", "{}"}) {
        EXPECT_EQ(refusal(json), std::nullopt) << json;
    }
    // Not JSON, trailing text, a negative integer no 64-bit type holds (the parser refuses it), and
    // a bare scalar (a document is an object or an array, as it always was here).
    for (const auto& json : {"{not json", R"({"answer":"yes"} x)", "", R"({"answer":})",
                             R"({"n":-99999999999999999999})", "42", R"("text")", "null"}) {
        const auto refused = refusal(json);
        ASSERT_TRUE(refused) << json;
        EXPECT_EQ(refused->code, ErrorCode::WrongType) << json;
    }
}

}  // namespace
}  // namespace verdant::shared
