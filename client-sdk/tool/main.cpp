// verdant: the command-line tool on the device SDK, for field testing and demos. A thin main():
// the commands are in Commands.cpp and RecordCommands.cpp, the command line in CommandLine.cpp.

#include "CommandLine.hpp"
#include "Commands.hpp"
#include "JsonViews.hpp"

#include "verdant/shared/ErrorCode.hpp"

#include <Poco/Exception.h>
#include <Poco/Net/SSLManager.h>

#include <algorithm>
#include <exception>
#include <iostream>
#include <string>
#include <vector>

namespace {

using verdant::cli::Invocation;

/// The exit status of an operation that threw `code`.
int exitStatusOf(verdant::shared::ErrorCode code) {
    using verdant::shared::ErrorCode;
    // A wrong password is a failed login, not a missing one; every other credential problem
    // (never signed in, token revoked or expired) is solved by `verdant login`.
    if (code == ErrorCode::NotSignedIn ||
        (verdant::shared::categoryOf(code) == verdant::shared::ErrorCategory::Unauthorised &&
         code != ErrorCode::InvalidCredentials)) {
        return verdant::cli::kExitNotSignedIn;
    }
    return verdant::cli::kExitFailed;
}

/// Reports an error that ended the command: on stderr, and as a JSON document with --json.
int fail(const Invocation& invocation, bool json, verdant::shared::ErrorCode code,
         const std::string& message) {
    if (invocation.command != nullptr) {
        verdant::cli::printError(invocation, code, message);
    } else {
        std::cerr << "verdant: " << message << " [" << verdant::shared::wireName(code) << "]\n";
        if (json) {
            auto document = verdant::cli::jsonObject();
            document->set("error", verdant::cli::errorJson(code, message));
            verdant::cli::printJson(std::cout, document);
        }
    }
    return exitStatusOf(code);
}

int run(const std::vector<std::string>& arguments) {
    const auto commands = verdant::cli::commandTable();
    // Known before parsing, so even a usage error can answer in JSON.
    const bool json = std::find(arguments.begin(), arguments.end(), "--json") != arguments.end();
    Invocation invocation;
    try {
        invocation = verdant::cli::parseCommandLine(arguments, commands);
        if (invocation.command == nullptr) {
            verdant::cli::printUsage(invocation.help() ? std::cout : std::cerr, commands);
            return invocation.help() ? verdant::cli::kExitOk : verdant::cli::kExitUsage;
        }
        return verdant::cli::runCommand(invocation);
    } catch (const verdant::cli::UsageError& e) {
        std::cerr << "verdant: " << e.what() << "\n\n";
        if (e.command() != nullptr) {
            verdant::cli::printHelp(std::cerr, *e.command());
        } else {
            verdant::cli::printUsage(std::cerr, commands);
        }
        if (json) {
            auto document = verdant::cli::jsonObject();
            document->set("error", verdant::cli::errorJson(
                                       verdant::shared::ErrorCode::InvalidParameter, e.what()));
            verdant::cli::printJson(std::cout, document);
        }
        return verdant::cli::kExitUsage;
    } catch (const verdant::shared::Error& e) {
        return fail(invocation, json, e.code(), e.what());
    } catch (const Poco::Exception& e) {
        return fail(invocation, json, verdant::shared::ErrorCode::InternalError,
                    "unexpected failure: " + e.displayText());
    } catch (const std::exception& e) {
        return fail(invocation, json, verdant::shared::ErrorCode::InternalError,
                    std::string("unexpected failure: ") + e.what());
    }
}

}  // namespace

int main(int argc, char** argv) {
    Poco::Net::initializeSSL();
    const int status = run(std::vector<std::string>(argv + 1, argv + argc));
    std::cout.flush();
    Poco::Net::uninitializeSSL();
    return status;
}
