#pragma once

// Runs a RapidCheck property inside a GoogleTest with an explicit number of cases (instead of
// RC_GTEST_PROP, whose count comes only from the RC_PARAMS environment variable). RC_PARAMS
// still sets the seed, and a failure prints RapidCheck's reproduction line.

#include <gtest/gtest.h>
#include <rapidcheck.h>

#include <sstream>

namespace verdant::testing {

template <class Testable>
void checkProperty(int cases, Testable&& testable) {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    rc::detail::TestMetadata metadata;
    metadata.id = std::string(info->test_suite_name()) + "/" + info->name();
    metadata.description = info->name();
    rc::detail::TestParams params = rc::detail::configuration().testParams;
    params.maxSuccess = cases;
    const auto result =
        rc::detail::checkTestable(std::forward<Testable>(testable), metadata, params);
    if (result.template is<rc::detail::SuccessResult>()) {
        const auto& success = result.template get<rc::detail::SuccessResult>();
        EXPECT_EQ(success.numSuccess, cases);
        ::testing::Test::RecordProperty("cases", success.numSuccess);
        return;
    }
    std::ostringstream message;
    rc::detail::printResultMessage(result, message);
    FAIL() << message.str();
}

}  // namespace verdant::testing
