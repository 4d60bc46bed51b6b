// verdant: the command-line tool on the device SDK, for field testing and demos.

#include "verdant/client/HttpsTransport.hpp"
#include "verdant/shared/ErrorCode.hpp"
#include "verdant/shared/Version.hpp"

#include <Poco/Dynamic/Var.h>
#include <Poco/Exception.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Net/SSLManager.h>

#include <cstdlib>
#include <iostream>
#include <map>
#include <string>
#include <vector>

namespace {

constexpr int kExitUsage = 64;
constexpr int kExitUnavailable = 69;

struct Arguments {
    std::string command;
    std::map<std::string, std::string> options;
    bool json = false;
    bool help = false;
};

void printUsage(std::ostream& out) {
    out << "usage: verdant <command> [options]\n\n"
           "Commands:\n"
           "  health     ask the server whether it is up (GET /v1/health)\n"
           "  version    print the version of this tool\n\n"
           "Options:\n"
           "  --server=URL   server address (default: $VERDANT_SERVER or https://localhost:8443)\n"
           "  --cacert=FILE  CA certificate to trust (default: $VERDANT_CACERT, else system CAs)\n"
           "  --json         print machine-readable JSON\n"
           "  --help         print help for a command\n";
}

Arguments parse(int argc, char** argv) {
    Arguments args;
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        if (arg == "--help" || arg == "-h") {
            args.help = true;
        } else if (arg == "--json") {
            args.json = true;
        } else if (arg.rfind("--", 0) == 0) {
            const auto equals = arg.find('=');
            if (equals == std::string::npos) {
                throw verdant::shared::Error(verdant::shared::ErrorCode::InvalidParameter,
                                             "option " + arg + " needs a value: " + arg + "=...");
            }
            args.options[arg.substr(2, equals - 2)] = arg.substr(equals + 1);
        } else if (args.command.empty()) {
            args.command = arg;
        } else {
            throw verdant::shared::Error(verdant::shared::ErrorCode::InvalidParameter,
                                         "unexpected argument '" + arg + "'");
        }
    }
    return args;
}

std::string option(const Arguments& args, const std::string& name, const char* environment,
                   const std::string& fallback) {
    if (auto it = args.options.find(name); it != args.options.end()) {
        return it->second;
    }
    if (const char* value = std::getenv(environment); value != nullptr && *value != '\0') {
        return value;
    }
    return fallback;
}

int health(const Arguments& args) {
    if (args.help) {
        std::cout << "usage: verdant health [--server=URL] [--cacert=FILE] [--json]\n"
                     "Asks the server whether it and its storage are up. Exit 0 when healthy.\n";
        return 0;
    }
    verdant::client::ServerEndpoint endpoint;
    endpoint.baseUrl = option(args, "server", "VERDANT_SERVER", "https://localhost:8443");
    endpoint.caFile = option(args, "cacert", "VERDANT_CACERT", "");
    verdant::client::HttpsTransport transport(endpoint);
    const auto response = transport.send("GET", "/v1/health");
    if (args.json) {
        std::cout << response.body << '\n';
    } else {
        Poco::JSON::Parser parser;
        auto body = parser.parse(response.body).extract<Poco::JSON::Object::Ptr>();
        auto storage = body->getObject("storage");
        std::cout << endpoint.baseUrl << ": " << body->getValue<std::string>("status")
                  << " (Verdant " << body->getValue<std::string>("version") << ", storage "
                  << (storage ? storage->getValue<std::string>("backend") + " " +
                                    storage->getValue<std::string>("status")
                              : std::string("unknown"))
                  << ")\n";
    }
    return response.status == 200 ? 0 : kExitUnavailable;
}

}  // namespace

int main(int argc, char** argv) {
    Poco::Net::initializeSSL();
    int status = 0;
    try {
        const auto args = parse(argc, argv);
        if (args.command.empty()) {
            printUsage(args.help ? std::cout : std::cerr);
            status = args.help ? 0 : kExitUsage;
        } else if (args.command == "version") {
            std::cout << "verdant " << verdant::shared::versionString() << '\n';
        } else if (args.command == "health") {
            status = health(args);
        } else {
            std::cerr << "verdant: unknown command '" << args.command << "'\n";
            printUsage(std::cerr);
            status = kExitUsage;
        }
    } catch (const verdant::shared::Error& e) {
        std::cerr << "verdant: " << e.what() << " [" << verdant::shared::wireName(e.code())
                  << "]\n";
        status = verdant::shared::isRetryable(e.code()) ? kExitUnavailable : kExitUsage;
    } catch (const Poco::Exception& e) {
        std::cerr << "verdant: unexpected answer from the server: " << e.displayText() << '\n';
        status = kExitUnavailable;
    }
    Poco::Net::uninitializeSSL();
    return status;
}
