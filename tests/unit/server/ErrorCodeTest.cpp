#include "verdant/shared/ErrorCode.hpp"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace verdant::shared {
namespace {

const std::vector<ErrorCode>& allCodes() {
    static const std::vector<ErrorCode> kCodes = {
#define VERDANT_ERROR_LIST(name, value, wire, category, status, message) ErrorCode::name,
        VERDANT_ERROR_CODES(VERDANT_ERROR_LIST)
#undef VERDANT_ERROR_LIST
    };
    return kCodes;
}

TEST(ErrorTable, EveryCodeHasAUniqueWireNameAndNumber) {
    std::set<std::string> names;
    std::set<int> numbers;
    for (auto code : allCodes()) {
        EXPECT_TRUE(names.insert(std::string(wireName(code))).second) << wireName(code);
        EXPECT_TRUE(numbers.insert(static_cast<int>(code)).second) << wireName(code);
    }
}

TEST(ErrorTable, WireNamesAndNumbersMapBackToTheirCode) {
    for (auto code : allCodes()) {
        EXPECT_EQ(errorCodeFromWireName(wireName(code)), code);
        EXPECT_EQ(errorCodeFromNumber(static_cast<std::uint16_t>(code)), code);
    }
    EXPECT_FALSE(errorCodeFromWireName("no_such_code"));
    EXPECT_FALSE(errorCodeFromNumber(1));
}

TEST(ErrorTable, EveryCodeIsAnHttpErrorStatusWithAMessage) {
    for (auto code : allCodes()) {
        EXPECT_GE(httpStatusOf(code), 400) << wireName(code);
        EXPECT_LT(httpStatusOf(code), 600) << wireName(code);
        EXPECT_FALSE(defaultMessage(code).empty()) << wireName(code);
    }
}

TEST(ErrorTable, RetryIsDecidedByCategory) {
    EXPECT_TRUE(isRetryable(ErrorCode::StorageUnavailable));
    EXPECT_TRUE(isRetryable(ErrorCode::ClockSkew));
    EXPECT_FALSE(isRetryable(ErrorCode::MalformedJson));
    EXPECT_FALSE(isRetryable(ErrorCode::Forbidden));
    EXPECT_EQ(wireName(categoryOf(ErrorCode::PayloadTooLarge)), "invalid_input");
}

TEST(ErrorTable, ErrorCarriesCodeAndDefaultMessage) {
    const Error error(ErrorCode::RouteNotFound);
    EXPECT_EQ(error.code(), ErrorCode::RouteNotFound);
    EXPECT_EQ(std::string(error.what()), "No such endpoint.");
}

}  // namespace
}  // namespace verdant::shared
