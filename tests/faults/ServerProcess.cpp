#include "ServerProcess.hpp"

#include "TestCertificates.hpp"

#include <csignal>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <unistd.h>

namespace verdant::test {

ServerProcess::ServerProcess(std::string binary, std::string directory,
                             std::vector<std::string> extraFlags)
    : _binary(std::move(binary)),
      _directory(std::move(directory)),
      _extraFlags(std::move(extraFlags)) {}

ServerProcess::~ServerProcess() {
    kill();
}

std::string ServerProcess::dataDir() const {
    return _directory + "/data";
}

void ServerProcess::start() {
    const auto& certificates = TestCertificates::primary();
    const auto portFile = _directory + "/port";
    {
        std::lock_guard lock(_mutex);
        ::unlink(portFile.c_str());
        std::vector<std::string> arguments = {
            "--data-dir=" + dataDir(), "--port=0", "--port-file=" + portFile,
            "--tls-cert=" + certificates.certificateFile, "--tls-key=" + certificates.keyFile};
        arguments.insert(arguments.end(), _extraFlags.begin(), _extraFlags.end());
        _process = std::make_unique<ChildProcess>(_binary, arguments, _directory + "/server.log");
    }
    // Clients keep the old (dead) address meanwhile: they fail fast, as against a server that
    // is starting.
    const auto port = waitForPortFile(portFile, std::chrono::seconds(30));
    std::lock_guard lock(_mutex);
    if (!port) {
        _process.reset();
        const auto text = log();
        throw std::runtime_error("verdant-server did not start; its log ends:\n" +
                                 text.substr(text.size() > 2000 ? text.size() - 2000 : 0));
    }
    _endpoint = {"https://localhost:" + std::to_string(*port), certificates.caFile, 10};
    ++_starts;
}

void ServerProcess::kill() {
    std::lock_guard lock(_mutex);
    if (_process) {
        _process->signal(SIGKILL);
        _process->waitFor(std::chrono::seconds(30));
        _process.reset();
    }
}

int ServerProcess::stop() {
    std::lock_guard lock(_mutex);
    if (!_process) {
        return -1;
    }
    _process->signal(SIGTERM);
    const auto exitCode = _process->waitFor(std::chrono::seconds(30));
    _process.reset();  // SIGKILLs it if it is still running
    return exitCode.value_or(-1);
}

bool ServerProcess::running() const {
    std::lock_guard lock(_mutex);
    return _process != nullptr;
}

client::ServerEndpoint ServerProcess::endpoint() const {
    std::lock_guard lock(_mutex);
    return _endpoint;
}

int ServerProcess::starts() const {
    std::lock_guard lock(_mutex);
    return _starts;
}

std::string ServerProcess::log() const {
    std::ifstream in(_directory + "/server.log");
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

}  // namespace verdant::test
