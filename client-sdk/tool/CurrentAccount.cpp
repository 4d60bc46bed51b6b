#include "CurrentAccount.hpp"

#include "verdant/shared/ErrorCode.hpp"

#include <Poco/Exception.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Path.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <sys/stat.h>

namespace verdant::cli {

namespace {

constexpr const char* kFileName = "current-account.json";

}  // namespace

std::string CurrentAccount::path(const std::string& dataDirectory) {
    return Poco::Path(dataDirectory).makeDirectory().setFileName(kFileName).toString();
}

std::optional<CurrentAccount> CurrentAccount::load(const std::string& dataDirectory) {
    std::ifstream in(path(dataDirectory));
    if (!in) {
        return std::nullopt;
    }
    std::ostringstream text;
    text << in.rdbuf();
    try {
        Poco::JSON::Parser parser;
        const auto object = parser.parse(text.str()).extract<Poco::JSON::Object::Ptr>();
        CurrentAccount account;
        account.tenant = object->getValue<std::string>("tenant");
        account.username = object->getValue<std::string>("user");
        account.server = object->optValue<std::string>("server", "");
        account.caFile = object->optValue<std::string>("ca", "");
        if (account.tenant.empty() || account.username.empty()) {
            throw Poco::DataException("empty tenant or user");
        }
        return account;
    } catch (const Poco::Exception&) {
        throw shared::Error(shared::ErrorCode::StorageUnavailable,
                            "The account file (current-account.json) in the data directory is "
                            "damaged; sign in again with `verdant login`.");
    }
}

void CurrentAccount::save(const std::string& dataDirectory) const {
    Poco::JSON::Object object(Poco::JSON_PRESERVE_KEY_ORDER);
    object.set("tenant", tenant);
    object.set("user", username);
    object.set("server", server);
    object.set("ca", caFile);
    const std::string target = path(dataDirectory);
    const std::string temporary = target + ".tmp";
    {
        const auto previous = ::umask(077);
        std::ofstream out(temporary, std::ios::trunc);
        ::umask(previous);
        object.stringify(out, 2);
        out << '\n';
        out.flush();
        if (!out) {
            throw shared::Error(shared::ErrorCode::StorageUnavailable,
                                "Cannot write current-account.json in the data directory.");
        }
    }
    if (std::rename(temporary.c_str(), target.c_str()) != 0) {
        std::remove(temporary.c_str());
        throw shared::Error(shared::ErrorCode::StorageUnavailable,
                            "Cannot write current-account.json in the data directory.");
    }
}

}  // namespace verdant::cli
