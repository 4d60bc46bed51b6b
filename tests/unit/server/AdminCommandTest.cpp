#include "TemporaryDirectory.hpp"

#include "verdant/server/app/AdminCommand.hpp"
#include "verdant/server/auth/AccountStore.hpp"

#include <gtest/gtest.h>

#include <sstream>

namespace verdant::server {
namespace {

class AdminCommandTest : public ::testing::Test {
protected:
    int run(std::vector<std::string> arguments, const std::string& input = "a-password\n") {
        arguments.push_back("--data-dir=" + _dir.path());
        std::istringstream in(input);
        std::ostringstream out;
        _err.str("");
        return AdminCommand::run(arguments, in, out, _err);
    }

    test::TemporaryDirectory _dir;
    std::ostringstream _err;
};

TEST_F(AdminCommandTest, TenantSlugsAreValidatedAsUsage) {
    for (const auto* slug : {"A", "a", "Acme", "-acme", "ac me", "acme/../x", "acme\x01", "é"}) {
        EXPECT_EQ(run({"create-tenant", std::string("--slug=") + slug, "--name=Acme"}), 64) << slug;
        EXPECT_NE(_err.str().find("--slug must be 2-63 characters"), std::string::npos)
            << _err.str();
    }
    EXPECT_EQ(run({"create-tenant", "--slug=" + std::string(64, 'a'), "--name=Acme"}), 64);
    EXPECT_EQ(run({"create-tenant", "--slug=acme", "--name=Acme\nBuying"}), 64);
    EXPECT_EQ(run({"create-tenant", "--slug=acme-2", "--name=Acme Buying"}), 0) << _err.str();
    EXPECT_EQ(run({"create-tenant", "--slug=" + std::string(63, 'a'), "--name=Long"}), 0);
}

TEST_F(AdminCommandTest, UserNamesAreValidatedAsUsage) {
    ASSERT_EQ(run({"create-tenant", "--slug=acme", "--name=Acme"}), 0);
    for (const auto& name : {std::string("li wei"), std::string("li\twei"), std::string("li\x7f"),
                             std::string(65, 'x'), std::string("\xe6\x9d\x8e")}) {
        EXPECT_EQ(run({"create-user", "--tenant=acme", "--username=" + name, "--role=hq_reviewer"}),
                  64)
            << name;
        EXPECT_NE(_err.str().find("--username must be 1-64 printable ASCII"), std::string::npos);
    }
    EXPECT_EQ(run({"create-user", "--tenant=acme", "--username=li.wei@acme.example",
                   "--role=hq_reviewer", "--display-name=Li Wei"}),
              0)
        << _err.str();
    EXPECT_EQ(run({"create-user", "--tenant=Acme!", "--username=x", "--role=hq_reviewer"}), 64);
}

TEST_F(AdminCommandTest, DisableAndEnableAUser) {
    ASSERT_EQ(run({"create-tenant", "--slug=acme", "--name=Acme"}), 0);
    ASSERT_EQ(run({"create-user", "--tenant=acme", "--username=li", "--role=field_expert"}), 0);
    EXPECT_EQ(run({"disable-user", "--tenant=acme", "--username=li"}), 0) << _err.str();
    {
        AccountStore accounts(_dir.file("accounts.db"));
        const auto tenant = accounts.tenantBySlug("acme");
        EXPECT_TRUE(accounts.userByName(tenant->id, "li")->disabled);
    }
    EXPECT_EQ(run({"enable-user", "--tenant=acme", "--username=li"}), 0);
    {
        AccountStore accounts(_dir.file("accounts.db"));
        const auto tenant = accounts.tenantBySlug("acme");
        EXPECT_FALSE(accounts.userByName(tenant->id, "li")->disabled);
    }
    EXPECT_EQ(run({"disable-user", "--tenant=acme", "--username=nobody"}), 65);
}

}  // namespace
}  // namespace verdant::server
