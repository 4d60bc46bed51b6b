// verdant-server: a thin main around verdant::server::ServerApp.

#include "verdant/server/ServerApp.hpp"

#include <Poco/Exception.h>
#include <Poco/Util/OptionException.h>

#include <iostream>

int main(int argc, char** argv) {
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
