#include "verdant/server/app/AdminCommand.hpp"

#include "verdant/server/app/BuiltInModules.hpp"
#include "verdant/server/auth/AccountStore.hpp"
#include "verdant/server/auth/PasswordHasher.hpp"
#include "verdant/shared/ErrorCode.hpp"

#include <Poco/File.h>
#include <Poco/Path.h>
#include <openssl/rand.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <sstream>
#include <sys/stat.h>

namespace verdant::server {

using shared::Error;
using shared::ErrorCode;

namespace {

constexpr int kExitUsage = 64;
constexpr int kExitRefused = 65;
constexpr int kExitStorage = 74;

constexpr const char* kUsage =
    "usage: verdant-server admin <command> [--data-dir=DIR] [options]\n"
    "  create-tenant --slug=SLUG --name=NAME\n"
    "  create-user --tenant=SLUG --username=NAME --role=ROLE [--display-name=TEXT]\n"
    "              (reads the password from the first line of standard input)\n"
    "  list-users --tenant=SLUG\n"
    "  disable-user --tenant=SLUG --username=NAME   (ends the user's sign-ins at once)\n"
    "  enable-user --tenant=SLUG --username=NAME\n"
    "  seed-demo   a 'demo' tenant: one user per role, a supplier and 3 audits for 'expert'\n"
    "roles: field_expert, training_coordinator, hq_reviewer, tenant_admin\n"
    "slugs: 2-63 of a-z 0-9 -, starting with a letter or digit; user names: 1-64 printable\n"
    "ASCII characters without spaces; names and display names: up to 200 bytes, no control\n"
    "characters\n";

struct DemoUser {
    const char* username;
    const char* displayName;
    Role role;
};

constexpr std::array<DemoUser, 4> kDemoUsers = {{
    {"expert", "Li Wei (field expert)", Role::FieldExpert},
    {"coordinator", "Zhang Min (training coordinator)", Role::TrainingCoordinator},
    {"reviewer", "Anna Berg (HQ reviewer)", Role::HqReviewer},
    {"admin", "Demo administrator", Role::TenantAdmin},
}};

std::string randomPassword() {
    static constexpr char kAlphabet[] = "abcdefghijkmnpqrstuvwxyzACDEFGHJKLMNPQRSTUVWXYZ23456789";
    std::array<unsigned char, 16> bytes{};
    if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) {
        throw Error(ErrorCode::InternalError, "no randomness for a password");
    }
    std::string password;
    for (auto byte : bytes) {
        password += kAlphabet[byte % (sizeof kAlphabet - 1)];
    }
    return password;
}

std::string option(const std::map<std::string, std::string>& options, const std::string& name) {
    const auto it = options.find(name);
    if (it == options.end() || it->second.empty()) {
        throw Error(ErrorCode::InvalidParameter, "--" + name + "=... is required");
    }
    return it->second;
}

/// `^[a-z0-9][a-z0-9-]{1,62}$`: what people type at sign-in and what URLs may carry.
std::string validSlug(const std::string& option, const std::string& slug) {
    const bool ok = slug.size() >= 2 && slug.size() <= 63 && slug.front() != '-' &&
                    std::all_of(slug.begin(), slug.end(), [](char c) {
                        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
                    });
    if (!ok) {
        throw Error(
            ErrorCode::InvalidParameter,
            "--" + option + " must be 2-63 characters of a-z, 0-9 and '-', not starting with '-'");
    }
    return slug;
}

/// 1-64 printable ASCII characters, no spaces: what a person can type on any tablet keyboard
/// and what logs show unambiguously.
std::string validUsername(const std::string& username) {
    const bool ok =
        !username.empty() && username.size() <= 64 &&
        std::all_of(username.begin(), username.end(), [](char c) { return c > ' ' && c < 0x7F; });
    if (!ok) {
        throw Error(ErrorCode::InvalidParameter,
                    "--username must be 1-64 printable ASCII characters without spaces");
    }
    return username;
}

/// Free text for people (a tenant's name, a display name): bounded, no control characters.
std::string validName(const std::string& option, const std::string& text) {
    const bool ok =
        !text.empty() && text.size() <= 200 && std::none_of(text.begin(), text.end(), [](char c) {
            return static_cast<unsigned char>(c) < 0x20 || c == 0x7F;
        });
    if (!ok) {
        throw Error(ErrorCode::InvalidParameter,
                    "--" + option + " must be 1-200 bytes without control characters");
    }
    return text;
}

/// The user of a tenant named by --tenant and --username, or NotFound.
User userOf(AccountStore& accounts, const Tenant& tenant, const std::string& username) {
    auto user = accounts.userByName(tenant.id, username);
    if (!user) {
        throw Error(ErrorCode::NotFound, "no user '" + username + "' in " + tenant.slug);
    }
    return *user;
}

Tenant tenantOf(AccountStore& accounts, const std::string& slug) {
    auto tenant = accounts.tenantBySlug(slug);
    if (!tenant) {
        throw Error(ErrorCode::NotFound, "no tenant '" + slug + "'");
    }
    return *tenant;
}

/// Creates the demo tenant and users once, keeping their generated passwords in a 0600 file in
/// the data directory, and prints the sign-in details every time.
void seedDemo(AccountStore& accounts, const std::string& dataDir, std::ostream& out) {
    const auto loginsFile = Poco::Path(dataDir).append("demo-logins.txt").toString();
    if (!accounts.tenantBySlug("demo")) {
        const auto tenant = accounts.createTenant("demo", "Demo Green Supply Chain Programme");
        const PasswordHasher hasher;
        const auto previous = ::umask(077);
        std::ofstream logins(loginsFile, std::ios::trunc);
        ::umask(previous);
        for (const auto& user : kDemoUsers) {
            const auto password = randomPassword();
            accounts.createUser(tenant.id, user.username, user.displayName, user.role,
                                hasher.hash(password));
            logins << user.username << ' ' << wireName(user.role) << ' ' << password << '\n';
        }
    }
    // Each module writes its own demo records for the demo users.
    const DomainModules modules(builtInModules());
    DemoTenant demo{dataDir, accounts.tenantBySlug("demo")->id, {}, modules.schema()};
    for (const auto& user : kDemoUsers) {
        if (const auto account = accounts.userByName(demo.tenantId, user.username)) {
            demo.userIds.emplace(user.username, account->id);
        }
    }
    modules.seedDemo(demo, out);
    std::ifstream logins(loginsFile);
    out << "Demo tenant 'demo' — sign in with (user, role, password):\n";
    std::string line;
    while (std::getline(logins, line)) {
        out << "  " << line << '\n';
    }
    out << "e.g. curl --cacert certs/dev/ca.pem -H 'Content-Type: application/json' \\\n"
           "       -d '{\"tenant\":\"demo\",\"username\":\"expert\",\"password\":\"...\"}' \\\n"
           "       https://localhost:8443/v1/auth/login\n";
}

/// The command and its `--name[=value]` options, or the usage error of an unexpected argument.
struct ParsedArguments {
    std::string command;
    std::map<std::string, std::string> options;
    std::optional<std::string> unexpected;
};

ParsedArguments parseArguments(const std::vector<std::string>& arguments) {
    ParsedArguments parsed;
    for (const auto& argument : arguments) {
        if (argument.rfind("--", 0) == 0) {
            const auto equals = argument.find('=');
            parsed.options[argument.substr(
                2, equals == std::string::npos ? std::string::npos : equals - 2)] =
                equals == std::string::npos ? "" : argument.substr(equals + 1);
        } else if (parsed.command.empty()) {
            parsed.command = argument;
        } else if (!parsed.unexpected) {
            parsed.unexpected = argument;
        }
    }
    return parsed;
}

void createUser(AccountStore& accounts, std::map<std::string, std::string>& options,
                std::istream& in, std::ostream& out) {
    const auto tenant = tenantOf(accounts, validSlug("tenant", option(options, "tenant")));
    const auto role = roleFromWireName(option(options, "role"));
    if (!role) {
        throw Error(ErrorCode::InvalidParameter, "unknown role '" + options["role"] + "'");
    }
    std::string password;
    std::getline(in, password);
    const auto username = validUsername(option(options, "username"));
    const auto displayName = options.count("display-name") != 0
                                 ? validName("display-name", options["display-name"])
                                 : username;
    const auto user = accounts.createUser(tenant.id, username, displayName, *role,
                                          PasswordHasher().hash(password));
    out << "created user " << user.username << " (" << wireName(user.role) << ") in " << tenant.slug
        << '\n';
}

void setUserDisabled(AccountStore& accounts, std::map<std::string, std::string>& options,
                     bool disable, std::ostream& out) {
    const auto tenant = tenantOf(accounts, validSlug("tenant", option(options, "tenant")));
    const auto user = userOf(accounts, tenant, validUsername(option(options, "username")));
    accounts.setUserDisabled(tenant.id, user.id, disable,
                             std::chrono::duration_cast<std::chrono::milliseconds>(
                                 std::chrono::system_clock::now().time_since_epoch())
                                 .count());
    out << (disable ? "disabled user " : "enabled user ") << user.username << " in " << tenant.slug
        << '\n';
}

/// Runs `command` on the data directory; false when there is no such command.
bool runCommand(const std::string& command, std::map<std::string, std::string>& options,
                const std::string& dataDir, std::istream& in, std::ostream& out) {
    Poco::File(dataDir).createDirectories();
    AccountStore accounts(Poco::Path(dataDir).append("accounts.db").toString());
    if (command == "create-tenant") {
        const auto tenant = accounts.createTenant(validSlug("slug", option(options, "slug")),
                                                  validName("name", option(options, "name")));
        out << "created tenant " << tenant.slug << " (" << tenant.id << ")\n";
    } else if (command == "create-user") {
        createUser(accounts, options, in, out);
    } else if (command == "list-users") {
        const auto tenant = tenantOf(accounts, validSlug("tenant", option(options, "tenant")));
        for (const auto& user : accounts.users(tenant.id)) {
            out << user.username << '\t' << wireName(user.role) << '\t' << user.displayName
                << (user.disabled ? "\t(disabled)" : "") << '\n';
        }
    } else if (command == "disable-user" || command == "enable-user") {
        setUserDisabled(accounts, options, command == "disable-user", out);
    } else if (command == "seed-demo") {
        seedDemo(accounts, dataDir, out);
    } else {
        return false;
    }
    return true;
}

/// The exit code of a command that failed with `error`.
int exitCodeOf(const Error& error) {
    switch (shared::categoryOf(error.code())) {
        case shared::ErrorCategory::InvalidInput:
            return kExitUsage;
        case shared::ErrorCategory::Transient:
        case shared::ErrorCategory::Internal:
            return kExitStorage;
        default:
            return kExitRefused;
    }
}

}  // namespace

int AdminCommand::run(const std::vector<std::string>& arguments, std::istream& in,
                      std::ostream& out, std::ostream& err) {
    auto parsed = parseArguments(arguments);
    if (parsed.unexpected) {
        err << "verdant-server admin: unexpected argument '" << *parsed.unexpected << "'\n"
            << kUsage;
        return kExitUsage;
    }
    if (parsed.command == "help" || parsed.options.count("help") != 0) {
        out << kUsage;
        return 0;
    }
    if (parsed.command.empty()) {
        err << kUsage;
        return kExitUsage;
    }
    const char* environmentDir = std::getenv("VERDANT_DATA_DIR");
    const std::string dataDir = parsed.options.count("data-dir") != 0 ? parsed.options["data-dir"]
                                : environmentDir != nullptr           ? environmentDir
                                                                      : "data";
    try {
        if (!runCommand(parsed.command, parsed.options, dataDir, in, out)) {
            err << "verdant-server admin: unknown command '" << parsed.command << "'\n" << kUsage;
            return kExitUsage;
        }
    } catch (const Error& e) {
        err << "verdant-server admin: " << e.what() << '\n';
        return exitCodeOf(e);
    }
    return 0;
}

}  // namespace verdant::server
