#include "verdant/server/app/ServerApp.hpp"

#include "verdant/server/app/ServerConfig.hpp"
#include "verdant/server/app/SyncServer.hpp"
#include "verdant/shared/ErrorCode.hpp"
#include "verdant/shared/Version.hpp"

#include <Poco/AutoPtr.h>
#include <Poco/ConsoleChannel.h>
#include <Poco/FormattingChannel.h>
#include <Poco/Logger.h>
#include <Poco/Net/SSLManager.h>
#include <Poco/PatternFormatter.h>
#include <Poco/Util/HelpFormatter.h>
#include <Poco/Util/Option.h>
#include <Poco/Util/OptionSet.h>

#include <csignal>
#if defined(__GLIBC__)
#include <malloc.h>
#endif
#include <iostream>
#include <pthread.h>

namespace verdant::server {

ServerApp::ServerApp() {
    // One line per event on stderr, UTC timestamps; systemd or a log shipper takes it from there.
    Poco::AutoPtr<Poco::PatternFormatter> formatter(
        new Poco::PatternFormatter("%Y-%m-%dT%H:%M:%S.%iZ %p %s: %t"));
    formatter->setProperty("times", "UTC");
    Poco::AutoPtr<Poco::FormattingChannel> channel(
        new Poco::FormattingChannel(formatter, new Poco::ConsoleChannel(std::cerr)));
    Poco::Logger::root().setChannel(channel);
    Poco::Logger::root().setLevel(Poco::Message::PRIO_INFORMATION);
    setUnixOptions(true);
}

void ServerApp::defineOptions(Poco::Util::OptionSet& options) {
    ServerApplication::defineOptions(options);
    options.addOption(Poco::Util::Option("help", "h", "print this help and exit"));
    options.addOption(Poco::Util::Option("version", "", "print the version and exit"));
    options.addOption(
        Poco::Util::Option("config", "c", "read settings from a properties file").argument("file"));
    for (const auto& setting : ServerConfig::settings()) {
        options.addOption(Poco::Util::Option(setting.key, "", setting.description)
                              .argument("value", !setting.isFlag)
                              .repeatable(false));
    }
}

void ServerApp::handleOption(const std::string& name, const std::string& value) {
    ServerApplication::handleOption(name, value);
    if (name == "help") {
        _helpRequested = true;
        stopOptionsProcessing();
    } else if (name == "version") {
        _versionRequested = true;
    } else if (name == "config") {
        _configFile = value;
    } else if (name != "daemon" && name != "pidfile" && name != "umask") {
        _flags[name] = value;
    }
}

void ServerApp::printHelp() const {
    Poco::Util::HelpFormatter help(options());
    help.setCommand("verdant-server");
    help.setUsage("[--config=FILE] [--KEY=VALUE ...]");
    help.setHeader(
        "Verdant sync server: HTTPS API for field audit and training devices.\n"
        "Settings come from, lowest to highest precedence: defaults, the --config file\n"
        "(key = value lines), VERDANT_* environment variables, --key=value flags.");
    std::string footer = "Environment variables:\n";
    for (const auto& setting : ServerConfig::settings()) {
        footer += "  " + setting.environmentVariable + " (--" + setting.key + ")\n";
    }
    footer +=
        "Each keep-alive connection holds one worker thread: --threads bounds the devices served\n"
        "at once and --keep-alive-timeout how long an idle one holds its thread.\n"
        "Stop with SIGTERM or SIGINT: in-flight requests finish, then the process exits 0.";
    help.setFooter(footer);
    help.setUnixStyle(true);
    help.setWidth(100);
    help.format(std::cout);
}

namespace {

/// glibc gives each thread that allocates its own heap arena (up to 8 per core), and memory a
/// worker freed stays in its arena: with dozens of workers each decoding a push, the process
/// kept the high-water mark of every arena. Two arenas bound that (the workers' allocations are
/// short-lived; a push spends its time in the store, not in malloc).
void limitMallocArenas() {
#if defined(__GLIBC__)
    mallopt(M_ARENA_MAX, 2);
#endif
}

}  // namespace

int ServerApp::main(const std::vector<std::string>& arguments) {
    if (_helpRequested) {
        printHelp();
        return EXIT_OK;
    }
    if (_versionRequested) {
        std::cout << "verdant-server " << shared::versionString() << " (protocol "
                  << shared::kProtocolVersion << ")\n";
        return EXIT_OK;
    }
    limitMallocArenas();
    auto& log = Poco::Logger::get("verdant.server");
    if (!arguments.empty()) {
        std::cerr << "verdant-server: unexpected argument '" << arguments.front()
                  << "'; settings are given as --key=value (see --help)\n";
        return EXIT_USAGE;
    }
    try {
        const auto config =
            ServerConfig::load(_configFile, ServerConfig::processEnvironment(), _flags);
        if (config.insecureHttp) {
            log.warning(
                "!!! --insecure-http: serving PLAIN HTTP. Tokens and audit data cross the network "
                "unencrypted. Use this for local debugging only, never with real devices. !!!");
        }
        // Block the stop signals before any thread starts (threads inherit the mask): a signal that
        // arrives while the server is still starting then stays pending until
        // waitForTerminationRequest() takes it, instead of killing the process uncleanly.
        sigset_t stopSignals;
        sigemptyset(&stopSignals);
        sigaddset(&stopSignals, SIGINT);
        sigaddset(&stopSignals, SIGTERM);
        sigaddset(&stopSignals, SIGQUIT);
        pthread_sigmask(SIG_BLOCK, &stopSignals, nullptr);
        Poco::Net::initializeSSL();
        int status = EXIT_OK;
        {
            SyncServer server(config);
            server.start();
            log.information("Verdant %s listening on %s (data directory %s, %d worker threads)",
                            std::string(shared::versionString()), server.baseUrl(), config.dataDir,
                            config.threads);
            waitForTerminationRequest();
            log.information("stopping: finishing in-flight requests");
            server.stop();
            log.information("stopped cleanly");
        }
        Poco::Net::uninitializeSSL();
        return status;
    } catch (const shared::Error& e) {
        std::cerr << "verdant-server: " << e.what() << '\n';
        return shared::categoryOf(e.code()) == shared::ErrorCategory::InvalidInput ? EXIT_CONFIG
                                                                                   : EXIT_SOFTWARE;
    } catch (const Poco::Exception& e) {
        std::cerr << "verdant-server: " << e.displayText() << '\n';
        return EXIT_SOFTWARE;
    }
}

}  // namespace verdant::server
