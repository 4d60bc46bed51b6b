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

}  // namespace
}  // namespace verdant::shared
