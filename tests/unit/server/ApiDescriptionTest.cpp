// docs/openapi.json must describe every route the server registers.

#include "TemporaryDirectory.hpp"

#include "verdant/server/app/SyncServer.hpp"
#include "verdant/server/http/Router.hpp"

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/String.h>
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

namespace verdant::server {
namespace {

TEST(ApiDescription, ListsEveryRouteTheServerServes) {
    std::ifstream file(VERDANT_SOURCE_DIR "/docs/openapi.json");
    ASSERT_TRUE(file) << "docs/openapi.json is missing";
    std::stringstream text;
    text << file.rdbuf();
    Poco::JSON::Parser parser;
    const auto paths =
        parser.parse(text.str()).extract<Poco::JSON::Object::Ptr>()->getObject("paths");
    ASSERT_TRUE(paths);

    test::TemporaryDirectory dir;
    ServerConfig config;  // never started: no certificates needed
    config.dataDir = dir.path();
    SyncServer server(config);
    ASSERT_FALSE(server.router().routes().empty());
    for (const auto& route : server.router().routes()) {
        const auto path = paths->getObject(route.pattern);
        ASSERT_TRUE(path) << route.pattern << " is not in docs/openapi.json";
        EXPECT_TRUE(path->has(Poco::toLower(route.method)))
            << route.method << " " << route.pattern << " is not in docs/openapi.json";
    }
}

}  // namespace
}  // namespace verdant::server
