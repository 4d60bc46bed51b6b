#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace verdant::test {

/// What a finished command printed and how it ended.
struct CliResult {
    int exitCode = -1;  ///< Exit status (128 + signal number when killed).
    std::string out;    ///< Everything on stdout.
    std::string err;    ///< Everything on stderr.
};

/// What a command is run with.
struct CliInput {
    std::string stdinText;                           ///< Written to stdin, which is then closed.
    std::map<std::string, std::string> environment;  ///< Set on top of the cleaned environment.
};

/// Runs `program` with `arguments` as a child process (posix_spawn) with stdin, stdout and stderr
/// on pipes, and waits for it to end; killed after `timeout`. The child inherits this process's
/// environment without any VERDANT_* variable and with HOME set to `home`, plus
/// `input.environment`. Throws std::runtime_error when it cannot be started or times out.
CliResult runProcess(const std::string& program, const std::vector<std::string>& arguments,
                     const CliInput& input, const std::string& home,
                     std::chrono::seconds timeout = std::chrono::seconds(120));

}  // namespace verdant::test
