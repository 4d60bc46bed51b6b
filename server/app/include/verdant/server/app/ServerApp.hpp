#pragma once

#include <Poco/Util/ServerApplication.h>

#include <map>
#include <string>

namespace verdant::server {

/// The `verdant-server` process: options, configuration layering, logging, signals.
///
/// Runs a SyncServer until SIGTERM or SIGINT, then stops it gracefully and exits 0. Exit codes:
/// 0 clean stop, 64 bad command line, 78 bad configuration (unreadable file, bad value, unusable
/// certificate or address), 70 an unexpected failure.
class ServerApp final : public Poco::Util::ServerApplication {
public:
    ServerApp();

protected:
    void defineOptions(Poco::Util::OptionSet& options) override;
    void handleOption(const std::string& name, const std::string& value) override;
    int main(const std::vector<std::string>& arguments) override;

private:
    void printHelp() const;

    bool _helpRequested = false;
    bool _versionRequested = false;
    std::string _configFile;
    std::map<std::string, std::string> _flags;
};

}  // namespace verdant::server
