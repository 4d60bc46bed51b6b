// verdant-server: a thin main around verdant::server::ServerApp.

#include "verdant/server/app/AdminCommand.hpp"
#include "verdant/server/app/ServerApp.hpp"

#include <Poco/Exception.h>
#include <Poco/Util/OptionException.h>

#include <iostream>
#include <string>
#include <sys/stat.h>

int main(int argc, char** argv) {
    // The data directory holds the token signing key, password hashes and audit data: nothing the
    // server writes is for other local users.
    ::umask(077);
    if (argc > 1 && std::string(argv[1]) == "admin") {
        return verdant::server::AdminCommand::run({argv + 2, argv + argc}, std::cin, std::cout,
                                                  std::cerr);
    }
    try {
        verdant::server::ServerApp app;
        return app.run(argc, argv);
    } catch (const Poco::Util::OptionException& e) {
        std::cerr << "verdant-server: " << e.displayText() << " (see --help)\n";
        return Poco::Util::Application::EXIT_USAGE;
    } catch (const Poco::Exception& e) {
        std::cerr << "verdant-server: " << e.displayText() << '\n';
        return Poco::Util::Application::EXIT_SOFTWARE;
    } catch (const std::exception& e) {
        std::cerr << "verdant-server: " << e.what() << '\n';
        return Poco::Util::Application::EXIT_SOFTWARE;
    }
}
