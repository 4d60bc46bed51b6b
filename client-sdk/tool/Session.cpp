#include "Session.hpp"

#include "verdant/shared/ErrorCode.hpp"

#include <Poco/File.h>
#include <Poco/Path.h>

#include <cstdlib>
#include <pwd.h>
#include <unistd.h>

namespace verdant::cli {

namespace {

constexpr const char* kDefaultServer = "https://localhost:8443";

std::optional<std::string> environment(const char* name) {
    if (const char* value = std::getenv(name); value != nullptr && *value != '\0') {
        return std::string(value);
    }
    return std::nullopt;
}

std::string homeDirectory() {
    if (auto home = environment("HOME")) {
        return *home;
    }
    if (const passwd* entry = ::getpwuid(::getuid()); entry != nullptr && entry->pw_dir) {
        return entry->pw_dir;
    }
    return ".";
}

std::string absolute(const std::string& path) {
    return path.empty() ? path : Poco::Path(path).absolute().toString();
}

}  // namespace

Settings Settings::resolve(const Invocation& invocation) {
    Settings settings;
    if (auto dir = invocation.value("data-dir"); dir && !dir->empty()) {
        settings.dataDirectory = *dir;
    } else if (auto fromEnvironment = environment("VERDANT_DATA_DIR")) {
        settings.dataDirectory = *fromEnvironment;
    } else {
        settings.dataDirectory = Poco::Path(homeDirectory()).append(".verdant").toString();
    }
    settings.dataDirectory = absolute(settings.dataDirectory);
    try {
        settings.account = CurrentAccount::load(settings.dataDirectory);
    } catch (const shared::Error&) {
        // A damaged account file is what `verdant login` repairs: it must not stop it.
        if (invocation.command == nullptr || invocation.command->name != "login") {
            throw;
        }
    }

    std::optional<std::string> server = invocation.value("server");
    if (!server || server->empty()) {
        server = environment("VERDANT_SERVER");
    }
    const bool rememberedServer = !server && settings.account && !settings.account->server.empty();
    settings.server.baseUrl = server             ? *server
                              : rememberedServer ? settings.account->server
                                                 : kDefaultServer;

    std::optional<std::string> ca = invocation.value("ca");
    if (!ca || ca->empty()) {
        ca = environment("VERDANT_CA");
    }
    if (!ca) {
        ca = environment("VERDANT_CACERT");  // the name the first version of the tool used
    }
    if (ca) {
        settings.server.caFile = absolute(*ca);
    } else if (settings.account && settings.account->server == settings.server.baseUrl) {
        // The CA given at login belongs to the server given at login, and only to it.
        settings.server.caFile = settings.account->caFile;
    }
    return settings;
}

void Settings::checkServer() const {
    if (!server.caFile.empty() && !Poco::File(server.caFile).exists()) {
        throw shared::Error(shared::ErrorCode::InvalidParameter,
                            "The CA file " + server.caFile +
                                " does not exist (--ca, $VERDANT_CA or the one given at login).");
    }
}

client::ClientOptions Settings::clientOptions() const {
    client::ClientOptions options;
    options.dataDirectory = dataDirectory;
    options.server = server;
    char host[256] = {};
    if (::gethostname(host, sizeof host - 1) == 0 && host[0] != '\0') {
        options.deviceName = std::string("verdant CLI on ") + host;
    } else {
        options.deviceName = "verdant CLI";
    }
    return options;
}

Session Session::open(const Invocation& invocation, Network network,
                      const std::function<void(client::ClientOptions&)>& adjust) {
    Session session;
    session.settings = Settings::resolve(invocation);
    if (network == Network::Used) {
        session.settings.checkServer();
    } else if (!session.settings.server.caFile.empty() &&
               !Poco::File(session.settings.server.caFile).exists()) {
        // The SDK sets its transport up when it opens the store, and that reads the CA file;
        // offline work must not depend on a file only the network needs.
        session.settings.server.caFile.clear();
    }
    const auto& account = session.settings.account;
    session.tenant = invocation.value("tenant").value_or(account ? account->tenant : "");
    session.username = invocation.value("user").value_or(account ? account->username : "");
    if (session.tenant.empty() || session.username.empty()) {
        throw shared::Error(shared::ErrorCode::NotSignedIn,
                            "No one is signed in on this device; sign in online first with "
                            "`verdant login --tenant TENANT --user USER`.");
    }
    auto options = session.settings.clientOptions();
    if (adjust) {
        adjust(options);
    }
    session.client = client::Client::open(std::move(options), session.tenant, session.username);
    return session;
}

}  // namespace verdant::cli
